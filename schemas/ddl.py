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


def view_sql(table: str, glob: str, *, has_files: bool, missing: tuple[str, ...] = ()) -> str:
    """CREATE VIEW over the table's Parquet glob, or a typed empty view while it has no files. Columns `missing` from
    every file (added to the schema after the files were written) are typed NULLs."""
    schema = TABLES[table].schema
    if has_files:
        hive_types = ", ".join(f"'{p}': INTEGER" for p in PARTITION_COLUMNS)
        added = "".join(f', CAST(NULL AS {duckdb_type(schema.field(name).type)}) AS "{name}"' for name in missing)
        body = (f"SELECT *{added} FROM read_parquet({quote_literal(glob)}, hive_partitioning = true, "
                f"hive_types = {{{hive_types}}}, union_by_name = true)")
    else:
        columns = ", ".join(f'CAST(NULL AS {duckdb_type(f.type)}) AS "{f.name}"' for f in schema)
        parts = ", ".join(f'CAST(NULL AS INTEGER) AS "{p}"' for p in PARTITION_COLUMNS)
        body = f"SELECT {columns}, {parts} WHERE false"
    return f'CREATE OR REPLACE VIEW "{table}" AS {body};'


def all_views_sql(lake: str) -> str:
    """The DDL of every view over a lake folder, as written to docs/views.sql."""
    header = "-- Generated from schemas/tables.py by `newsevents docs`; do not edit.\n"
    views = [view_sql(name, f"{lake}/{name}/year=*/month=*/*.parquet", has_files=True) for name in TABLES]
    return header + "\n\n".join(views) + "\n"
