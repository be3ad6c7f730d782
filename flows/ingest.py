"""The ingest flow: files -> read + clean -> dedupe -> analyse -> publish -> rollup -> catalog."""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.options import RunOptions
from flows.progress import RunProgress
from flows.runners import build_task_runner
from transforms import catalog
from transforms.analyse import analyse
from transforms.clean import CleanOptions, clean_document
from transforms.dedupe import Seen, dedupe, load_seen, new_quarantine_rows
from transforms.errors import NewseventsError, Rejection
from transforms.events import CODER_VERSION
from transforms.ids import stable_id
from transforms.load import DataDir, exclusive, publish
from transforms.nlp import load_nlp
from transforms.read import expand_paths, read_files
from transforms.rollup import months_of, rollup


@dataclass
class RunSummary:
    """What a run did, for the command line and the `runs` table."""

    run_id: str
    counts: dict[str, int]
    seconds: float

    def line(self) -> str:
        c = self.counts
        return (f"run {self.run_id}: {c['inputs']} inputs -> {c['articles']} articles, {c['duplicates']} duplicates, "
                f"{c['unchanged']} already in the lake, {c['quarantined']} quarantined; {c['entities']} entities, "
                f"{c['event_mentions']} event mentions, {c['events']} events; {self.seconds:.1f} s")


def batched(items: list, size: int) -> Iterable[list]:
    """Consecutive slices of at most size items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@task(name="read-and-clean", cache_policy=NO_CACHE)
def read_and_clean(files: list[Path], options: RunOptions) -> tuple[list[dict], list[Rejection]]:
    """Read a batch of files and clean each document; what cannot be used is rejected."""
    clean_options = CleanOptions(languages=options.languages)
    articles: list[dict] = []
    rejections: list[Rejection] = []
    for item in read_files(files, max_bytes=options.max_bytes, published=options.published):
        result = item if isinstance(item, Rejection) else clean_document(item, options=clean_options)
        if isinstance(result, Rejection):
            rejections.append(result)
        else:
            articles.append(result)
    return articles, rejections


@task(name="analyse-and-publish", cache_policy=NO_CACHE)
def analyse_and_publish(articles: list[dict], duplicates: list[dict], options: RunOptions, run_id: str,
                        started_at: datetime, seen: Seen) -> tuple[Counter, set[date], Counter]:
    """Extract entities and events from the new articles and publish the batch atomically."""
    analysis = analyse(articles, load_nlp(options.model), fallback_date=started_at.date())
    now = datetime.now(UTC)
    tables: dict[str, list] = {"articles": [], "entities": [], "event_mentions": [], "quarantine": []}
    for article in articles + duplicates:
        if article["article_id"] in analysis.rejections:
            continue
        day = article["published_at"] or started_at
        tables["articles"].append((day, {**article, "ingested_at": now, "run_id": run_id}))
        for name, rows in (("entities", analysis.entities), ("event_mentions", analysis.event_mentions)):
            tables[name] += [(day, {**row, "run_id": run_id}) for row in rows.get(article["article_id"], [])]
    rejected = [r.to_row(run_id, now) for r in analysis.rejections.values()]
    tables["quarantine"] = [(row["at"], row) for row in new_quarantine_rows(rejected, seen)]
    batch_id = stable_id("batch", *sorted(a["article_id"] for a in articles + duplicates))
    publish(DataDir(options.data_dir), batch_id, tables)
    counts = Counter(articles=len(articles) - len(analysis.rejections), duplicates=len(duplicates),
                     quarantined=len(analysis.rejections), entities=len(tables["entities"]),
                     event_mentions=len(tables["event_mentions"]))
    reasons = Counter(r.reason.value for r in analysis.rejections.values())
    return counts, months_of([row for _, row in tables["event_mentions"]]), reasons


@task(name="publish-quarantine", cache_policy=NO_CACHE)
def publish_quarantine(rejections: list[Rejection], options: RunOptions, run_id: str, seen: Seen) -> None:
    """Store the read and clean rejections (each distinct rejection once)."""
    now = datetime.now(UTC)
    rows = new_quarantine_rows([r.to_row(run_id, now) for r in rejections], seen)
    if rows:
        publish(DataDir(options.data_dir), stable_id("quarantine", *sorted(r["quarantine_id"] for r in rows)),
                {"quarantine": [(row["at"], row) for row in rows]})


@task(name="rollup-events", cache_policy=NO_CACHE)
def rollup_events(months: set[date], options: RunOptions) -> int:
    """Recompute the events table for the months this run touched."""
    return rollup(DataDir(options.data_dir), months)


@task(name="record-run", cache_policy=NO_CACHE)
def record_run(summary: RunSummary, paths: list[str], options: RunOptions, started_at: datetime, status: str) -> None:
    """Write the run's row to `runs` and refresh the DuckDB catalog."""
    data = DataDir(options.data_dir)
    params = {"paths": paths, **{k: str(v) if isinstance(v, Path | date) else v for k, v in asdict(options).items()}}
    row = {
        "run_id": summary.run_id, "flow": "ingest", "started_at": started_at, "finished_at": datetime.now(UTC),
        "status": status, "params": json.dumps(params, default=str), "counts": dict(summary.counts),
        "versions": {"newsevents": version("newsevents"), "trafilatura": version("trafilatura"),
                     "spacy": version("spacy"), "model": load_nlp(options.model).meta["version"],
                     "coder": CODER_VERSION},
    }
    publish(data, f"run-{summary.run_id}", {"runs": [(started_at, row)]})
    catalog.refresh(data)


