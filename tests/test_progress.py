"""The progress of a run as a terminal shows it."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console

from flows.backfill import day_line
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


def test_the_inputs_read_show_before_their_batch_is_finished():
    screen = Console(file=io.StringIO(), width=100)
    with RunProgress(64, label="ingest", stream=Terminal()) as progress:
        for _ in range(40):  # pages fetched one a second: their batch is published in a minute
            progress.read()
        screen.print(progress.bar.get_renderable())
    assert "0/64" in screen.file.getvalue() and "40 read" in screen.file.getvalue()


def test_a_log_gets_a_line_while_inputs_are_read_and_none_is_finished():
    log = io.StringIO()
    with RunProgress(64, label="ingest", every_seconds=0, stream=log) as progress:
        progress.read()
    assert log.getvalue() == "progress: 0/64 inputs, 0.0 inputs/s (1 read)\n"


def test_a_backfills_time_left_goes_at_the_pace_of_the_days_after_the_first_which_reads_the_listings():
    assert day_line(date(2026, 11, 1), 10, [30.0]) == "2026-11-01 (day 1 of 10, about 4 min left): "
    assert day_line(date(2026, 11, 3), 10, [30.0, 35.0, 40.0]) == "2026-11-03 (day 3 of 10, about 35 s left): "
    assert day_line(date(2026, 11, 10), 10, [30.0 + 5 * n for n in range(10)]) == "2026-11-10 (day 10 of 10): "
