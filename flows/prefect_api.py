"""The Prefect API of one command: the configured server, else a temporary one started in the background.

Prefect starts its temporary server when the first flow runs and waits for it (about 15 s of CPU
here). Started as the command begins, the server comes up while the command imports its flows and
checks its options, and every process of the run that runs tasks (a local Dask cluster's workers) uses it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from transforms.errors import NewseventsError

# The command's own server needs no UI, block types (its runs keep no results) or automations: without them it answers
# ~2 s sooner (9.4-9.6 -> 7.1-7.8 s here), and the triggers service no longer reads every event of the run.
TEMPORARY_SERVER_SETTINGS = {
    "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false", "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
}
# Prefect keeps every run's task runs, states, logs and artifacts until told otherwise (~60-100 KB a run here); both the
# command's temporary server and `serve`'s prune runs that ended over 90 days ago (Prefect's retention), as well as old
# events. The `runs` table keeps the lake's own history. Setting the variable yourself wins ("events" keeps every run).
HISTORY_DEFAULTS = {"PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs"}
STARTUP_SECONDS = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
# The variables by which Prefect may be given an API URL, and how such a setting reads in a settings file.
API_SETTING_VARIABLES = ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")
API_SETTING = re.compile(r"PREFECT_API_URL|PROFILES_PATH|^\s*\[(tool\.prefect\.)?api\]|\bapi\s*[.=]", re.IGNORECASE | re.MULTILINE)


class TemporaryServer:
    """Prefect's API server in a subprocess on a free loopback port, started without waiting for it."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ready = False
        self.process = start_server(
            ["uvicorn", "--app-dir", str(Path(importlib.util.find_spec("prefect").origin).parent.parent), "--factory",
             "flows.prefect_api:create_pruning_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env={**HISTORY_DEFAULTS, **os.environ, **TEMPORARY_SERVER_SETTINGS})

    def wait(self, timeout: float = STARTUP_SECONDS) -> str:
        """The API URL once the server answers; a one-line error when it exits or does not answer in time."""
        if not self.ready:
            wait_until_healthy(self.process, self.api_url, name="the temporary Prefect server",
                               advice="set PREFECT_API_URL to a running server (docs/operations.md)", timeout=timeout)
            self.ready = True
        return self.api_url

    def stop(self) -> None:
        stop_process(self.process)


def create_pruning_app() -> object:
    """Prefect's API app for the temporary server, with the flow-run vacuum that Prefect leaves out of temporary servers
    (a command run by hand or by cron kept every run): it runs as the server starts, as a long-lived server's does, when
    PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED names flow_runs."""
    from prefect.server.api.server import create_app
    from prefect.server.services.db_vacuum import schedule_vacuum_tasks
    from prefect.server.services.perpetual_services import _PERPETUAL_SERVICES

    for service in _PERPETUAL_SERVICES:  # Prefect's registry of its services (pinned by uv.lock; tests/test_prefect_api.py)
        if service.function is schedule_vacuum_tasks:
            service.run_in_ephemeral = True
    return create_app()


def start_server(module_args: list[str], **popen) -> subprocess.Popen:
    """Start `python -m MODULE ARGS...` in a session of its own, so that a terminal's Ctrl-C reaches only the command
    (which then stops it), on a lifeline (flows/lifeline.py): it ends when the command ends, even killed."""
    return subprocess.Popen([sys.executable, "-m", "flows.lifeline", *module_args], stdin=subprocess.PIPE,
                            start_new_session=True, **popen)


def wait_until_healthy(process: subprocess.Popen, api_url: str, *, name: str, advice: str,
                       timeout: float = STARTUP_SECONDS) -> None:
    """Wait for a Prefect server process's health check; its early exit or a timeout is a one-line error."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:  # one client: each new one loads the CA certificates (~0.1 CPU s)
        while True:
            if process.poll() is not None:
                raise NewseventsError(f"{name} exited with code {process.returncode} before it answered; {advice}")
            with suppress(httpx.HTTPError):
                if client.get(f"{api_url}/health").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise NewseventsError(f"{name} did not answer within {timeout:.0f} s; {advice}")
            time.sleep(0.2)


def check_prefect_api(url: str, timeout: float = 5.0) -> None:
    """Raise a one-line error unless a Prefect API answers at url (PREFECT_API_URL)."""
    health = f"{url.rstrip('/')}/health"
    try:
        response = httpx.get(health, timeout=timeout)
    except httpx.HTTPError as e:
        raise NewseventsError(f"Prefect server at PREFECT_API_URL={url} is unreachable ({type(e).__name__}: {e}); "
                              "start it with `prefect server start`, or unset PREFECT_API_URL (newsevents then starts one of its own)") from None
    if response.status_code != 200 or "html" in response.headers.get("content-type", ""):
        raise NewseventsError(f"PREFECT_API_URL={url} is not a Prefect API (GET {health} answered HTTP {response.status_code}); "
                              "it usually ends in /api, e.g. http://127.0.0.1:4200/api")


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a server process, killing it if it does not end within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdin is not None:
        process.stdin.close()


@contextmanager
def command_api() -> Iterator[TemporaryServer | None]:
    """The command's Prefect API, also in the environment of the processes it starts: a configured server (None is
    yielded), else a temporary server started now. It answers until Prefect's log and event workers have sent all."""
    # Importing Prefect's settings takes ~2 s here: when nothing can configure a server, start ours before that.
    early = None if "prefect" in sys.modules or api_may_be_configured() else TemporaryServer()
    try:
        from prefect.context import refresh_global_settings_context
        from prefect.settings import get_current_settings

        configured = get_current_settings().api.url  # the environment, the active profile, or a test harness
    except BaseException:  # Ctrl-C while Prefect imports
        if early is not None:
            early.stop()
        raise
    if configured and early is not None:
        early.stop()
    if configured:
        check_prefect_api(configured)
    server = None if configured else early or TemporaryServer()
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = configured or server.api_url
    refresh_global_settings_context()  # every thread of this process, not only this one, uses it
    send_events(True)
    try:
        yield server
    finally:
        if server is not None:
            drain_prefect_workers()
        if before is None:
            del os.environ["PREFECT_API_URL"]
        else:
            os.environ["PREFECT_API_URL"] = before
        refresh_global_settings_context()
        if server is not None:
            server.stop()
            send_events(False)


def send_events(sent: bool) -> None:
    """Send Prefect's events to the API, or drop them: once the command's own server has stopped, a task thread that
    finishes late (a second Ctrl-C cut its wait short) has nowhere to send its events, and with no API configured
    Prefect would start a temporary server of its own for them, at exit: the command then hung while it started, and
    left it running."""
    from prefect.events.clients import NullEventsClient
    from prefect.events.worker import EventsWorker

    EventsWorker.set_client_override(None if sent else NullEventsClient)


class SaidByTheCommand(logging.Filter):
    """Leaves out of the terminal, not out of the Prefect API, Prefect's reports of what the command says in a line of its
    own: a task or flow run that raised a NewseventsError (with its traceback: 93 lines for a killed worker process),
    a flow run crashed by Ctrl-C; and the notices of Prefect's log and event senders that they are still sending as the
    command ends ('Still processing items: 3 items remaining...', whichever drain waits for them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        return not (isinstance(error, NewseventsError) or "NewseventsError" in message
                    or message.startswith(("Crash detected! Execution was aborted by an interrupt signal", "Still processing items")))


def keep_off_the_terminal() -> None:
    """Give Prefect's console handlers the SaidByTheCommand filter (once; Prefect adds them as its engine is imported)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(isinstance(f, SaidByTheCommand) for f in handler.filters):
            handler.addFilter(SaidByTheCommand())


@contextmanager
def failure_in_one_line() -> Iterator[None]:
    """A served run that fails with a NewseventsError says why in one line on `serve`'s terminal, without Prefect's
    tracebacks (the Prefect API gets them)."""
    from prefect import runtime

    keep_off_the_terminal()
    try:
        yield
    except NewseventsError as e:
        print(f"newsevents: scheduled run {runtime.deployment.name} ({runtime.flow_run.name}) failed: {e}", file=sys.stderr, flush=True)
        raise


def api_may_be_configured() -> bool:
    """Whether a variable or settings file that Prefect reads might set an API URL (read as text: an over-cautious
    yes only means the temporary server starts ~2 s later)."""
    if {name.upper() for name in os.environ} & set(API_SETTING_VARIABLES):  # Prefect reads them in any case
        return True
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    for path in (Path(".env"), Path("prefect.toml"), Path("pyproject.toml"), home / "profiles.toml"):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if (path.name != "pyproject.toml" or "tool.prefect" in text) and API_SETTING.search(text):
            return True
    return False


def drain_prefect_workers() -> None:
    """Let Prefect's background log and event senders finish (else they start a server of their own at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=10)
