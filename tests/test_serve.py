"""`newsevents serve`: deployments per cron schedule, one-line errors before any work, and a real served run."""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.cli import build_parser
from flows.lock_wait import held_when_free
from flows.serve import (
    build_deployments,
    cron_schedule,
    deployment_name,
    local_server,
    scheduled_ingest,
    serve_command,
)
from transforms.errors import NewseventsError
from transforms.load import DataDir
from transforms.nlp import model_name
from transforms.sources import Source, load_sources, parse_source

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SOURCES = """
[[sources]]
name = "wire/world"
kind = "feed"
url = "https://news.example.org/world.rss"
schedule = "*/30 * * * *"
max_articles = 20

[[sources]]
name = "gazette"
kind = "sitemap"
url = "https://gazette.example.net/news-sitemap.xml"
schedule = "15 3 * * mon"
language = "en"

[[sources]]
name = "wire/africa"
kind = "feed"
url = "https://news.example.org/africa.rss"
schedule = "*/30  *  * * *"

[[sources]]
name = "by hand"
kind = "urls"
urls = ["https://gazette.example.net/2026/11/20/talks.html"]
"""


@pytest.fixture
def sources_file(tmp_path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES, encoding="utf-8")
    return path


def serve_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sources_sharing_a_schedule_share_one_deployment(sources_file, tmp_path):
    deployments = build_deployments(load_sources(sources_file), tmp_path / "data", maintenance_cron="30 3 * * *",
                                    destinations=["duckdb:///warehouse.duckdb"])
    by_name = {d.name: d for d in deployments}
    assert list(by_name) == ["ingest-wire-world-and-1-more", "ingest-gazette", "maintenance"]
    crons = {name: [s.schedule.cron for s in d.schedules] for name, d in by_name.items()}
    assert crons == {"ingest-wire-world-and-1-more": ["*/30 * * * *"], "ingest-gazette": ["15 3 * * mon"],
                     "maintenance": ["30 3 * * *"]}
    shared = by_name["ingest-wire-world-and-1-more"].parameters
    assert [s["name"] for s in shared["sources"]] == ["wire/world", "wire/africa"]
    assert shared["data_dir"] == str((tmp_path / "data").resolve()) and shared["fetch"] == {}
    assert by_name["maintenance"].parameters == {"data_dir": str((tmp_path / "data").resolve()),
                                                 "destinations": ["duckdb:///warehouse.duckdb"], "lock_wait": 300}
    assert {d.entrypoint for d in deployments} == {"flows.serve.scheduled_ingest", "flows.maintenance.maintenance"}


def test_parameters_survive_json_and_rebuild_the_same_sources(sources_file, tmp_path):
    sources = load_sources(sources_file)
    processing = {"model": None, "batch_size": 8, "runner": "processes", "workers": 3, "dask_address": None}
    deployments = build_deployments(sources, tmp_path, fetch={"allow_private": True}, processing=processing)
    stored = [json.loads(json.dumps(d.parameters)) for d in deployments]
    rebuilt = [parse_source(entry, "test") for params in stored for entry in params["sources"]]
    assert sorted(rebuilt, key=lambda s: s.name) == sorted([s for s in sources if s.schedule], key=lambda s: s.name)
    assert all(params["fetch"] == {"allow_private": True} and params["processing"] == processing for params in stored)
    assert len(deployments) == 2, "no maintenance deployment unless asked for"


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4))
def test_deployment_names_never_hold_characters_prefect_forbids(names):
    group = [Source(name=n, kind="feed", urls=("https://example.org/feed",)) for n in names]
    name = deployment_name(group)
    assert name.startswith("ingest-") and not set(name) & set("/%&<>")
    assert name.endswith(f"-and-{len(names) - 1}-more") == (len(names) > 1)


def test_timezone_applies_to_every_schedule(sources_file, tmp_path):
    deployments = build_deployments(load_sources(sources_file), tmp_path, timezone="Asia/Kolkata", maintenance_cron="0 4 * * *")
    assert {s.schedule.timezone for d in deployments for s in d.schedules} == {"Asia/Kolkata"}


