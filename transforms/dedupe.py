"""ARTICLES -> NEW ARTICLES + DUPLICATES: skip what the lake holds unchanged, mark exact duplicates of earlier text.

An original that comes back with other text no longer stands for its old text: its duplicates are orphaned, to be
read again from the raw store and deduped anew (the first of them, in this order, becomes the original).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from schemas.tables import TABLES
from transforms.catalog import stored_columns
from transforms.errors import PERMANENT, Reason, Rejection
from transforms.load import DataDir
from transforms.rawstore import REREAD_COLUMNS

DUPLICATE_COLUMNS = (*REREAD_COLUMNS, "duplicate_of")  # what a duplicate needs to be read again when its original changes
ARTICLE_COLUMNS = tuple(TABLES["articles"].schema.names)  # what rebuilds a duplicate whose raw bytes are gone
QUARANTINE_COLUMNS = ("quarantine_id", "reason", "url", "pipeline_version")  # what tells the inputs refused for good


@dataclass
class Seen:
    """What the lake (and this run so far) already holds."""

    raw_by_article: dict[str, str | None] = field(default_factory=dict)  # article_id -> raw_sha256 (None: reprocess it)
    text_by_article: dict[str, str] = field(default_factory=dict)  # article_id -> text_sha256
    first_by_text: dict[str, str] = field(default_factory=dict)  # text_sha256 -> article_id of the original
    duplicates: dict[str, dict] = field(default_factory=dict)  # article_id -> DUPLICATE_COLUMNS of a duplicate's row
    duplicates_of: dict[str, dict[str, None]] = field(default_factory=dict)  # original -> its duplicates' ids, in order
    orphaned: dict[str, dict] = field(default_factory=dict)  # article_id -> row of a duplicate to read again (stale)
    urls: set[str] = field(default_factory=set)  # URLs and canonical URLs of stored web articles: not fetched again
    partition_of: dict[str, str] = field(default_factory=dict)  # article_id -> the lake partition of its rows (year=YYYY/month=MM)
    quarantine_ids: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # URLs the current pipeline version refused for good: not fetched again
    this_run: dict[str, str] = field(default_factory=dict)  # article_id -> where this run read it first


@dataclass
class Deduped:
    """One batch split: new articles, duplicates of earlier text, ids stored unchanged, and ids whose rows are replaced."""

    new: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, other: Deduped) -> None:
        """Take in the split of more articles of the same batch."""
        for part in fields(self):
            getattr(self, part.name).extend(getattr(other, part.name))


def load_seen(data: DataDir, *, stale: Iterable[str] = (), version: str | None = None) -> Seen:
    """Ids, raw and text hashes and URLs of the articles in the lake, the quarantine ids and the URLs that pipeline `version`
    refused for good; `stale` ids are to be redone."""
    seen = Seen()
    with data.connect() as con:
        if data.has_files("articles"):
            rows = con.execute(
                f"SELECT article_id, raw_sha256, text_sha256, duplicate_of, url, canonical_url, "
                f"regexp_extract(filename, '(year=[0-9]+/month=[0-9]+)/[^/]*$', 1) "
                f"FROM read_parquet('{data.table_glob('articles')}', union_by_name=true, filename=true) ORDER BY ingested_at, article_id"
            ).fetchall()
            for article_id, raw_sha, text_sha, duplicate_of, url, canonical, stored_in in rows:
                seen.partition_of[article_id] = stored_in
                seen.raw_by_article[article_id] = raw_sha
                seen.text_by_article[article_id] = text_sha
                seen.urls.update(u for u in (url, canonical) if u and u.startswith(("http://", "https://")))
                if duplicate_of is None:
                    seen.first_by_text.setdefault(text_sha, article_id)
            glob = data.table_glob("articles")
            for row in con.sql(
                    f"SELECT {stored_columns(con, 'articles', glob, DUPLICATE_COLUMNS)} FROM read_parquet('{glob}', union_by_name=true) "
                    "WHERE duplicate_of IS NOT NULL ORDER BY ingested_at, article_id").to_arrow_table().to_pylist():
                add_duplicate(seen, row)
        if data.has_files("quarantine"):
            glob = data.table_glob("quarantine")
            for quarantine_id, refused in con.execute(
                    f"SELECT quarantine_id, CASE WHEN list_contains($permanent, reason) AND pipeline_version = $version THEN url END "
                    f"FROM (SELECT {stored_columns(con, 'quarantine', glob, QUARANTINE_COLUMNS)} "
                    f"FROM read_parquet('{glob}', union_by_name=true))",
                    {"permanent": sorted(PERMANENT), "version": version}).fetchall():
                seen.quarantine_ids.add(quarantine_id)
                if refused:
                    seen.refused.add(refused)
    for article_id in stale:
        seen.raw_by_article[article_id] = None
    return seen


def stored_articles(data: DataDir, ids: list[str]) -> list[dict]:
    """The stored rows of these articles, every column (null where no file has a column yet)."""
    if not ids:
        return []
    glob = data.table_glob("articles")
    with data.connect() as con:
        return con.sql(f"SELECT {stored_columns(con, 'articles', glob, ARTICLE_COLUMNS)} FROM read_parquet('{glob}', "
                       "union_by_name=true) WHERE article_id IN (SELECT unnest($ids::VARCHAR[]))",
                       params={"ids": ids}).to_arrow_table().to_pylist()


def dedupe(articles: list[dict], seen: Seen) -> Deduped:
    """Split articles, in input order: stored with the same raw bytes (unchanged), new text, or a duplicate of earlier text.

    An article stored before with other raw bytes (the page changed) or marked stale is processed again and replaces its rows;
    when it was an original and its text changed, its duplicates go to `seen.orphaned`. A second version of an article in
    one run is rejected (SAME_ARTICLE).
    """
    out = Deduped()
    for article in articles:
        article_id = article["article_id"]
        if article_id in seen.this_run and seen.raw_by_article[article_id] not in (None, article["raw_sha256"]):
            out.rejections.append(same_article(article, seen.this_run[article_id]))
            continue
        seen.this_run.setdefault(article_id, article["url"])
        if article_id in seen.raw_by_article:
            if seen.raw_by_article[article_id] == article["raw_sha256"]:
                out.unchanged.append(article_id)
                continue
            out.replaced.append(article_id)
            orphan_duplicates(seen, article_id, article["text_sha256"])
        seen.raw_by_article[article_id] = article["raw_sha256"]
        seen.text_by_article[article_id] = article["text_sha256"]
        original = seen.first_by_text.get(article["text_sha256"])
        if original is None or original == article_id:
            seen.first_by_text[article["text_sha256"]] = article_id
            out.new.append({**article, "duplicate_of": None})
        else:
            out.duplicates.append({**article, "duplicate_of": original})
            add_duplicate(seen, {column: out.duplicates[-1][column] for column in DUPLICATE_COLUMNS})
    return out


def same_article(article: dict, first: str) -> Rejection:
    """The rejection of a second version of an article in one run (the first is kept, so that re-runs keep it too)."""
    return Rejection(stage="dedupe", reason=Reason.SAME_ARTICLE, url=article["url"],
                     detail=f"the same article ({article['canonical_url']}) as {first}, read first in this run with other bytes")


def refused_copies(duplicates: list[dict], refused: dict[str, Rejection]) -> dict[str, Rejection]:
    """The rejections of the duplicates whose original was refused (its analysis failed): they have its text, so they share
    its fate rather than point at an article that is not stored."""
    return {copy["article_id"]: Rejection(stage=original.stage, reason=original.reason, url=copy["url"],
                                          detail=f"an exact copy of {original.url}, which was refused: {original.detail}"[:300])
            for copy in duplicates if (original := refused.get(copy["duplicate_of"])) is not None}


def add_duplicate(seen: Seen, row: dict) -> None:
    """Remember a duplicate's row, under its original."""
    seen.duplicates[row["article_id"]] = row
    seen.duplicates_of.setdefault(row["duplicate_of"], {})[row["article_id"]] = None


def orphan_duplicates(seen: Seen, article_id: str, text_sha: str) -> None:
    """Before a stored article's new version is deduped: when it was the original of other text, orphan its duplicates."""
    if (was := seen.duplicates.pop(article_id, None)) is not None:
        seen.duplicates_of[was["duplicate_of"]].pop(article_id)
    seen.orphaned.pop(article_id, None)  # its new version is processed now: not read again
    old = seen.text_by_article[article_id]
    if old == text_sha or seen.first_by_text.get(old) != article_id:
        return
    del seen.first_by_text[old]
    for duplicate_id in seen.duplicates_of.pop(article_id, {}):
        seen.raw_by_article[duplicate_id] = None  # stale: its unchanged raw bytes are processed again
        seen.orphaned[duplicate_id] = seen.duplicates.pop(duplicate_id)


def new_quarantine_rows(rows: list[dict], seen: Seen) -> list[dict]:
    """Quarantine rows not stored before (the same rejection is stored once)."""
    fresh = []
    for row in rows:
        if row["quarantine_id"] not in seen.quarantine_ids:
            seen.quarantine_ids.add(row["quarantine_id"])
            fresh.append(row)
    return fresh
