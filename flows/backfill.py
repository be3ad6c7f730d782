"""Backfill: one ingest run per day for the articles the sources date within a range."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import date, timedelta

from prefect import flow

from flows.ingest import RunSummary, ingest
from flows.options import RunOptions
from flows.runners import build_task_runner
from transforms.feeds import listings_shared


def days(since: date, until: date) -> list[date]:
    """Every day from since to until, inclusive."""
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


@flow(name="backfill")
def backfill(since: date, until: date, options: RunOptions, echo: bool = False) -> list[RunSummary]:
    """Ingest the sources' articles dated each day from since to until, one parameterised run per day, each feed and
    sitemap fetched once for all the days (with echo, each day's summary line is printed as the day ends, and where to
    resume on stderr if a day stops)."""
    daily = ingest.with_options(task_runner=build_task_runner(options))
    summaries: list[RunSummary] = []
    began = time.perf_counter()
    ends: list[float] = []  # seconds from the start to the end of each day done
    with listings_shared((since, until)):
        for day in (span := days(since, until)):
            try:
                summaries.append(daily.with_options(flow_run_name=f"backfill-{day}")([], replace(options, window=(day, day), published=day)))
            except BaseException:
                if echo:
                    print(f"newsevents: the backfill stopped on {day}, {len(summaries)} of {len(span)} days done; "
                          f"--since {day} --until {until} finishes it", file=sys.stderr, flush=True)
                raise
            ends.append(time.perf_counter() - began)
            if echo:
                print(day_line(day, len(span), ends) + summaries[-1].line(), flush=True)
    return summaries


def day_line(day: date, total: int, ends: list[float]) -> str:
    """The head of a day's summary line: the day, how many of the range are done and, until the last, about how long the
    others take at the pace of the days after the first (which reads the feeds and sitemaps for all of them), or of the
    first until there are some; `ends` are the seconds from the start to the end of each day done."""
    done = len(ends)
    pace = (ends[-1] - ends[0]) / (done - 1) if done > 1 else ends[0]
    seconds = pace * (total - done)
    left = "" if done == total else f", about {seconds:.0f} s left" if seconds < 120 else f", about {seconds / 60:.0f} min left"
    return f"{day} (day {done} of {total}{left}): "
