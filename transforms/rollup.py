"""EVENT MENTIONS -> EVENTS: one row per distinct event, recomputed for the months a run touched."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from schemas.tables import TABLES, TIMESTAMP
from transforms.atomic import replace_json
from transforms.dates import LAST_MONTH
from transforms.load import DataDir, files_in, next_month, partition, replace_partitions
from transforms.tabulate import conform

ROLLUP_FILE = "part-rollup"
ROLLUP_VERSION = 2  # what the events count; 2: each exact duplicate of an article, as GDELT counts each document
# Events that happened, as GDELT records them (intents and threats have codes of their own): not those the reports deny or
# only suppose ("if X attacks Y").
HAPPENED = "NOT negated AND modality <> 'hypothetical'"
PRECISION_RANK = "CASE date_precision WHEN 'day' THEN 1 WHEN 'month' THEN 2 ELSE 3 END"
# Ties never depend on the order DuckDB reads rows in (which changes with the months a query covers and its threads):
# mode() takes the smallest of equally frequent values, and the coordinates are those of the first mention of the chosen
# place that has any.
FIRST_PLACED = "(location_lat IS NULL, ingested_at, article_id, sentence_index, event_mention_id)"
# The order in which the articles reported an event: by ingestion, an original before its duplicates ingested with it.
FIRST_REPORTED = "(ingested_at, is_duplicate, article_id, sentence_index)"
# Where a reader finds an article (articles a): its canonical web URL, else where it was read (file:// for a local file, even
# for a JSONL record that carries its web URL).
ARTICLE_LINK = "CASE WHEN regexp_matches(a.canonical_url, '^https?://', 'i') THEN a.canonical_url ELSE a.url END"
SOURCE = "coalesce(a.source_domain, a.source_name, 'local')"  # the source an article (a) counts for in num_sources


def documents_sql(articles_glob: str) -> str:
    """Every article once per `coded_id`, an article whose mentions it carries: itself, and for an exact duplicate (not
    coded again) also its original. Joined on coded_id, a mention counts once per document that carries it, as GDELT
    counts a wire story each site republishes."""
    return (f"SELECT unnest(CASE WHEN duplicate_of IS NULL THEN [article_id] ELSE [article_id, duplicate_of] END) AS coded_id, * "
            f"FROM read_parquet('{articles_glob}', union_by_name=true)")


def mentions_sql(mentions_glob: str) -> str:
    """The mentions of the months given as parameter $months (list of 'YYYY-MM'), with what the rollup needs of them."""
    return f"""
    SELECT * EXCLUDE (sentence_start_char, sentence_end_char, is_lead, trigger, trigger_start_char, trigger_end_char,
                      actor1_start_char, actor1_end_char, actor2_start_char, actor2_end_char, attribution,
                      attribution_code, confidence, coder_version, run_id)
    FROM read_parquet('{mentions_glob}', union_by_name=true)
    WHERE strftime(event_date, '%Y-%m') IN (SELECT unnest($months))
    """


def carriers_sql(articles_glob: str) -> str:
    """What the rollup needs of each article that carries the mentions of table `mentions` (by coded_id)."""
    return f"""
    SELECT a.coded_id, a.article_id, a.duplicate_of IS NOT NULL AS is_duplicate, {ARTICLE_LINK} AS article_url, a.tone,
           a.ingested_at, {SOURCE} AS source
    FROM ({documents_sql(articles_glob)}) a WHERE a.coded_id IN (SELECT article_id FROM mentions)
    """


# Groups the mentions (a table of `mentions_sql` rows) whose event date is in [$first, $next), each once per article that
# carries it (table `carriers`), into events; an event the month's stored events (table `previous`) hold keeps the time it
# was first seen, though the article that showed it was replaced.
EVENTS_SQL = f"""
    WITH m AS (SELECT mentions.* EXCLUDE (article_id), c.* EXCLUDE (coded_id),
                      row_number() OVER (PARTITION BY event_id, c.article_id ORDER BY sentence_index, event_mention_id) = 1
                         AS article_first  -- one mention per article: an article's tone counts once, however often it tells the event
               FROM mentions JOIN carriers c ON c.coded_id = mentions.article_id WHERE event_date >= $first AND event_date < $next),
    top_code AS (
        SELECT event_id, cameo_code, any_value(cameo_base) AS cameo_base, any_value(cameo_root) AS cameo_root,
               any_value(quad_class) AS quad_class, any_value(goldstein) AS goldstein,
               any_value(plover_type) AS plover_type, any_value(plover_mode) AS plover_mode,
               any_value(plover_context) AS plover_context
        FROM m GROUP BY event_id, cameo_code
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY count(*) DESC, cameo_code) = 1
    ),
    top_place AS (  -- the most frequent place, with its country and coordinates (not another place's)
        SELECT event_id, location_name, arg_min(location_country, {FIRST_PLACED}) AS location_country,
               arg_min(location_lat, {FIRST_PLACED}) AS location_lat, arg_min(location_lon, {FIRST_PLACED}) AS location_lon
        FROM m WHERE location_name IS NOT NULL GROUP BY event_id, location_name
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY count(*) DESC, location_name) = 1
    ),
    grouped AS (
        SELECT event_id,
               min(event_date) AS event_date,
               arg_min(date_precision, {PRECISION_RANK}) AS date_precision,
               any_value(actor1_code) AS actor1_code, any_value(actor1_country) AS actor1_country,
               any_value(actor1_sector) AS actor1_sector, mode(actor1_text ORDER BY actor1_text) AS actor1_name,
               any_value(actor2_code) AS actor2_code, any_value(actor2_country) AS actor2_country,
               any_value(actor2_sector) AS actor2_sector, mode(actor2_text ORDER BY actor2_text) AS actor2_name,
               mode(modality ORDER BY modality) AS modality,
               any_value(location_country) AS location_country,
               count(*)::INTEGER AS num_mentions,
               count(DISTINCT source)::INTEGER AS num_sources,
               count(DISTINCT article_id)::INTEGER AS num_articles,
               (avg(tone) FILTER (WHERE article_first))::FLOAT AS avg_tone,
               min(ingested_at) AS first_seen_at,
               arg_min(article_url, {FIRST_REPORTED}) AS first_source_url,
               arg_min(sentence, {FIRST_REPORTED}) AS first_sentence
        FROM m GROUP BY event_id
    )
    SELECT g.event_id, g.event_date, g.date_precision, t.cameo_code, t.cameo_base, t.cameo_root, t.quad_class,
           t.goldstein, t.plover_type, t.plover_mode, g.actor1_code, g.actor1_country, g.actor1_sector,
           g.actor1_name, g.actor2_code, g.actor2_country, g.actor2_sector, g.actor2_name, g.modality,
           g.modality = 'denied' AS negated, pl.location_name, coalesce(pl.location_country, g.location_country) AS location_country,
           pl.location_lat, pl.location_lon, g.num_mentions,
           g.num_sources, g.num_articles, g.avg_tone, least(g.first_seen_at, p.first_seen_at) AS first_seen_at,
           g.first_source_url, g.first_sentence, t.plover_context
    FROM grouped g JOIN top_code t USING (event_id) LEFT JOIN top_place pl USING (event_id) LEFT JOIN previous p USING (event_id)
    ORDER BY g.event_date, g.event_id
