"""ROWS -> ARROW: build a table from dict rows, refusing rows that do not match the schema exactly."""

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
    for f in schema:
        if not f.nullable and any(row[f.name] is None for row in rows):
            raise SchemaMismatch(f"{table}: required field {f.name!r} is null")
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
        raise SchemaMismatch(f"{table}: {e}") from e
