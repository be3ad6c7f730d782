"""Where a run's tasks run: threads (default), threads that hand the CPU-bound stages to worker processes, or a Dask
cluster."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from multiprocessing import get_context
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from flows.options import RunOptions
from flows.prefect_api import TemporaryServer, command_api, keep_off_the_terminal
from transforms.errors import NewseventsError, first_line

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

# Cleaning and parsing hold the GIL for most of their time: two threads of them in one process took longer, and ~1.8x
# the CPU, than one thread doing the same work (bench/README.md). So in each process they take turns: threads still
# overlap them with the flow's reading, fetching and publishing; worker processes and Dask workers run them in parallel.
_CPU_STAGE = threading.Lock()


# With `--runner processes`, the worker processes of this command (see `process_pool`).
_WORKERS: ProcessPoolExecutor | None = None
# With `--runner dask` or `--dask-address`, the address of the run's Dask scheduler (see `dask_workers`).
_SCHEDULER: str | None = None

T = TypeVar("T")


def cpu_turn() -> threading.Lock:
    """The lock a CPU-bound stage holds while it runs (one per process; a function, so Dask pickles it by name)."""
    return _CPU_STAGE


def run_cpu_stage(stage: Callable[..., T], *args) -> T:
    """Run a CPU-bound stage in one of the command's worker processes when it has them, else in this thread, taking
    turns with this process's other CPU-bound stages."""
    if _WORKERS is not None:
        try:
            return _WORKERS.submit(stage, *args).result()
        except BrokenProcessPool:
            raise NewseventsError("a worker process died (killed, or out of memory?); the batches published so far "
                                  "stay in the lake, and the next run picks up the rest") from None
    with cpu_turn():
        return stage(*args)


@contextmanager
def worker_processes(options: RunOptions) -> Iterator[None]:
    """The run's worker processes, started now (while Prefect's server starts): a process pool for `--runner processes`,
    a local Dask cluster for `--runner dask`, a client of the cluster a `--dask-address` names."""
    if options.runner == "dask" or options.dask_address:
        with dask_workers(options):
            yield
    elif options.runner == "processes":
        with process_pool(options):
            yield
    else:
        yield


@contextmanager
def process_pool(options: RunOptions) -> Iterator[None]:
    """Worker processes, each loading the model once, that run the CPU-bound stages the run's task threads hand them.

    They run no Prefect code: Prefect's own process pool rebuilt its settings, context and API client for every task
    (~0.3 CPU s each) and imported Prefect in every worker."""
    global _WORKERS
    # spaCy and trafilatura are imported here, once Prefect's server is starting, not with the command line
    from transforms.stages import prepare_worker

    workers = ProcessPoolExecutor(options.workers, mp_context=get_context("spawn"), initializer=prepare_worker,
                                  initargs=(options.model, os.getpid()))
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # inherited: a Ctrl-C while a worker starts
    try:  # is the command's alone (the worker then ignores it), not a traceback from the worker's imports
        for _ in range(options.workers):
            workers.submit(os.getpid)  # the pool starts a process per call while none is idle: all start now
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    _WORKERS = workers
    try:
        yield
    finally:
        _WORKERS = None
        workers.shutdown(cancel_futures=True)


@contextmanager
def dask_workers(options: RunOptions) -> Iterator[None]:
    """For `--runner dask`, a local cluster whose workers hold the model before the first batch; for `--dask-address`,
    that cluster (checked first). Either way, when the run ends the workers send what Prefect still holds for this run's
    API: their senders would otherwise stay open to it, and send a later run's events to it once it has gone."""
    global _SCHEDULER
    from distributed import Client

    if options.dask_address:
        check_reachable(options.dask_address)
    with local_cluster(options) as address, Client(address, set_as_default=False) as client:
        if not options.dask_address:
            client.run(ignore_ctrl_c)
            warm(client, options.model)
        _SCHEDULER = address
        try:
            yield
        finally:
            _SCHEDULER = None
            with suppress(Exception):  # a cluster that has gone: nothing left to send
                client.run(drain_prefect_senders)


@contextmanager
def local_cluster(options: RunOptions) -> Iterator[str]:
    """The scheduler address of the cluster to use: a `--dask-address`, else a local cluster of `--workers` processes
    with no dashboard (nor the warning of one that found port 8787 taken), whose shutdown is not narrated."""
    if options.dask_address:
        yield options.dask_address
        return
    from distributed import LocalCluster

    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # a Ctrl-C while it starts: once it has
    try:  # started, so that it is closed whole
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})  # its HTTP server: any port
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        yield cluster.scheduler_address
    finally:
        with quiet("distributed.nanny", "distributed.scheduler"):  # "still alive after 4.0 seconds, killing"
            cluster.close()


def warm(client, model: str | None) -> None:
    """Prepare every worker at once, each in its task thread (a model loaded on the event loop would stall it)."""
    workers = list(client.scheduler_info()["workers"])
    client.gather([client.submit(prepare_dask_worker, model, workers=[w], pure=False) for w in workers])


