"""Analyst queries through the catalog's views over the lake, against the same query on one Parquet file per table.

Builds once (cached under bench/.cache/query/) a synthetic installation with the real table schemas:
`articles` (rows / 10), `event_mentions` (--rows, default 10 million) and `events` (their rollup), with
news-like skew: Zipf-like countries, domains and dyads, CAMEO roots weighted like news (many 01/04/05,
few 18-20), two years of dates. Each table is written once as a compacted single file (one row group
per month) and once as the lake (`lake/<table>/year=YYYY/month=MM/part-*.parquet`, --files-per-month
files per partition, written by transforms.load.write_parquet), whose views transforms.catalog makes.

    uv run python bench/query.py [--rows N] [--files-per-month F ...] [--repeat N] [--threads T] [--no-metadata-cache]

Prints per query and layout: median seconds through the views, on the single files, and their ratio
(target <= 1.2). The two answers are compared, so a view that reads the wrong files fails loudly.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from schemas.ddl import duckdb_type
from schemas.tables import TABLES
from transforms import catalog
from transforms.cameo import cameo_table
from transforms.load import PARQUET_OPTIONS, DataDir, write_parquet
from transforms.reference import country_names

CACHE = Path(__file__).resolve().parent / ".cache" / "query"
GENERATOR_VERSION = 2
TABLE_NAMES = ("articles", "event_mentions", "events")
FIRST_DAY = date(2024, 1, 1)
DAYS = 731  # two years
MENTIONS_PER_ARTICLE = 10
MENTIONS_PER_EVENT = 3  # sizes the daily pool of events; the skew within it decides the final ratio

# Countries in rough order of how often the news names them (the rest of ISO 3166 follows in code order).
NEWS_COUNTRIES = ("USA", "CHN", "RUS", "UKR", "ISR", "GBR", "IRN", "FRA", "DEU", "IND", "TUR", "PSE", "JPN", "KOR",
                  "PRK", "SYR", "PAK", "AFG", "IRQ", "SAU", "EGY", "CAN", "AUS", "BRA", "MEX", "ITA", "ESP", "POL",
                  "LBN", "YEM", "SDN", "NGA", "ZAF", "VEN", "TWN", "PHL", "IDN", "ETH", "QAT", "ARE")
SECTORS = {"GOV": 34, "": 16, "MIL": 14, "BUS": 9, "COP": 5, "CVL": 5, "OPP": 4, "REB": 4, "MED": 4, "JUD": 3, "EDU": 2}
SECTOR_WORDS = {"GOV": "government", "": "", "MIL": "troops", "BUS": "companies", "COP": "police", "CVL": "civilians",
                "OPP": "opposition", "REB": "rebels", "MED": "journalists", "JUD": "court", "EDU": "students"}
# Share of mentions per CAMEO root, shaped like GDELT's: statements, consultations and cooperation dominate.
ROOT_WEIGHTS = {"01": 13, "02": 8, "03": 6, "04": 22, "05": 11, "06": 3, "07": 3, "08": 3, "09": 2, "10": 3,
                "11": 6, "12": 2, "13": 3, "14": 2, "15": 1, "16": 1.5, "17": 3, "18": 3, "19": 4, "20": 0.3}
DOMAINS = [f"{a}{b}.com" for a in ("daily", "global", "morning", "evening", "national", "world", "capital", "metro",
                                    "free", "new") for b in ("herald", "times", "post", "tribune", "observer", "wire",
                                                             "gazette", "chronicle", "courier", "ledger")]
SLOTS = 1000

QUERIES = {
    "daily counts by root, one country": """
        SELECT event_date, cameo_root, count(*) AS mentions
        FROM event_mentions WHERE actor1_country = 'TUR' OR actor2_country = 'TUR'
        GROUP BY ALL ORDER BY ALL""",
    "top dyads of a month": """
        SELECT actor1_code, actor2_code, count(*) AS mentions, round(avg(goldstein), 3) AS goldstein
        FROM event_mentions
        WHERE event_date >= DATE '2025-03-01' AND event_date < DATE '2025-04-01' AND actor2_code IS NOT NULL
        GROUP BY ALL ORDER BY mentions DESC, 1, 2 LIMIT 20""",
    "mentions joined to articles": """
        SELECT a.source_domain, count(*) AS mentions, count(DISTINCT a.article_id) AS articles,
               round(avg(a.tone), 3) AS tone
        FROM event_mentions m JOIN articles a USING (article_id)
        WHERE m.quad_class = 4 GROUP BY ALL ORDER BY mentions DESC, 1, 2 LIMIT 20""",
    "events to their articles": """
        SELECT e.event_date, e.actor1_code, e.actor2_code, e.cameo_code, e.num_mentions, a.source_domain, a.title
        FROM events e JOIN event_mentions m USING (event_id) JOIN articles a USING (article_id)
        WHERE e.cameo_root = '19' AND e.actor1_country = 'RUS' AND e.event_date BETWEEN DATE '2025-06-01' AND DATE '2025-06-30'
        ORDER BY ALL LIMIT 100""",
}


def lookup_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Small tables the generator joins on: countries by news rank, sector and CAMEO slots, domains."""
    names = country_names()
    ranked = [c for c in NEWS_COUNTRIES if c in names] + sorted(set(names) - set(NEWS_COUNTRIES))
    con.execute("CREATE OR REPLACE TABLE countries (rank INTEGER, iso3 VARCHAR, name VARCHAR)")
    con.executemany("INSERT INTO countries VALUES (?, ?, ?)", [(i, c, names[c]) for i, c in enumerate(ranked)])
    con.execute("CREATE OR REPLACE TABLE sectors (slot INTEGER, sector VARCHAR, word VARCHAR)")
    con.executemany("INSERT INTO sectors VALUES (?, ?, ?)", [(slot, s, SECTOR_WORDS[s]) for slot, s in slots(SECTORS)])
    codes = list(cameo_table().values())
    weights: dict[str, float] = {}
    for c in codes:
        weights[c.code] = ROOT_WEIGHTS[c.root] / sum(1 for d in codes if d.root == c.root)
    by_code = {c.code: c for c in codes}
    con.execute("""CREATE OR REPLACE TABLE cameo (slot INTEGER, code VARCHAR, base VARCHAR, root VARCHAR, quad_class TINYINT,
                   goldstein FLOAT, plover_type VARCHAR, plover_mode VARCHAR, plover_context VARCHAR, description VARCHAR)""")
    con.executemany("INSERT INTO cameo VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (slot, c.code, c.base, c.root, c.quad_class, c.goldstein, c.plover_type, c.plover_mode, c.plover_context,
         c.description.split(",")[0].lower()) for slot, c in ((s, by_code[code]) for s, code in slots(weights))])
    con.execute("CREATE OR REPLACE TABLE domains (rank INTEGER, domain VARCHAR)")
    con.executemany("INSERT INTO domains VALUES (?, ?)", list(enumerate(DOMAINS)))
    # u(key, salt): a deterministic uniform number in [0, 1); zipf(u, n): 0..n-1 with P(k) ~ 1/(k+1).
    con.execute("CREATE OR REPLACE MACRO u(key, salt) AS (hash(key, salt) % 1000003) / 1000003.0")
    con.execute("CREATE OR REPLACE MACRO zipf(x, n) AS CAST(floor(exp(x * ln(n + 1))) AS INTEGER) - 1")


