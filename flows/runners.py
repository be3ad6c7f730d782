"""The task runner of a run: threads (default), worker processes, or a Dask cluster."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flows.options import RunOptions
from flows.prefect_api import TemporaryServer
from transforms.errors import NewseventsError

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner


def build_task_runner(options: RunOptions) -> TaskRunner:
    """The task runner the options ask for; a Dask address is checked before any work starts."""
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    if options.dask_address:
        check_reachable(options.dask_address)
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=options.dask_address)
    if options.runner == "dask":
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(cluster_kwargs={"n_workers": options.workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    if options.runner == "processes":
        return ProcessPoolTaskRunner(max_workers=options.workers)
    return ThreadPoolTaskRunner(max_workers=options.workers)


@contextmanager
def one_prefect_api(options: RunOptions, started: TemporaryServer | None = None) -> Iterator[None]:
    """One Prefect API for the run and its worker processes (processes, a local Dask cluster), so none starts its own
    server: a configured server, else the temporary server the command `started`, else one started here."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if os.environ.get("PREFECT_API_URL") or (started is None and (options.runner == "threads" or options.dask_address)):
        yield  # threads without a started server: Prefect's own temporary server serves the flow and its threads
        return
    url = None if started else get_current_settings().api.url  # a server or test harness this process uses already
    server = None if url else started or TemporaryServer()
    os.environ["PREFECT_API_URL"] = url or server.wait()  # inherited by the worker processes started from here on
    try:
        with temporary_settings(updates={PREFECT_API_URL: os.environ["PREFECT_API_URL"]}):
            yield
    finally:
        del os.environ["PREFECT_API_URL"]
        if server is not None and started is None:
            server.stop()


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Raise a one-line error unless a Dask scheduler answers at tcp://host:port."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or not parts.port:
        raise NewseventsError(f"Dask address {address!r} must look like tcp://host:port")
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            pass
    except OSError as e:
        raise NewseventsError(f"Dask scheduler at {address} is unreachable: {e.strerror or e}") from None
