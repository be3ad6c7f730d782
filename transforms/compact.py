"""LAKE -> LAKE: merge each partition's small Parquet files into one, deduplicated by primary key, atomically.

Each merged file is staged in a folder of its own, a journal records the commit (move the merged
file in, remove the small files), and then the staged folder and the partition folder are swapped
in one atomic step (Linux renameat2 RENAME_EXCHANGE), so a reader lists either every small file or
the merged one. Where the system cannot swap, and on object storage, the journal is carried out
file by file (the merged file first, so a reader meanwhile may see a key twice, never none); a
crash at any point is finished by `load.recover`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import TABLES
from transforms.atomic import exchange
from transforms.errors import NewseventsError
from transforms.ids import stable_id
from transforms.load import (
    PARQUET_OPTIONS,
    DataDir,
    exclusive,
    note_rollup,
    roll_forward,
    write_journal,
)
from transforms.rollup import rollup, upgrade_events

# The column whose greatest value marks the latest copy of a row; `events` is rewritten whole by the
# rollup, so compaction recomputes it rather than merging its files.
LATEST_BY = {
    "fetches": "fetched_at",
    "articles": "ingested_at",
    "entities": "run_id",  # run ids start with the run's UTC start time, so they sort by time
    "event_mentions": "run_id",
    "quarantine": "at",
    "runs": "finished_at",
}
BATCH_ROWS = 100_000  # rows held in memory at once while a partition is rewritten


@dataclass(frozen=True)
class Compaction:
    """What a compaction did."""

    partitions: int
    files_before: int
    files_after: int
    rows_before: int
    rows_after: int
    events: int

    def line(self) -> str:
        return (f"compacted {self.partitions} partitions: {self.files_before} files -> {self.files_after}, {self.rows_after} rows "
                f"({self.rows_before - self.rows_after} older copies of a key dropped); {self.events} events recomputed")


def compact(data: DataDir, *, min_files: int = 2) -> Compaction:
    """Merge every partition holding min_files files or more into one file, holding the data directory meanwhile."""
    with exclusive(data):
        lake = data.lake
        upgraded = upgrade_events(data)
        files = {(table, part): found for table in LATEST_BY for part, found in sorted(lake.files_by_partition(table).items())
                 if len(found) >= min_files}
        if not files:
            return Compaction(0, 0, 0, 0, 0, upgraded)
        batch_id = "compact-" + stable_id(*(f for fs in files.values() for f in fs))
        stage_root = data.staging / batch_id
        shutil.rmtree(stage_root, ignore_errors=True)
        moves: list[tuple[str, str]] = []
        rows_before = rows_after = 0
        deduplicated: dict[tuple[str, str], list[str]] = {}
        with data.connect() as con:
            for (table, part), part_files in files.items():
                staged = stage_root / table / part / f"part-{batch_id}.parquet"
                staged.parent.mkdir(parents=True)
                read, written = merge(con, table, part_files, staged)
                moves.append((str(staged), lake.url(table, part, staged.name)))
                rows_before, rows_after = rows_before + read, rows_after + written
                if written < read:
                    deduplicated[table, part] = part_files
            months = touched_months(con, data, deduplicated)  # only dropped copies change events: the backlog has the rest
        note_rollup(data, months)  # a crash after the commit leaves them to `recover`
        journal = write_journal(data, batch_id, moves, [f for fs in files.values() for f in fs])
        with lake.committing():
            if lake.local:
                for table, part in files:
                    if not exchange(stage_root / table / part, lake.path / table / part):
                        break  # this system cannot swap folders: the journal moves and removes file by file
            roll_forward(lake, journal)
        shutil.rmtree(stage_root, ignore_errors=True)
        events = rollup(data, months)
    return Compaction(len(files), sum(map(len, files.values())), len(files), rows_before, rows_after, upgraded + events)


def merge(con: duckdb.DuckDBPyConnection, table: str, paths: list[str], path: Path) -> tuple[int, int]:
    """Write the latest copy of each primary key among the files' rows to path, batch by batch, in the table's
    current schema; returns the rows read and the rows written."""
    spec = TABLES[table]
    key = ", ".join(spec.primary_key)
    read = con.execute("SELECT count(*) FROM read_parquet($files, union_by_name=true, hive_partitioning=false)",
                       {"files": paths}).fetchall()[0][0]
    batches = con.sql(
        f"""SELECT * EXCLUDE (filename) FROM read_parquet($files, union_by_name=true, filename=true, hive_partitioning=false)
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY "{LATEST_BY[table]}" DESC NULLS LAST, filename DESC) = 1
        ORDER BY {key}""",
        params={"files": paths},
    ).to_arrow_reader(BATCH_ROWS)
    written = 0
    with pq.ParquetWriter(path, spec.schema, **PARQUET_OPTIONS) as writer:
        for batch in batches:
            rows = pa.Table.from_batches([batch])
            for f in spec.schema:  # a column added to the schema after every one of these files was written
                if f.name not in rows.column_names:
                    rows = rows.append_column(f.name, pa.nulls(rows.num_rows, f.type))
            writer.write_table(rows.select(spec.schema.names).cast(spec.schema))
            written += rows.num_rows
    if pq.read_metadata(path).num_rows != written:
        raise NewseventsError(f"staged file {path} does not hold the rows written")
    return read, written


def touched_months(con: duckdb.DuckDBPyConnection, data: DataDir, files: dict[tuple[str, str], list[str]]) -> set[date]:
    """Event months whose rollup can change: those of the mentions being merged and of the mentions of the articles being merged
    or of their originals (files by table and partition)."""
    def of(table: str) -> list[str]:
        return [f for (name, _), fs in files.items() if name == table for f in fs]

    mentions, articles = of("event_mentions"), of("articles")
    queries, params = [], {}
    if mentions:
        queries.append("SELECT event_date FROM read_parquet($mentions, union_by_name=true, hive_partitioning=false)")
        params["mentions"] = mentions
    if articles and data.has_files("event_mentions"):
        queries.append(f"""SELECT event_date FROM read_parquet('{data.table_glob("event_mentions")}', union_by_name=true, hive_partitioning=false)
            WHERE article_id IN (SELECT coalesce(duplicate_of, article_id)
                                 FROM read_parquet($articles, union_by_name=true, hive_partitioning=false))""")
        params["articles"] = articles
    if not queries:
        return set()
    rows = con.execute(f"SELECT DISTINCT date_trunc('month', event_date)::DATE FROM ({' UNION ALL '.join(queries)})", params).fetchall()
    return {r[0] for r in rows}