def slots(weights: dict[str, float]) -> list[tuple[int, str]]:
    """SLOTS (slot, key) pairs, each key holding slots in proportion to its weight (at least one)."""
    total = sum(weights.values())
    keys = [k for k, w in weights.items() for _ in range(max(1, round(SLOTS * w / total)))]
    return list(enumerate(keys))


ARTICLES_SQL = """
WITH a AS (
  SELECT i, TIMESTAMPTZ '{first_day} 00:00:00+00' + to_seconds(CAST(floor(i * {seconds} / {articles}) AS BIGINT)) AS pub,
         d.domain, c1.name AS country1, c2.name AS country2, cm.description AS what
  FROM range({lo}, {hi}) t(i)
  JOIN domains d ON d.rank = zipf(u(i, 'domain'), {domains})
  JOIN countries c1 ON c1.rank = zipf(u(i, 'c1'), {countries})
  JOIN countries c2 ON c2.rank = zipf(u(i, 'c2'), {countries})
  JOIN cameo cm ON cm.slot = CAST(floor(u(i, 'code') * {slots}) AS INTEGER)
), t AS (
  SELECT *, country1 || ' and ' || country2 || ': officials ' || what || ' on ' || strftime(pub, '%A') || '. '
            || repeat('Talks went on into the night, officials said, as delegations from ' || country1 || ' met their '
                      || 'counterparts in the capital of ' || country2 || '. ', 1 + CAST(u(i, 'len') * 4 AS INTEGER)) AS text
  FROM a
)
SELECT md5('article' || i)[1:16] AS article_id,
  'https://www.' || domain || '/' || strftime(pub, '%Y/%m/%d') || '/story-' || i || '?utm_source=feed' AS url,
  'https://www.' || domain || '/' || strftime(pub, '%Y/%m/%d') || '/story-' || i AS canonical_url,
  domain AS source_domain, upper(domain[1]) || replace(domain, '.com', '')[2:] AS source_name,
  country1 || ' and ' || country2 || ' ' || what AS title,
  CASE WHEN u(i, 'author') < 0.7 THEN ['Reporter ' || (hash(i) % 5000)] ELSE [] END AS authors,
  pub AS published_at, 'en' AS language, text, sha256(text) AS text_sha256,
  len(string_split(text, ' ')) AS word_count, CAST((u(i, 'tone') - 0.55) * 8 AS FLOAT) AS tone,
  'trafilatura' AS extractor, '2.3.1' AS extractor_version, 'web' AS input_format, sha256('raw' || i) AS raw_sha256,
  CASE WHEN u(i, 'dup') < 0.03 AND i > 0 THEN md5('article' || (i - 1))[1:16] END AS duplicate_of,
  pub + INTERVAL 2 HOUR AS ingested_at, 'bench-' || strftime(pub, '%Y%m%d') AS run_id,
  'newsevents 0.1.0; trafilatura 2.3.1; spacy 3.8.18; model en_core_web_sm-3.8.0; coder 0.1.0' AS pipeline_version,
  'text/html; charset=utf-8' AS http_content_type, NULL AS given_title, NULL AS ignored_canonical_url
FROM t ORDER BY i
"""

