"""The events rollup: month by month, with ties that do not depend on which months a rollup covers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.lakes import article, copy_of, mention
from transforms.load import DataDir, publish
from transforms.rollup import rollup


def tied_lake(data: DataDir) -> list[dict]:
    """Two months; in January one event with two mentions that disagree on modality, actor name and place."""
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    arts = [article(n, published=date(2026, 1, 20), run_id="r", ingested_at=at) for n in (1, 2, 3)]
    mentions = [
        {**mention(arts[0], event="talks", event_date=date(2026, 1, 8), location=("Ankara", "TUR", 39.92, 32.85)),
         "modality": "intended", "actor1_text": "Turks"},
        {**mention(arts[1], event="talks", event_date=date(2026, 1, 8), location=("Istanbul", "TUR", 41.01, 28.98)),
         "modality": "asserted", "actor1_text": "Ankara"},
        mention(arts[2], event="later", event_date=date(2026, 2, 3)),
    ]
    day = {a["article_id"]: a["published_at"] for a in arts}
    publish(data, "b1", {"articles": [(a["published_at"], a) for a in arts],
                         "event_mentions": [(day[m["article_id"]], m) for m in mentions]})
    return mentions


def events(data: DataDir) -> list[dict]:
    with data.connect() as con:
        cursor = con.execute(f"SELECT * EXCLUDE (updated_at) FROM read_parquet('{data.table_glob('events')}') ORDER BY event_id")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_ties_break_the_same_way_whichever_months_a_rollup_covers(tmp_path):
    one, both = DataDir(tmp_path / "one"), DataDir(tmp_path / "both")
    mentions, _ = tied_lake(one), tied_lake(both)
    assert rollup(one, {date(2026, 1, 1)}) + rollup(one, {date(2026, 2, 1)}) == 2
    assert rollup(both, {date(2026, 1, 15), date(2026, 2, 1)}) == 2
    assert events(one) == events(both)
    talks = next(e for e in events(both) if e["num_mentions"] == 2)
    assert (talks["modality"], talks["actor1_name"], talks["location_name"]) == ("asserted", "Ankara", "Ankara")
    first = min(mentions[:2], key=lambda m: (m["article_id"], m["event_mention_id"]))  # same ingested_at and sentence
    assert (talks["location_lat"], talks["location_lon"]) == (first["location_lat"], first["location_lon"])  # one mention's


def test_each_month_is_written_to_its_own_partition(tmp_path):
    data = DataDir(tmp_path)
    tied_lake(data)
    rollup(data, {date(2026, 1, 1), date(2026, 2, 1)})
    written = sorted(p.relative_to(data.root / "lake" / "events").as_posix() for p in (data.root / "lake" / "events").rglob("*.parquet"))
    assert written == ["year=2026/month=01/part-rollup.parquet", "year=2026/month=02/part-rollup.parquet"]


def test_a_month_that_loses_its_events_loses_its_file_in_a_counted_commit(tmp_path):
    """A reader that checks the commit count around its query (newsevents sql) sees the removal as a commit."""
    data = DataDir(tmp_path)
    tied_lake(data)
    rollup(data, {date(2026, 1, 1), date(2026, 2, 1)})
    told_february = article(3, published=date(2026, 1, 20), run_id="r2", ingested_at=datetime(2026, 2, 11, tzinfo=UTC))
    publish(data, "b2", {"articles": [(told_february["published_at"], told_february)]},
            replacing={told_february["article_id"]: "year=2026/month=01"})  # its new version tells no event
    before = data.lake.commits()
    rollup(data, {date(2026, 2, 1)})
    assert data.lake.commits() == before + 2
    assert not list((data.root / "lake" / "events").glob("year=2026/month=02/*.parquet"))


def test_average_tone_is_over_the_articles_not_the_mentions(tmp_path):
    data = DataDir(tmp_path)
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    arts = [article(n, published=date(2026, 1, 20), run_id="r", ingested_at=at) for n in (1, 2)]  # tone -0.5 and 0.5
    told_twice = [{**mention(arts[1], event="talks", event_date=date(2026, 1, 8)), "sentence_index": i,
                   "event_mention_id": f"m{i}"} for i in (1, 2)]
    mentions = [mention(arts[0], event="talks", event_date=date(2026, 1, 8)), *told_twice]
    publish(data, "b1", {"articles": [(a["published_at"], a) for a in arts],
                         "event_mentions": [(arts[0]["published_at"], m) for m in mentions]})
    rollup(data, {date(2026, 1, 1)})
    [talks] = events(data)
    assert (talks["num_mentions"], talks["num_articles"], talks["avg_tone"]) == (3, 2, 0.0)  # GDELT's AvgTone: per document


def test_the_country_and_coordinates_are_those_of_the_place_named(tmp_path):
    data = DataDir(tmp_path)
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    arts = [article(n, published=date(2026, 1, 20), run_id="r", ingested_at=at + timedelta(hours=n)) for n in (1, 2, 3)]
    places = [("Aleppo", "SYR", 36.2, 37.16), ("Ankara", "TUR", 39.92, 32.85), ("Ankara", "TUR", 39.92, 32.85)]
    mentions = [mention(a, event="talks", event_date=date(2026, 1, 8), location=p) for a, p in zip(arts, places, strict=True)]
    publish(data, "b1", {"articles": [(a["published_at"], a) for a in arts],
                         "event_mentions": [(arts[0]["published_at"], m) for m in mentions]})
    rollup(data, {date(2026, 1, 1)})
    [talks] = events(data)
    assert (talks["location_name"], talks["location_country"], talks["location_lat"], talks["location_lon"]) == (
        "Ankara", "TUR", 39.92, 32.85)  # not Aleppo's country or coordinates


def test_negated_agrees_with_modality(tmp_path):
    data = DataDir(tmp_path)
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    arts = [article(n, published=date(2026, 1, 20), run_id="r", ingested_at=at) for n in (1, 2)]
    denied = {**mention(arts[0], event="talks", event_date=date(2026, 1, 8)), "negated": True, "modality": "denied"}
    intended = {**mention(arts[1], event="talks", event_date=date(2026, 1, 8)), "modality": "intended"}
    publish(data, "b1", {"articles": [(a["published_at"], a) for a in arts],
                         "event_mentions": [(arts[0]["published_at"], m) for m in (denied, intended)]})
    rollup(data, {date(2026, 1, 1)})
    [talks] = events(data)
    assert (talks["modality"], talks["negated"]) == ("denied", True)  # one each: the tie goes to 'denied', negated with it


def test_a_lake_holding_an_event_in_december_9999_still_rolls_up(tmp_path):
    data = DataDir(tmp_path)
    art = article(1, published=date(9999, 12, 31), run_id="r", ingested_at=datetime(2026, 2, 10, tzinfo=UTC))
    mentions = [mention(art, event="far", event_date=date(9999, 12, 31)), mention(art, event="talks", event_date=date(2026, 1, 8))]
    publish(data, "b1", {"articles": [(art["published_at"], art)], "event_mentions": [(art["published_at"], m) for m in mentions]})
    assert rollup(data, {date(9999, 12, 1), date(2026, 1, 1)}) == 1  # was: ValueError: year 10000 is out of range


def test_events_carry_the_plover_context_of_their_code(tmp_path):
    data = DataDir(tmp_path)
    art = article(1, published=date(2026, 1, 20), run_id="r", ingested_at=datetime(2026, 2, 10, tzinfo=UTC))
    aid = {**mention(art, event="aid", event_date=date(2026, 1, 8), cameo="0333"), "plover_context": "humanitarian"}
    publish(data, "b1", {"articles": [(art["published_at"], art)], "event_mentions": [(art["published_at"], aid)]})
    rollup(data, {date(2026, 1, 1)})
    assert events(data)[0]["plover_context"] == "humanitarian"


def test_each_copy_of_an_article_counts_as_an_article_of_its_own_source(tmp_path):
    data = DataDir(tmp_path)
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    wire, other = article(4, published=date(2026, 1, 20), run_id="r", ingested_at=at), article(3, published=date(2026, 1, 20), run_id="r", ingested_at=at)
    told_twice = [{**mention(wire, event="talks", event_date=date(2026, 1, 8)), "sentence_index": i, "event_mention_id": f"m{i}"}
                  for i in (1, 2)]
    copies = [copy_of(wire, 1, domain="news.example.net", ingested_at=at),  # sorts before the original: ingested with it
              copy_of(wire, 5, domain=wire["source_domain"], ingested_at=at + timedelta(hours=1))]
    publish(data, "b1", {"articles": [(a["published_at"], a) for a in (wire, other, *copies)],
                         "event_mentions": [(wire["published_at"], m) for m in
                                            (*told_twice, mention(other, event="talks", event_date=date(2026, 1, 8)))]})
    rollup(data, {date(2026, 1, 1)})
    [talks] = events(data)
    # GDELT counts each document: the original and its 2 copies tell it twice each, the other article once
    assert (talks["num_mentions"], talks["num_articles"], talks["num_sources"]) == (7, 4, 3)
    assert talks["avg_tone"] == (3 * wire["tone"] + other["tone"]) / 4
    assert talks["first_source_url"] == wire["canonical_url"], "the original, not a copy ingested with it"


def test_the_mentions_of_an_article_marked_duplicate_still_count(tmp_path):
    data = DataDir(tmp_path)
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    original = article(1, published=date(2026, 1, 20), run_id="r", ingested_at=at)
    coded = copy_of(original, 2, domain="news.example.net", ingested_at=at)  # coded all the same (a lake from elsewhere)
    publish(data, "b1", {"articles": [(a["published_at"], a) for a in (original, coded)],
                         "event_mentions": [(at, mention(coded, event="talks", event_date=date(2026, 1, 8)))]})
    rollup(data, {date(2026, 1, 1)})
    [talks] = events(data)
    assert (talks["num_mentions"], talks["num_articles"]) == (1, 1), "not dropped because its article points at an original"
