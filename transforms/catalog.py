"""LAKE -> DUCKDB: the catalog of views over the Parquet lake, and queries through it.

Views hold absolute paths (URLs for a lake on object storage), so any DuckDB client that opens
the catalog file sees the tables whatever its working directory; newsevents' own connections
register the lake's fsspec file system. The catalog records the lake location it was made for;
when the data directory has moved or was pointed at another lake, the next command rewrites the views.
"""

from __future__ import annotations

import duckdb

from schemas.ddl import lake_source, typed_null, view_sql
from schemas.tables import TABLES
from transforms.errors import NewseventsError, first_line
from transforms.load import DataDir

META_TABLE = "newsevents_catalog"


def refresh(data: DataDir) -> None:
    """(Re)create one view per table over the lake's current files."""
    data.root.mkdir(parents=True, exist_ok=True)
    try:
        con = data.connect(str(data.catalog))
    except duckdb.Error as e:
        raise NewseventsError(f"cannot open the catalog {data.catalog}: {e}") from e
    with con:
        empty = []
        for name in TABLES:
            glob, has_files = data.table_glob(name), data.has_files(name)
            missing = columns_missing(con, name, glob) if has_files else ()
            con.execute(view_sql(name, glob, has_files=has_files, missing=missing))
            empty += [] if has_files else [name]
        con.execute(f"CREATE OR REPLACE TABLE {META_TABLE} (lake_path VARCHAR, refreshed_at TIMESTAMPTZ, empty_tables VARCHAR[])")
        con.execute(f"INSERT INTO {META_TABLE} VALUES (?, now(), ?)", [data.lake.url(), empty])


def columns_missing(con: duckdb.DuckDBPyConnection, table: str, glob: str) -> tuple[str, ...]:
    """The schema's columns that no file of the table has (files written before a column was added)."""
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {lake_source(glob)}").fetchall()}
    return tuple(f.name for f in TABLES[table].schema if f.name not in present)


def stored_columns(con: duckdb.DuckDBPyConnection, table: str, glob: str, columns: tuple[str, ...]) -> str:
    """A SELECT list of these columns of the table's files, each column that no file has yet read as a typed NULL."""
    missing = columns_missing(con, table, glob)
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
    empty view of a table that has files now.

    It keeps the Parquet footers it reads (DuckDB checks a kept footer against the file before using it), so a
    session of several queries reads and parses each lake file's footer once rather than once per query."""
    con = open_catalog(data) if data.catalog.exists() else None
    if con is None or not current(con, data):
        if con is not None:
            con.close()
        refresh(data)
        con = open_catalog(data)
    con.execute("SET parquet_metadata_cache = true")
    return con


def open_catalog(data: DataDir) -> duckdb.DuckDBPyConnection:
    """The catalog file opened read-only; a file DuckDB cannot open is a one-line error."""
    try:
        return data.connect(str(data.catalog), read_only=True)
    except duckdb.Error as e:
        raise NewseventsError(f"cannot open the catalog {data.catalog}: {e}") from e


def query(data: DataDir, sql: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of a query against the views; a bad query is a one-line error."""
    with connect(data) as con:
        try:
            cursor = con.execute(sql)
        except duckdb.Error as e:
            raise NewseventsError(f"query failed: {first_line(e)}") from e
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