MENTIONS_SQL = """
WITH a AS (
  SELECT i, md5('article' || i)[1:16] AS article_id,
         TIMESTAMPTZ '{first_day} 00:00:00+00' + to_seconds(CAST(floor(i * {seconds} / {articles}) AS BIGINT)) AS pub,
         1 + CAST(least(-ln(1 - u(i, 'n')) * {per_article_less_one}, 60) AS INTEGER) AS n
  FROM range({lo}, {hi}) t(i)
), m0 AS (
  SELECT i, k, i * 64 + k AS key, article_id, pub, CAST(floor(i * {days} / {articles}) AS INTEGER) AS day
  FROM a, range(a.n) r(k)
), m1 AS (
  SELECT *, CASE WHEN u(key, 'lag') < 0.6 THEN 0 WHEN u(key, 'lag2') < 0.6 THEN 1
                 ELSE CAST(u(key, 'lag3') * 10 AS INTEGER) END AS lag
  FROM m0
), m AS (  -- the mention reports event e of its event day; a few events per day draw most mentions
  SELECT *, zipf(u(e, 'a1'), {countries}) AS r1, zipf(u(e, 'a2'), {countries}) AS r2, u(e, 'has2') < 0.75 AS has2
  FROM (SELECT *, CAST((day - lag) * {events_per_day} + zipf(u(key, 'event'), {events_per_day}) AS BIGINT) AS e FROM m1)
), x AS (
  SELECT m.*, c1.iso3 AS iso1, c1.name AS name1, c2.iso3 AS iso2, c2.name AS name2, s1.sector AS sec1, s1.word AS word1,
         s2.sector AS sec2, s2.word AS word2, cm.*, CAST(pub AS DATE) - lag AS event_date,
         u(e, 'loc') < 0.4 AS has_loc
  FROM m
  JOIN countries c1 ON c1.rank = r1
  JOIN countries c2 ON c2.rank = CASE WHEN r2 = r1 THEN r2 + 1 ELSE r2 END
  JOIN sectors s1 ON s1.slot = CAST(floor(u(e, 's1') * {sector_slots}) AS INTEGER)
  JOIN sectors s2 ON s2.slot = CAST(floor(u(e, 's2') * {sector_slots}) AS INTEGER)
  JOIN cameo cm ON cm.slot = CAST(floor(u(e, 'code') * {slots}) AS INTEGER)
), y AS (
  SELECT *, trim(name1 || ' ' || word1) AS text1, CASE WHEN has2 THEN trim(name2 || ' ' || word2) END AS text2,
         iso1 || sec1 AS code1, CASE WHEN has2 THEN iso2 || sec2 END AS code2,
         CASE WHEN has_loc THEN CASE WHEN u(e, 'where') < 0.5 THEN name1 ELSE name2 END END AS loc_name,
         CASE WHEN has_loc THEN CASE WHEN u(e, 'where') < 0.5 THEN iso1 ELSE iso2 END END AS loc_iso
  FROM x
), z AS (
  SELECT *, text1 || ' ' || CASE WHEN u(key, 'verb') < 0.5 THEN 'said it would ' ELSE 'moved to ' END || description
            || coalesce(' with ' || text2, '') || coalesce(' in ' || loc_name, '') || ' on ' || strftime(event_date, '%A')
            || ', ' || CASE WHEN u(key, 'src') < 0.5 THEN 'officials' ELSE 'a spokesperson' END || ' said.' AS sentence,
         2 * k + CAST(u(key, 'gap') * 2 AS INTEGER) AS sentence_index
  FROM y
)
SELECT md5('mention' || key)[1:16] AS event_mention_id,
  md5(code1 || '|' || coalesce(code2, '') || '|' || base || '|' || event_date || '|' || coalesce(loc_iso, ''))[1:16] AS event_id,
  article_id, sentence_index, sentence_index * 160 AS sentence_start_char, sentence_index * 160 + len(sentence) AS sentence_end_char,
  sentence, sentence_index < 3 AS is_lead, split_part(description, ' ', 1) AS trigger,
  sentence_index * 160 + len(text1) + 1 AS trigger_start_char, sentence_index * 160 + len(text1) + 8 AS trigger_end_char,
  code AS cameo_code, base AS cameo_base, root AS cameo_root, quad_class, goldstein, plover_type, plover_mode, plover_context,
  text1 AS actor1_text, sentence_index * 160 AS actor1_start_char, sentence_index * 160 + len(text1) AS actor1_end_char,
  code1 AS actor1_code, iso1 AS actor1_country, nullif(sec1, '') AS actor1_sector,
  text2 AS actor2_text, CASE WHEN has2 THEN sentence_index * 160 + 40 END AS actor2_start_char,
  CASE WHEN has2 THEN sentence_index * 160 + 40 + len(text2) END AS actor2_end_char,
  code2 AS actor2_code, CASE WHEN has2 THEN iso2 END AS actor2_country, CASE WHEN has2 THEN nullif(sec2, '') END AS actor2_sector,
  event_date, CASE WHEN u(key, 'prec') < 0.9 THEN 'day' ELSE 'month' END AS date_precision,
  loc_name AS location_name, loc_iso AS location_country,
  CASE WHEN has_loc THEN (u(e, 'lat') - 0.5) * 140 END AS location_lat, CASE WHEN has_loc THEN (u(e, 'lon') - 0.5) * 340 END AS location_lon,
  u(key, 'neg') < 0.03 AS negated,
  CASE WHEN u(key, 'mod') < 0.8 THEN 'asserted' WHEN u(key, 'mod') < 0.9 THEN 'intended'
       WHEN u(key, 'mod') < 0.95 THEN 'threatened' ELSE 'hypothetical' END AS modality,
  CASE WHEN u(key, 'attr') < 0.2 THEN text1 END AS attribution, CASE WHEN u(key, 'attr') < 0.2 THEN code1 END AS attribution_code,
  CAST(0.5 + u(key, 'conf') / 2 AS FLOAT) AS confidence, '0.1.0' AS coder_version, 'bench-' || strftime(pub, '%Y%m%d') AS run_id
FROM z ORDER BY i, k
"""