"""


def rollup(data: DataDir, months: set[date]) -> int:
    """Recompute the events of the given months (any day of each) from every mention in the lake."""
    if not months or not (data.has_files("event_mentions") and data.has_files("articles")):
        return 0
    # December 9999 has no next month to bound it: only a lake written before such dates were refused holds it
    keys = sorted({f"{m.year:04d}-{m.month:02d}" for m in months if m < LAST_MONTH})
    now, schema, events = datetime.now(UTC), TABLES["events"].schema, 0
    with data.connect() as con:  # one scan of the lake; then one month's groups in memory at a time, written before the next
        con.execute(f"CREATE TEMP TABLE mentions AS {mentions_sql(data.table_glob('event_mentions'))}", {"months": keys})
        con.execute(f"CREATE TEMP TABLE carriers AS {carriers_sql(data.table_glob('articles'))}")
        for key in keys:
            first = date.fromisoformat(f"{key}-01")
            remember_first_seen(con, files_in(data, "events", {partition(first)}))
            found = con.sql(EVENTS_SQL, params={"first": first, "next": next_month(first)})
            found = found.to_arrow_table()  # Arrow, not Python rows
            found = found.append_column("updated_at", pa.array([now] * found.num_rows, TIMESTAMP))
            events += replace_partitions(data, "events", ROLLUP_FILE, {partition(first): conform(found, schema, table="events")})
    return events


def remember_first_seen(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Table `previous`: when each event of these (a month's stored events) files was first seen."""
    source = "read_parquet($files, union_by_name=true)" if files else "(SELECT NULL::VARCHAR AS event_id, NULL::TIMESTAMPTZ AS first_seen_at)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE previous AS SELECT event_id, min(first_seen_at) AS first_seen_at FROM {source} "
                "WHERE event_id IS NOT NULL GROUP BY event_id", {"files": files} if files else None)


