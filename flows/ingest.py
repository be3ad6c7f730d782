"""The ingest flows: inputs -> read or fetch -> clean -> dedupe -> analyse -> publish -> rollup -> catalog.

`ingest` reads local files, WARC archives, article URLs, feeds and sitemaps; `reprocess` rebuilds
articles from their stored raw bytes with the current pipeline. Both stream their inputs through
the same `Batches` pipeline: cleaning and analysis run as Prefect tasks on the chosen task runner,
at most a few batches in flight, while the flow thread dedupes and publishes in input order.
"""

from __future__ import annotations

import json
import secrets
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

from prefect import flow, task
from prefect.artifacts import MarkdownArtifact, TableArtifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import TerminationSignal
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.options import RunOptions
from flows.prefect_api import TemporaryServer
from flows.progress import RunProgress
from flows.runners import (
    build_task_runner,
    one_prefect_api,
    run_cpu_stage,
    signal_ignored,
    signals_deferred,
    worker_processes,
)
from transforms import catalog
from transforms.analyse import Analysis, pipeline_version, pipeline_versions
from transforms.clean import CleanOptions
from transforms.dedupe import (
    Deduped,
    Seen,
    dedupe,
    load_seen,
    new_quarantine_rows,
    refused_copies,
    stored_articles,
)
from transforms.errors import NewseventsError, Rejection, Terminated, first_line
from transforms.feeds import FeedState, shared_listings
from transforms.gather import AlreadyRefused, GatherOptions, Inputs, Known, gather, split_inputs
from transforms.load import CommitPending, DataDir, exclusive, partition, publish
from transforms.nlp import load_nlp, model_meta
from transforms.rawstore import REREAD_COLUMNS, RawStore, reread
from transforms.read import RawDocument
from transforms.rollup import months_of, months_of_articles, months_of_copies, rollup
from transforms.stages import analyse_articles, clean_documents

COUNTS = ("inputs", "articles", "duplicates", "unchanged", "refused", "quarantined", "replaced", "entities",
          "event_mentions", "events", "fetches", "undated")


@dataclass
class RunSummary:
    """What a run did, for the command line and the `runs` table."""

    run_id: str
    counts: dict[str, int]
    seconds: float
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine reason -> inputs
    domains: dict[str, dict[str, int]] = field(default_factory=dict)  # fetched domain -> outcome -> attempts
    older: int = 0  # articles in the lake an older pipeline version made, once an ingest run is done

    def line(self) -> str:
        c = self.counts
        replaced = f" ({c['replaced']} replacing older rows)" if c["replaced"] else ""
        fetched = f"; {c['fetches']} fetch attempts" if c["fetches"] else ""
        fetched += f"; undated articles left out of the window: {c['undated']}" if c["undated"] else ""
        refused = f", {c['refused']} already refused (--retry-refused fetches them)" if c["refused"] else ""
        older = (f"; {self.older} articles in the lake were made by an older pipeline version (`newsevents reprocess` "
                 "rebuilds them)") if self.older else ""
        return (f"run {self.run_id}: {c['inputs']} inputs -> {c['articles']} articles{replaced}, {c['duplicates']} duplicates, "
                f"{c['unchanged']} already in the lake{refused}, {c['quarantined']} quarantined; {c['entities']} entities, "
                f"{c['event_mentions']} event mentions, {c['events']} events in the months touched{fetched}; {self.seconds:.1f} s"
                f"{older}")


@task(name="clean", cache_policy=NO_CACHE)
def clean_batch(documents: list[RawDocument], options: CleanOptions) -> tuple[list[dict], list[Rejection]]:
    """Clean each document of a batch to an article row; what cannot be used is rejected."""
    return run_cpu_stage(clean_documents, documents, options)


@task(name="analyse", cache_policy=NO_CACHE)
def analyse_batch(articles: list[dict], model: str | None, fallback_date: date) -> Analysis:
    """Entities and coded events of a batch of new articles (one spaCy pass)."""
    return run_cpu_stage(analyse_articles, articles, model, fallback_date)


@task(name="rollup-events", cache_policy=NO_CACHE)
def rollup_events(months: set[date], data_dir: Path) -> int:
    """Recompute the events table for the months this run touched."""
    return rollup(DataDir(data_dir), months)


@dataclass
class Tally:
    """What a batch's inputs came to besides new articles, counted when the batch is published: a run that stops early
    then counts only what it published, and its inputs = articles + duplicates + unchanged + refused + quarantined."""

    inputs: int
    unchanged: int
    refused: int
    rejections: list[Rejection]


