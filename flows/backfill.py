"""Backfill: one ingest run per day for the articles the sources date within a range."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from prefect import flow

from flows.ingest import RunSummary, ingest
from flows.options import RunOptions
from flows.runners import build_task_runner


def days(since: date, until: date) -> list[date]:
    """Every day from since to until, inclusive."""
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


@flow(name="backfill")
def backfill(since: date, until: date, options: RunOptions, echo: bool = False) -> list[RunSummary]:
    """Ingest the sources' articles dated each day from since to until, one parameterised run per day (with echo, each
    day's summary line is printed as the day ends)."""
    daily = ingest.with_options(task_runner=build_task_runner(options))
    summaries = []
    for day in days(since, until):
        summaries.append(daily.with_options(flow_run_name=f"backfill-{day}")([], replace(options, window=(day, day), published=day)))
        if echo:
            print(summaries[-1].line(), flush=True)
    return summaries

