"""The task runner of a run: threads (default), worker processes, or a Dask cluster."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flows.options import RunOptions
from flows.prefect_api import TemporaryServer, command_api
from transforms.errors import NewseventsError

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

# Cleaning and parsing hold the GIL for most of their time: two threads of them in one process took longer, and ~1.8x
# the CPU, than one thread doing the same work (bench/README.md). So in each process they take turns: threads still
# overlap them with the flow's reading, fetching and publishing; worker processes and Dask workers run them in parallel.
_CPU_STAGE = threading.Lock()


def cpu_turn() -> threading.Lock:
    """The lock a CPU-bound stage holds while it runs (one per process; a function, so Dask pickles it by name)."""
    return _CPU_STAGE


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
    server: the server the command `started`, else the configured one, else one started here."""
    if started is not None:
        started.wait()
        yield
        return
    if options.in_threads or options.dask_address:
        yield  # Prefect's own temporary server, if it needs one, serves the flow and its threads
        return
    with command_api() as server:
        if server is not None:
            server.wait()
        yield


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
