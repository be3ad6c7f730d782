"""LAKE -> WAREHOUSE: every table merged on its primary key into a dlt destination, incrementally from the last synced run.

Each table is read from the lake with DuckDB (rows of the last synced run onward, the latest copy of
each key), handed to dlt as Arrow and merged with the delete-insert strategy: dlt loads it into a
staging dataset and replaces the rows with the same key in one transaction per table. The cursor of
each table (its run_id, or updated_at for `events`) is saved in a small state file in the data
directory only after a load succeeds, so a failed sync is simply done again by the next one.
A warehouse table changed by hand (dropped, a column dropped or of another type) is found before
anything loads; the sync stops with a message and the next sync reloads that table from the lake.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import TABLES
from transforms.compact import LATEST_BY
from transforms.errors import NewseventsError, TransientError, first_line
from transforms.ids import stable_id
from transforms.load import DataDir, exclusive

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
    read = Reads(data, cursors)
    try:
        pipeline.sync_destination()
        changed = drift(pipeline, exclude=reload)
        if changed:
            write_state(state_path, {"cursors": cursors, "reload": sorted({*reload, *changed})})
            raise NewseventsError(f"tables changed by hand in {shown} ({'; '.join(changed.values())}): nothing was loaded; "
                                  f"the next sync reloads {', '.join(sorted(changed))} from the lake")
        with exclusive(data):
            if reload:
                pipeline.extract([read.resource(dlt, t) for t in reload], refresh="drop_resources")
            pipeline.extract([read.resource(dlt, t) for t in TABLES if t not in reload])
        pipeline.normalize()
        pipeline.load()
    except DltException as e:
        pipeline.abort_packages()
        kind = TransientError if transient(e, TransientException) else NewseventsError
        raise kind(f"sync to {shown} failed: {one_line(e)}") from e
    write_state(state_path, {"cursors": {**cursors, **read.cursors()}, "reload": []})
    return SyncResult(shown, dict(read.rows), tuple(reload))


class Reads:
    """The lake side of a sync: one dlt resource per table, counting rows and the greatest cursor handed over."""

    def __init__(self, data: DataDir, since: dict[str, str]) -> None:
        self.data, self.since = data, since
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.latest: dict[str, object] = {}

    def resource(self, dlt, table: str):
        """A merge resource over the table's rows after its cursor."""
        spec = TABLES[table]
        json_columns = {f.name: {"data_type": "json"} for f in spec.schema if pa.types.is_nested(f.type)}

        @dlt.resource(name=table, primary_key=list(spec.primary_key), write_disposition="merge", columns=json_columns)
        def rows() -> Iterator[pa.RecordBatch]:
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

        return rows()

    def cursors(self) -> dict[str, str]:
        """The greatest cursor handed over per table, as text DuckDB reads back."""
        return {t: v.isoformat() if isinstance(v, datetime) else str(v) for t, v in self.latest.items()}


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
    """The latest copy of each key among the rows whose cursor is after $since (every row when it is null).

    Ingest and rollup hold the data directory while they write, and so does the sync while it reads: a run's rows
    are complete when read, so a strict comparison loses nothing."""
    spec = TABLES[table]
    key = ", ".join(spec.primary_key)
    nested = [f.name for f in spec.schema if pa.types.is_nested(f.type)]  # lists and maps travel as JSON text
    replace = f" REPLACE ({', '.join(f'to_json({n}) AS {n}' for n in nested)})" if nested else ""
    return f"""SELECT *{replace} FROM read_parquet('{data.table_glob(table)}', union_by_name=true, hive_partitioning=false)
        WHERE $since IS NULL OR "{CURSORS[table]}" > $since
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
    """The saved cursors and tables to reload; empty when the file is missing or unreadable (a full merge is harmless)."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"cursors": {}, "reload": []}
    return {"cursors": dict(state.get("cursors", {})), "reload": list(state.get("reload", []))}


def write_state(path: Path, state: dict) -> None:
    """Replace the state file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)
