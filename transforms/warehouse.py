"""LAKE -> WAREHOUSE: every table merged on its primary key into a dlt destination, incrementally from the last synced run.

Each table is read from the lake with DuckDB (rows of the last synced run onward, the latest copy of
each key), handed to dlt as Arrow and merged with the delete-insert strategy: dlt loads it into a
staging dataset, deletes the warehouse rows the new ones replace and inserts these, in one transaction
per table. What is deleted follows the lake: every row of an article a later run replaced (entities and
event mentions, read in a second load package, after the articles), every event of a month the rollup
rewrote or emptied, the whole table when it is loaded whole, else the rows with the same key. The cursor
of each table (its run_id, or updated_at for `events`) is saved in a small state file in the data
directory only after a load succeeds, so a failed sync is simply done again by the next one.
A warehouse table changed by hand (dropped, a column dropped or of another type) is found before
anything loads; the sync stops with a message and the next sync reloads that table from the lake. A dataset
dropped whole (or a DuckDB file deleted) has lost dlt's state too: the sync reloads every table at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import TABLES
from transforms.atomic import replace_json
from transforms.compact import LATEST_BY
from transforms.errors import NewseventsError, TransientError, first_line
from transforms.ids import stable_id
from transforms.load import DataDir, exclusive, next_month

ARTICLE_ROWS = ("entities", "event_mentions")  # rows of one article, all replaced when a run replaces the article
ROOT_TABLES = tuple(t for t in TABLES if t not in ARTICLE_ROWS)
CURSORS = {name: "updated_at" if name == "events" else "run_id" for name in TABLES}
ORDER_BY = {**LATEST_BY, "events": "updated_at"}
BATCH_ROWS = 50_000
TRANSIENT_HINTS = ("connection refused", "timed out", "timeout expired", "server closed the connection", "could not connect")


@dataclass(frozen=True)
class SyncResult:
    """What a sync loaded."""

    destination: str
    rows: dict[str, int]
    reloaded: tuple[str, ...]

    def line(self) -> str:
        loaded = ", ".join(f"{n} {t}" for t, n in self.rows.items() if n) or "nothing new"
        again = f" (reloaded {', '.join(self.reloaded)})" if self.reloaded else ""
        return f"synced to {self.destination}: {loaded}{again}"


def sync(data: DataDir, destination: str, *, dataset: str = "newsevents") -> SyncResult:
    """Merge every table's rows since the last successful sync into the destination, one sync of a data directory at a time."""
    with one_sync(data):
        return merge(data, destination, dataset)


@contextmanager
def one_sync(data: DataDir) -> Iterator[None]:
    """Hold the data directory's sync lock (dlt's working folder is shared); a second sync is refused at once."""
    lock = data.root / "warehouse" / "sync.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TransientError(f"a sync of this data directory ({data.root}) is running; try again when it ends") from None
        yield