class Batches:
    """Streams inputs through clean and analyse tasks, a bounded number in flight, and publishes each batch in order."""

    def __init__(self, options: RunOptions, data: DataDir, seen: Seen, run_id: str, started_at: datetime, progress: RunProgress):
        self.options, self.data, self.seen = options, data, seen
        self.run_id, self.started_at, self.progress = run_id, started_at, progress
        self.clean_options = CleanOptions(languages=options.languages)
        self.store = RawStore(options.data_dir)
        meta = model_meta(options.model)
        self.versions, self.version = pipeline_versions(meta), pipeline_version(meta)
        # Threads take turns at the CPU stages (flows.runners.cpu_turn), so they keep as many batches in flight as one
        # worker: more only held more articles in memory and cost ~15 % more CPU (300 pages: 59.0 against 51.2 CPU s).
        self.parallel = 1 if options.in_threads else options.workers
        self.in_flight = 2 * self.parallel
        self.tail = False  # every input is read: the last batches' analyses are split across the workers
        self.counts: Counter = Counter()
        self.reasons: Counter = Counter()
        self.domains: dict[str, Counter] = {}
        self.months: set[date] = set()
        self.quarantine: list[dict] = []
        self.fetches: list[dict] = []
        self.published = 0
        self.failed: dict[str, Rejection] = {}  # article_id -> why its analysis failed in this run (its copies share it)
        self.cleaning: deque[tuple[PrefectFuture, Tally]] = deque()
        self.analysing: deque[tuple[list[PrefectFuture], Deduped, Tally]] = deque()

    def run(self, items: Iterable[RawDocument | Rejection | Known | AlreadyRefused]) -> None:
        """Process every input of the stream."""
        for batch in chunks(self.read(items), self.options.batch_size):
            tally = Tally(inputs=len(batch), unchanged=sum(isinstance(item, Known) for item in batch),
                          refused=sum(isinstance(item, AlreadyRefused) for item in batch),
                          rejections=[item for item in batch if isinstance(item, Rejection)])
            documents = [item for item in batch if isinstance(item, RawDocument)]
            self.cleaning.append((clean_batch.submit(documents, self.clean_options), tally))
            self.drain(self.in_flight)
        self.tail = True
        self.drain(0)
        with signals_deferred():  # the fetch rows queued since the last batch, published and counted together
            raise_pending(self.flush([], [], [], []))

    def read(self, items: Iterable[RawDocument | Rejection | Known | AlreadyRefused]) -> Iterator[RawDocument | Rejection | Known | AlreadyRefused]:
        """The stream, each input counted as read."""
        for item in items:
            self.progress.read()
            yield item

    def drain(self, keep: int) -> None:
        """Finish the oldest batches until at most `keep` are in flight at each stage (at the end, every cleaned batch
        goes to analysis before the flow waits for the last analyses, so that the workers share them)."""
        while len(self.cleaning) > keep:
            self.cleaned(*self.cleaning.popleft())
            while len(self.analysing) > self.in_flight:
                self.analysed(*self.analysing.popleft())
        while len(self.analysing) > keep:
            self.analysed(*self.analysing.popleft())

    def cleaned(self, future: PrefectFuture, tally: Tally) -> None:
        """Dedupe a cleaned batch and send its new articles to analysis."""
        articles, rejections = future.result()
        tally.rejections += rejections
        split = dedupe(articles, self.seen)
        self.adopt_orphans(split, tally)
        tally.rejections += split.rejections
        tally.unchanged += len(split.unchanged)
        self.analysing.append((self.analyse(split.new), split, tally))

    def adopt_orphans(self, split: Deduped, tally: Tally) -> None:
        """Add to the batch the duplicates of its originals whose text changed, read again from data/raw/: they are published
        with their original's new version, one of them now the original of the old text. They count as inputs. One whose raw
        bytes cannot be read again (a lake moved without data/raw/) is rebuilt from its stored row, after the others: kept as
        it was, it would stay a copy of an original that no longer has its text."""
        while self.seen.orphaned:
            rows = list(self.seen.orphaned.values())
            self.seen.orphaned.clear()
            items = list(reread(rows, self.store))
            documents = [item for item in items if isinstance(item, RawDocument)]
            unread = [row["article_id"] for row, item in zip(rows, items, strict=True) if isinstance(item, Rejection)]
            articles, rejections = clean_batch.submit(documents, self.clean_options).result()
            tally.inputs += len(rows)
            tally.rejections += rejections
            split.add(dedupe(articles + stored_articles(self.data, unread), self.seen))

    def analyse(self, articles: list[dict]) -> list[PrefectFuture]:
        """Submit the analysis of a batch's new articles: in the tail of the run one part per worker, so that no worker
        waits idle while another analyses a whole last batch."""
        size = -(-len(articles) // (self.parallel if self.tail else 1)) or 1
        return [analyse_batch.submit(articles[i:i + size], self.options.model, self.started_at.date())
                for i in range(0, len(articles), size)]

    def analysed(self, futures: list[PrefectFuture], split: Deduped, tally: Tally) -> None:
        """Publish one batch: its articles, duplicates, entities, event mentions and quarantine rows, and count it."""
        analysis = Analysis()
        for part in (future.result() for future in futures):
            analysis.entities.update(part.entities)
            analysis.event_mentions.update(part.event_mentions)
            analysis.rejections.update(part.rejections)
        self.failed.update(analysis.rejections)
        refused = {**analysis.rejections, **refused_copies(split.duplicates, self.failed)}
        tally.rejections += refused.values()
        now = datetime.now(UTC)
        articles, entities, mentions = [], [], []
        for article in split.new + split.duplicates:
            article_id = article["article_id"]
            if article_id in refused:
                continue
            day = article["published_at"] or self.started_at
            articles.append((day, {**article, "ingested_at": now, "run_id": self.run_id, "pipeline_version": self.version}))
            entities += [(day, {**row, "run_id": self.run_id}) for row in analysis.entities.get(article_id, [])]
            mentions += [(day, {**row, "run_id": self.run_id}) for row in analysis.event_mentions.get(article_id, [])]
        replaced = [i for i in split.replaced if i not in refused]  # a rejected new version keeps the old rows
        with signals_deferred():  # a Ctrl-C mid-commit would leave the batch in the lake but not in the counts
            self.quarantine += new_quarantine_rows([r.to_row(self.run_id, pipeline_version=self.version) for r in tally.rejections],
                                                   self.seen)
            pending = self.flush(articles, entities, mentions, replaced)
            self.counts["inputs"] += tally.inputs
            self.counts["unchanged"] += tally.unchanged
            self.counts["refused"] += tally.refused
            self.counts["quarantined"] += len(tally.rejections)
            self.reasons.update(str(r.reason) for r in tally.rejections)
            self.counts["articles"] += sum(1 for _, a in articles if a["duplicate_of"] is None)  # counted once published
            self.counts["duplicates"] += sum(1 for _, a in articles if a["duplicate_of"] is not None)
            self.counts["entities"] += len(entities)
            self.counts["event_mentions"] += len(mentions)
            self.counts["replaced"] += len(replaced)
            raise_pending(pending)
        self.progress.advance(tally.inputs)

    def undated(self, count: int) -> None:
        """Count the articles the sources list without a date, which a window (backfill) leaves out."""
        self.counts["undated"] += count

    def fetched(self, rows: list[dict]) -> None:
        """Queue the `fetches` rows of a target's attempts; they are published, and counted, with the next batch."""
        self.fetches += [{**row, "run_id": self.run_id} for row in rows]

    def flush(self, articles: list, entities: list, mentions: list, replaced: list[str]) -> CommitPending | None:
        """Publish the rows of one batch and the queued quarantine and fetch rows, in one commit; a commit that the lake
        failed after its journal was written is published all the same, and returned for the caller to raise once the
        batch is counted."""
        replacing = {article_id: self.seen.partition_of.get(article_id) for article_id in replaced}
        if replacing:
            self.months |= months_of_articles(self.data, replacing)
        copied = months_of_copies(self.data, [row for _, row in articles], replacing, self.seen.partition_of)
        self.months |= copied
        tables = {"articles": articles, "entities": entities, "event_mentions": mentions,
                  "quarantine": [(row["at"], row) for row in self.quarantine],
                  "fetches": [(row["fetched_at"], row) for row in self.fetches]}
        pending = None
        if any(tables.values()):
            self.published += 1
            try:
                publish(self.data, f"{self.run_id}-{self.published:05d}", tables, replacing=replacing, touching=copied)
            except CommitPending as e:
                pending = e
            self.seen.partition_of.update((row["article_id"], partition(day)) for day, row in articles)
        self.months |= months_of([row for _, row in mentions])
        for row in self.fetches:  # each attempt's outcome per domain, robots.txt's apart from the pages'
            domain = urlsplit(row["url"]).hostname or row["url"]
            outcome = row["error"] or f"HTTP {row['status']}"
            self.domains.setdefault(domain, Counter())[f"robots.txt {outcome}" if row["source_name"] == "robots.txt" else outcome] += 1
        self.counts["fetches"] += len(self.fetches)
        self.quarantine, self.fetches = [], []
        return pending

    def summary(self, began: float) -> RunSummary:
        """The counts of the run so far."""
        counts = {key: self.counts.get(key, 0) for key in COUNTS}
        return RunSummary(run_id=self.run_id, counts=counts, seconds=time.perf_counter() - began,
                          reasons=dict(self.reasons.most_common()),
                          domains={d: dict(c) for d, c in sorted(self.domains.items())})


def raise_pending(pending: CommitPending | None) -> None:
    """Raise the commit that the lake failed, once its batch is counted."""
    if pending is not None:
        raise pending


# `uv run` forwards a terminal's Ctrl-C to the command, which the terminal already sent it: here the copy came 0.20-0.26 s
# after the original. A person who presses Ctrl-C again (to skip the events' recompute) reads the message first: longer.
ECHO_SECONDS = 1.5


@contextmanager
def one_stop_per_ctrl_c() -> Iterator[None]:
    """A SIGINT within ECHO_SECONDS of the one that stopped the run is the same Ctrl-C, delivered twice: it is ignored,
    not taken for the second Ctrl-C that skips a stopping step (only the main thread handles signals)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:  # ignored (a background job), or not ours
        yield
        return
    stopped_at = -ECHO_SECONDS

    def interrupt(signum: int, frame: object) -> None:
        nonlocal stopped_at
        if time.monotonic() - stopped_at >= ECHO_SECONDS:
            stopped_at = time.monotonic()
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most size items of a stream."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=2))  # run_ingest picks the runner
def ingest(paths: list[str], options: RunOptions) -> RunSummary:
    """Turn local files, WARC archives, URLs and the options' feeds and sitemaps into rows of every table."""
    inputs = split_inputs(paths)
    data = DataDir(options.data_dir)
    store = RawStore(options.data_dir)
    gather_options = GatherOptions(fetch=options.fetch, max_bytes=options.max_bytes, published=options.published,
                                   window=options.window, listings=shared_listings())
    feeds = FeedState(data.root / "state" / "feeds.json")

    def stream(batches: Batches) -> Iterator[RawDocument | Rejection | Known | AlreadyRefused]:
        return gather(inputs, options.sources, options=gather_options, store=store, known_urls=batches.seen.urls,
                      refused_urls=batches.seen.refused, feeds=feeds, on_fetch_rows=batches.fetched,
                      on_undated=batches.undated, on_total=batches.progress.expect)

    summary = run_batches("ingest", {"paths": paths}, options, stream, total=known_total(inputs, options),
                          published=feeds.save)
    summary.older = count_stale_articles(data, pipeline_version(model_meta(options.model)))
    return summary


@flow(name="reprocess", task_runner=ThreadPoolTaskRunner(max_workers=2))
def reprocess(options: RunOptions, everything: bool = False) -> RunSummary:
    """Rebuild from data/raw/ the articles an older pipeline made (all of them when `everything`), replacing their rows."""
    data = DataDir(options.data_dir)
    store = RawStore(options.data_dir)
    current = pipeline_version(model_meta(options.model))
    rows = stale_articles(data, None if everything else current) if data.has_files("articles") else []

    def stream(_: Batches) -> Iterator[RawDocument | Rejection]:
        return reread(rows, store)

    return run_batches("reprocess", {"everything": everything}, options, stream, total=len(rows),
                       stale=[r["article_id"] for r in rows])


STALE = "$version IS NULL OR pipeline_version IS DISTINCT FROM $version"  # the articles reprocess rebuilds


def stale_articles(data: DataDir, current_version: str | None) -> list[dict]:
    """The stored articles (originals before their duplicates) not made by the current pipeline version (all when None),
    with the columns `reread` uses (null where no file has a column yet)."""
    glob = data.table_glob("articles")
    with data.connect() as con:
        cursor = con.execute(
            f"SELECT {catalog.stored_columns(con, 'articles', glob, REREAD_COLUMNS)} FROM read_parquet('{glob}', union_by_name=true) "
            f"WHERE {STALE} ORDER BY duplicate_of IS NOT NULL, ingested_at, article_id", {"version": current_version})
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def count_stale_articles(data: DataDir, current_version: str) -> int:
    """How many stored articles the current pipeline version did not make (what `reprocess` would rebuild)."""
    if not data.has_files("articles"):
        return 0
    with data.connect() as con:
        return con.execute(f"SELECT count(*) FROM read_parquet('{data.table_glob('articles')}', union_by_name=true) WHERE {STALE}",
                           {"version": current_version}).fetchone()[0]


def run_batches(flow_name: str, params: dict, options: RunOptions, stream, *, total: int | None,
                stale: Iterable[str] = (), published: Callable[[], None] = lambda: None) -> RunSummary:
    """Run the batch pipeline over a stream of inputs under the data dir's lock; record the run and publish its artifact.
    `published` is called once every input is published (not when the run stops early)."""
    began = time.perf_counter()
    started_at = datetime.now(UTC)
    run_id = new_run_id(started_at)
    data = DataDir(options.data_dir)
    with exclusive(data):
        model_meta(options.model)  # a missing model stops the run before any work
        if options.in_threads:
            load_nlp(options.model)  # the worker threads share this process's model: built once, before they start
        progress = RunProgress(total, label=flow_name if options.window is None else f"backfill {options.window[0]}")
        seen = load_seen(data, stale=stale, version=pipeline_version(model_meta(options.model)))
        batches = Batches(options, data, seen, run_id, started_at, progress)
        try:
            with progress, closing(stream(batches)) as items:  # closed as the run stops: a fetch abandons its requests
                batches.run(items)
            batches.counts["events"] = rollup_events(batches.months, options.data_dir)
            summary = batches.summary(began)
            check_accounting(summary)
            published()
        except BaseException as stop:  # Ctrl-C and SIGTERM too: the row says how far the run got and why it stopped
            finish_stopped_run(batches, began, stop, flow_name, params, options, started_at)
            raise
        record_run(summary, flow_name, params, options, started_at, batches.versions)
        publish_run_artifact(summary)
    return summary


def finish_stopped_run(batches: Batches, began: float, stop: BaseException, flow_name: str, params: dict,
                       options: RunOptions, started_at: datetime) -> None:
    """Leave what a stopped run published consistent: its queued fetch rows written, the events of the months it touched
    recomputed, then its `runs` row and artifact. A step that fails (a lake that cannot be written is a likely cause of
    the stop) or is interrupted is reported on stderr; the next command that writes finishes the rollup."""
    def write_fetches() -> None:
        with signals_deferred():
            raise_pending(batches.flush([], [], [], []))

    def recompute_events() -> None:
        if batches.months:
            print(f"newsevents: stopping: recomputing the events of the {len(batches.months)} months the run touched "
                  "(press Ctrl-C again to leave it to the next command that writes)", file=sys.stderr, flush=True)
            rollup(batches.data, batches.months)

    def attempt(failure: str, step: Callable[[], object]) -> None:
        try:
            step()
        except BaseException as e:  # a second Ctrl-C skips a step, not the rest
            print(f"newsevents: the stopped run: {failure}: {first_line(e)}", file=sys.stderr)

    with signal_ignored(signal.SIGTERM):  # a SIGTERM sent the process group reaches it again through `uv run`
        attempt("its fetch attempts could not be written to fetches", write_fetches)
        attempt("the events of the months it touched were not recomputed", recompute_events)
        summary, (status, error) = batches.summary(began), stop_status(stop)
        attempt("its row could not be written to runs",
                lambda: record_run(summary, flow_name, params, options, started_at, batches.versions, status=status, error=error))
        attempt("its artifact could not be published", lambda: publish_run_artifact(summary, status=f"{status}: {error}"))


def known_total(inputs: Inputs, options: RunOptions) -> int | None:
    """The number of inputs when it is known before reading (no JSONL, WARC, feed or sitemap to expand)."""
    if inputs.warcs or options.sources or any(f.suffix.lower() == ".jsonl" for f in inputs.files):
        return None
    return len(inputs.unread) + len(inputs.files) + len(inputs.urls)


def record_run(summary: RunSummary, flow_name: str, params: dict, options: RunOptions, started_at: datetime,
               versions: dict[str, str], *, status: str = "completed", error: str | None = None) -> None:
    """Write the run's row to `runs` and refresh the DuckDB catalog."""
    data = DataDir(options.data_dir)
    row = {
        "run_id": summary.run_id, "flow": flow_name, "started_at": started_at, "finished_at": datetime.now(UTC),
        "status": status, "error": error, "params": json.dumps({**params, **asdict(options)}, default=json_value),
        "counts": dict(summary.counts), "versions": versions, "flow_run_id": flow_run.get_id(),
    }
    publish(data, f"run-{summary.run_id}", {"runs": [(started_at, row)]})
    try:
        catalog.refresh(data)
    except catalog.CatalogBusy as e:  # a reader (newsevents sql, a DuckDB shell) has it open: the run's tables are complete all the same
        print(f"newsevents: {e}, so its views were not refreshed; the next newsevents command that reads does it", file=sys.stderr)


def json_value(value: object) -> object:
    """What json.dumps cannot write as itself: a set as a list sorted by text (the same from run to run), else text."""
    return sorted(value, key=str) if isinstance(value, set | frozenset) else str(value)


def stop_status(stop: BaseException) -> tuple[str, str]:
    """The `runs` status and error of a run that stopped early."""
    if isinstance(stop, KeyboardInterrupt):
        return "interrupted", "Ctrl-C (SIGINT)"
    if isinstance(stop, Terminated | TerminationSignal):  # Prefect turns SIGTERM into the latter while a flow runs
        return "interrupted", "SIGTERM"
    return "failed", f"{type(stop).__name__}: {first_line(stop)}"


def new_run_id(started_at: datetime) -> str:
    """A sortable, unique run id."""
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def publish_run_artifact(summary: RunSummary, *, status: str = "completed") -> None:
    """Prefect artifacts of the run, on its flow run and on the one that started it (the `scheduled-ingest` run that a
    deployment's page lists): a markdown report (status, counts per stage, quarantine reasons, fetch outcomes per
    domain) and a table of the counts."""
    lines = [f"# Run {summary.run_id}", "", f"Status: {status}", "", "| stage | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary.counts.items()]
    lines += ["", "| quarantine reason | inputs |", "|---|---|"]
    lines += [f"| {reason} | {n} |" for reason, n in summary.reasons.items()] or ["| (none) | 0 |"]
    if summary.domains:
        lines += ["", "| domain | outcome | attempts |", "|---|---|---|"]
        lines += [f"| {d} | {outcome} | {n} |" for d, outcomes in summary.domains.items() for outcome, n in outcomes.items()]
    for run_id in filter(None, (flow_run.get_id(), flow_run.get_parent_flow_run_id())):
        MarkdownArtifact(markdown="\n".join(lines), key="ingest-run", description=summary.line(), flow_run_id=run_id).create()
        TableArtifact(table=[{"stage": k, "count": v} for k, v in summary.counts.items()], key="ingest-run-counts",
                      description=f"Counts of run {summary.run_id}", flow_run_id=run_id).create()


@contextmanager
def before_flows(options: RunOptions, server: TemporaryServer | None = None) -> Iterator[None]:
    """Hold the data dir (a busy one is refused before any flow starts) and give the run one Prefect API. While Prefect's
    server starts, the model that threads share is built, or the worker processes start and build theirs."""
    with one_stop_per_ctrl_c(), exclusive(DataDir(options.data_dir)):
        if options.in_threads:
            load_nlp(options.model)
        with worker_processes(options), one_prefect_api(options, server):
            yield


def run_ingest(paths: list[str], options: RunOptions, server: TemporaryServer | None = None) -> RunSummary:
    """Run the ingest flow with the task runner the options ask for (a busy data dir is refused before the flow starts)."""
    with before_flows(options, server):
        return ingest.with_options(task_runner=build_task_runner(options))(paths, options)


def run_reprocess(options: RunOptions, *, everything: bool = False, server: TemporaryServer | None = None) -> RunSummary:
    """Run the reprocess flow with the task runner the options ask for (a busy data dir is refused before the flow starts)."""
    with before_flows(options, server):
        return reprocess.with_options(task_runner=build_task_runner(options))(options, everything)


def accounted(counts: dict[str, int]) -> int:
    """The inputs a run's counts account for: articles, duplicates, already stored, already refused and quarantined."""
    return counts["articles"] + counts["duplicates"] + counts["unchanged"] + counts["refused"] + counts["quarantined"]


def check_accounting(summary: RunSummary) -> None:
    """Every input is an article, a duplicate, already stored, already refused, or quarantined: nothing dropped silently."""
    c = summary.counts
    if accounted(c) != c["inputs"]:
        raise NewseventsError(f"accounting failed: {c['inputs']} inputs but {accounted(c)} accounted for ({c})")
