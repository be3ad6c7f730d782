"""The report's queries: every number it shows is a GROUP BY over the catalog's views, cut to the filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas.ddl import quote_literal
from transforms.centroids import country_points
from transforms.rollup import HAPPENED

TOP_N = 15
EVIDENCE_PER_ITEM = 3
MAP_POINTS = 2000
FETCH_DOMAINS = 20
RECENT_RUNS = 10
SENTENCE_CHARS = 300
QUADS = {1: "Verbal cooperation", 2: "Material cooperation", 3: "Verbal conflict", 4: "Material conflict"}
QUAD_LABEL_SQL = "CASE quad_class " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in QUADS.items()) + " END"


@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    """What the report covers and where it goes (output None: <data>/reports/report.html)."""

    since: date | None = None
    until: date | None = None
    country: str | None = None
    output: Path | None = None


def date_filter(column: str, options: ReportOptions) -> str:
    """SQL condition keeping `column` (a DATE expression) within --since/--until."""
    parts = ["true"]
    if options.since:
        parts.append(f"{column} >= DATE '{options.since.isoformat()}'")
    if options.until:
        parts.append(f"{column} <= DATE '{options.until.isoformat()}'")
    return " AND ".join(parts)


def filtered_views(con: duckdb.DuckDBPyConnection, options: ReportOptions, country: str | None) -> None:
    """Temporary views ev, em, art, quar and fet: the tables cut to the report's filters, the events (and their mentions) to
    those that happened; dated_ev holds the events of the filters that did not, too."""
    c = quote_literal(country) if country else None
    involves = f"{c} IN (actor1_country, actor2_country, location_country)" if c else "true"
    mentioned = (f"article_id IN (SELECT article_id FROM entities WHERE country_code = {c} "
                 f"UNION SELECT article_id FROM event_mentions WHERE {involves})") if c else "true"
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TEMP VIEW dated_ev AS SELECT * FROM events WHERE {date_filter('event_date', options)} AND {involves}")
    con.execute(f"CREATE TEMP VIEW ev AS SELECT * FROM dated_ev WHERE {HAPPENED}")
    con.execute(f"CREATE TEMP VIEW em AS SELECT * FROM event_mentions WHERE {date_filter('event_date', options)} AND {involves} "
                "AND event_id IN (SELECT event_id FROM ev)")
    con.execute("CREATE TEMP VIEW art AS SELECT *, coalesce(published_at, ingested_at)::DATE AS day FROM articles "
                f"WHERE {date_filter('coalesce(published_at, ingested_at)::DATE', options)} AND {mentioned}")
    con.execute(f"CREATE TEMP VIEW quar AS SELECT * FROM quarantine WHERE {date_filter('quarantine.at::DATE', options)}")
    con.execute(f"CREATE TEMP VIEW fet AS SELECT * FROM fetches WHERE {date_filter('fetched_at::DATE', options)}")


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """The result of a query as dicts; dates and timestamps become ISO strings."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{n: v.isoformat() if isinstance(v, date) else v for n, v in zip(names, r, strict=True)}
            for r in cursor.fetchall()]


TOTALS_SQL = """
SELECT (SELECT count(*) FROM art WHERE duplicate_of IS NULL) AS articles,
       (SELECT count(*) FROM art WHERE duplicate_of IS NOT NULL) AS duplicates,
       (SELECT count(*) FROM ev) AS events,
       (SELECT count(*) FROM dated_ev) - (SELECT count(*) FROM ev) AS not_happened,
       (SELECT count(*) FROM ev WHERE date_precision <> 'day') AS coarse_dates,
       (SELECT count(*) FROM em) AS event_mentions,
       (SELECT count(DISTINCT url) FROM quar) AS quarantined,
       (SELECT count(*) FROM fet) AS fetches,
       (SELECT min(event_date) FROM ev) AS first_event,
       (SELECT max(event_date) FROM ev) AS last_event
"""

ARTICLES_PER_DAY_SQL = "SELECT day, count(*) AS articles FROM art WHERE duplicate_of IS NULL GROUP BY day ORDER BY day"