def merge(data: DataDir, destination: str, dataset: str) -> SyncResult:
    """Merge every table's rows since the last successful sync into the destination."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no calls home
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")  # failures reach the user as one-line errors instead
    import dlt
    from dlt.common.exceptions import DltException, TransientException

    shown = redact(destination)
    name = "newsevents_" + stable_id(shown, dataset)
    state_path = data.root / "warehouse" / f"{name}.json"
    state = read_state(state_path)
    reload = [t for t in state["reload"] if t in TABLES]
    cursors = {t: c for t, c in state["cursors"].items() if t in TABLES and t not in reload}
    pipeline = dlt.pipeline(name, destination=destination_of(destination), dataset_name=dataset,
                            pipelines_dir=str(data.root / "warehouse" / "dlt"))
    try:
        pipeline.sync_destination()
        if not pipeline.schema_names:  # a new dataset, or one dropped with dlt's state: every table is loaded whole
            reload, cursors = sorted({*reload, *cursors}), {}
        changed = drift(pipeline, exclude=reload)
        if changed:
            replace_json(state_path, {**state, "cursors": cursors, "reload": sorted({*reload, *changed})})
            raise NewseventsError(f"tables changed by hand in {shown} ({'; '.join(changed.values())}): nothing was loaded; "
                                  f"the next sync reloads {', '.join(sorted(changed))} from the lake")
        articles = pipeline.sql_client().make_qualified_table_name("articles")
        with exclusive(data):  # its recover may roll up months: the events' months are read after it
            read = Reads(data, cursors, months=set(state["months"]), articles=articles)
            for tables in (ROOT_TABLES, ARTICLE_ROWS):  # one package each, loaded in this order
                if dropped := [t for t in tables if t in reload]:
                    pipeline.extract([read.resource(dlt, t) for t in dropped], refresh="drop_resources")
                pipeline.extract([read.resource(dlt, t) for t in tables if t not in reload])
        pipeline.normalize()
        pipeline.load()
    except DltException as e:
        pipeline.abort_packages()
        kind = TransientError if transient(e, TransientException) else NewseventsError
        raise kind(f"sync to {shown} failed: {one_line(e)}") from e
    replace_json(state_path, {"cursors": {**cursors, **read.cursors()}, "reload": [], "months": sorted(read.months)})
    forget_loaded_packages(pipeline)
    return SyncResult(shown, dict(read.rows), tuple(reload))


def forget_loaded_packages(pipeline) -> None:
    """Delete the load packages dlt keeps once they are loaded: a copy of every row each sync sent, and ~80 KB of schema
    and state a package, in the data directory for good."""
    from dlt.common.storages import LoadStorage

    loaded = Path(pipeline.working_dir) / "load" / LoadStorage.LOADED_FOLDER
    for load_id in pipeline.list_completed_load_packages():
        shutil.rmtree(loaded / load_id)


class Reads:
    """The lake side of a sync: one dlt resource per table, counting rows and the greatest cursor handed over."""

    def __init__(self, data: DataDir, since: dict[str, str], *, months: set[str], articles: str) -> None:
        self.data, self.since, self.articles = data, since, articles
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.latest: dict[str, object] = {}
        self.synced_months = months  # the months of the events the warehouse holds (as of the last sync)
        self.months, self.touched = event_months(data, since.get("events"))

    def resource(self, dlt, table: str):
        """A merge resource over the table's rows after its cursor, deleting in the warehouse what they replace."""
        spec = TABLES[table]
        json_columns = {f.name: {"data_type": "json"} for f in spec.schema if pa.types.is_nested(f.type)}
        merge = {"disposition": "merge", "strategy": "delete-insert"}

        @dlt.resource(name=table, primary_key=list(spec.primary_key), write_disposition=merge, columns=json_columns)
        def rows() -> Iterator[pa.Table]:
            scoped = dlt.mark.make_hints(write_disposition={**merge, "destination_scope": self.scope(table)})
            for n, part in enumerate(self.parts(table)):  # the scope is set with the first part: no part, no schema change
                yield dlt.mark.with_hints(part, scoped) if n == 0 else part

        return rows()

    def parts(self, table: str) -> Iterator[pa.Table]:
        """The table's rows after its cursor; an empty part when there are none but the merge has rows to delete."""
        yield from self.changed(table)
        if not self.rows[table] and self.deletes(table):
            yield pa.Table.from_batches([], warehouse_schema(table, declared_schema(table)))

    def changed(self, table: str) -> Iterator[pa.Table]:
        """The table's rows after its cursor, in batches, counted."""
        if not self.data.has_files(table):
            return
        with self.data.connect() as con:
            sql = changed_rows_sql(self.data, table)
            for batch in con.sql(sql, params={"since": self.since.get(table)}).to_arrow_reader(BATCH_ROWS):
                if batch.num_rows:
                    self.rows[table] += batch.num_rows
                    top = pc.max(batch.column(CURSORS[table])).as_py()
                    self.latest[table] = max(top, self.latest.get(table, top))
                    yield pa.Table.from_batches([batch]).cast(warehouse_schema(table, batch.schema))

    def scope(self, table: str) -> str:
        """The warehouse rows the merge deletes before inserting, as SQL (dlt's destination scope, kept in its schema)."""
        since, key = self.since.get(table), TABLES[table].primary_key[0]
        same_key = f"{key} IN (SELECT {key} FROM {{staging_table}})"
        if since is None:
            return "1 = 1"  # loaded whole
        if table in ARTICLE_ROWS:
            return f"article_id IN (SELECT article_id FROM {self.articles} WHERE run_id > {sql_text(since)}) OR {same_key}"
        if table == "events":
            kept = month_ranges(self.months - self.touched)
            return f"NOT ({' OR '.join(kept)})" if kept else "1 = 1"
        return same_key

    def deletes(self, table: str) -> bool:
        """Whether the table's merge must run without rows: to delete what the lake no longer holds."""
        if table in ARTICLE_ROWS:
            return self.since.get(table) is not None and articles_after(self.data, self.since[table])
        if table == "events":
            return bool(self.synced_months - self.months)
        return False

    def cursors(self) -> dict[str, str]:
        """The greatest cursor handed over per table, as text DuckDB reads back."""
        return {t: v.isoformat() if isinstance(v, datetime) else str(v) for t, v in self.latest.items()}


