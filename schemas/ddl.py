"""DuckDB view DDL generated from the table schemas."""

from __future__ import annotations

import pyarrow as pa

from schemas.tables import TABLES

PARTITION_COLUMNS = ("year", "month")


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB SQL type of an Arrow type used in the schemas."""
    if pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}[t.bit_width]
    if pa.types.is_float32(t):
        return "FLOAT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP WITH TIME ZONE" if t.tz else "TIMESTAMP"
    if pa.types.is_list(t):
        return f"{duckdb_type(t.value_type)}[]"
    if pa.types.is_map(t):
        return f"MAP({duckdb_type(t.key_type)}, {duckdb_type(t.item_type)})"
    raise TypeError(f"no DuckDB type for {t}")


def quote_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def lake_source(glob: str, *, by_name: bool = True) -> str:
    """The read_parquet call a view reads a table's files with; `by_name` matches columns by name across files that
    hold different columns (DuckDB then reads every file's footer to bind each query)."""
    hive_types = ", ".join(f"'{p}': INTEGER" for p in PARTITION_COLUMNS)
    union = ", union_by_name = true" * by_name
    return f"read_parquet({quote_literal(glob)}, hive_partitioning = true, hive_types = {{{hive_types}}}{union})"


def view_sql(table: str, glob: str, *, has_files: bool, missing: tuple[str, ...] = (), by_name: bool = True) -> str:
    """CREATE VIEW over the table's Parquet glob, or a typed empty view while it has no files: the schema's columns in
    its order, then the partition columns, whatever order the files hold them in. Columns `missing` from every file
    (added to the schema after the files were written) are typed NULLs; `by_name` is needed while some files lack
    a column that others hold."""
    schema = TABLES[table].schema
    columns = [typed_null(f) if f.name in missing or not has_files else f'"{f.name}"' for f in schema]
    if has_files:
        columns += [f'"{p}"' for p in PARTITION_COLUMNS]
        source = f"FROM {lake_source(glob, by_name=by_name)}"
    else:
        columns += [f'CAST(NULL AS INTEGER) AS "{p}"' for p in PARTITION_COLUMNS]
        source = "WHERE false"
    return f'CREATE OR REPLACE VIEW "{table}" AS\n  SELECT {wrapped(columns)}\n  {source};'


def wrapped(items: list[str], width: int = 100) -> str:
    """Comma-separated items over lines of about `width` characters, continued under the first."""
    lines = [""]
    for item in items:
        if lines[-1] and len(lines[-1]) + len(item) > width:
            lines[-1] += ","
            lines.append(item)
        else:
            lines[-1] += f", {item}" if lines[-1] else item
    return "\n         ".join(lines)


def typed_null(f: pa.Field) -> str:
    """A NULL of the column's type under its name."""
    return f'CAST(NULL AS {duckdb_type(f.type)}) AS "{f.name}"'


def all_views_sql(lake: str) -> str:
    """The DDL of every view over a lake folder, as written to docs/views.sql."""
    header = ("-- Generated from schemas/tables.py by `newsevents docs`; do not edit.\n"
              "-- The views over a lake every table of which has files, from the folder that holds data/ (DuckDB refuses a\n"
              "-- glob that matches no file). data/newsevents.duckdb holds them ready, with absolute paths, a table with no\n"
              "-- file yet (fetches, after a run of local files only) as an empty view of its columns: open that instead.\n")
    views = [view_sql(name, f"{lake}/{name}/year=*/month=*/*.parquet", has_files=True) for name in TABLES]
    return header + "\n\n".join(views) + "\n"
