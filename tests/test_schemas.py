"""The table contract: descriptions everywhere, generated docs up to date, changes visible as a diff."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from schemas.docs import generated_files
from schemas.tables import TABLES, description

GOLDEN = Path(__file__).parent / "golden" / "schemas.txt"
REQUIRED_COLUMNS = {
    "event_mentions": ["cameo_code", "cameo_root", "quad_class", "goldstein", "plover_type", "actor1_code", "actor1_country",
                       "actor2_code", "actor2_country", "modality", "negated", "event_date"],
    "events": ["cameo_code", "cameo_root", "quad_class", "goldstein", "plover_type", "actor1_code", "actor1_country",
               "actor2_code", "actor2_country", "modality", "negated", "event_date"],
    "entities": ["start_char", "end_char", "label", "text", "country_code"],
}


def schema_dump() -> str:
    return "\n".join(f"{name}.{f.name}: {f.type}{'' if f.nullable else ' not null'}"
                     for name, t in TABLES.items() for f in t.schema) + "\n"


def test_every_field_has_a_description():
    missing = [f"{name}.{f.name}" for name, t in TABLES.items() for f in t.schema if not description(f).strip()]
    assert missing == []


def test_columns_users_rely_on_exist():
    for table, columns in REQUIRED_COLUMNS.items():
        assert set(columns) <= set(TABLES[table].schema.names), table


def test_codes_are_strings():
    for name in ("cameo_code", "cameo_base", "cameo_root", "plover_type"):
        assert TABLES["event_mentions"].schema.field(name).type == pa.string()


def test_primary_keys_are_required_fields():
    for t in TABLES.values():
        for key in t.primary_key:
            assert not t.schema.field(key).nullable, f"{t.name}.{key}"


def test_generated_docs_are_up_to_date():
    stale = [str(path) for path, text in generated_files().items() if not path.exists() or path.read_text() != text]
    assert stale == [], "run `newsevents docs` and commit the result"


def test_schema_matches_the_golden_dump():
    assert GOLDEN.read_text() == schema_dump(), "schema changed: review, then update tests/golden/schemas.txt"
