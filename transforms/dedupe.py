"""ARTICLES -> NEW ARTICLES + DUPLICATES: drop what the lake has, mark exact duplicates of earlier text."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from transforms.load import DataDir


@dataclass
class Seen:
    """What the lake (and this run so far) already holds."""

    article_ids: set[str] = field(default_factory=set)
    first_by_text: dict[str, str] = field(default_factory=dict)  # text_sha256 -> article_id of the original
    quarantine_ids: set[str] = field(default_factory=set)


@dataclass
class Deduped:
    """One batch split three ways; `unchanged` are article ids already in the lake."""

    new: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def load_seen(data: DataDir) -> Seen:
    """Ids and text hashes of the articles in the lake, and the quarantine ids."""
    seen = Seen()
    if data.has_files("articles"):
        rows = duckdb.sql(
            f"SELECT article_id, text_sha256, duplicate_of FROM read_parquet('{data.table_glob('articles')}') "
            "ORDER BY ingested_at, article_id"
        ).fetchall()
        for article_id, text_sha, duplicate_of in rows:
            seen.article_ids.add(article_id)
            if duplicate_of is None:
                seen.first_by_text.setdefault(text_sha, article_id)
    if data.has_files("quarantine"):
        seen.quarantine_ids = {r[0] for r in duckdb.sql(f"SELECT quarantine_id FROM read_parquet('{data.table_glob('quarantine')}')").fetchall()}
    return seen


def dedupe(articles: list[dict], seen: Seen) -> Deduped:
    """Split articles, in input order, into new ones, duplicates of earlier text, and ones already stored."""
    out = Deduped()
    for article in articles:
        article_id = article["article_id"]
        if article_id in seen.article_ids:
            out.unchanged.append(article_id)
            continue
        seen.article_ids.add(article_id)
        original = seen.first_by_text.get(article["text_sha256"])
        if original is None:
            seen.first_by_text[article["text_sha256"]] = article_id
            out.new.append({**article, "duplicate_of": None})
        else:
            out.duplicates.append({**article, "duplicate_of": original})
    return out


def new_quarantine_rows(rows: list[dict], seen: Seen) -> list[dict]:
    """Quarantine rows not stored before (the same rejection is stored once)."""
    fresh = []
    for row in rows:
        if row["quarantine_id"] not in seen.quarantine_ids:
            seen.quarantine_ids.add(row["quarantine_id"])
            fresh.append(row)
    return fresh
