"""Waiting for a data directory that another newsevents process holds, as scheduled runs do (`serve --lock-wait`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from transforms.load import DataDir, LakeBusy, exclusive

LOCK_WAIT_SECONDS = 300  # how long a scheduled run waits for a data directory that a hand run, `sync` or `compact` holds
LOCK_NOTE_SECONDS = 60  # how often a run waiting for the data directory says that it still waits


@contextmanager
def held_when_free(data: DataDir, wait: float, log: logging.Logger | logging.LoggerAdapter) -> Iterator[None]:
    """Hold the data directory, waiting up to `wait` seconds while another process holds it: the log says whom it waits
    for, again every LOCK_NOTE_SECONDS, and how long it waited once it holds it (as warnings: Prefect's loggers are set
    to WARNING, flows/prefect_env.py)."""
    with ExitStack() as stack:
        try:
            stack.enter_context(exclusive(data))
        except LakeBusy:
            if not wait:
                raise
            started = time.monotonic()
            log.warning("waiting up to %g s for %s: %s holds it", wait, data.root, holder_of(data))
            with every(LOCK_NOTE_SECONDS, lambda: log.warning("still waiting for %s after %.0f s: %s holds it", data.root,
                                                           time.monotonic() - started, holder_of(data))):
                stack.enter_context(exclusive(data, wait=wait))
            log.warning("got %s after waiting %.0f s", data.root, time.monotonic() - started)
        yield


def holder_of(data: DataDir) -> str:
    """The process that holds the data directory, as its lock file names it: its pid and, where /proc shows it, command."""
    with suppress(OSError):
        pid = data.lock_file.read_text(encoding="utf-8").strip()
        if pid.isdigit():
            with suppress(OSError):
                command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split())
                return f"pid {pid} ({command[:200]})" if command else f"pid {pid}"
            return f"pid {pid}"
    return "another newsevents process"


@contextmanager
def every(seconds: float, call: Callable[[], None]) -> Iterator[None]:
    """Call `call` every `seconds`, in a thread of its own, for as long as the block runs."""
    stop = threading.Event()

    def repeat() -> None:
        while not stop.wait(seconds):
            call()

    thread = threading.Thread(target=repeat, name="newsevents-every", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
