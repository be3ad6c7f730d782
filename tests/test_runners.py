"""The task runners: worker processes and a real local Dask cluster of 2 workers make the same tables as the default
threads."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

import httpx
import pytest

from flows.cli import build_parser, run_options
from flows.ingest import clean_batch, run_ingest
from flows.options import RunOptions
from flows.prefect_api import TemporaryServer, drain_prefect_workers
from flows.runners import (
    build_task_runner,
    check_reachable,
    cpu_turn,
    run_cpu_stage,
    worker_processes,
)
from tests.hostile import table_rows
from tests.worker_probe import process_facts
from transforms.clean import CleanOptions
from transforms.errors import NewseventsError
from transforms.load import DataDir
from transforms.read import RawDocument, expand_paths, read_files
from transforms.stages import analyse_articles

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(scope="module")
def threads_lake(prefect_harness, nlp, tmp_path_factory) -> Path:
    """The samples ingested with the default runner (threads)."""
    root = tmp_path_factory.mktemp("threads")
    run_ingest([str(SAMPLES)], RunOptions(data_dir=root, batch_size=3))
    return root


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("runner", ["processes", "dask"])
def test_worker_processes_and_a_dask_cluster_make_the_same_tables_as_threads(runner, threads_lake, tmp_path):
    summary = run_ingest([str(SAMPLES)], RunOptions(data_dir=tmp_path, batch_size=3, runner=runner, workers=2))
    assert summary.counts["articles"] >= 12
    for table in ("articles", "entities", "event_mentions", "events", "quarantine"):
        assert table_rows(tmp_path, table) == table_rows(threads_lake, table), table


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_workers_of_a_dask_address_use_the_model_the_command_chose(prefect_harness, nlp, tmp_path, monkeypatch):
    import spacy
    from distributed import LocalCluster

    chosen = tmp_path / "blank_model"  # another model: the project's entity patterns on a blank English pipeline
    spacy.blank("en").to_disk(chosen)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        monkeypatch.setenv("NEWSEVENTS_SPACY_MODEL", str(chosen))  # set after its worker started: the worker lacks it
        args = build_parser().parse_args(["run", str(SAMPLES), "--data-dir", str(tmp_path / "dask"), "--batch-size", "3",
                                          "--dask-address", cluster.scheduler_address])
        run_ingest(args.paths, run_options(args))
    run_ingest([str(SAMPLES)], RunOptions(data_dir=tmp_path / "threads", batch_size=3))  # this process sees the variable
    for table in ("articles", "entities", "event_mentions"):
        assert table_rows(tmp_path / "dask", table) == table_rows(tmp_path / "threads", table), table
    data = DataDir(tmp_path / "dask")
    with data.connect() as con:
        versions = con.execute(f"SELECT DISTINCT pipeline_version FROM read_parquet('{data.table_glob('articles')}')").fetchall()
    assert [("model en_pipeline-" in v) for (v,) in versions] == [True], f"the model that made the articles: {versions}"


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_workers_of_a_dask_address_send_each_run_s_events_to_that_run_s_prefect_api(nlp, tmp_path):
    from distributed import Client, LocalCluster
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for run in ("first", "second"):  # each with a Prefect server of its own, stopped after it, as a command's
            server = TemporaryServer()
            try:
                with temporary_settings({PREFECT_API_URL: server.wait()}):
                    run_ingest([str(SAMPLES)], RunOptions(data_dir=tmp_path / run, batch_size=8,
                                                          dask_address=cluster.scheduler_address))
                    drain_prefect_workers()  # this process's senders, as the command's Prefect API does when it ends
                assert completed_tasks(server.api_url, flow_run_of(tmp_path / run)) > 0, f"the {run} run's API heard " \
                                                                                         "of no task completed on the worker"
                with Client(cluster, set_as_default=False) as client:
                    senders = client.run(open_prefect_senders)
                assert list(senders.values()) == [[]], f"left open to this run's API, they would send the next run's " \
                                                       f"events to it once it has gone: {senders}"
            finally:
                server.stop()


def open_prefect_senders() -> list[str]:
    """On a Dask worker: Prefect's log and event senders that are open."""
    from prefect.events.worker import EventsWorker

    return [type(sender).__name__ for sender in list(EventsWorker._instances.values()) if not sender._stopped]


def flow_run_of(data_dir: Path) -> str:
    """The Prefect flow run id of the one run a data directory has had."""
    data = DataDir(data_dir)
    with data.connect() as con:
        [(flow_run_id,)] = con.execute(f"SELECT flow_run_id FROM read_parquet('{data.table_glob('runs')}')").fetchall()
    return flow_run_id


def completed_tasks(api_url: str, flow_run_id: str, timeout: float = 30) -> int:
    """How many task runs of a flow run a Prefect API has heard complete (the workers that ran them say so), once it has
    heard of any (it stores events a moment after they arrive)."""
    deadline = time.monotonic() + timeout
    query = {"event": {"name": ["prefect.task-run.Completed"]}, "related": {"id": [f"prefect.flow-run.{flow_run_id}"]}}
    while True:
        response = httpx.post(f"{api_url}/events/filter", json={"filter": query}, timeout=10)
        response.raise_for_status()
        if (total := response.json()["total"]) or time.monotonic() > deadline:
            return total
        time.sleep(0.5)