EVENTS_SQL = """
SELECT m.event_id, min(m.event_date) AS event_date, min(m.date_precision) AS date_precision,
  mode(m.cameo_code) AS cameo_code, mode(m.cameo_base) AS cameo_base, mode(m.cameo_root) AS cameo_root,
  any_value(m.quad_class) AS quad_class, any_value(m.goldstein) AS goldstein, any_value(m.plover_type) AS plover_type,
  any_value(m.plover_mode) AS plover_mode, any_value(m.actor1_code) AS actor1_code, any_value(m.actor1_country) AS actor1_country,
  any_value(m.actor1_sector) AS actor1_sector, mode(m.actor1_text) AS actor1_name, any_value(m.actor2_code) AS actor2_code,
  any_value(m.actor2_country) AS actor2_country, any_value(m.actor2_sector) AS actor2_sector, mode(m.actor2_text) AS actor2_name,
  mode(m.modality) AS modality, bool_and(m.negated) AS negated, any_value(m.location_name) AS location_name,
  any_value(m.location_country) AS location_country, any_value(m.location_lat) AS location_lat,
  any_value(m.location_lon) AS location_lon, count(*) AS num_mentions, count(DISTINCT a.source_domain) AS num_sources,
  count(DISTINCT m.article_id) AS num_articles, avg(a.tone) AS avg_tone, min(a.ingested_at) AS first_seen_at,
  arg_min(a.canonical_url, a.published_at) AS first_source_url, arg_min(m.sentence, a.published_at) AS first_sentence,
  TIMESTAMPTZ '2026-01-02 00:00:00+00' AS updated_at
FROM read_parquet('{mentions}') m JOIN read_parquet('{articles}') a USING (article_id)
GROUP BY m.event_id
"""


