"""The whole ingest flow under a Prefect test harness: samples, idempotent re-runs, the seed, bad input."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.ingest import ingest
from flows.options import RunOptions
from transforms import catalog
from transforms.load import DataDir

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

pytestmark = [pytest.mark.flow, pytest.mark.model]
TABLE_NAMES = ["articles", "entities", "event_mentions", "events", "quarantine", "runs"]


def counts(data: DataDir) -> dict[str, int]:
    return {t: catalog.query(data, f"SELECT count(*) FROM {t}")[1][0][0] for t in TABLE_NAMES}


@pytest.fixture(scope="module")
def samples_run(prefect_harness, nlp, tmp_path_factory):
    data = DataDir(tmp_path_factory.mktemp("samples-data"))
    summary = ingest([str(SAMPLES)], RunOptions(data_dir=data.root, batch_size=5))
    return data, summary


def test_samples_fill_every_table(samples_run):
    data, summary = samples_run
    c = summary.counts
    assert c["articles"] >= 12 and c["duplicates"] == 1
    assert c["inputs"] == c["articles"] + c["duplicates"] + c["unchanged"] + c["quarantined"]
    tables = counts(data)
    assert tables["articles"] == c["articles"] + c["duplicates"]
    assert tables["entities"] == c["entities"] > 0
    assert tables["event_mentions"] == c["event_mentions"] > 0
    assert 0 < tables["events"] <= tables["event_mentions"]
    assert tables["runs"] == 1


def test_samples_quarantine_the_empty_and_the_non_english(samples_run):
    data, _ = samples_run
    reasons = {r for (r,) in catalog.query(data, "SELECT reason FROM quarantine")[1]}
    assert {"EMPTY", "NOT_ENGLISH"} <= reasons


def test_duplicate_points_at_the_first_article(samples_run):
    data, _ = samples_run
    _, rows = catalog.query(data, """
        SELECT d.url, o.url FROM articles d JOIN articles o ON d.duplicate_of = o.article_id""")
    assert len(rows) == 1 and rows[0][0] != rows[0][1]
    _, mentions = catalog.query(data, "SELECT count(*) FROM event_mentions m JOIN articles a USING (article_id) WHERE a.duplicate_of IS NOT NULL")
    assert mentions == [(0,)], "duplicates are not coded twice"


def test_offsets_index_the_article_text(samples_run):
    data, _ = samples_run
    _, bad = catalog.query(data, """
        SELECT e.text, substr(a.text, e.start_char + 1, e.end_char - e.start_char) FROM entities e
        JOIN articles a USING (article_id) WHERE substr(a.text, e.start_char + 1, e.end_char - e.start_char) <> e.text
        UNION ALL
        SELECT m.sentence, '' FROM event_mentions m JOIN articles a USING (article_id)
        WHERE substr(a.text, m.sentence_start_char + 1, m.sentence_end_char - m.sentence_start_char) <> m.sentence""")
    assert bad == []


def test_rerunning_the_same_inputs_adds_no_rows(samples_run, tmp_path):
    data, first = samples_run
    before = counts(data)
    again = ingest([str(SAMPLES)], RunOptions(data_dir=data.root, batch_size=7))
    after = counts(data)
    assert again.counts["articles"] == 0 and again.counts["unchanged"] == first.counts["articles"] + first.counts["duplicates"]
    assert {**after, "runs": 0} == {**before, "runs": 0}
    assert after["runs"] == before["runs"] + 1


def test_seed_article_yields_the_analyst_events(prefect_harness, nlp, shared, tmp_path):
    shutil.copy(shared / "seeds" / "s400-turkey.txt", tmp_path / "s400-turkey.txt")
    data = DataDir(tmp_path / "data")
    ingest([str(tmp_path / "s400-turkey.txt")], RunOptions(data_dir=data.root, published=date(2019, 4, 3)))
    _, [(text,)] = catalog.query(data, "SELECT text FROM articles")
    assert "Illustrative" not in text and "Most Popular" not in text and "read more" not in text
    _, rows = catalog.query(data, "SELECT actor1_country, actor2_country, quad_class, modality, cameo_root, sentence FROM event_mentions")
    dyads = [(r[0], r[1]) for r in rows]
    assert ("RUS", "TUR") in dyads
    assert dyads.count(("USA", "TUR")) >= 3
    assert any(r[:2] == ("RUS", "TUR") and r[2] == 2 and r[3] == "intended" for r in rows)
    assert any(r[:2] == ("USA", "TUR") and r[3] == "threatened" for r in rows)


def test_bad_files_are_quarantined_and_the_run_goes_on(prefect_harness, nlp, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "good.txt").write_text("Chile and Peru sign a water accord\n\nChile and Peru signed an accord on "
                                     "shared rivers on Tuesday, officials in Lima said. The agreement sets up a joint "
                                     "commission that will meet every year to divide the water of the border rivers.")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.html").write_bytes(bytes(range(256)) * 40)
    (inputs / "broken.jsonl").write_text('{"text": 5}\nnot json\n')
    (inputs / "notes.pdf").write_bytes(b"%PDF-1.7")
    data = DataDir(tmp_path / "data")
    state = ingest([str(inputs)], RunOptions(data_dir=data.root, published=date(2026, 6, 2)), return_state=True)
    summary = state.result()
    assert summary.counts["articles"] == 1 and summary.counts["quarantined"] == 5
    _, rows = catalog.query(data, "SELECT reason FROM quarantine ORDER BY reason")
    assert [r for (r,) in rows] == ["BINARY", "EMPTY", "JSONL_MALFORMED", "JSONL_NO_TEXT", "UNSUPPORTED_TYPE"]
    _, [(status, quarantined, flow_run_id)] = catalog.query(data, "SELECT status, counts['quarantined'], flow_run_id FROM runs")
    assert (status, quarantined) == ("completed", 5)
    assert flow_run_id == str(state.state_details.flow_run_id), "the row names the Prefect flow run it came from"


ACCORD = ("Chile and Peru sign a water accord\n\nChile and Peru signed an accord on shared rivers on Tuesday, officials "
          "in Lima said. The agreement sets up a joint commission that will meet every year to divide the water.")


@pytest.mark.parametrize("month", [6, 7], ids=["same-month", "another-month"])
def test_a_changed_file_replaces_its_rows_wherever_they_are_and_an_unchanged_one_is_skipped(prefect_harness, nlp, tmp_path, month):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "accord.txt").write_text(ACCORD)
    (inputs / "talks.txt").write_text(ACCORD.replace("Chile", "Bolivia").replace("accord", "treaty"))
    data = DataDir(tmp_path / "data")
    ingest([str(inputs)], RunOptions(data_dir=data.root, published=date(2026, 6, 2)))
    (inputs / "accord.txt").write_text(ACCORD.replace("signed an accord", "threatened to sanction each other"))
    summary = ingest([str(inputs)], RunOptions(data_dir=data.root, published=date(2026, month, 2)))
    assert (summary.counts["replaced"], summary.counts["unchanged"], summary.counts["articles"]) == (1, 1, 1)
    _, rows = catalog.query(data, "SELECT count(*), count(DISTINCT article_id), bool_or(text LIKE '%threatened%') FROM articles")
    assert rows == [(2, 2, True)]
    for table in ("articles", "entities", "event_mentions"):  # each article's rows in its partition only
        _, rows = catalog.query(data, f"SELECT DISTINCT a.url, regexp_extract(t.filename, 'month=([0-9]+)', 1) "
                                      f"FROM read_parquet('{data.table_glob(table)}', filename=true, union_by_name=true) t "
                                      f"JOIN articles a USING (article_id) ORDER BY 1, 2")
        assert [(url.rsplit("/", 1)[1], m) for url, m in rows] == [("accord.txt", f"{month:02d}"), ("talks.txt", "06")], table
    _, stale = catalog.query(data, "SELECT count(*) FROM event_mentions WHERE sentence LIKE '%signed an accord%'")
    assert stale == [(0,)], "the old version's events are gone"


def test_an_event_keeps_when_it_was_first_seen_when_its_article_is_replaced(prefect_harness, nlp, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "accord.txt").write_text(ACCORD)
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 6, 2))
    data = DataDir(options.data_dir)
    ingest([str(inputs)], options)
    _, before = catalog.query(data, "SELECT event_id, first_seen_at, updated_at FROM events")
    (inputs / "accord.txt").write_text(ACCORD + " The commission will publish its first report next year.")
    assert ingest([str(inputs)], options).counts["replaced"] == 1
    _, after = catalog.query(data, "SELECT event_id, first_seen_at, updated_at FROM events")
    kept = {e: seen for e, seen, _ in before} .items() & {e: seen for e, seen, _ in after}.items()
    assert before and {e for e, _ in kept} == {e for e, _, _ in before} & {e for e, _, _ in after} != set()
    assert min(u for _, _, u in after) > max(u for _, _, u in before), "recomputed"
    _, [(ingested,)] = catalog.query(data, "SELECT ingested_at FROM articles")
    assert all(seen < ingested for _, seen in kept), "earlier than the replacing article's ingestion"


KHARKIV = ("Fighting near Kharkiv\n\nRussian troops attacked Ukrainian positions near Kharkiv on Tuesday, the Ukrainian "
           "military said. Officials in Kyiv said the attack was repelled after several hours of heavy shelling.")


@pytest.mark.parametrize("batch_size", [64, 1])
def test_a_second_version_of_an_article_in_one_run_is_quarantined_and_the_first_kept(prefect_harness, nlp, tmp_path, batch_size):
    inputs = tmp_path / "in"
    inputs.mkdir()
    records = [{"url": "https://news.example/story-1", "title": "Accord", "text": ACCORD},
               {"url": "https://news.example/story-1#update", "title": "Kharkiv", "text": KHARKIV}]  # one canonical URL
    (inputs / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 6, 2), batch_size=batch_size)
    data = DataDir(options.data_dir)
    first = ingest([str(inputs)], options)
    assert (first.counts["articles"], first.counts["replaced"], first.counts["quarantined"]) == (1, 0, 1)
    _, [(stage, reason, url, detail)] = catalog.query(data, "SELECT stage, reason, url, detail FROM quarantine")
    assert (stage, reason, url.rsplit("/", 1)[1]) == ("dedupe", "SAME_ARTICLE", "wire.jsonl#line=2")
    assert "https://news.example/story-1" in detail and detail.endswith("wire.jsonl#line=1, read first in this run with other bytes")
    _, rows = catalog.query(data, "SELECT count(*), bool_and(text LIKE '%accord%') FROM articles")
    assert rows == [(1, True)]
    for table, key in (("entities", "entity_id"), ("event_mentions", "event_mention_id")):
        _, rows = catalog.query(data, f"SELECT count(*) = count(DISTINCT {key}) FROM {table}")
        assert rows == [(True,)], f"{table}: one row per key"
    _, rows = catalog.query(data, "SELECT count(*) FROM event_mentions WHERE sentence LIKE '%Kharkiv%'")
    assert rows == [(0,)], "no row of the second version"
    again = ingest([str(inputs)], options)
    assert (again.counts["unchanged"], again.counts["replaced"], again.counts["quarantined"]) == (1, 0, 1), "re-runs keep the first"
    assert counts(data)["quarantine"] == 1


def lake_rows(data: DataDir) -> dict[str, list]:
    """Every article, entity, mention and event, without the columns that say when or in which run it was written."""
    skip = {"articles": "ingested_at, run_id", "entities": "run_id", "event_mentions": "run_id",
            "events": "first_seen_at, updated_at"}
    return {t: catalog.query(data, f"SELECT * EXCLUDE ({columns}) FROM {t} ORDER BY ALL")[1] for t, columns in skip.items()}


def test_editing_an_original_makes_its_first_duplicate_the_original_of_the_old_text(prefect_harness, nlp, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (inputs / name).write_text(KHARKIV)
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 11, 2), batch_size=1)  # stored in file order
    data = DataDir(options.data_dir)
    ingest([str(inputs)], options)
    (inputs / "a.txt").write_text(KHARKIV.upper().replace(" ", "  "))
    same = ingest([str(inputs)], options)
    assert (same.counts["inputs"], same.counts["replaced"]) == (3, 1), "the same normalised text orphans nothing"
    _, rows = catalog.query(data, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
    assert rows == [(2,)]
    (inputs / "a.txt").write_text(ACCORD)
    summary = ingest([str(inputs)], options)
    fresh = ingest([str(inputs)], RunOptions(data_dir=tmp_path / "fresh", published=date(2026, 11, 2)))
    assert (fresh.counts["articles"], fresh.counts["duplicates"]) == (2, 1)
    assert lake_rows(data) == lake_rows(DataDir(tmp_path / "fresh"))
    _, rows = catalog.query(data, "SELECT count(*) FROM event_mentions JOIN articles USING (article_id) "
                                  "WHERE url LIKE '%/b.txt' AND sentence LIKE '%Kharkiv%'")
    assert rows[0][0] > 0, "b is the original of the old text, with its events"
    assert (summary.counts["inputs"], summary.counts["replaced"], summary.counts["unchanged"]) == (5, 3, 2), \
        "b and c are read again from data/raw/"


def test_duplicates_of_an_edited_original_whose_raw_bytes_are_gone_are_rebuilt_from_their_rows(prefect_harness, nlp, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (inputs / name).write_text(KHARKIV)
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 11, 2), batch_size=1)
    data = DataDir(options.data_dir)
    ingest([str(inputs)], options)
    shutil.rmtree(data.raw)  # the lake moved to a data directory without data/raw/
    (inputs / "a.txt").write_text(ACCORD)
    summary = ingest([str(inputs / "a.txt")], options)
    assert (summary.counts["inputs"], summary.counts["articles"], summary.counts["duplicates"], summary.counts["quarantined"]) \
        == (3, 2, 1, 0)
    _, rows = catalog.query(data, "SELECT count(*) FROM articles a JOIN articles o ON a.duplicate_of = o.article_id "
                                  "WHERE a.text_sha256 = o.text_sha256")
    assert rows == [(1,)], "c is a copy of b, which has its text; none is left a copy of a's new text"
    _, rows = catalog.query(data, "SELECT first_sentence LIKE '%Kharkiv%', num_articles FROM events ORDER BY 1")
    assert rows == [(False, 1), (True, 2)]


def test_reprocess_redoes_articles_of_an_older_pipeline_from_the_raw_store(samples_run, tmp_path):
    from flows.ingest import reprocess

    source, _ = samples_run
    data = DataDir(tmp_path / "copy")
    shutil.copytree(source.root, data.root)
    catalog.refresh(data)
    before = {t: catalog.query(data, f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL")[1] for t in ("entities", "event_mentions")}
    assert reprocess(RunOptions(data_dir=data.root)).counts["inputs"] == 0, "nothing is older than the current pipeline"
    files = sorted((data.lake.path / "articles").rglob("*.parquet"))
    for file in files:  # written before articles kept http_content_type and given_title: reprocess reads them as null
        pq.write_table(pq.read_table(file).drop_columns(["http_content_type", "given_title"]), file)
    older = pq.read_table(files[0])
    pq.write_table(older.set_column(older.schema.get_field_index("pipeline_version"), "pipeline_version",
                                    pa.array(["newsevents 0.0.1"] * older.num_rows)), files[0])
    rerun = ingest([str(SAMPLES)], RunOptions(data_dir=data.root))
    assert (rerun.counts["articles"], rerun.older) == (0, older.num_rows), "unchanged inputs are not redone, and the run says so"
    assert f"{older.num_rows} articles in the lake were made by an older pipeline version (`newsevents reprocess`" in rerun.line()
    summary = reprocess(RunOptions(data_dir=data.root))
    assert summary.counts["replaced"] == summary.counts["inputs"] == older.num_rows > 0
    after = {t: catalog.query(data, f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL")[1] for t in ("entities", "event_mentions")}
    assert after == before, "the same pipeline rebuilds the same rows from data/raw/"
    _, [(versions,)] = catalog.query(data, "SELECT count(DISTINCT pipeline_version) FROM articles")
    assert versions == 1


def test_the_run_publishes_a_report_and_a_table_artifact(samples_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    _, summary = samples_run
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-run", "ingest-run-counts"])))
    report = [a for a in artifacts if a.key == "ingest-run" and summary.run_id in a.data]
    assert report and "| NOT_ENGLISH | 1 |" in report[0].data and f"| articles | {summary.counts['articles']} |" in report[0].data
    tables = [a for a in artifacts if a.key == "ingest-run-counts" and summary.run_id in (a.description or "")]
    assert tables and {"stage": "inputs", "count": summary.counts["inputs"]} in json.loads(tables[0].data)


def test_a_batch_journaled_before_the_lake_failed_counts_as_published(prefect_harness, nlp, tmp_path, monkeypatch):
    """The lake fails while the second batch's files are put in place: the journal holds the batch, so the run's row
    counts it, and the next command that writes puts the rest in place."""
    from tests.hostile import news_corpus
    from transforms.lake import Lake
    from transforms.load import CommitPending, exclusive, recover

    news_corpus(tmp_path / "in", 12)
    put, calls = Lake.put, []

    def put_failing_once(lake: Lake, staged: str, final: str) -> None:
        calls.append(final)
        if len(calls) == 6:  # among the second batch's files
            raise ConnectionError("the lake went away")
        put(lake, staged, final)

    monkeypatch.setattr(Lake, "put", put_failing_once)
    with pytest.raises(CommitPending, match="the next command that writes finishes it"):
        ingest([str(tmp_path / "in")], RunOptions(data_dir=tmp_path / "data", batch_size=5, published=date(2026, 1, 15)))
    monkeypatch.setattr(Lake, "put", put)
    data = DataDir(tmp_path / "data")
    with exclusive(data):  # as every command that writes does first
        recover(data)
    catalog.refresh(data)
    _, [(status, counts)] = catalog.query(data, "SELECT status, counts FROM runs")
    _, [(stored,)] = catalog.query(data, "SELECT count(*) FROM articles WHERE duplicate_of IS NULL")
    assert status == "failed" and 5 < counts["articles"] == stored


def test_a_run_that_fails_midway_records_a_failed_row_counting_what_it_published(prefect_harness, nlp, tmp_path):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.ingest import accounted, run_batches
    from tests.hostile import news_corpus
    from transforms.fetch import fetch_row
    from transforms.fetch_http import Response
    from transforms.read import expand_paths, read_files

    documents = list(read_files(expand_paths([news_corpus(tmp_path / "in", 40)[0].parent])[0]))
    calls = []

    def fetched(batches, i: int) -> None:
        batches.fetched([fetch_row(Response(url=f"https://news.example/{i}", status=200), source_name=None, attempt=1)])

    def stream(batches):
        for i, document in enumerate(documents[:30]):
            fetched(batches, i)
            yield document
        fetched(batches, 30)  # an attempt whose batch never comes
        raise OSError("the input disk went away")

    @flow
    def failing():
        return run_batches("ingest", {}, RunOptions(data_dir=tmp_path / "data", batch_size=5), stream, total=None,
                           published=lambda: calls.append("published"))

    with pytest.raises(OSError, match="the input disk went away"):
        failing()
    assert calls == [], "what waits for the run's publication (the feeds' validators) is not done"
    data = DataDir(tmp_path / "data")
    _, [(status, error, counts, run_id)] = catalog.query(data, "SELECT status, error, counts, run_id FROM runs")
    _, [(stored,)] = catalog.query(data, "SELECT count(*) FROM articles WHERE duplicate_of IS NULL")
    _, [(fetches,)] = catalog.query(data, "SELECT count(*) FROM fetches")
    assert (status, error) == ("failed", "OSError: the input disk went away")
    assert 0 < counts["articles"] == stored
    assert counts["fetches"] == fetches == 31, "every attempt is a row, those whose batch never came included"
    # batches still in flight when the stream failed are not counted: the next run reads them again
    assert 0 < counts["inputs"] == accounted(counts) <= 30
    _, [(mentions, rolled_up)] = catalog.query(data, "SELECT (SELECT count(*) FROM event_mentions), "
                                                     "(SELECT sum(num_mentions) FROM events)")
    assert 0 < mentions == rolled_up, "the events of the months it touched are recomputed before the run ends"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-run"])))
    [report] = [a.data for a in artifacts if run_id in a.data]
    assert "Status: failed: OSError: the input disk went away" in report and f"| articles | {stored} |" in report


def test_a_run_that_stops_closes_its_input_stream_before_it_records_itself(prefect_harness, nlp, tmp_path):
    """A stop outside the stream (here a quarantine row that cannot be made) closes it first, so the fetcher behind it
    abandons its requests in flight rather than go on fetching while the run records itself."""
    from prefect import flow

    from flows.ingest import run_batches
    from transforms.errors import Reason, Rejection

    data = DataDir(tmp_path / "data")
    closed = []

    def stream(_):
        try:
            yield Rejection(stage="read", reason=Reason.EMPTY, url="bad", detail="x",
                            payload=404)  # no bytes: its row cannot be made
            for i in range(100):
                yield Rejection(stage="read", reason=Reason.EMPTY, url=f"empty-{i}", detail="empty")
        finally:
            closed.append("runs row" if data.has_files("runs") else "no runs row yet")

    @flow
    def failing():
        return run_batches("ingest", {}, RunOptions(data_dir=data.root, batch_size=1), stream, total=None)

    with pytest.raises(TypeError):
        failing()
    assert closed == ["no runs row yet"]


def test_the_runs_row_records_sets_of_options_as_sorted_json_lists(samples_run):
    data, summary = samples_run
    _, [(params,)] = catalog.query(data, f"SELECT params FROM runs WHERE run_id = '{summary.run_id}'")
    options = json.loads(params)
    assert options["fetch"]["content_types"] == ["application/xhtml+xml", "text/html"]
    assert options["data_dir"] == str(data.root) and options["languages"] == ["en"]
    assert options["deployment"] is None, "a run by hand, not a served deployment's"


def test_a_run_while_a_reader_holds_the_catalog_completes_and_says_the_views_wait(prefect_harness, nlp, tmp_path, capsys):
    from tests.lakes import catalog_held

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "accord.txt").write_text(ACCORD)
    data = DataDir(tmp_path / "data")
    catalog.refresh(data)
    with catalog_held(data, read_only=True):  # a DuckDB shell, or a newsevents sql, open on the catalog
        summary = ingest([str(inputs)], RunOptions(data_dir=data.root, published=date(2026, 6, 2)))
    assert summary.counts["articles"] == 1
    assert "is open in another process" in capsys.readouterr().err
    assert catalog.query(data, "SELECT status FROM runs")[1] == [("completed",)]
    assert catalog.query(data, "SELECT count(*) FROM articles")[1] == [(1,)]

BREAD = ("A simple loaf\n\nMix flour, water, salt and yeast into a soft dough. Leave it to rise for an hour, shape it "
         "into a loaf and bake it for forty minutes until the crust is golden.")


def wire_copies(path: Path, urls: dict[str, str]) -> None:
    """A JSONL file of one story per URL (url -> text)."""
    path.write_text("".join(json.dumps({"url": url, "title": "Kharkiv", "text": text}) + "\n" for url, text in urls.items()))


def kharkiv_counts(data: DataDir) -> tuple[int, int, int]:
    """num_mentions, num_articles and num_sources of the attack near Kharkiv (its one event coded 190)."""
    _, [counts] = catalog.query(data, "SELECT num_mentions, num_articles, num_sources FROM events WHERE cameo_root = '19'")
    return counts


def test_each_copy_of_a_story_counts_in_its_events_as_gdelt_counts_it(prefect_harness, nlp, tmp_path):
    from flows.ingest import reprocess
    from transforms.compact import compact

    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir(), later.mkdir()
    wire_copies(first / "wire.jsonl", {"https://a.example/k": KHARKIV, "https://b.example/k": KHARKIV})
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 6, 2), batch_size=1)
    data = DataDir(options.data_dir)
    ingest([str(first)], options)
    _, [(told,)] = catalog.query(data, "SELECT count(*) FROM event_mentions WHERE cameo_root = '19'")
    assert kharkiv_counts(data) == (2 * told, 2, 2), "a copy on another domain in the same run"
    wire_copies(later / "wire.jsonl", {"https://c.example/k": KHARKIV, "https://a.example/k2": KHARKIV})
    ingest([str(later)], options)
    assert kharkiv_counts(data) == (4 * told, 4, 3), "a copy on a third domain and one more on the first, a run later"
    wire_copies(later / "wire.jsonl", {"https://c.example/k": BREAD, "https://a.example/k2": KHARKIV})
    assert ingest([str(later)], options).counts["replaced"] == 1
    assert kharkiv_counts(data) == (3 * told, 3, 2), "c.example's page now tells another story, with no event"
    assert reprocess(options, everything=True).counts["replaced"] == 4
    assert kharkiv_counts(data) == (3 * told, 3, 2), "reprocessed"
    compact(data)
    assert kharkiv_counts(data) == (3 * told, 3, 2), "compacted"
    assert not data.rollup_backlog.exists()


def test_a_crash_before_the_rollup_of_a_later_copy_leaves_its_original_s_month_on_the_backlog(prefect_harness, nlp, tmp_path,
                                                                                             monkeypatch):
    from flows import ingest as ingest_module
    from transforms.load import exclusive, rollup_backlog

    inputs = tmp_path / "in"
    inputs.mkdir()
    wire_copies(inputs / "wire.jsonl", {"https://a.example/k": KHARKIV})
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 6, 2))
    data = DataDir(options.data_dir)
    ingest([str(inputs)], options)
    wire_copies(inputs / "wire.jsonl", {"https://a.example/k": KHARKIV, "https://b.example/k": KHARKIV})
    monkeypatch.setattr(ingest_module, "rollup_events", lambda months, data_dir: 0)  # killed before its rollup
    ingest([str(inputs)], options)
    assert kharkiv_counts(data)[1] == 1 and rollup_backlog(data) == {"2026-06"}
    with exclusive(data):  # the next command that writes catches up
        pass
    assert kharkiv_counts(data)[1] == 2 and not data.rollup_backlog.exists()


def fail_on_kharkiv(monkeypatch) -> None:
    """Make the event coder raise on every text about Kharkiv."""
    from transforms import analyse

    code_events = analyse.code_events

    def failing_on_kharkiv(doc, **kwargs):
        if "Kharkiv" in doc.text:
            raise ValueError("the coder broke")
        return code_events(doc, **kwargs)

    monkeypatch.setattr(analyse, "code_events", failing_on_kharkiv)


@pytest.mark.parametrize("batch_size", [64, 1])
def test_copies_of_an_original_whose_analysis_failed_are_quarantined_with_it(prefect_harness, nlp, tmp_path, monkeypatch,
                                                                            batch_size):
    fail_on_kharkiv(monkeypatch)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, text in (("a.txt", KHARKIV), ("b.txt", KHARKIV), ("c.txt", ACCORD), ("d.txt", KHARKIV)):
        (inputs / name).write_text(text)
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 11, 2), batch_size=batch_size)
    data = DataDir(options.data_dir)
    summary = ingest([str(inputs)], options)
    assert (summary.counts["articles"], summary.counts["duplicates"], summary.counts["quarantined"]) == (1, 0, 3)
    _, rows = catalog.query(data, "SELECT url FROM articles")
    assert [url.rsplit("/", 1)[1] for url, in rows] == ["c.txt"], "no copy left pointing at an article never stored"
    _, rows = catalog.query(data, "SELECT url, reason, detail FROM quarantine ORDER BY url")
    assert [(url.rsplit("/", 1)[1], reason) for url, reason, _ in rows] == [
        ("a.txt", "NLP_FAILED"), ("b.txt", "NLP_FAILED"), ("d.txt", "NLP_FAILED")]
    assert all("an exact copy of" in detail and "a.txt" in detail and "the coder broke" in detail for _, _, detail in rows[1:])


def test_a_stored_copy_keeps_its_rows_with_its_original_when_the_original_s_new_analysis_fails(prefect_harness, nlp, tmp_path,
                                                                                              monkeypatch):
    from flows.ingest import reprocess

    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt"):
        (inputs / name).write_text(KHARKIV)
    options = RunOptions(data_dir=tmp_path / "data", published=date(2026, 11, 2))
    data = DataDir(options.data_dir)
    ingest([str(inputs)], options)
    fail_on_kharkiv(monkeypatch)
    summary = reprocess(options, everything=True)
    assert (summary.counts["inputs"], summary.counts["quarantined"], summary.counts["replaced"]) == (2, 2, 0)
    _, rows = catalog.query(data, "SELECT count(*), count(duplicate_of) FROM articles")
    assert rows == [(2, 1)], "both keep their old rows, the copy still pointing at its stored original"
