"""The command's Prefect API: when it may start its temporary server before Prefect's settings are read."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.prefect_api import API_SETTING_VARIABLES, TemporaryServer, api_may_be_configured

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "india-china-border-talks.txt"


@pytest.fixture
def unconfigured(tmp_path, monkeypatch):
    """A working folder and Prefect home with no Prefect settings in them or in the environment."""
    for name in API_SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path


@pytest.mark.parametrize(("where", "text", "configured"), [
    ("home/profiles.toml", 'active = "local"\n[profiles.local]\nPREFECT_API_URL = "http://10.0.0.5:4200/api"\n', True),
    ("home/profiles.toml", '[profiles.default]\nPREFECT_LOGGING_LEVEL = "INFO"\n', False),
    ("work/prefect.toml", '[api]\nurl = "http://10.0.0.5:4200/api"\n', True),
    ("work/prefect.toml", '[logging]\nlevel = "INFO"\n', False),
    ("work/pyproject.toml", '[tool.prefect.api]\nurl = "http://10.0.0.5:4200/api"\n', True),
    ("work/pyproject.toml", '[project]\nname = "api"\ndependencies = ["fastapi"]\n', False),
    ("work/.env", "PREFECT_API_URL=http://10.0.0.5:4200/api\n", True),
    ("work/.env", "PREFECT_PROFILES_PATH=/etc/prefect/profiles.toml\n", True),
    ("work/.env", "DATABASE_URL=postgresql://localhost/news\n", False),
])
def test_settings_files_that_may_name_a_server_are_recognised(unconfigured, where, text, configured):
    assert api_may_be_configured() is False
    (unconfigured / where).write_text(text, encoding="utf-8")
    assert api_may_be_configured() is configured


@pytest.mark.parametrize("name", ["PREFECT_API_URL", "prefect_profile", "PREFECT_PROFILES_PATH"])
def test_a_prefect_variable_in_the_environment_counts_whatever_its_case(unconfigured, monkeypatch, name):
    monkeypatch.setenv(name, "x")
    assert api_may_be_configured() is True


@pytest.mark.flow
@pytest.mark.model
def test_a_server_named_only_in_the_profile_gets_the_run(prefect_harness, tmp_path):
    """No PREFECT_API_URL in the environment: the run still goes to the server the active profile names."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    home = tmp_path / "home"
    home.mkdir()
    (home / "profiles.toml").write_text(f'active = "team"\n[profiles.team]\nPREFECT_API_URL = "{url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k.upper() not in API_SETTING_VARIABLES and k != "PREFECT_HOME"}

    def ingest_runs() -> int:
        return len(httpx.post(f"{url}/flow_runs/filter", json={"flows": {"name": {"any_": ["ingest"]}}}, timeout=10).json())

    before = ingest_runs()
    done = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(SAMPLE), "--data-dir", str(tmp_path / "data")],
                          cwd=tmp_path, env={**env, "PREFECT_HOME": str(home)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 articles" in done.stdout
    assert ingest_runs() == before + 1


LATE_EVENT = """
import os, threading
import flows
from flows.prefect_api import command_api
with command_api() as server:
    assert server is not None
from prefect.events import emit_event
late = threading.Thread(target=emit_event, args=("newsevents.late",), kwargs={"resource": {"prefect.resource.id": "x"}})
late.start()
late.join()
children = [p for p in os.listdir("/proc") if p.isdigit() and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] == str(os.getpid())]
print(sum("uvicorn" in open(f"/proc/{p}/cmdline").read() for p in children))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="watches processes through /proc")
def test_an_event_after_the_command_s_server_stopped_starts_no_server_of_prefect_s_own(unconfigured):
    """A task thread that finishes after the command's server stopped (a second Ctrl-C cut the wait for it short)."""
    out = subprocess.run([sys.executable, "-c", LATE_EVENT], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0"], "Prefect started a temporary server of its own"


def flow_runs_kept(home: Path, seconds: float) -> int:
    """How many flow runs the temporary server keeps in home's database after running for up to seconds."""
    server = TemporaryServer()
    try:
        server.wait()
        deadline = time.monotonic() + seconds
        while True:
            with sqlite3.connect(home / "prefect.db", timeout=30) as db:
                kept = db.execute("SELECT count(*) FROM flow_run").fetchone()[0]
            if kept < 2 or time.monotonic() > deadline:
                return kept
            time.sleep(0.5)
    finally:
        server.stop()


@pytest.mark.slow
def test_the_temporary_server_prunes_flow_runs_that_ended_before_the_retention_period(unconfigured, monkeypatch):
    """Runs by hand or by cron use the temporary server: without its flow-run vacuum, Prefect's database kept every run."""
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD", str(2 * 3600))
    server = TemporaryServer()
    try:
        api = server.wait()
        flow_id = httpx.post(f"{api}/flows/", json={"name": "ingest"}).json()["id"]
        runs = [httpx.post(f"{api}/flow_runs/", json={"flow_id": flow_id}).json()["id"] for _ in range(2)]
    finally:
        server.stop()
    home = unconfigured / "home"
    with sqlite3.connect(home / "prefect.db") as db:  # one run ended three hours ago, the other just now
        for run_id, hours in zip(runs, (3, 0), strict=True):
            db.execute("UPDATE flow_run SET state_type = 'COMPLETED', end_time = datetime('now', ?) WHERE id = ?",
                       (f"-{hours} hours", run_id))
    assert flow_runs_kept(home, seconds=60) == 1


@pytest.mark.parametrize(("logger", "message", "shown"), [
    ("EventsWorker", "Still processing items: 3 items remaining...", False),  # whichever drain waits, as the command ends
    ("APILogWorker", "Still processing items: 1 items remaining...", False),
    ("prefect.flow_runs", "Crash detected! Execution was aborted by an interrupt signal.", False),
    ("prefect.flow_runs", "Finished in state Failed('Flow run encountered an exception. OSError: disk full')", True),
])
def test_the_terminal_leaves_out_what_the_command_says_itself_and_the_senders_progress(logger, message, shown):
    import logging

    from flows.prefect_api import SaidByTheCommand

    record = logging.LogRecord(logger, logging.WARNING, __file__, 1, message, None, None)
    assert SaidByTheCommand().filter(record) is shown
