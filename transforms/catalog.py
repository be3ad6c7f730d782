"""LAKE -> DUCKDB: the catalog of views over the Parquet lake, and queries through it.

Views hold absolute paths (URLs for a lake on object storage), so any DuckDB client that opens
the catalog file sees the tables whatever its working directory; newsevents' own connections
register the lake's fsspec file system. The catalog records the lake location it was made for;
when the data directory has moved or was pointed at another lake, the next command rewrites the views.
The catalog file can be held by one process that writes it or by many that only read it, so a command that finds it
held the other way reads through views of its own, and a run that cannot refresh it says so and ends well all the same.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

from schemas.ddl import quote_literal, typed_null, view_sql
from schemas.tables import TABLES
from transforms.errors import NewseventsError, first_line
from transforms.lake import Lake
from transforms.load import DataDir

META_TABLE = "newsevents_catalog"
QUERY_ATTEMPTS = 5  # a query that lists files a writer then removes is rarely unlucky twice (3 % of reads once, under heavy churn)
COMMIT_WAIT_SECONDS, COMMIT_POLL_SECONDS = 1.0, 0.01  # a local commit takes milliseconds
# a commit to object storage takes a request per file it uploads or removes (seconds for a compaction of many months)
REMOTE_COMMIT_WAIT_SECONDS, REMOTE_COMMIT_POLL_SECONDS = 30.0, 0.1
CUT_NOTED: set[tuple[str, int]] = set()  # (lake, count) of the cut commits this process has told of
T = TypeVar("T")


class CatalogBusy(NewseventsError):
    """Another process has the catalog file open (a reader, while its views need rewriting; a writer, while they are rewritten)."""


def refresh(data: DataDir) -> None:
    """(Re)create one view per table over the lake's current files."""
    data.root.mkdir(parents=True, exist_ok=True)
    with open_file(data, read_only=False) as con:
        make_views(con, data)


def make_views(con: duckdb.DuckDBPyConnection, data: DataDir) -> None:
    """The views of `create_views`, made again when a commit overlapped them (they read the files' columns)."""
    consistent(data, lambda: create_views(con, data))


def create_views(con: duckdb.DuckDBPyConnection, data: DataDir) -> None:
    """One view per table over the lake's current files in this database, and the record of what they were made for."""
    empty = []
    for name in TABLES:
        glob, has_files = data.table_glob(name), data.has_files(name)
        missing, uneven = column_presence(con, name, glob) if has_files else ((), False)
        con.execute(view_sql(name, glob, has_files=has_files, missing=missing, by_name=uneven))
        empty += [] if has_files else [name]
    con.execute(f"CREATE OR REPLACE TABLE {META_TABLE} (lake_path VARCHAR, refreshed_at TIMESTAMPTZ, empty_tables VARCHAR[])")
    con.execute(f"INSERT INTO {META_TABLE} VALUES (?, now(), ?)", [data.lake.url(), empty])


def column_presence(con: duckdb.DuckDBPyConnection, table: str, glob: str) -> tuple[tuple[str, ...], bool]:
    """The schema's columns that no file of the table has (files written before a column was added), and whether
    some file lacks a column that another has, read from the files' footers."""
    rows = con.execute(f"SELECT list(name) FROM parquet_schema({quote_literal(glob)}) GROUP BY file_name").fetchall()
    per_file = [set(row[0]) for row in rows]
    present = set().union(*per_file)
    columns = [f.name for f in TABLES[table].schema if f.name in present]
    missing = tuple(f.name for f in TABLES[table].schema if f.name not in present)
    return missing, any(c not in names for names in per_file for c in columns)


def stored_columns(con: duckdb.DuckDBPyConnection, table: str, glob: str, columns: tuple[str, ...]) -> str:
    """A SELECT list of these columns of the table's files, each column that no file has yet read as a typed NULL."""
    missing, _ = column_presence(con, table, glob)
    return ", ".join(typed_null(TABLES[table].schema.field(c)) if c in missing else f'"{c}"' for c in columns)


def current(con: duckdb.DuckDBPyConnection, data: DataDir) -> bool:
    """True when the open catalog records this lake's location, and no table it found empty has files now (another
    data directory writes the lake this one reads, or a table got its first rows without a refresh)."""
    try:
        row = con.execute(f"SELECT lake_path, empty_tables FROM {META_TABLE}").fetchone()
    except duckdb.Error:
        return False
    return row is not None and row[0] == data.lake.url() and not any(data.has_files(name) for name in row[1])