def typed(sql: str, table: str) -> str:
    """The query with every column cast to the table's DuckDB type, in schema order."""
    columns = ", ".join(f'CAST("{f.name}" AS {duckdb_type(f.type)}) AS "{f.name}"' for f in TABLES[table].schema)
    return f"SELECT {columns} FROM ({sql})"


def months() -> list[tuple[date, date]]:
    """(first day, first day of the next month) of every month the generated data covers."""
    out, day = [], FIRST_DAY.replace(day=1)
    end = date.fromordinal(FIRST_DAY.toordinal() + DAYS)
    while day < end:
        nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        out.append((day, nxt))
        day = nxt
    return out


def article_range(first: date, nxt: date, articles: int) -> tuple[int, int]:
    """The article indexes published in [first, nxt): publication time grows linearly with the index."""
    seconds = DAYS * 86400

    def index(day: date) -> int:
        offset = (min(day.toordinal(), FIRST_DAY.toordinal() + DAYS) - FIRST_DAY.toordinal()) * 86400
        return min(articles, -(-offset * articles // seconds))

    return index(first), index(nxt)


def settings(con: duckdb.DuckDBPyConnection, threads: int, metadata_cache: bool) -> None:
    """The same DuckDB settings on both sides of a comparison."""
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET parquet_metadata_cache = {str(metadata_cache).lower()}")


def connect(threads: int, scratch: Path, metadata_cache: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the bench's settings."""
    con = duckdb.connect()
    settings(con, threads, metadata_cache)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = '4GB'")
    con.execute(f"SET temp_directory = '{scratch}'")
    return con


def build_single(folder: Path, rows: int, threads: int) -> None:
    """The three tables as single Parquet files, one row group per partition month, plus a manifest of the months."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = connect(threads, tmp)
    lookup_tables(con)
    articles = rows // MENTIONS_PER_ARTICLE
    common = {"first_day": FIRST_DAY.isoformat(), "seconds": DAYS * 86400, "articles": articles,
              "countries": con.execute("SELECT count(*) FROM countries").fetchone()[0], "domains": len(DOMAINS),
              "slots": con.execute("SELECT count(*) FROM cameo").fetchone()[0],
              "sector_slots": con.execute("SELECT count(*) FROM sectors").fetchone()[0],
              "per_article_less_one": MENTIONS_PER_ARTICLE - 1, "days": DAYS,
              "events_per_day": max(1, rows // MENTIONS_PER_EVENT // DAYS)}
    manifest: dict[str, list[str]] = {}
    for table, sql in (("articles", ARTICLES_SQL), ("event_mentions", MENTIONS_SQL)):
        manifest[table] = []
        with pq.ParquetWriter(tmp / f"{table}.parquet", TABLES[table].schema, **PARQUET_OPTIONS) as writer:
            for first, nxt in months():
                lo, hi = article_range(first, nxt, articles)
                if hi <= lo:
                    continue
                part = con.execute(typed(sql.format(lo=lo, hi=hi, **common), table)).to_arrow_table()
                writer.write_table(part.cast(TABLES[table].schema), row_group_size=max(1, part.num_rows))
                manifest[table].append(first.isoformat())
                print(f"  {table} {first:%Y-%m}: {part.num_rows:,} rows", flush=True)
    events = typed(EVENTS_SQL.format(mentions=tmp / "event_mentions.parquet", articles=tmp / "articles.parquet"), "events")
    con.execute(f"CREATE TABLE events AS {events}")
    manifest["events"] = []
    with pq.ParquetWriter(tmp / "events.parquet", TABLES["events"].schema, **PARQUET_OPTIONS) as writer:
        for first, nxt in months_of_events(con):
            part = con.execute("SELECT * FROM events WHERE event_date >= ? AND event_date < ? ORDER BY event_date, event_id",
                               [first, nxt]).to_arrow_table()
            writer.write_table(part.cast(TABLES["events"].schema), row_group_size=max(1, part.num_rows))
            manifest["events"].append(first.isoformat())
            print(f"  events {first:%Y-%m}: {part.num_rows:,} rows", flush=True)
    con.close()
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def months_of_events(con: duckdb.DuckDBPyConnection) -> list[tuple[date, date]]:
    """The months events fall in (event dates start up to ten days before the first article)."""
    first = con.execute("SELECT min(event_date) FROM events").fetchone()[0].replace(day=1)
    return [(first, FIRST_DAY)] * (first < FIRST_DAY) + months()


def build_lake(single: Path, data: DataDir, files_per_month: int) -> None:
    """The lake of the single files: each month's row group split into files_per_month part files."""
    tmp = DataDir(data.root.with_name(data.root.name + ".tmp"))
    shutil.rmtree(tmp.root, ignore_errors=True)
    manifest = json.loads((single / "manifest.json").read_text())
    for table in TABLE_NAMES:
        source = pq.ParquetFile(single / f"{table}.parquet")
        for group, first in enumerate(manifest[table]):
            part = source.read_row_group(group)
            folder = tmp.lake.path / table / f"year={first[:4]}" / f"month={first[5:7]}"
            folder.mkdir(parents=True, exist_ok=True)
            size = -(-part.num_rows // files_per_month)
            for n in range(files_per_month):
                if n * size < part.num_rows:
                    write_parquet(part.slice(n * size, size), folder / f"part-{n:05d}.parquet")
    catalog.refresh(tmp)
    shutil.rmtree(data.root, ignore_errors=True)
    tmp.root.rename(data.root)
    catalog.refresh(data)  # the views hold absolute paths: point them at the final folder


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed_pair(views: duckdb.DuckDBPyConnection, single: duckdb.DuckDBPyConnection, sql: str,
               repeat: int) -> tuple[float, float, list[tuple], list[tuple]]:
    """Median wall seconds through the views and on the single files, runs alternated so that a change of load on
    this shared machine falls on both sides, after one warm-up each; and both results."""
    results = [views.execute(sql).fetchall(), single.execute(sql).fetchall()]
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for side, con in enumerate((views, single)):
            began = time.perf_counter()
            con.execute(sql).fetchall()
            times[side].append(time.perf_counter() - began)
    return statistics.median(times[0]), statistics.median(times[1]), *results


def single_connection(single: Path, threads: int, metadata_cache: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose tables are views over the single files."""
    con = connect(threads, single, metadata_cache)
    for table in TABLE_NAMES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{single / table}.parquet')")
    return con


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="event_mentions rows (default 10 million)")
    parser.add_argument("--files-per-month", type=int, nargs="+", default=[1, 16],
                        help="part files per table partition, one lake per value (default: 1 16)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (median; default 5)")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    parser.add_argument("--no-metadata-cache", dest="metadata_cache", action="store_false",
                        help="SET parquet_metadata_cache = false on both sides (the catalog's connections keep it on)")
    args = parser.parse_args()

    root = CACHE / f"v{GENERATOR_VERSION}-rows{args.rows}"
    single = root / "single"
    if not (single / "manifest.json").exists():
        print(f"generating {args.rows:,} event mentions into {single} ...", flush=True)
        began = time.perf_counter()
        build_single(single, args.rows, args.threads)
        print(f"generated in {time.perf_counter() - began:.0f} s, {folder_size(single) / 1e6:,.0f} MB", flush=True)
    counts = {t: pq.ParquetFile(single / f"{t}.parquet").metadata.num_rows for t in TABLE_NAMES}
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    base = single_connection(single, args.threads, args.metadata_cache)
    print(f"\nparquet_metadata_cache {'on' if args.metadata_cache else 'off'}, {args.threads} threads, median of {args.repeat}")
    print(f"{'query':38} {'files/month':>11} {'views s':>8} {'single s':>8} {'ratio':>6}")
    for files_per_month in args.files_per_month:
        data = DataDir(root / f"lake-f{files_per_month}")
        if not data.catalog.exists():
            began = time.perf_counter()
            build_lake(single, data, files_per_month)
            print(f"(lake with {files_per_month} file(s) per partition: {time.perf_counter() - began:.0f} s, "
                  f"{folder_size(data.lake.path) / 1e6:,.0f} MB)", flush=True)
        catalog.refresh(data)  # the views this code makes, over a cached lake too
        views = catalog.connect(data)
        settings(views, args.threads, args.metadata_cache)
        for name, sql in QUERIES.items():
            view_s, single_s, view_rows, single_rows = timed_pair(views, base, sql, args.repeat)
            if view_rows != single_rows:
                raise SystemExit(f"{name}: the views and the single files disagree")
            ratio = view_s / single_s
            print(f"{name:38} {files_per_month:>11} {view_s:>8.3f} {single_s:>8.3f} {ratio:>6.2f}"
                  f"{'' if ratio <= 1.2 else '  > 1.2'}", flush=True)
        views.close()


if __name__ == "__main__":
    main()