@pytest.mark.parametrize("call, message", [
    (lambda tmp: build_deployments([Source(name="x", kind="urls", urls=("https://example.org/a",))], tmp), "no source has a schedule"),
    (lambda tmp: build_deployments([Source(name="x", kind="feed", urls=("https://e.org/f",), schedule="0 * * * *")], tmp,
                                   timezone="Mars/Olympus"), "'Mars/Olympus' is not an IANA name"),
    (lambda tmp: cron_schedule("0 25 * * *", None, "--maintenance-cron"), "--maintenance-cron: schedule '0 25 * * *' is not a cron expression"),
    (lambda tmp: build_deployments([Source(name="x", kind="feed", urls=("https://e.org/f",), schedule="0 0 31 2,4 *")], tmp),
     "source 'x': schedule '0 0 31 2,4 *' never comes round"),
    (lambda tmp: build_deployments([Source(name="bbc/world", kind="feed", urls=("https://e.org/f",), schedule="*/30 * * * *"),
                                    Source(name="bbc-world", kind="feed", urls=("https://e.org/g",), schedule="@daily")], tmp),
     "sources 'bbc/world' and 'bbc-world' would both be served as deployment 'ingest-bbc-world'"),
    (lambda tmp: scheduled_ingest.fn([], str(tmp), processing={"workers": 2, "threads": 4}),
     "deployment parameter processing: unknown threads"),
])
def test_bad_plans_are_one_line_errors(call, message, tmp_path):
    with pytest.raises(NewseventsError, match=re.escape(message)) as error:
        call(tmp_path)
    assert "\n" not in str(error.value)


def test_missing_sources_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(NewseventsError, match=r"sources\.toml: no such sources file; pass --sources"):
        serve_command(serve_args("--data-dir", str(tmp_path), "--list"))
    with pytest.raises(NewseventsError, match=r"nope\.toml: no such sources file"):
        serve_command(serve_args("--sources", str(tmp_path / "nope.toml"), "--list"))


def test_a_destination_sync_would_refuse_stops_serve_before_any_work(sources_file, tmp_path):
    with pytest.raises(NewseventsError, match=r"^unsupported destination bogus://x: use duckdb:///"):
        serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path / "data"),
                                 "--destination", "bogus://x", "--list"))
    assert not (tmp_path / "data").exists()


def test_an_unreachable_dask_address_stops_serve_before_any_work(sources_file, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(NewseventsError, match=f"^Dask scheduler at {address} is unreachable"):
        serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path / "data"), "--dask-address", address))


def test_unparsable_schedule_stops_serve_before_any_work(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES.replace('"15 3 * * mon"', '"15 3 * * funday"'), encoding="utf-8")
    with pytest.raises(NewseventsError, match=r"\(gazette\): schedule '15 3 \* \* funday' is not a cron expression"):
        serve_command(serve_args("--sources", str(path), "--data-dir", str(tmp_path / "data")))
    assert not (tmp_path / "data").exists()


def test_unreachable_prefect_server_is_a_one_line_error(sources_file, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/api"
    started = time.monotonic()
    with temporary_settings(updates={PREFECT_API_URL: url}), pytest.raises(NewseventsError) as error:
        serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path / "data")))
    assert f"Prefect server at PREFECT_API_URL={url} is unreachable" in str(error.value)
    assert "\n" not in str(error.value) and time.monotonic() - started < 10
    assert not (tmp_path / "data").exists()


def test_api_url_without_api_path_is_caught(sources_file, tmp_path):
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{web.server_address[1]}"
        with temporary_settings(updates={PREFECT_API_URL: url}), pytest.raises(NewseventsError, match="is not a Prefect API"):
            serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path)))
        web.shutdown()


def test_list_prints_deployments_and_their_next_runs(sources_file, tmp_path, capsys):
    assert serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path),
                                    "--maintenance-cron", "off", "--list")) == 0
    out = capsys.readouterr().out
    assert "not scheduled (no schedule in" in out and "by hand" in out
    assert "maintenance" not in out
    gazette = out[out.index("scheduled-ingest/ingest-gazette"):]
    times = [datetime.strptime(t.strip()[:16], "%Y-%m-%d %H:%M") for t in gazette.split("next: ")[1].splitlines()[0].split(",")]
    assert len(times) == 3 and all(t.weekday() == 0 and (t.hour, t.minute) == (3, 15) for t in times)
    assert "sources: wire/world, wire/africa" in out


def test_busy_port_for_the_local_server_is_an_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(NewseventsError, match=f"port {port} is in use"), local_server(port, tmp_path / "server.log"):
            pass
    assert not (tmp_path / "server.log").exists()


def test_work_pool_needs_a_prefect_server(sources_file, tmp_path):
    with temporary_settings(restore_defaults={PREFECT_API_URL}), pytest.raises(NewseventsError, match="--work-pool needs a Prefect server"):
        serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path), "--work-pool", "pool"))