EVENTS_PER_DAY_SQL = f"""
SELECT event_date AS day, quad_class, {QUAD_LABEL_SQL} AS quad, count(*) AS events, sum(num_mentions) AS mentions
FROM ev WHERE date_precision = 'day' GROUP BY ALL ORDER BY day, quad_class
"""

GOLDSTEIN_PER_DAY_SQL = """
SELECT event_date AS day, round(avg(goldstein), 2) AS avg_goldstein, count(*) AS events
FROM ev WHERE date_precision = 'day' GROUP BY day ORDER BY day
"""

ACTOR_SIDES = """
SELECT event_id, actor1_code AS code, actor1_name AS name, num_mentions FROM ev WHERE actor1_code IS NOT NULL
UNION ALL
SELECT event_id, actor2_code, actor2_name, num_mentions FROM ev WHERE actor2_code IS NOT NULL
"""

TOP_ACTORS_SQL = f"""
SELECT code AS key, code || coalesce(' (' || mode(name) || ')', '') AS label,
       count(DISTINCT event_id) AS events, sum(num_mentions) AS mentions
FROM ({ACTOR_SIDES}) GROUP BY code ORDER BY events DESC, mentions DESC, code LIMIT {TOP_N}
"""

TOP_DYADS_SQL = f"""
SELECT actor1_code || ' → ' || actor2_code AS key,
       actor1_code || ' → ' || actor2_code
           || coalesce(' (' || mode(actor1_name) || ' → ' || mode(actor2_name) || ')', '') AS label,
       count(*) AS events, sum(num_mentions) AS mentions
FROM ev WHERE actor1_code IS NOT NULL AND actor2_code IS NOT NULL
GROUP BY actor1_code, actor2_code ORDER BY events DESC, mentions DESC, key LIMIT {TOP_N}
"""

EVIDENCE_COLUMNS = """e.event_date, e.cameo_code, e.plover_type, e.quad_class, e.goldstein, e.actor1_code, e.actor1_name,
       e.actor2_code, e.actor2_name, e.modality, e.num_mentions, e.num_articles, e.location_name,
       left(e.first_sentence, {chars}) AS sentence, length(e.first_sentence) > {chars} AS cut, e.first_source_url AS url"""


def evidence_sql(top_sql: str, match: str) -> str:
    """The most-reported events of each row of a top list (top_sql), `match` joining a top row t to an event e."""
    columns = EVIDENCE_COLUMNS.format(chars=SENTENCE_CHARS)
    return f"""
    WITH t AS ({top_sql})
    SELECT t.key, {columns}
    FROM t JOIN ev e ON {match}
    QUALIFY row_number() OVER (PARTITION BY t.key ORDER BY e.num_mentions DESC, e.num_articles DESC, e.event_date DESC, e.event_id)
            <= {EVIDENCE_PER_ITEM}
    ORDER BY t.key, e.num_mentions DESC, e.num_articles DESC, e.event_date DESC
    """


MAP_SQL = f"""
WITH placed AS (
    SELECT e.*,
           CASE WHEN e.location_lat IS NOT NULL AND e.location_lon IS NOT NULL THEN 'place'
                WHEN lc.iso3 IS NOT NULL THEN 'location country' WHEN ac.iso3 IS NOT NULL THEN 'target country' END AS placed_by,
           CASE placed_by WHEN 'place' THEN e.location_lat WHEN 'location country' THEN lc.lat ELSE ac.lat END AS lat,
           CASE placed_by WHEN 'place' THEN e.location_lon WHEN 'location country' THEN lc.lon ELSE ac.lon END AS lon,
           CASE placed_by WHEN 'place' THEN coalesce(e.location_name, lc.name, e.location_country)
                WHEN 'location country' THEN lc.name ELSE ac.name END AS place
    FROM ev e
    LEFT JOIN country_points lc ON lc.iso3 = e.location_country
    LEFT JOIN country_points ac ON ac.iso3 = e.actor2_country
),
points AS (
    SELECT round(lat, 2) AS lat, round(lon, 2) AS lon, quad_class, {QUAD_LABEL_SQL} AS quad,
           mode(place) AS place, count(*) AS events, sum(num_mentions) AS mentions,
           bool_or(placed_by <> 'place') AS centroid
    FROM placed WHERE placed_by IS NOT NULL GROUP BY ALL
)
SELECT *, count(*) OVER () AS total_points,
       (SELECT count(*) FILTER (placed_by = 'place') FROM placed) AS at_place,
       (SELECT count(*) FILTER (placed_by IN ('location country', 'target country')) FROM placed) AS at_centroid,
       (SELECT count(*) FILTER (placed_by IS NULL) FROM placed) AS unplaced
FROM points ORDER BY mentions DESC, events DESC, lat, lon LIMIT {MAP_POINTS}
"""