@pytest.mark.model
@pytest.mark.slow
def test_worker_processes_load_the_model_at_start_run_no_prefect_and_a_dead_one_is_a_one_line_error(tmp_path):
    with worker_processes(RunOptions(data_dir=tmp_path, runner="processes", workers=1)):
        facts = run_cpu_stage(process_facts)
        assert facts["pid"] != os.getpid()
        assert facts["models"] == 1, "the model is built as the worker starts, before any batch"
        assert not facts["prefect"]
        os.kill(facts["pid"], signal.SIGKILL)
        with pytest.raises(NewseventsError, match="a worker process died"):
            run_cpu_stage(process_facts)
    assert run_cpu_stage(process_facts)["pid"] == os.getpid(), "without worker processes a stage runs here"


@pytest.mark.model
@pytest.mark.slow
def test_a_local_dask_cluster_starts_warm_deaf_to_ctrl_c_and_without_a_dashboard(tmp_path):
    from distributed import Client

    options = RunOptions(data_dir=tmp_path, runner="dask", workers=1)
    with dashboard_port_taken(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with worker_processes(options), Client(build_task_runner(options).address) as client:
            facts = client.submit(process_facts, pure=False).result()
            [ctrl_c] = client.run(lambda: signal.getsignal(signal.SIGINT) is signal.SIG_IGN).values()
    assert facts["pid"] != os.getpid()
    assert facts["models"] == 1 and facts["prefect"], "the model and Prefect's task engine are loaded before any batch"
    assert ctrl_c, "the terminal's Ctrl-C is the command's to handle"
    assert [str(w.message) for w in caught if "8787" in str(w.message)] == []


@contextmanager
def dashboard_port_taken() -> Iterator[None]:
    """Port 8787, Dask's dashboard's, in use (held here if nothing else holds it)."""
    with socket.socket() as holder:
        with suppress(OSError):
            holder.bind(("127.0.0.1", 8787))
            holder.listen()
        yield


@pytest.mark.model
def test_a_worker_that_cannot_load_the_model_says_so_in_one_line(tmp_path):
    options = RunOptions(data_dir=tmp_path, runner="processes", workers=1, model="no_such_model_pkg")
    expected = r"a worker process could not load the spaCy model: .*no_such_model_pkg"
    with worker_processes(options), pytest.raises(NewseventsError, match=expected):
        run_cpu_stage(analyse_articles, [], options.model, date(2026, 1, 1))


def test_a_cleaning_thread_waits_while_another_cpu_stage_runs():
    documents = [d for d in read_files(expand_paths([SAMPLES])[0]) if isinstance(d, RawDocument)][:2]
    done = threading.Event()
    cleaning = threading.Thread(target=lambda: (clean_batch.fn(documents, CleanOptions()), done.set()))
    with cpu_turn():
        cleaning.start()
        assert not done.wait(1.0)  # the other stage holds the turn
    assert done.wait(60)
    cleaning.join()


def test_an_unreachable_dask_address_is_a_one_line_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NewseventsError, match=f"Dask scheduler at tcp://127.0.0.1:{port} is unreachable"):
        check_reachable(f"tcp://127.0.0.1:{port}")
    for bad in ("http://example", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:abc"):
        with pytest.raises(NewseventsError, match="must look like tcp://host:port"):
            check_reachable(bad)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on loopback that accepts connections; the test decides what it says."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def test_a_port_that_accepts_but_is_no_dask_scheduler_is_a_one_line_error_in_time(listener):
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(NewseventsError, match=f"^{address} accepts connections but gave no Dask handshake within 1 s"):
        check_reachable(address, timeout=1.0)  # a silent peer: Dask's own handshake would wait for ever
    assert time.monotonic() - started < 5

    def answer_as_a_web_server() -> None:
        while True:  # the connections of the first check wait in the queue too
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    threading.Thread(target=answer_as_a_web_server, daemon=True).start()
    with pytest.raises(NewseventsError, match=f"^{address} does not answer as a Dask scheduler: what it sent is not "
                       "Dask's protocol") as error:  # Dask read "HTTP/1.0" as a frame length: "Unable to allocate 3 EiB"
        check_reachable(address, timeout=5.0)
    assert "\n" not in str(error.value) and "allocate" not in str(error.value)


def test_a_tls_address_without_dask_tls_settings_is_refused_before_connecting():
    with pytest.raises(NewseventsError, match=r"^Dask address 'tls://127.0.0.1:1' asks for TLS, but Dask's TLS settings"):
        check_reachable("tls://127.0.0.1:1")  # port 1: a connection would be refused, and say so instead


def test_a_dask_scheduler_passes_the_check_and_a_worker_is_named_for_what_it_is():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, protocol="tcp", dashboard_address=None) as cluster:
        check_reachable(cluster.scheduler_address)
        worker = next(iter(cluster.workers.values())).address
        with pytest.raises(NewseventsError, match=f"^{worker} is a Dask Worker, not a scheduler"):
            check_reachable(worker)


def test_a_temporary_server_answers_and_one_that_dies_is_a_one_line_error():
    server = TemporaryServer()
    try:
        url = server.wait()
        assert url == f"http://127.0.0.1:{server.port}/api"
        assert httpx.get(f"{url}/health", timeout=5).json() is True
    finally:
        server.stop()
    assert server.process.poll() is not None, "stop ends the server process"
    dead = TemporaryServer()
    dead.process.kill()
    dead.process.wait()
    with pytest.raises(NewseventsError, match=r"the temporary Prefect server exited with code -9 before it answered"):
        dead.wait()