def event_months(data: DataDir, since: str | None) -> tuple[set[str], set[str]]:
    """The months (YYYY-MM) the lake has events in, and those among them rewritten after `since` (all when it is null)."""
    if not data.has_files("events"):
        return set(), set()
    with data.connect() as con:
        found = con.sql(f"""SELECT strftime(event_date, '%Y-%m'), $since IS NULL OR max(updated_at) > $since
            FROM read_parquet('{data.table_glob("events")}', union_by_name=true, hive_partitioning=false) GROUP BY 1""",
                        params={"since": since}).fetchall()
    return {m for m, _ in found}, {m for m, touched in found if touched}


def articles_after(data: DataDir, since: str) -> bool:
    """Whether a run after `since` wrote (or replaced) articles."""
    if not data.has_files("articles"):
        return False
    with data.connect() as con:
        return bool(con.sql(f"SELECT count(*) FROM read_parquet('{data.table_glob('articles')}', union_by_name=true, "
                            "hive_partitioning=false) WHERE run_id > $since", params={"since": since}).fetchall()[0][0])


def month_ranges(months: set[str]) -> list[str]:
    """SQL conditions on event_date covering these months (YYYY-MM), one per run of consecutive months."""
    ranges: list[list[date]] = []
    for month in sorted(months):
        first = date.fromisoformat(f"{month}-01")
        if ranges and ranges[-1][1] == first:
            ranges[-1][1] = next_month(first)
        else:
            ranges.append([first, next_month(first)])
    return [f"(event_date >= DATE '{a}' AND event_date < DATE '{b}')" for a, b in ranges]


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def declared_schema(table: str) -> pa.Schema:
    """The table's declared schema without field descriptions."""
    return pa.schema([f.remove_metadata() for f in TABLES[table].schema])


def warehouse_schema(table: str, read: pa.Schema) -> pa.Schema:
    """The read columns typed as the table declares them (required fields not null; lists and maps as JSON text);
    columns the table does not declare (added by newer files) keep their type."""
    declared = {f.name: f for f in TABLES[table].schema}
    return pa.schema([
        read.field(name) if name not in declared
        else pa.field(name, pa.string() if pa.types.is_nested(declared[name].type) else declared[name].type, nullable=declared[name].nullable)
        for name in read.names
    ])


def changed_rows_sql(data: DataDir, table: str) -> str:
    """The latest copy of each key among the rows whose cursor is after $since (every row when it is null), and for
    the rows of articles, every row of an article written after $since (the warehouse's rows of it are all replaced).

    Ingest and rollup hold the data directory while they write, and so does the sync while it reads: a run's rows
    are complete when read, so a strict comparison loses nothing."""
    spec = TABLES[table]
    key = ", ".join(spec.primary_key)
    nested = [f.name for f in spec.schema if pa.types.is_nested(f.type)]  # lists and maps travel as JSON text
    replace = f" REPLACE ({', '.join(f'to_json({n}) AS {n}' for n in nested)})" if nested else ""
    of_articles = (f" OR article_id IN (SELECT article_id FROM read_parquet('{data.table_glob('articles')}', union_by_name=true, "
                   "hive_partitioning=false) WHERE run_id > $since)") if table in ARTICLE_ROWS and data.has_files("articles") else ""
    return f"""SELECT *{replace} FROM read_parquet('{data.table_glob(table)}', union_by_name=true, hive_partitioning=false)
        WHERE $since IS NULL OR "{CURSORS[table]}" > $since{of_articles}
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY "{ORDER_BY[table]}" DESC NULLS LAST) = 1"""


