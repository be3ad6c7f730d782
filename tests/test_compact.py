"""LAKE -> LAKE: compaction merges small files, keeps the latest copy of each key, swaps atomically, recovers."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from schemas.tables import ARTICLES
from tests.lakes import article, copy_of, held_by_another_process, ingest, mention, two_runs
from transforms.compact import compact, merge
from transforms.load import DataDir, publish, recover, write_journal
from transforms.rollup import rollup


def files(data: DataDir, table: str) -> list[str]:
    return sorted(str(p.relative_to(data.lake.path / table)) for p in (data.lake.path / table).glob("year=*/month=*/*.parquet"))


def rows(data: DataDir, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        for table in ("articles", "event_mentions", "events", "runs"):
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{data.table_glob(table)}', union_by_name=true, hive_partitioning=false)")
        return con.execute(sql).fetchall()


def test_small_files_become_one_per_partition_with_the_same_rows(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    before = {t: rows(data, f"SELECT * FROM {t} ORDER BY ALL") for t in ("articles", "event_mentions", "runs")}
    assert len(files(data, "articles")) == 2
    result = compact(data)
    assert (result.partitions, result.files_before, result.files_after) == (3, 6, 3)
    assert result.rows_before == result.rows_after == 3 + 4 + 2
    for table, expected in before.items():
        assert len(files(data, table)) == 1
        assert rows(data, f"SELECT * FROM {table} ORDER BY ALL") == expected
    assert not list(data.staging.glob("compact-*")) and not list(data.journal.glob("*"))
    assert compact(data).partitions == 0, "a compacted lake has nothing left to merge"


def test_duplicate_keys_keep_the_latest_copy(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    later = datetime(2026, 2, 1, tzinfo=UTC)
    newer = article(1, published=date(2026, 1, 9), run_id="20260201T000000Z-cccccc", ingested_at=later, title="Corrected story 1")
    publish(data, "b3", {"articles": [(newer["published_at"], newer)]})
    assert rows(data, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(4, 3)]
    result = compact(data)
    assert (result.rows_before, result.rows_after) == (3 + 4 + 2 + 1, 3 + 4 + 2)
    assert rows(data, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(3, 3)]
    assert rows(data, f"SELECT title, run_id FROM articles WHERE article_id = '{newer['article_id']}'") == [
        ("Corrected story 1", "20260201T000000Z-cccccc")]


def test_the_events_rollup_is_recomputed_for_touched_months(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    at = datetime(2026, 3, 2, tzinfo=UTC)
    a4 = article(4, published=date(2026, 3, 1), run_id="20260302T000000Z-dddddd", ingested_at=at)
    publish(data, "b4", {"articles": [(a4["published_at"], a4)],
                         "event_mentions": [(a4["published_at"], mention(a4, event="talks", event_date=date(2026, 1, 8)))]})
    talks = "SELECT num_mentions, num_articles FROM events WHERE cameo_code = '042'"
    assert rows(data, talks) == [(2, 2)], "publishing without a rollup leaves events stale"
    compact(data)  # January's two articles files merge, so the events of their mentions' month are recomputed
    assert rows(data, talks) == [(3, 3)]
    assert rows(data, "SELECT count(*) FROM events") == [(3,)]


def test_files_written_before_a_column_was_added_read_it_as_null(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    part = data.lake.path / "articles" / "year=2026" / "month=01"
    small = sorted(str(p) for p in part.glob("*.parquet"))
    for path in small:  # as if tone and duplicate_of were added later, and only the second file had tone
        table = pq.read_table(path).drop_columns(["duplicate_of"] + (["tone"] if path == small[0] else []))
        pq.write_table(table, path)
    read, written = merge(duckdb.connect(), "articles", small, tmp_path / "merged.parquet")
    merged = pq.read_table(tmp_path / "merged.parquet")
    assert read == written == merged.num_rows == 3
    assert merged.schema.names == ARTICLES.names and merged.column("duplicate_of").null_count == 3
    assert sorted(merged.column("tone").to_pylist(), key=str) == [1.5, None, None]


def test_a_crash_after_the_journal_is_finished_by_recover(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    part = data.lake.path / "articles" / "year=2026" / "month=01"
    small = sorted(str(p) for p in part.glob("*.parquet"))
    staged = data.staging / "compact-x" / "articles" / "year=2026" / "month=01" / "part-compact-x.parquet"
    staged.parent.mkdir(parents=True)
    merge(duckdb.connect(), "articles", small, staged)
    write_journal(data, "compact-x", [(str(staged), str(part / staged.name))], [str(f) for f in small])
    recover(data)  # what the next newsevents command does first
    assert files(data, "articles") == ["year=2026/month=01/part-compact-x.parquet"]
    assert rows(data, "SELECT count(*) FROM articles") == [(3,)]
    assert not (data.staging / "compact-x").exists() and not list(data.journal.glob("*"))


def test_readers_see_the_partition_before_or_after_never_between(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    glob = data.table_glob("articles")
    seen: list[int] = []
    for round_ in range(4):
        arts = [article(n, published=date(2026, 1, 9), run_id=f"2026020{round_ + 1}T000000Z-eeeeee",
                        ingested_at=datetime(2026, 2, round_ + 1, tzinfo=UTC)) for n in (1, 2, 3)]
        publish(data, f"dup{round_}", {"articles": [(a["published_at"], a) for a in arts]})
        stop = threading.Event()

        def read(stop=stop) -> None:
            with duckdb.connect() as con:
                while not stop.is_set():
                    with contextlib.suppress(duckdb.IOException):  # a file listed before the swap, opened after it
                        seen.append(con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0][0])

        reader = threading.Thread(target=read)
        reader.start()
        try:
            compact(data)
        finally:
            stop.set()
            reader.join()
        assert rows(data, "SELECT count(*) FROM articles") == [(3,)]
    assert seen and set(seen) <= {3, 6}, f"a reader saw a half-compacted partition: {sorted(set(seen))}"


def test_the_command_line_compacts_and_reports(tmp_path, capsys):
    data = DataDir(tmp_path)
    two_runs(data)
    assert main(["compact", "--data-dir", str(tmp_path)]) == 0
    assert "compacted 3 partitions: 6 files -> 3" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()  # an empty data directory: nothing to compact (one that is not there is an error)
    assert main(["compact", "--data-dir", str(tmp_path / "empty")]) == 0


@pytest.mark.parametrize("table", ["articles", "event_mentions"])
def test_compaction_while_another_process_holds_the_lake_is_refused(tmp_path, table):
    from transforms.load import LakeBusy

    data = DataDir(tmp_path)
    two_runs(data)
    with held_by_another_process(data.root), pytest.raises(LakeBusy):
        compact(data)
    assert len(files(data, table)) == 2


def test_without_a_folder_exchange_the_journal_moves_and_removes_file_by_file(tmp_path, monkeypatch):
    import transforms.compact

    monkeypatch.setattr(transforms.compact, "exchange", lambda a, b: False)  # as on a system without renameat2
    data = DataDir(tmp_path)
    two_runs(data)
    before = rows(data, "SELECT * FROM event_mentions ORDER BY ALL")
    assert compact(data).files_after == 3
    assert len(files(data, "event_mentions")) == 1 and rows(data, "SELECT * FROM event_mentions ORDER BY ALL") == before
    assert not list(data.staging.glob("compact-*")) and not list(data.journal.glob("*"))


def test_a_compaction_that_drops_no_copy_leaves_the_events_alone(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    before = rows(data, "SELECT event_id, updated_at FROM events ORDER BY ALL")
    assert compact(data).events == 0
    assert rows(data, "SELECT event_id, updated_at FROM events ORDER BY ALL") == before, "a warehouse sync would send every event again"


def test_a_compaction_that_drops_a_copy_of_a_mention_recomputes_its_month(tmp_path):
    data = DataDir(tmp_path)
    two_runs(data)
    a1 = article(1, published=date(2026, 1, 9), run_id="20260110T120000Z-aaaaaa", ingested_at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    copy = mention(a1, event="talks", event_date=date(2026, 1, 8))
    publish(data, "copy", {"event_mentions": [(a1["published_at"], {**copy, "run_id": "20260112T000000Z-eeeeee"})]})
    rollup(data, {date(2026, 1, 1)})
    talks = "SELECT num_mentions FROM events WHERE cameo_code = '042'"
    assert rows(data, talks) == [(3,)], "the copy counts twice until compaction drops it"
    assert compact(data).events == 3
    assert rows(data, talks) == [(2,)]


def copied_lake(data: DataDir) -> dict:
    """two_runs plus, in a third run, a copy of article 1 republished in February on another domain (its events rolled up);
    returns the copy."""
    two_runs(data)
    at = datetime(2026, 1, 12, tzinfo=UTC)
    a1 = article(1, published=date(2026, 1, 9), run_id="20260110T120000Z-aaaaaa", ingested_at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    copy = {**copy_of(a1, 5, domain="copies.example.net", ingested_at=at), "published_at": datetime(2026, 2, 2, tzinfo=UTC)}
    ingest(data, "b3", [copy], [], "20260112T000000Z-eeeeee", at)
    rollup(data, {date(2026, 1, 1)})
    return copy


def test_events_rolled_up_before_duplicates_counted_are_recomputed_by_a_compaction(tmp_path):
    data = DataDir(tmp_path)
    copied_lake(data)
    talks = "SELECT num_mentions, num_articles, num_sources FROM events WHERE cameo_code = '042'"
    assert rows(data, talks) == [(3, 3, 3)]
    [events_file] = (data.lake.path / "events").glob("year=2026/month=01/*.parquet")
    stored = pq.read_table(events_file)
    old = pa.array([2 if c == "042" else 1 for c in stored["cameo_code"].to_pylist()], pa.int32())  # as the rollup counted them
    for name in ("num_mentions", "num_articles", "num_sources"):
        stored = stored.set_column(stored.schema.get_field_index(name), name, old)
    pq.write_table(stored, events_file)
    updated = rows(data, "SELECT event_id, updated_at FROM events ORDER BY ALL")
    assert compact(data, min_files=100).events == 3, "nothing to merge, yet January's events are recomputed"
    assert rows(data, talks) == [(3, 3, 3)]
    assert all(u > was for (_, u), (_, was) in zip(rows(data, "SELECT event_id, updated_at FROM events ORDER BY ALL"), updated,
                                                   strict=True)), "a warehouse sync sends them again"
    assert compact(data, min_files=100).events == 0 and data.rollup_version.exists(), "and only once"


def test_a_compaction_that_drops_a_copy_of_a_duplicate_recomputes_its_original_s_month(tmp_path):
    data = DataDir(tmp_path)
    copy = copied_lake(data)
    at = datetime(2026, 1, 13, tzinfo=UTC)
    moved = {**copy, "url": "https://wire.example.com/5", "canonical_url": "https://wire.example.com/5",
             "source_domain": "wire.example.com", "ingested_at": at}  # a newer copy of its row, before any retirement
    ingest(data, "b4", [moved], [], "20260113T000000Z-ffffff", at)
    rollup(data, {date(2026, 1, 1)})
    talks = "SELECT num_articles, num_sources FROM events WHERE cameo_code = '042'"
    assert rows(data, talks) == [(3, 3)], "both copies of its row count until compaction drops one"
    compact(data)
    assert rows(data, talks) == [(3, 2)], "wire.example.com carried article 2 already"
