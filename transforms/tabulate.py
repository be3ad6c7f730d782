"""ROWS -> ARROW: build a table from dict rows (or conform a query's Arrow result), refusing what does not match the schema."""

from __future__ import annotations

import pyarrow as pa

from transforms.errors import NewseventsError


class SchemaMismatch(NewseventsError):
    """Rows that do not fit a table's schema: a bug, so the run stops before anything is written."""


def to_table(rows: list[dict], schema: pa.Schema, *, table: str) -> pa.Table:
    """An Arrow table of the rows; unknown keys, missing keys and nulls in required fields raise."""
    expected = set(schema.names)
    for i, row in enumerate(rows):
        keys = set(row)
        if keys != expected:
            extra, missing = sorted(keys - expected), sorted(expected - keys)
            raise SchemaMismatch(f"{table} row {i}: unknown fields {extra}, missing fields {missing}")
    try:
        built = pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
        raise SchemaMismatch(f"{table}: {e}") from e
    check_required(built, schema, table=table)
    return built


def check_required(found: pa.Table, schema: pa.Schema, *, table: str) -> None:
    """Raise if a required (non-nullable) field of the schema holds a null."""
    for f in schema:
        if not f.nullable and found[f.name].null_count:
            raise SchemaMismatch(f"{table}: required field {f.name!r} is null")


def conform(found: pa.Table, schema: pa.Schema, *, table: str) -> pa.Table:
    """An Arrow result (a query's) in the table's schema: the same columns, required fields filled, types cast."""
    if set(found.column_names) != set(schema.names):
        extra, missing = sorted(set(found.column_names) - set(schema.names)), sorted(set(schema.names) - set(found.column_names))
        raise SchemaMismatch(f"{table}: unknown fields {extra}, missing fields {missing}")
    check_required(found, schema, table=table)
    try:
        return found.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        raise SchemaMismatch(f"{table}: {e}") from e