def connect(data: DataDir) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog, refreshed first when missing, made for another location, or holding an
    empty view of a table that has files now; when another process has the catalog open so that it cannot be read or
    refreshed, a connection of its own with the same views.

    It keeps the Parquet footers it reads (DuckDB checks a kept footer against the file before using it), so a
    session of several queries reads and parses each lake file's footer once rather than once per query."""
    try:
        con = catalog_connection(data)
    except CatalogBusy:
        con = data.connect()
        make_views(con, data)
    con.execute("SET parquet_metadata_cache = true")
    return con


def catalog_connection(data: DataDir) -> duckdb.DuckDBPyConnection:
    """The catalog opened read-only, refreshed first when it is not current."""
    con = open_file(data, read_only=True) if data.catalog.exists() else None
    if con is None or not current(con, data):
        if con is not None:
            con.close()
        refresh(data)
        con = open_file(data, read_only=True)
    return con


def open_file(data: DataDir, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The catalog file opened; a file DuckDB cannot open is a one-line error, CatalogBusy when another process holds it."""
    try:
        return data.connect(str(data.catalog), read_only=read_only)
    except duckdb.Error as e:
        if held := re.search(r"Could not set lock on file.*?\(PID (\d+)\)", str(e)):
            raise CatalogBusy(f"the catalog {data.catalog} is open in another process (pid {held[1]})") from e
        raise NewseventsError(f"cannot open the catalog {data.catalog}: {e}") from e


def query(data: DataDir, sql: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of a query against the views, from the lake before or after any commit (`consistent`); a bad
    query is a one-line error."""
    with connect(data) as con:
        try:
            return consistent(data, lambda: answer(con, sql))
        except duckdb.Error as e:
            raise NewseventsError(f"query failed: {first_line(e)}") from e


def answer(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one query."""
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description or []], cursor.fetchall()


def consistent(data: DataDir, ask: Callable[[], T]) -> T:
    """What `ask` (queries against the lake) returns, asked again while a commit to the lake overlapped it or it opened
    a lake file removed since it listed it (a run or a compaction at work meanwhile), at most QUERY_ATTEMPTS times in all
    (the last answer is given as it is). An error while a commit overlapped it is asked again too: a file rewritten under
    its name (the events rollup) fails a read begun before, on object storage (s3fs checks its ETag)."""
    attempts = 1
    while True:
        before = settled(data.lake)
        try:
            got = ask()
        except duckdb.Error as e:
            if attempts == QUERY_ATTEMPTS or not (file_gone(e) or data.lake.commits() != before):
                raise
        else:
            if attempts == QUERY_ATTEMPTS or data.lake.commits() == before:
                return got
        attempts += 1


def settled(lake: Lake) -> int:
    """The lake's commit count once no commit is at work, waiting up to COMMIT_WAIT_SECONDS (REMOTE_COMMIT_WAIT_SECONDS on
    object storage) for one to end; at once, with a note, when the writer's lease that the count names is gone (a commit
    cut by a crash stays as it is until the next command that writes finishes it)."""
    wait, poll = (COMMIT_WAIT_SECONDS, COMMIT_POLL_SECONDS) if lake.local else (REMOTE_COMMIT_WAIT_SECONDS, REMOTE_COMMIT_POLL_SECONDS)
    deadline = time.monotonic() + wait
    while (state := lake.commit_state())[0] % 2 and time.monotonic() < deadline:
        if lake.writer_gone(state[1]):
            note_cut(lake, state[0])
            break
        time.sleep(poll)
    return state[0]


def note_cut(lake: Lake, count: int) -> None:
    """Say once per process that a lake's last commit was cut, and that the answers come from the lake as it left it."""
    if (lake.url(), count) not in CUT_NOTED:
        CUT_NOTED.add((lake.url(), count))
        print(f"newsevents: note: the last commit to {lake.url()} was cut (its writer stopped); answering from the lake as "
              "it was left, which the next command that writes there finishes", file=sys.stderr)


def file_gone(error: duckdb.Error) -> bool:
    """True when DuckDB could not open a file it had listed: a local file's 'No such file', an fsspec FileNotFoundError."""
    return isinstance(error, duckdb.IOException) and any(hint in str(error) for hint in ("No such file", "FileNotFoundError"))
