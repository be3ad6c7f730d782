"""EVENTS -> GDELT 2.0 files: read back with a typed parse by column name, stable ids, date ranges, clean fields."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import UTC, date, datetime

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.cli import main
from tests.lakes import article, commit_held_back, copy_of, ingest, mention, two_runs
from transforms import gdelt
from transforms.errors import NewseventsError
from transforms.gdelt import (
    EVENT_COLUMNS,
    MENTION_COLUMNS,
    export_gdelt,
    fields,
    global_event_id,
)
from transforms.ids import stable_id
from transforms.load import DataDir

# GDELT 2.0 codebook types of the numeric columns; every other column is a string.
INTEGERS = {"GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "IsRootEvent", "QuadClass", "NumMentions", "NumSources",
            "NumArticles", "Actor1Geo_Type", "Actor2Geo_Type", "ActionGeo_Type", "DATEADDED",
            "EventTimeDate", "MentionTimeDate", "MentionType", "SentenceID", "Actor1CharOffset", "Actor2CharOffset",
            "ActionCharOffset", "InRawText", "Confidence", "MentionDocLen"}
FLOATS = {"FractionDate", "GoldsteinScale", "AvgTone", "Actor1Geo_Lat", "Actor1Geo_Long", "Actor2Geo_Lat",
          "Actor2Geo_Long", "ActionGeo_Lat", "ActionGeo_Long", "MentionDocTone"}


def typed(names: tuple[str, ...]) -> dict[str, str]:
    return {n: "BIGINT" if n in INTEGERS else "DOUBLE" if n in FLOATS else "VARCHAR" for n in names}


def read(paths: list, names: tuple[str, ...]) -> list[dict]:
    """Parse the files the way a GDELT loader does: tab-separated, no header, no quoting, typed by column."""
    with duckdb.connect() as con:
        cursor = con.execute("SELECT * FROM read_csv($paths, delim='\t', header=false, quote='', escape='', columns=$columns)",
                             {"paths": [str(p) for p in paths], "columns": typed(names)})
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def exported(tmp_path):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    result = export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), tmp_path / "out")
    return tmp_path / "out", result


def test_files_are_named_like_gdelt_one_pair_per_event_day(exported):
    out, result = exported
    assert sorted(p.name for p in out.iterdir()) == [
        f"2026010{d}000000.{kind}.CSV" for d in (8, 9) for kind in ("export", "mentions")] + [
        f"20260110000000.{kind}.CSV" for kind in ("export", "mentions")]
    assert (result.events, result.mentions, len(result.files)) == (3, 4, 6)


def test_every_events_line_has_61_tab_separated_columns(exported):
    out, _ = exported
    for path in out.glob("*.export.CSV"):
        lines = list(csv.reader(path.open(encoding="utf-8"), delimiter="\t", quoting=csv.QUOTE_NONE))
        assert lines and all(len(line) == 61 for line in lines)
    for path in out.glob("*.mentions.CSV"):
        assert all(len(line.split("\t")) == 16 for line in path.read_text().splitlines())


def test_events_read_back_with_gdelt_names_and_types(exported):
    out, _ = exported
    events = {e["EventCode"]: e for e in read(sorted(out.glob("*.export.CSV")), EVENT_COLUMNS)}
    talks, strike, aid = events["042"], events["190"], events["070"]
    assert talks["GLOBALEVENTID"] == global_event_id(stable_id("event", "talks"))
    assert (talks["SQLDATE"], talks["MonthYear"], talks["Year"], talks["FractionDate"]) == (20260108, 202601, 2026, 2026.1041)  # (1 * 30 + 8) / 365
    assert (talks["Actor1Code"], talks["Actor1Name"], talks["Actor1CountryCode"], talks["Actor1Type1Code"]) == ("TURGOV", "TURKEY", "TUR", "GOV")
    assert (talks["Actor2Code"], talks["Actor2CountryCode"]) == ("RUSGOV", "RUS")
    assert (talks["EventBaseCode"], talks["EventRootCode"], talks["QuadClass"], talks["GoldsteinScale"]) == ("042", "04", 1, 1.9)
    assert (talks["NumMentions"], talks["NumArticles"], talks["NumSources"], talks["IsRootEvent"]) == (2, 2, 2, 1)
    assert (talks["Actor1Geo_CountryCode"], talks["Actor2Geo_CountryCode"]) == ("TU", "RS"), "FIPS 10-4, not ISO"
    assert (talks["ActionGeo_Type"], talks["ActionGeo_FullName"], talks["ActionGeo_CountryCode"]) == (4, "Ankara, Turkey", "TU")
    assert (talks["ActionGeo_Lat"], talks["ActionGeo_Long"]) == (39.92, 32.85)
    assert talks["DATEADDED"] == 20260110120000 and talks["SOURCEURL"] == "https://news.example.org/1"
    assert (strike["ActionGeo_CountryCode"], strike["Actor2CountryCode"], strike["Actor2Geo_CountryCode"]) == ("UP", "UKR", "UP")
    assert strike["GoldsteinScale"] == -10.0 and strike["QuadClass"] == 4
    assert (aid["Actor1Code"], aid["Actor1KnownGroupCode"], aid["Actor1Type1Code"]) == ("IGOUNO", "UNO", "IGO")
    assert aid["Actor1CountryCode"] is None and aid["Actor1Geo_Type"] is None, "unknown is empty"
    assert 38 < talks["Actor1Geo_Lat"] < 40 and 33 < talks["Actor1Geo_Long"] < 37, "country level: Turkey's centroid"
    assert 47 < strike["Actor2Geo_Lat"] < 51 and 29 < strike["Actor2Geo_Long"] < 33, "Ukraine's centroid"
    assert (aid["Actor2Geo_Type"], aid["Actor2Geo_FullName"]) == (1, "Syria") and 34 < aid["Actor2Geo_Lat"] < 36
    assert all(aid[c] is None for c in ("ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_Lat"))


def test_a_country_too_small_for_the_shapes_is_placed_at_its_capital():
    lat, lon = gdelt.country_geo("SGP")[5:7]
    assert 1 < float(lat) < 2 and 103 < float(lon) < 105


def test_mentions_point_at_their_events(exported):
    out, _ = exported
    events = {e["GLOBALEVENTID"]: e for e in read(sorted(out.glob("*.export.CSV")), EVENT_COLUMNS)}
    mentions = read(sorted(out.glob("*.mentions.CSV")), MENTION_COLUMNS)
    assert len(mentions) == 4 and all(m["GLOBALEVENTID"] in events for m in mentions)
    for m in mentions:
        assert m["EventTimeDate"] == events[m["GLOBALEVENTID"]]["DATEADDED"]
        assert (m["MentionType"], m["SentenceID"], m["InRawText"], m["Confidence"]) == (1, 2, 1, 80)
        assert (m["Actor1CharOffset"], m["Actor2CharOffset"], m["ActionCharOffset"]) == (12, 23, 30)
        assert m["MentionIdentifier"].startswith("https://news.example.org/") and m["MentionDocLen"] == len("Article 1. Turkey and Russia met in Ankara. The talks went on.")
    assert {m["MentionSourceName"] for m in mentions} == {"news.example.org", "wire.example.com"}


def test_times_are_utc_whatever_the_machine_time_zone(tmp_path, monkeypatch):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        export_gdelt(data, date(2026, 1, 8), date(2026, 1, 8), tmp_path / "out")
    finally:
        monkeypatch.undo()
        time.tzset()
    [talks] = read(sorted((tmp_path / "out").glob("*.export.CSV")), EVENT_COLUMNS)
    mentions = read(sorted((tmp_path / "out").glob("*.mentions.CSV")), MENTION_COLUMNS)
    assert talks["DATEADDED"] == 20260110120000
    assert {(m["EventTimeDate"], m["MentionTimeDate"]) for m in mentions} == {(20260110120000, 20260110120000)}


def test_articles_read_from_files_link_to_their_web_url_when_they_have_one(tmp_path):
    data, at = DataDir(tmp_path / "data"), datetime(2026, 1, 10, 12, tzinfo=UTC)
    record = {**article(1, published=date(2026, 1, 9), run_id="r", ingested_at=at),
              "url": "file:///tmp/in/wire-feed.jsonl#line=1", "canonical_url": "https://wire.example.com/story"}
    local = {**article(2, published=date(2026, 1, 9), run_id="r", ingested_at=at),
             "url": "file:///tmp/in/page.html", "canonical_url": None}
    ingest(data, "b1", [record, local], [mention(record, event="from a record", event_date=date(2026, 1, 9)),
                                         mention(local, event="from a file", event_date=date(2026, 1, 9))], "r", at)
    with data.connect() as con:
        urls = dict(con.execute(f"SELECT event_id, first_source_url FROM read_parquet('{data.table_glob('events')}')").fetchall())
    assert urls == {stable_id("event", "from a record"): "https://wire.example.com/story",
                    stable_id("event", "from a file"): "file:///tmp/in/page.html"}
    result = export_gdelt(data, date(2026, 1, 9), date(2026, 1, 9), tmp_path / "out")
    assert {e["SOURCEURL"] for e in read([result.files[0]], EVENT_COLUMNS)} == set(urls.values())
    mentions = read([result.files[1]], MENTION_COLUMNS)
    assert {(m["MentionIdentifier"], m["MentionType"]) for m in mentions} == {
        ("https://wire.example.com/story", 1), ("file:///tmp/in/page.html", 2)}


def test_python_memory_does_not_grow_with_the_events_of_a_day(tmp_path, monkeypatch):
    monkeypatch.setattr(gdelt, "ROWS_PER_BATCH", 50, raising=False)

    def peak(n: int) -> int:
        data, at = DataDir(tmp_path / f"lake-{n}"), datetime(2026, 1, 10, 12, tzinfo=UTC)
        arts = [article(i, published=date(2026, 1, 9), run_id="r", ingested_at=at) for i in range(n)]
        ingest(data, "b1", arts, [mention(a, event=f"event {i}", event_date=date(2026, 1, 9)) for i, a in enumerate(arts)], "r", at)
        tracemalloc.start()
        try:
            assert export_gdelt(data, date(2026, 1, 9), date(2026, 1, 9), tmp_path / f"out-{n}").mentions == n
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(100), peak(3000)
    assert large < 1.5 * small, f"peak {small:,} B for 100 events, {large:,} B for 3,000"


@pytest.mark.parametrize("exchange", [True, False], ids=["exchanged", "removed then renamed"])
def test_an_export_replaces_the_files_of_an_earlier_one_in_its_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(gdelt, "exchange", lambda *_: False, raising=False)
    data, out = DataDir(tmp_path / "data"), tmp_path / "out"
    two_runs(data)
    assert len(export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), out).files) == 6
    again = export_gdelt(data, date(2026, 1, 9), date(2026, 1, 9), out)
    assert sorted(out.iterdir()) == sorted(again.files) == [out / "20260109000000.export.CSV", out / "20260109000000.mentions.CSV"]
    assert export_gdelt(data, date(2025, 1, 1), date(2025, 1, 31), out).files == () and not any(out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"], "no staging folder left"


@pytest.mark.parametrize("foreign", ["notes.txt", "20260109000000.export.CSV/x"])
def test_a_folder_holding_other_files_is_refused_before_anything_is_written(tmp_path, foreign):
    data, out = DataDir(tmp_path / "data"), tmp_path / "out"
    two_runs(data)
    (out / foreign).parent.mkdir(parents=True, exist_ok=True)
    (out / foreign).write_text("mine")
    with pytest.raises(NewseventsError, match=f"cannot export to {out}: it holds '{foreign.split('/')[0]}', which export did not write"):
        export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), out)
    assert [p.relative_to(tmp_path).as_posix() for p in sorted(out.rglob("*")) if p.is_file()] == [f"out/{foreign}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]


def test_a_failure_midway_leaves_the_earlier_export_untouched(tmp_path, monkeypatch):
    data, out = DataDir(tmp_path / "data"), tmp_path / "out"
    two_runs(data)
    export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls, write_rows = [], gdelt.write_rows

    def full_disk(path, *args):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return write_rows(path, *args)

    monkeypatch.setattr(gdelt, "write_rows", full_disk)
    with pytest.raises(NewseventsError, match=f"^cannot export to {out}: No space left on device$"):
        export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"], "no staging folder left"


def test_events_that_did_not_happen_are_left_out(tmp_path):
    data, at = DataDir(tmp_path / "data"), datetime(2026, 1, 10, 12, tzinfo=UTC)
    art = article(1, published=date(2026, 1, 9), run_id="r", ingested_at=at)
    ingest(data, "b1", [art], [mention(art, event="talks", event_date=date(2026, 1, 9)),
                               {**mention(art, event="no strike", event_date=date(2026, 1, 9), cameo="190"),  # "did not attack"
                                "negated": True, "modality": "denied"},
                               {**mention(art, event="if strike", event_date=date(2026, 1, 9), cameo="195"),  # "if X attacks"
                                "modality": "hypothetical"}], "r", at)
    result = export_gdelt(data, date(2026, 1, 9), date(2026, 1, 9), tmp_path / "out")
    assert [e["EventCode"] for e in read([result.files[0]], EVENT_COLUMNS)] == ["042"]
    assert (result.events, result.mentions, result.left_out) == (1, 1, 2)
    assert result.line().endswith("; left out 2 negated or hypothetical events")


def test_the_range_picks_event_days_and_ids_are_stable(tmp_path):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    one = export_gdelt(data, date(2026, 1, 9), date(2026, 1, 9), tmp_path / "a")
    assert one.events == 1 and [p.name for p in one.files] == ["20260109000000.export.CSV", "20260109000000.mentions.CSV"]
    again = export_gdelt(data, date(2026, 1, 9), date(2026, 1, 9), tmp_path / "b")
    assert [p.read_bytes() for p in one.files] == [p.read_bytes() for p in again.files]
    assert export_gdelt(data, date(2025, 1, 1), date(2025, 12, 31), tmp_path / "c").events == 0


def test_tabs_and_line_breaks_in_values_cannot_break_the_layout():
    assert fields(["a\tb", "line\none", None, 3]) == "a b\tline one\t\t3\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(), st.integers()), min_size=1, max_size=8))
def test_any_values_keep_one_line_with_one_field_each(values):
    line = fields(values)
    lines = line.split("\n")
    assert lines[-1] == "" and len(lines) == 2 and len(lines[0].split("\t")) == len(values)
    rows = csv.reader(io.StringIO(line, newline=""), delimiter="\t")
    assert [len(row) or 1 for row in rows] == [len(values)], "a reader that honours quotes too"


def test_quotes_in_values_cannot_open_a_quoted_field(tmp_path):
    at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    art = {**article(1, published=date(2026, 1, 9), run_id="r", ingested_at=at), "source_domain": None,
           "source_name": '"Evil Times', "url": 'file:///tmp/in/a "b".html', "canonical_url": None}
    quoted = {**mention(art, event="quoted", event_date=date(2026, 1, 9), location=('"Quoted" City', "TUR", 39.9, 32.8)),
              "actor1_text": '"Turkey'}
    ingest(DataDir(tmp_path / "data"), "b1", [art], [quoted, mention(art, event="plain", event_date=date(2026, 1, 9))], "r", at)
    result = export_gdelt(DataDir(tmp_path / "data"), date(2026, 1, 9), date(2026, 1, 9), tmp_path / "out")
    for path, width in zip(result.files, (61, 16), strict=True):
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t"))
        assert [len(r) for r in rows] == [width, width], "Python's csv (and pandas) read two rows"
        with duckdb.connect() as con:  # DuckDB sniffing the dialect, as an analyst would call it
            assert len(con.execute("SELECT * FROM read_csv($p, delim='\t', header=false)", {"p": str(path)}).fetchall()) == 2
    events = {e["Actor1Name"]: e for e in read([result.files[0]], EVENT_COLUMNS)}
    assert events["'TURKEY"]["ActionGeo_FullName"] == "'Quoted' City, Turkey"
    assert events["'TURKEY"]["SOURCEURL"] == "file:///tmp/in/a%20%22b%22.html"
    assert {m["MentionSourceName"] for m in read([result.files[1]], MENTION_COLUMNS)} == {"'Evil Times"}


@given(st.text(min_size=1))
def test_global_event_ids_are_stable_60_bit_integers(event_id):
    assert global_event_id(event_id) == global_event_id(event_id) and 0 <= global_event_id(event_id) < 2**60


def test_column_names_match_the_gdelt_reference(shared):
    reference = shared / "reference"
    with (reference / "gdelt-2.0-events-columns.csv").open(encoding="utf-8") as f:
        assert tuple(r["tableId"] for r in csv.DictReader(f)) == EVENT_COLUMNS
    with (reference / "gdelt-2.0-mentions-columns.tsv").open(encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
        assert tuple(r[1] for r in rows if r[2]) == MENTION_COLUMNS
        assert {r[1] for r in rows if r[2] == "INTEGER"} <= INTEGERS and {r[1] for r in rows if r[2] == "FLOAT"} <= FLOATS
    with (reference / "gdelt-2.0-events-columns.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        assert {r["tableId"] for r in rows if r["dataType"] == "INTEGER"} <= INTEGERS
        assert {r["tableId"] for r in rows if r["dataType"] == "FLOAT"} <= FLOATS


def test_the_command_line_exports_and_refuses_a_reversed_range(tmp_path, capsys):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    args = ["export", "--format", "gdelt", "--data-dir", str(data.root), "--output", str(tmp_path / "out")]
    assert main([*args, "--since", "2026-01-01", "--until", "2026-01-31"]) == 0
    assert "wrote 3 events and 4 mentions" in capsys.readouterr().out
    assert main([*args, "--since", "2026-02-01", "--until", "2026-01-01"]) == 2
    assert "is after --until" in capsys.readouterr().err
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert main([*args, "--since", "2026-01-01", "--until", "2026-01-31"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsevents: cannot export to") and "'notes.txt'" in err and err.count("\n") == 1


def test_an_export_during_a_commit_reads_each_month_as_it_was_before_or_after_it(tmp_path, monkeypatch):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    at = datetime(2026, 2, 1, tzinfo=UTC)
    moved = article(2, published=date(2026, 2, 9), run_id="20260201T000000Z-cccccc", ingested_at=at)  # its date was corrected
    again = [mention(moved, event="talks", event_date=date(2026, 1, 8)),
             mention(moved, event="strike", event_date=date(2026, 1, 9), cameo="190", quad=4, goldstein=-10.0,
                     actor1=("RUSMIL", "RUS"), actor2=("UKR", "UKR"), location=("Kharkiv", "UKR", 49.99, 36.23))]
    tables = {"articles": [(moved["published_at"], moved)], "event_mentions": [(moved["published_at"], m) for m in again]}
    with commit_held_back(data, "again", tables, {moved["article_id"]: "year=2026/month=01"}, monkeypatch):
        result = export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), tmp_path / "out")
    assert result.mentions == 4


def test_each_copy_of_an_article_is_a_mentions_row_of_its_own_source(tmp_path):
    data = DataDir(tmp_path / "data")
    at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    original = article(1, published=date(2026, 1, 9), run_id="r", ingested_at=at)
    copy = copy_of(original, 2, domain="wire.example.net", ingested_at=at)
    ingest(data, "b1", [original, copy], [mention(original, event="talks", event_date=date(2026, 1, 8))], "r", at)
    export_gdelt(data, date(2026, 1, 1), date(2026, 1, 31), tmp_path / "out")
    [talks] = read(sorted((tmp_path / "out").glob("*.export.CSV")), EVENT_COLUMNS)
    mentions = read(sorted((tmp_path / "out").glob("*.mentions.CSV")), MENTION_COLUMNS)
    assert (talks["NumMentions"], talks["NumArticles"], talks["NumSources"]) == (2, 2, 2)
    assert [(m["MentionSourceName"], m["MentionIdentifier"]) for m in mentions] == [
        ("news.example.org", "https://news.example.org/1"), ("wire.example.net", "https://wire.example.net/2")], \
        "one row per document, as many as NumMentions; the original first"
    assert talks["SOURCEURL"] == "https://news.example.org/1"