@pytest.mark.flow
def test_work_pool_mode_registers_the_deployments_and_caps_the_pool(prefect_harness, sources_file, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="newsevents-pool", type="process"), overwrite=True)
    with pytest.raises(NewseventsError, match="work pool 'no-such-pool' does not exist; create it with `prefect work-pool create"):
        serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path), "--work-pool", "no-such-pool"))
    assert serve_command(serve_args("--sources", str(sources_file), "--data-dir", str(tmp_path), "--work-pool",
                                    "newsevents-pool", "--limit", "2", "--maintenance-cron", "0 2 * * *")) == 0
    with get_client(sync_client=True) as client:
        pool = client.read_work_pool("newsevents-pool")
        registered = client.read_deployments(work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=["newsevents-pool"])))
    assert pool.concurrency_limit == 2
    assert {d.name: [s.schedule.cron for s in d.schedules] for d in registered} == {
        "ingest-wire-world-and-1-more": ["*/30 * * * *"], "ingest-gazette": ["15 3 * * mon"], "maintenance": ["0 2 * * *"]}
    assert {d.entrypoint for d in registered} == {"flows.serve.scheduled_ingest", "flows.maintenance.maintenance"}
    assert all(d.parameters["data_dir"] == str(tmp_path.resolve()) and not d.paused for d in registered)


SERVE = "import sys; from flows.cli import main; sys.exit(main(['serve', *sys.argv[1:]]))"


def api(url: str, method: str, path: str, body: dict | None = None):
    """A Prefect API call; retried while the server answers 503 (its SQLite database busy under load, as seen on CI)."""
    for _ in range(5):
        response = httpx.request(method, f"{url}{path}", json=body, timeout=10)
        if response.status_code != 503:
            break
        time.sleep(1)
    response.raise_for_status()
    return response.json()


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(1)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def served_deployments(process: subprocess.Popen, url: str, count: int) -> dict[str, dict]:
    """The deployments a serve process registered, by name, once there are count of them."""
    def deployments():
        if process.poll() is not None:
            pytest.fail(f"serve exited early: {process.stdout.read()}")
        try:
            found = api(url, "POST", "/deployments/filter", {})
        except httpx.HTTPError:
            return None
        return {d["name"]: d for d in found} if len(found) == count else None

    return wait_for(deployments, 240, f"the {count} deployments")


