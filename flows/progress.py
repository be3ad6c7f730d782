"""Progress of a long run: a bar with rate and ETA on a terminal, a log line now and then otherwise."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class RunProgress:
    """Counts finished batches (and their articles) out of a known total."""

    def __init__(self, total: int, *, every_seconds: float = 30.0, stream=None) -> None:
        self.total = total
        self.done = 0
        self.articles = 0
        self.every_seconds = every_seconds
        self.stream = stream or sys.stderr
        self.began = self.last_line = time.monotonic()
        self.bar: Progress | None = None
        self.task_id = None

    def __enter__(self) -> RunProgress:
        if self.stream.isatty() and self.total > 1:
            self.bar = Progress(TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                                TimeRemainingColumn(), transient=True)
            self.bar.start()
            self.task_id = self.bar.add_task("batches", total=self.total, rate="")
        return self

    def advance(self, articles: int) -> None:
        """One more batch finished with this many articles."""
        self.done += 1
        self.articles += articles
        rate = f"{self.articles / max(time.monotonic() - self.began, 1e-9):.1f} articles/s"
        if self.bar is not None:
            self.bar.update(self.task_id, advance=1, rate=rate)
        elif time.monotonic() - self.last_line >= self.every_seconds and self.done < self.total:
            self.last_line = time.monotonic()
            eta = (time.monotonic() - self.began) / self.done * (self.total - self.done)
            print(f"progress: {self.done}/{self.total} batches, {rate}, about {eta:.0f} s left", file=self.stream, flush=True)

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()
