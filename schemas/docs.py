"""docs/tables.md and docs/views.sql, generated from the table schemas."""

from __future__ import annotations

from pathlib import Path

from schemas.ddl import PARTITION_COLUMNS, all_views_sql, duckdb_type
from schemas.tables import TABLES, description
from transforms.errors import Reason

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"


def tables_markdown() -> str:
    """The reference of every table: grain, key, partitioning, columns, an example query; then the reason codes."""
    out = [
        "# Tables",
        "",
        "Generated from `schemas/tables.py` by `newsevents docs`; do not edit. Every table is",
        "hive-partitioned Parquet under `<data-dir>/lake/<table>/year=YYYY/month=MM/*.parquet` (ZSTD) and a",
        "view of the same name in `<data-dir>/newsevents.duckdb`. The views add the partition columns",
        f"{', '.join(f'`{p}`' for p in PARTITION_COLUMNS)} (INTEGER). Codes are strings; timestamps are UTC.",
        "A column added in a later version reads as NULL in the rows of files written before it: while such files",
        "exist, the views match columns by name (`union_by_name`, which binds each query from every file's footer).",
        "",
    ]
    for t in TABLES.values():
        out += [
            f"## {t.name}",
            "",
            f"One row per {t.grain.removeprefix('one row per ')}. Primary key: {', '.join(f'`{k}`' for k in t.primary_key)}. "
            f"Partitioned by the year and month of `{t.partition_by}`.",
            "",
            "| column | type | required | description |",
            "|---|---|---|---|",
        ]
        out += [f"| `{f.name}` | {duckdb_type(f.type)} | {'yes' if not f.nullable else ''} | {description(f)} |" for f in t.schema]
        out += ["", "```sql", t.example_sql, "```", ""]
    out += ["## Reason codes", "", "The closed set of `quarantine.reason` values.", "", "| reason | meaning |", "|---|---|"]
    out += [f"| `{r.value}` | {r.description} |" for r in Reason]
    return "\n".join(out) + "\n"


def generated_files() -> dict[Path, str]:
    """Each generated file with the content it must have."""
    return {DOCS_DIR / "tables.md": tables_markdown(), DOCS_DIR / "views.sql": all_views_sql("data/lake")}


def write_docs() -> list[Path]:
    """Write every generated file; returns their paths."""
    files = generated_files()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)