@pytest.mark.slow
@pytest.mark.flow
@pytest.mark.model
def test_serve_registers_schedules_and_runs_a_deployment(tmp_path):
    """Local mode end to end: a Prefect server started by serve, deployments with schedules, one run fetching a local page."""
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
            http.server.SimpleHTTPRequestHandler, directory=str(SAMPLES))) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        page = f"http://127.0.0.1:{web.server_address[1]}/kenya-ethiopia-water-agreement.html"
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[sources]]\nname = "local"\nkind = "urls"\nurls = ["{page}"]\nschedule = "0 6 1 1 *"\n\n'
                           '[[sources]]\nname = "later"\nkind = "feed"\nurl = "https://news.example.org/world.rss"\n'
                           'schedule = "45 5 * * *"\n', encoding="utf-8")
        port, data = free_port(), tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_RUNNER_POLL_FREQUENCY="2")
        process = subprocess.Popen([sys.executable, "-c", SERVE, "--sources", str(sources), "--data-dir", str(data),
                                    "--port", str(port), "--allow-private", "--destination", "duckdb:///w.duckdb",
                                    "--batch-size", "3", "--user-agent", "newsevents-test/1"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/api"
        try:
            served = served_deployments(process, url, 3)
            assert {name: [s["schedule"]["cron"] for s in d["schedules"]] for name, d in served.items()} == {
                "ingest-local": ["0 6 1 1 *"], "ingest-later": ["45 5 * * *"], "maintenance": ["30 3 * * *"]}
            assert served["maintenance"]["parameters"]["destinations"] == ["duckdb:///w.duckdb"]
            vacuum = api(url, "GET", "/admin/settings")["server"]["services"]["db_vacuum"]
            assert {"events", "flow_runs"} <= set(vacuum["enabled"]), "a server serving for months prunes old runs"
            local = served["ingest-local"]["parameters"]
            assert local["fetch"] == {"allow_private": True, "user_agent": "newsevents-test/1"}
            assert local["processing"] == {"model": model_name(), "batch_size": 3, "runner": "threads", "workers": 2,
                                           "dask_address": None}, "the model serve chose, named for every run"

            def scheduled():
                runs = api(url, "POST", "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [served["ingest-later"]["id"]]}}})
                return runs or None

            starts = [datetime.fromisoformat(r["expected_start_time"]) for r in wait_for(scheduled, 60, "scheduled runs")]
            assert all((t.hour, t.minute) == (5, 45) for t in starts)

            run = api(url, "POST", f"/deployments/{served['ingest-local']['id']}/create_flow_run", {})

            def finished():
                state = api(url, "GET", f"/flow_runs/{run['id']}")["state"]
                return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

            state = wait_for(finished, 240, "the ingest run")
            assert state["type"] == "COMPLETED", state["message"]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            web.shutdown()
    from transforms import catalog
    from transforms.load import DataDir

    assert catalog.query(DataDir(data), "SELECT url FROM articles")[1] == [(page,)]
    assert (page, "local", 200) in catalog.query(DataDir(data), "SELECT url, source_name, status FROM fetches")[1]
    assert catalog.query(DataDir(data), "SELECT status, params->>'deployment' FROM runs")[1] == [("completed", "ingest-local")]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the local Prefect server stops with serve"


@pytest.mark.slow
@pytest.mark.flow
@pytest.mark.model
def test_ctrl_c_stops_serve_and_the_run_in_flight_records_itself(tmp_path):
    """Ctrl-C in serve's terminal (SIGINT to its process group) while a served run fetches: the run stops and writes its
    `runs` row (Prefect killed it at once before: no row, and its flow run stayed Running)."""
    fetching = threading.Event()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/robots.txt":
                self.send_error(404)
                return
            fetching.set()
            time.sleep(120)

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[sources]]\nname = "slow"\nkind = "urls"\nurls = ["http://127.0.0.1:{web.server_address[1]}/a.html"]\n'
                           'schedule = "0 6 1 1 *"\n', encoding="utf-8")
        port, data = free_port(), tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_RUNNER_POLL_FREQUENCY="2")
        process = subprocess.Popen([sys.executable, "-c", SERVE, "--sources", str(sources), "--data-dir", str(data),
                                    "--port", str(port), "--allow-private", "--maintenance-cron", "off"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}/api"
            api(url, "POST", f"/deployments/{served_deployments(process, url, 1)['ingest-slow']['id']}/create_flow_run", {})
            assert fetching.wait(240), "the served run fetched nothing"
            time.sleep(2)  # the fetch is under way
            os.killpg(process.pid, signal.SIGINT)
            assert process.wait(timeout=90) == 0
            assert process.stdout.read().endswith("newsevents: serve stopped; its deployments' schedules are paused "
                                                  "until the next `newsevents serve`\n")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    from transforms import catalog
    from transforms.load import DataDir

    assert catalog.query(DataDir(data), "SELECT status, error FROM runs")[1] == [("interrupted", "SIGTERM")]


def lock_holder(data: Path, seconds: float | None = None) -> subprocess.Popen:
    """Another process holding data's lock until its stdin closes, or for seconds; started once it holds it."""
    hold = f"time.sleep({seconds})" if seconds else "sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, pathlib; from transforms.load import DataDir, exclusive\n"
                               f"with exclusive(DataDir(pathlib.Path({str(data)!r}))):\n print('held', flush=True); {hold}"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_failed_scheduled_run_says_why_in_one_line(prefect_harness, tmp_path, capfd, caplog):
    """A served run refused by a data directory busy for longer than its wait: one line on serve's terminal, not
    Prefect's two tracebacks."""
    holder = lock_holder(tmp_path)
    started = time.monotonic()
    try:
        with pytest.raises(NewseventsError, match="another newsevents process"):
            scheduled_ingest([{"name": "x", "kind": "feed", "url": "http://127.0.0.1:9/f"}], str(tmp_path), lock_wait=3)
    finally:
        holder.communicate("")
    assert time.monotonic() - started >= 3, "the run waited for the lock"
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert f"waiting up to 3 s for {tmp_path}: pid {holder.pid} (" in caplog.text  # the run's log, a warning
    [line] = [line for line in err.splitlines() if "another newsevents process" in line]
    assert re.fullmatch(rf"newsevents: scheduled run None \(\S+\) failed: another newsevents process \(pid {holder.pid}\) "
                        rf"is using {re.escape(str(tmp_path))} \(waited 3 s for it\); try again when it ends", line)


def test_a_run_waiting_for_the_data_directory_says_for_whom_and_for_how_long(tmp_path, caplog, monkeypatch):
    """A scheduled run waiting for a busy data directory logs its holder, again every LOCK_NOTE_SECONDS, and how long it
    waited (it said nothing until it gave up)."""
    monkeypatch.setattr("flows.lock_wait.LOCK_NOTE_SECONDS", 1)
    holder = lock_holder(tmp_path, seconds=3)
    with caplog.at_level(logging.INFO, logger="test-wait"), held_when_free(DataDir(tmp_path), 60, logging.getLogger("test-wait")):
        pass
    holder.communicate("")
    first, *notes, got = caplog.messages
    assert first.startswith(f"waiting up to 60 s for {tmp_path}: pid {holder.pid} ({sys.executable} -c import sys")
    assert first.endswith(") holds it")
    assert 1 <= len(notes) <= 4 and all(n.startswith(f"still waiting for {tmp_path} after ") for n in notes)
    assert re.fullmatch(rf"got {re.escape(str(tmp_path))} after waiting [2-4] s", got)


def test_a_free_data_directory_is_held_without_a_word(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="test-wait"), held_when_free(DataDir(tmp_path), 60, logging.getLogger("test-wait")):
        assert (tmp_path / "newsevents.lock").read_text() == str(os.getpid())
    assert caplog.messages == []


@pytest.mark.flow
@pytest.mark.model
def test_a_scheduled_run_waits_for_a_busy_data_directory(prefect_harness, tmp_path):
    """A served run that comes due while a hand run, `sync` or `compact` holds the data directory runs once it is free
    (it failed at once, leaving no runs row)."""
    holder = lock_holder(tmp_path, seconds=4)
    try:
        line = scheduled_ingest([{"name": "x", "kind": "urls", "urls": ["http://127.0.0.1:9/a.html"]}], str(tmp_path), lock_wait=60)
    finally:
        holder.communicate("")
    assert holder.returncode == 0, "the holder ended on its own"
    assert line.startswith("run ")
    from transforms import catalog
    from transforms.load import DataDir

    assert catalog.query(DataDir(tmp_path), "SELECT status FROM runs")[1] == [("completed",)]



@pytest.mark.flow
@pytest.mark.model
def test_the_artifacts_of_a_scheduled_run_show_on_its_page(prefect_harness, tmp_path):
    """The deployment's page lists the `scheduled-ingest` run: its Artifacts tab shows the run's report (it was empty,
    the artifacts being on the inner `ingest` run only)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    state = scheduled_ingest([{"name": "x", "kind": "urls", "urls": ["http://127.0.0.1:9/a.html"]}], str(tmp_path),
                             return_state=True)
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    assert sorted(a.key for a in artifacts) == ["ingest-run", "ingest-run-counts"]
    report = next(a for a in artifacts if a.key == "ingest-run")
    assert report.description == state.result() and "Status: completed" in report.data


@pytest.mark.flow
def test_a_failed_maintenance_run_says_why_in_one_line(prefect_harness, tmp_path, capfd):
    """A maintenance run whose compaction fails: one line on serve's terminal, as for an ingest run (Prefect printed
    the task's and the flow's tracebacks)."""
    from flows.maintenance import maintenance

    (tmp_path / "lake-location").write_text(str(tmp_path / "gone"), encoding="utf-8")
    with pytest.raises(NewseventsError, match="is not there"):
        maintenance(tmp_path)
    err = capfd.readouterr().err
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if "is not there" in line]
    assert re.fullmatch(rf"newsevents: scheduled run None \(\S+\) failed: lake {re.escape(str(tmp_path / 'gone'))} is not there .*",
                        line)


@pytest.mark.flow
def test_a_maintenance_run_waits_for_a_busy_data_directory(prefect_harness, tmp_path, caplog):
    """Compaction waits for a lake that a hand run holds, saying so, as a scheduled ingest run does (it was refused and
    retried 60 s later, without a word)."""
    from flows.maintenance import maintenance

    holder = lock_holder(tmp_path, seconds=3)
    started = time.monotonic()
    try:
        [line] = maintenance(tmp_path, lock_wait=60)
    finally:
        holder.communicate("")
    assert holder.returncode == 0 and 2 < time.monotonic() - started < 30
    assert line.startswith("compact")
    assert f"waiting up to 60 s for {tmp_path}: pid {holder.pid} (" in caplog.text and f"got {tmp_path} after waiting" in caplog.text