def drift(pipeline, *, exclude: list[str]) -> dict[str, str]:
    """Tables loaded before whose warehouse table lost a column, changed a column's type, or is gone."""
    if not pipeline.schema_names:
        return {}
    schema = pipeline.default_schema
    expected = {t: schema.get_table_columns(t) for t in TABLES if t in schema.tables and t not in exclude}
    expected = {t: cols for t, cols in expected.items() if any("data_type" in c for c in cols.values())}
    if not expected:
        return {}
    with pipeline.destination_client() as client:
        actual = dict(client.get_storage_tables(list(expected)))
    changed = {}
    for table, columns in expected.items():
        have = actual.get(table) or {}
        for column, spec in columns.items():
            if not have:
                changed[table] = f"{table} is gone"
            elif "data_type" in spec and column not in have:
                changed[table] = f"{table}.{column} is gone"
            elif "data_type" in spec and have[column].get("data_type") != spec["data_type"]:
                changed[table] = f"{table}.{column} is {have[column].get('data_type')}, not {spec['data_type']}"
            if table in changed:
                break
    return changed


def destination_of(url: str):
    """The dlt destination of duckdb:///path.duckdb, postgresql://..., or a dlt destination name configured in dlt's config."""
    import dlt
    from dlt.common.destination.reference import Destination

    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        path = url.split("://", 1)[1]
        if not path.strip("/"):
            raise NewseventsError("a DuckDB destination needs a file: duckdb:///path/to/warehouse.duckdb")
        path = "/" + path.lstrip("/") if path.startswith("/") else path  # duckdb:///abs and duckdb:////abs alike
        return dlt.destinations.duckdb(credentials=str(Path(path).resolve()))
    if scheme in ("postgres", "postgresql"):
        return dlt.destinations.postgres(credentials=url)
    if scheme == "snowflake":
        return dlt.destinations.snowflake(credentials=url)
    if not scheme and url.isidentifier():
        try:
            return Destination.from_reference(url)  # bigquery, snowflake, ...: credentials from .dlt/secrets.toml or env
        except Exception as e:
            raise NewseventsError(f"unknown destination {url!r}: {one_line(e)}") from e
    raise NewseventsError(f"unsupported destination {redact(url)}: use duckdb:///path.duckdb, postgresql://user:pass@host/db, "
                          "snowflake://..., or a dlt destination name (bigquery, ...) configured in .dlt/secrets.toml")


def redact(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def chain(error: BaseException) -> list[BaseException]:
    """The error and the causes behind it, outermost first."""
    errors = [error]
    while (inner := errors[-1].__cause__ or errors[-1].__context__) is not None and inner not in errors:
        errors.append(inner)
    return errors


def transient(error: BaseException, dlt_transient: type) -> bool:
    """True for failures worth retrying: dlt says so, or the destination could not be reached in time."""
    return any(isinstance(x, dlt_transient | ConnectionError | TimeoutError) or any(h in str(x).lower() for h in TRANSIENT_HINTS)
               for x in chain(error))


def one_line(error: BaseException) -> str:
    """The innermost cause's first line: what went wrong, not the machinery around it."""
    return first_line(chain(error)[-1])


def read_state(path: Path) -> dict:
    """The saved cursors, tables to reload and months of the events loaded; empty when the file is missing or unreadable (a full merge is harmless)."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"cursors": {}, "reload": [], "months": []}
    return {"cursors": dict(state.get("cursors", {})), "reload": list(state.get("reload", [])), "months": list(state.get("months", []))}