def new_run_id(started_at: datetime) -> str:
    """A sortable, unique run id."""
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=2))  # run_ingest picks the runner
def ingest(paths: list[str], options: RunOptions) -> RunSummary:
    """Turn the files under paths into rows of every table; bad inputs go to quarantine."""
    began = time.perf_counter()
    started_at = datetime.now(UTC)
    run_id = new_run_id(started_at)
    files = expand_paths(paths)
    data = DataDir(options.data_dir)
    with exclusive(data):
        load_nlp(options.model)  # a missing model stops the run before any work
        seen = load_seen(data)
        cleaned = [read_and_clean.submit(batch, options) for batch in batched(files, options.batch_size)]
        counts: Counter = Counter()
        rejections: list[Rejection] = []
        reasons: Counter = Counter()
        published = []
        months: set[date] = set()
        for future in cleaned:
            articles, rejected = future.result()
            rejections += rejected
            counts["inputs"] += len(articles) + len(rejected)
            split = dedupe(articles, seen)
            counts["unchanged"] += len(split.unchanged)
            if split.new or split.duplicates:
                published.append(analyse_and_publish.submit(split.new, split.duplicates, options, run_id, started_at, seen))
        with RunProgress(len(published)) as progress:
            for future in published:
                batch_counts, batch_months, batch_reasons = future.result()
                counts.update(batch_counts)
                reasons.update(batch_reasons)
                months |= batch_months
                progress.advance(batch_counts["articles"] + batch_counts["duplicates"])
        publish_quarantine(rejections, options, run_id, seen)
        counts["quarantined"] += len(rejections)
        reasons.update(r.reason.value for r in rejections)
        counts["events"] = rollup_events(months, options)
        for key in ("articles", "duplicates", "unchanged", "quarantined", "entities", "event_mentions", "events"):
            counts.setdefault(key, 0)
        summary = RunSummary(run_id=run_id, counts=dict(counts), seconds=time.perf_counter() - began)
        check_accounting(summary)
        record_run(summary, paths, options, started_at, "completed")
        publish_run_artifact(summary, reasons)
    return summary


def publish_run_artifact(summary: RunSummary, reasons: Counter) -> None:
    """A Prefect artifact of the run: counts per stage and quarantine reasons."""
    lines = [f"# Ingest run {summary.run_id}", "", "| stage | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary.counts.items()]
    lines += ["", "| quarantine reason | inputs |", "|---|---|"]
    lines += [f"| {reason} | {n} |" for reason, n in reasons.most_common()] or ["| (none) | 0 |"]
    create_markdown_artifact("\n".join(lines), key="ingest-run", description=summary.line())


def run_ingest(paths: list[str], options: RunOptions) -> RunSummary:
    """Run the ingest flow with the task runner the options ask for."""
    return ingest.with_options(task_runner=build_task_runner(options))(paths, options)


def check_accounting(summary: RunSummary) -> None:
    """Every input is an article, a duplicate, already stored, or quarantined: nothing dropped silently."""
    c = summary.counts
    accounted = c["articles"] + c["duplicates"] + c["unchanged"] + c["quarantined"]
    if accounted != c["inputs"]:
        raise NewseventsError(f"accounting failed: {c['inputs']} inputs but {accounted} accounted for ({c})")