# An input is counted once though it has several rows (refused again with other bytes, or by another pipeline version).
QUARANTINE_SQL = "SELECT stage, reason, count(DISTINCT url) AS inputs FROM quar GROUP BY ALL ORDER BY inputs DESC, stage, reason"

FETCH_OUTCOMES_SQL = f"""
WITH f AS (
    SELECT coalesce(nullif(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:www\\.)?([^/:?#]+)', 1), ''), url) AS domain,
           CASE WHEN error IS NOT NULL THEN error
                WHEN status BETWEEN 200 AND 299 THEN 'OK'
                WHEN status = 304 THEN 'not modified'
                ELSE 'HTTP ' || status END AS outcome
    FROM fet
),
top AS (SELECT domain FROM f GROUP BY domain ORDER BY count(*) DESC, domain LIMIT {FETCH_DOMAINS})
SELECT CASE WHEN domain IN (SELECT domain FROM top) THEN domain ELSE '(other domains)' END AS domain,
       outcome, count(*) AS attempts
FROM f GROUP BY ALL ORDER BY attempts DESC, domain, outcome
"""

RUNS_SQL = f"""
SELECT run_id, flow, status, started_at, round(epoch(finished_at - started_at), 1) AS seconds,
       counts['inputs'] AS inputs, counts['articles'] AS articles, counts['duplicates'] AS duplicates,
       counts['unchanged'] AS "already in the lake", counts['refused'] AS "already refused", counts['quarantined'] AS quarantined,
       counts['events'] AS events, error
FROM runs ORDER BY started_at DESC LIMIT {RECENT_RUNS}
"""


@dataclass(frozen=True)
class Facts:
    """Everything the page shows, as query results."""

    totals: dict
    articles_per_day: list[dict]
    events_per_day: list[dict]
    goldstein_per_day: list[dict]
    top_actors: list[dict]
    actor_evidence: list[dict]
    top_dyads: list[dict]
    dyad_evidence: list[dict]
    map_points: list[dict]
    quarantine: list[dict]
    fetch_outcomes: list[dict]
    runs: list[dict]


def gather(con: duckdb.DuckDBPyConnection, options: ReportOptions, country: str | None) -> Facts:
    """Run every query of the report against the filtered views."""
    filtered_views(con, options, country)
    needed = {r[0] for r in con.execute("SELECT DISTINCT unnest([location_country, actor2_country]) FROM ev "
                                        "WHERE location_lat IS NULL OR location_lon IS NULL").fetchall() if r[0]}
    points = country_points(frozenset(needed))
    con.register("country_points", pa.table({
        "iso3": list(points), "name": [p[0] for p in points.values()],
        "lat": [p[1] for p in points.values()], "lon": [p[2] for p in points.values()]}))
    return Facts(
        totals=rows(con, TOTALS_SQL)[0],
        articles_per_day=rows(con, ARTICLES_PER_DAY_SQL),
        events_per_day=rows(con, EVENTS_PER_DAY_SQL),
        goldstein_per_day=rows(con, GOLDSTEIN_PER_DAY_SQL),
        top_actors=rows(con, TOP_ACTORS_SQL),
        actor_evidence=rows(con, evidence_sql(TOP_ACTORS_SQL, "t.key IN (e.actor1_code, e.actor2_code)")),
        top_dyads=rows(con, TOP_DYADS_SQL),
        dyad_evidence=rows(con, evidence_sql(TOP_DYADS_SQL, "t.key = e.actor1_code || ' → ' || e.actor2_code")),
        map_points=rows(con, MAP_SQL),
        quarantine=rows(con, QUARANTINE_SQL),
        fetch_outcomes=rows(con, FETCH_OUTCOMES_SQL),
        runs=rows(con, RUNS_SQL),
    )
