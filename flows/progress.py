"""Progress of a long run: a bar with rate and ETA on a terminal, a log line now and then otherwise."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class RunProgress:
    """Counts finished inputs out of a total, when the total is known before the run (local files, URL lists) or once
    the feeds and sitemaps are read, and the inputs read so far: an input is finished once its batch is published, and a
    batch of pages fetched one a second from one site takes a minute to read."""

    def __init__(self, total: int | None, *, label: str, every_seconds: float = 30.0, stream=None) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.reads = 0
        self.every_seconds = every_seconds
        self.stream = stream or sys.stderr
        self.began = self.last_line = time.monotonic()
        self.bar: Progress | None = None
        self.task_id = None

    def __enter__(self) -> RunProgress:
        if self.stream.isatty():
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[read]}"),
                                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=True)
            self.bar.start()
            self.task_id = self.bar.add_task(self.label, total=self.total, rate="", read="")
        return self

    def expect(self, total: int) -> None:
        """The run's inputs come to this many in all."""
        self.total = total
        if self.bar is not None:
            self.bar.update(self.task_id, total=total)

    def read(self) -> None:
        """One more input is read (fetched, or found in the lake already), to be finished with its batch."""
        self.reads += 1
        self.show()

    def advance(self, inputs: int) -> None:
        """This many more inputs are finished (stored, skipped or quarantined)."""
        self.done += inputs
        self.show()

    def show(self) -> None:
        """Update the bar, or print a line if the last is every_seconds old."""
        elapsed = max(time.monotonic() - self.began, 1e-9)
        rate = f"{self.done / elapsed:.1f} inputs/s"
        if self.bar is not None:
            self.bar.update(self.task_id, completed=self.done, rate=rate, read=f"{self.reads} read")
        elif time.monotonic() - self.last_line >= self.every_seconds:
            self.last_line = time.monotonic()
            left = f", about {elapsed / self.done * (self.total - self.done):.0f} s left" if self.total and 0 < self.done < self.total else ""
            print(f"progress: {self.done}{f'/{self.total}' if self.total else ''} inputs, {rate}{left} ({self.reads} read)",
                  file=self.stream, flush=True)

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()