def months_of(mentions: list[dict]) -> set[date]:
    """The first day of each month the mentions' events fall in."""
    return {m["event_date"].replace(day=1) for m in mentions}


def months_of_articles(data: DataDir, replacing: Mapping[str, str | None]) -> set[date]:
    """The months of the stored event mentions of these articles (id -> partition of its rows, None when not known): their
    events change when the articles are replaced."""
    files = files_in(data, "event_mentions", set(replacing.values()))
    if not files:
        return set()
    with data.connect() as con:
        rows = con.execute(
            "SELECT DISTINCT CAST(date_trunc('month', event_date) AS DATE) FROM read_parquet($files, union_by_name=true) "
            "WHERE article_id IN (SELECT unnest($ids))", {"files": files, "ids": sorted(replacing)}).fetchall()
    return {r[0] for r in rows}


def months_of_copies(data: DataDir, articles: list[dict], replacing: Mapping[str, str | None],
                     partition_of: Mapping[str, str]) -> set[date]:
    """The months of the stored event mentions of the originals whose duplicates these articles add or whose stored duplicates
    are replaced (id -> partition, as for `months_of_articles`): their events count each copy. partition_of: where each
    stored article's rows are."""
    originals = {a["duplicate_of"] for a in articles if a["duplicate_of"]} | stored_originals(data, replacing)
    return months_of_articles(data, {o: partition_of[o] for o in originals if o in partition_of})


def stored_originals(data: DataDir, replacing: Mapping[str, str | None]) -> set[str]:
    """The originals of those of these articles (id -> partition of its rows) that are stored as duplicates."""
    files = files_in(data, "articles", set(replacing.values())) if replacing else []
    if not files:
        return set()
    with data.connect() as con:
        rows = con.execute("SELECT DISTINCT duplicate_of FROM read_parquet($files, union_by_name=true) "
                           "WHERE duplicate_of IS NOT NULL AND article_id IN (SELECT unnest($ids))",
                           {"files": files, "ids": sorted(replacing)}).fetchall()
    return {r[0] for r in rows}


def upgrade_events(data: DataDir) -> int:
    """Once per data directory made by an older rollup: recompute the months whose events it left without their
    duplicates' counts (found per event, which costs a scan of every mention's ids); returns the events recomputed."""
    if data.rollup_version.exists() and json.loads(data.rollup_version.read_text()) >= ROLLUP_VERSION:
        return 0
    events = rollup(data, drifted_months(data))
    replace_json(data.rollup_version, ROLLUP_VERSION)
    return events


def drifted_months(data: DataDir) -> set[date]:
    """The months of the events that exact duplicates report whose stored counts are not those their mentions give now
    (events rolled up before copies counted). Only those events are counted: memory grows with the copies."""
    if not (data.has_files("event_mentions") and data.has_files("articles")):
        return set()
    stored = (f"read_parquet('{data.table_glob('events')}', union_by_name=true)" if data.has_files("events") else
              "(SELECT NULL::VARCHAR AS event_id, NULL::DATE AS event_date, NULL::INTEGER AS num_mentions, "
              "NULL::INTEGER AS num_articles, NULL::INTEGER AS num_sources WHERE false)")
    mentions = f"read_parquet('{data.table_glob('event_mentions')}', union_by_name=true)"
    with data.connect() as con:
        rows = con.execute(f"""
            WITH copied AS (
                SELECT DISTINCT event_id FROM {mentions} WHERE article_id IN (
                    SELECT duplicate_of FROM read_parquet('{data.table_glob('articles')}', union_by_name=true))
            ), counted AS (
                SELECT em.event_id, any_value(date_trunc('month', em.event_date)::DATE) AS month, count(*) AS num_mentions,
                       count(DISTINCT a.article_id) AS num_articles,
                       count(DISTINCT {SOURCE}) AS num_sources
                FROM {mentions} em JOIN ({documents_sql(data.table_glob('articles'))}) a ON a.coded_id = em.article_id
                WHERE em.event_id IN (SELECT event_id FROM copied) GROUP BY em.event_id
            ), kept AS (
                SELECT event_id, date_trunc('month', event_date)::DATE AS month, num_mentions, num_articles, num_sources
                FROM {stored} WHERE event_id IN (SELECT event_id FROM copied)
            )
            SELECT DISTINCT coalesce(c.month, k.month) FROM counted c FULL JOIN kept k USING (event_id)
            WHERE (c.num_mentions, c.num_articles, c.num_sources) IS DISTINCT FROM (k.num_mentions, k.num_articles, k.num_sources)
        """).fetchall()
    return {r[0] for r in rows}
