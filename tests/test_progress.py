"""The progress of a run as a terminal shows it."""

from __future__ import annotations

import io

from rich.console import Console

from flows.progress import RunProgress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_bar_is_labelled_with_the_flow_that_runs():
    screen = Console(file=io.StringIO(), width=100)
    with RunProgress(3, label="reprocess", stream=Terminal()) as progress:
        progress.advance(1)
        screen.print(progress.bar.get_renderable())
    assert screen.file.getvalue().startswith("reprocess") and "1/3" in screen.file.getvalue()


def test_a_total_learnt_during_the_run_gives_the_bar_its_end():
    screen = Console(file=io.StringIO(), width=100)
    with RunProgress(None, label="ingest", stream=Terminal()) as progress:
        progress.advance(2)
        progress.expect(8)
        screen.print(progress.bar.get_renderable())
    assert "2/8" in screen.file.getvalue()