def ignore_ctrl_c() -> None:
    """On a local Dask worker, whose event loop runs in its main thread: the terminal's Ctrl-C is the command's, which
    closes the cluster (each worker printed a KeyboardInterrupt traceback, and a warning for each task it cancelled)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)


def prepare_dask_worker(model: str | None) -> None:
    """On a Dask worker: build the model and import Prefect's task engine now, not in the first batch's time."""
    import prefect.task_engine  # noqa: F401

    from transforms.nlp import load_nlp

    load_nlp(model)


async def drain_prefect_senders() -> None:
    """On a Dask worker: send what Prefect's log and event senders hold, and close them (the next run opens its own)."""
    if "prefect.events.worker" not in sys.modules:  # no task of a run has been here
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    with quiet("APILogWorker", "EventsWorker"):  # "Still processing items: 1 items remaining..."
        for sender in (APILogWorker, EventsWorker):
            await sender.drain_all(timeout=10)


@contextmanager
def quiet(*loggers: str) -> Iterator[None]:
    """Only errors from these loggers while the block runs."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


@contextmanager
def signal_ignored(signum: int) -> Iterator[None]:
    """Ignore a signal in the block (only the main thread handles signals: elsewhere, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signum, previous)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM take effect when the block ends, not inside it (only the main thread handles signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _: caught.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


def build_task_runner(options: RunOptions) -> TaskRunner:
    """The task runner the options ask for: on Dask, the cluster of `dask_workers`."""
    from prefect.task_runners import ThreadPoolTaskRunner

    if options.dask_address or options.runner == "dask":
        from prefect_dask import DaskTaskRunner

        class DaskRunner(DaskTaskRunner):
            """Hands a task to Dask whole: Prefect serializes the run's context for it with pydantic, which turned a
            Ctrl-C then into a PydanticSerializationError (the run recorded as failed, with Prefect's traceback)."""

            def submit(self, *args, **kwargs):
                with signals_deferred():
                    return super().submit(*args, **kwargs)

        return DaskRunner(address=_SCHEDULER or options.dask_address)
    if options.runner == "processes":  # task threads wait on the worker processes: more threads than workers keep a
        return ThreadPoolTaskRunner(max_workers=2 * options.workers)  # call queued for each, so none waits idle
    return ThreadPoolTaskRunner(max_workers=options.workers)


@contextmanager
def one_prefect_api(options: RunOptions, started: TemporaryServer | None = None) -> Iterator[None]:
    """One Prefect API for the run and a local Dask cluster's workers, so none starts its own server: the server the
    command `started`, else the configured one, else one started here. Prefect reports on the terminal only what the
    command does not say itself."""
    keep_off_the_terminal()
    if started is not None:
        started.wait()
        yield
        return
    if options.runner != "dask" or options.dask_address:
        yield  # Prefect's own temporary server, if it needs one, serves the flow and its threads
        return
    with command_api() as server:
        if server is not None:
            server.wait()
        yield


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Raise a one-line error unless a Dask scheduler answers at tcp://host:port (or tls://) within timeout seconds."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:  # a port out of range or not a number
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or not port:
        raise NewseventsError(f"Dask address {address!r} must look like tcp://host:port")
    if parts.scheme == "tls" and not tls_configured():
        raise NewseventsError(f"Dask address {address!r} asks for TLS, but Dask's TLS settings (distributed.comm.tls: "
                              "ca-file, client cert and key) are not set: set them, or give a tcp:// address")
    try:  # a refused or unroutable address fails here at once; Dask's own connect retries until its timeout
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as e:
        raise NewseventsError(f"Dask scheduler at {address} is unreachable: {e.strerror or e}") from None
    url = f"{parts.scheme}://{parts.hostname}:{port}"
    try:  # Dask's handshake waits for the peer without a limit: a port that accepts and stays silent would hang the run
        identity = asyncio.run(asyncio.wait_for(scheduler_identity(url, timeout), timeout))
    except TimeoutError:
        raise NewseventsError(f"{address} accepts connections but gave no Dask handshake within {timeout:.0f} s: "
                              "is it a Dask scheduler's address?") from None
    except Exception as e:  # whatever the peer sent, the answer is the same
        raise NewseventsError(f"{address} does not answer as a Dask scheduler: {handshake_failure(e)}") from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        kind = identity.get("type") if isinstance(identity, dict) else type(identity).__name__
        raise NewseventsError(f"{address} is a Dask {kind}, not a scheduler: give the scheduler's address")


def tls_configured() -> bool:
    """Whether Dask's configuration gives a client the TLS context a tls:// address needs."""
    from distributed.security import Security

    return Security().get_connection_args("client").get("ssl_context") is not None


def handshake_failure(error: Exception) -> str:
    """Why a Dask handshake failed, in words: a closed or reset connection as Dask says it, anything else (a peer that
    speaks another protocol: Dask then reads its bytes as frame lengths of exabytes) as what it means."""
    if isinstance(error, OSError):  # Dask's CommClosedError too
        return first_line(error)
    return "what it sent is not Dask's protocol (another kind of server?)"


async def scheduler_identity(url: str, timeout: float) -> object:
    """What the Dask server at url says it is (a scheduler answers {"type": "Scheduler", ...})."""
    from distributed.comm import connect
    from distributed.security import Security

    comm = await connect(url, timeout=timeout, **Security().get_connection_args("client"))
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()
