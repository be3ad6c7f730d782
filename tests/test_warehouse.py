"""LAKE -> WAREHOUSE: first, incremental and repeated syncs into real DuckDB and PostgreSQL; failures and recovery."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from schemas.tables import TABLES
from tests import postgres
from tests.lakes import article, ingest, mention, run_row, two_runs
from transforms.errors import NewseventsError, TransientError
from transforms.ids import stable_id
from transforms.load import DataDir, publish
from transforms.rollup import months_of_articles, rollup
from transforms.warehouse import redact, sync


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for the whole session (skipped only outside CI when its binaries are missing)."""
    with postgres.running() as url:
        yield url


@pytest.fixture(params=["duckdb", "postgres"])
def destination(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb://{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


def dataset_for(tmp_path: Path) -> str:
    """A schema of its own for each test on the shared server."""
    return "ne_" + re.sub(r"\W", "_", tmp_path.name.lower())[-40:]


def query(destination: str, sql: str) -> list[tuple]:
    if destination.startswith("duckdb://"):
        with duckdb.connect(destination.removeprefix("duckdb://"), read_only=True) as con:
            return con.execute(sql).fetchall()
    with psycopg2.connect(destination) as con, con.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def execute(destination: str, sql: str) -> None:
    """Change the warehouse by hand, as a user would."""
    if destination.startswith("duckdb://"):
        with duckdb.connect(destination.removeprefix("duckdb://")) as con:
            con.execute(sql)
    else:
        subprocess.run(["psql", destination, "-qc", sql], check=True, capture_output=True)


def counts(destination: str, dataset: str) -> dict[str, int]:
    return {t: query(destination, f"SELECT count(*) FROM {dataset}.{t}")[0][0] for t in ("articles", "event_mentions", "events", "runs")}


def third_run(data: DataDir) -> None:
    """A later run: one new article with a new event, and a corrected copy of article 1."""
    at = datetime(2026, 1, 12, 12, tzinfo=UTC)
    run = "20260112T120000Z-cccccc"
    a4 = article(4, published=date(2026, 1, 11), run_id=run, ingested_at=at)
    a1 = article(1, published=date(2026, 1, 9), run_id=run, ingested_at=at, title="Corrected story 1")
    ingest(data, "b3", [a4, a1], [mention(a4, event="sanction", event_date=date(2026, 1, 11), cameo="163", quad=4, goldstein=-8.0)], run, at)


def lake_snapshot(data: DataDir) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in data.lake.path.rglob("*.parquet")}


def test_first_incremental_and_repeated_syncs_never_duplicate(tmp_path, destination):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    first = sync(data, destination, dataset=dataset)
    assert first.rows == {"fetches": 0, "articles": 3, "entities": 0, "event_mentions": 4, "events": 3, "quarantine": 0, "runs": 2}
    assert counts(destination, dataset) == {"articles": 3, "event_mentions": 4, "events": 3, "runs": 2}
    assert query(destination, f"SELECT cameo_code, quad_class, round(goldstein * 10) FROM {dataset}.events ORDER BY cameo_code") == [
        ("042", 1, 19.0), ("070", 2, 70.0), ("190", 4, -100.0)]

    third_run(data)
    second = sync(data, destination, dataset=dataset)
    # only the new run is read, and the rows of the article it wrote again (their warehouse copies are all replaced)
    assert (second.rows["articles"], second.rows["event_mentions"], second.rows["runs"]) == (2, 2, 1)
    assert counts(destination, dataset) == {"articles": 4, "event_mentions": 5, "events": 4, "runs": 3}
    article1 = article(1, published=date(2026, 1, 9), run_id="", ingested_at=datetime.now(UTC))["article_id"]
    assert query(destination, f"SELECT title, run_id FROM {dataset}.articles WHERE article_id = '{article1}'") == [
        ("Corrected story 1", "20260112T120000Z-cccccc")]

    assert sync(data, destination, dataset=dataset).line().endswith("nothing new")
    for state in (data.root / "warehouse").glob("*.json"):
        state.unlink()  # a lost state file means a full sync, which merges rather than duplicates
    assert sync(data, destination, dataset=dataset).rows["articles"] == 4
    assert counts(destination, dataset) == {"articles": 4, "event_mentions": 5, "events": 4, "runs": 3}
    assert query(destination, f"SELECT count(DISTINCT article_id) FROM {dataset}.articles") == [(4,)]


def test_dlt_keeps_no_copy_of_what_each_sync_loaded(tmp_path):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    sync(data, f"duckdb://{tmp_path / 'warehouse.duckdb'}")
    third_run(data)
    sync(data, f"duckdb://{tmp_path / 'warehouse.duckdb'}")
    assert list((data.root / "warehouse" / "dlt").glob("*/load/loaded/*")) == []
    assert sum(p.stat().st_size for p in (data.root / "warehouse").rglob("*") if p.is_file()) < 200_000


def test_lists_and_maps_arrive_as_json(tmp_path, destination):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    sync(data, destination, dataset=dataset)
    authors, counts_ = query(destination, f"SELECT authors, counts FROM {dataset}.articles, {dataset}.runs LIMIT 1")[0]
    assert "A. Writer" in str(authors) and "articles" in str(counts_)


def test_a_column_added_to_the_lake_is_added_to_the_warehouse(tmp_path, destination):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    sync(data, destination, dataset=dataset)
    row = article(5, published=date(2026, 1, 12), run_id="20260113T000000Z-ffffff", ingested_at=datetime(2026, 1, 13, tzinfo=UTC))
    newer = pa.Table.from_pylist([{**row, "paywalled": True}])
    part = data.lake.path / "articles" / "year=2026" / "month=01"
    pq.write_table(newer, part / "part-newer.parquet")
    assert sync(data, destination, dataset=dataset).rows["articles"] == 1
    assert query(destination, f"SELECT count(*), count(paywalled), bool_or(paywalled) FROM {dataset}.articles") == [(4, 1, True)]


def test_an_unreachable_destination_is_a_one_line_error(tmp_path):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    before = lake_snapshot(data)
    url = f"postgresql://newsevents:pw@127.0.0.1:{postgres.free_port()}/warehouse"
    with pytest.raises(TransientError) as failed:  # worth a retry: Prefect's retry condition reads the type
        sync(data, url)
    message = str(failed.value)
    assert "\n" not in message and "refused" in message.lower() and ":***@" in message and ":pw@" not in message
    assert lake_snapshot(data) == before


def test_wrong_credentials_fail_cleanly_and_the_next_sync_works(tmp_path, postgres_url):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    wrong = postgres_url.replace(postgres.PASSWORD, "not-the-password")
    with pytest.raises(NewseventsError, match="password authentication failed") as failed:
        sync(data, wrong, dataset=dataset)
    assert not isinstance(failed.value, TransientError), "a wrong password is not retried"
    assert "not-the-password" not in str(failed.value) and "\n" not in str(failed.value)
    assert query(postgres_url, f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{dataset}'") == [(0,)]
    sync(data, postgres_url, dataset=dataset)
    assert counts(postgres_url, dataset)["articles"] == 3


@pytest.mark.parametrize(("change", "expected"), [
    ("ALTER TABLE {ds}.articles DROP COLUMN title", "articles.title is gone"),
    ("ALTER TABLE {ds}.articles ALTER COLUMN word_count TYPE text", "articles.word_count is text, not bigint"),
    ("DROP TABLE {ds}.event_mentions", "event_mentions is gone"),
])
def test_a_table_changed_by_hand_stops_the_sync_and_the_next_one_reloads_it(tmp_path, destination, change, expected):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    sync(data, destination, dataset=dataset)
    execute(destination, change.format(ds=dataset))
    third_run(data)
    before = lake_snapshot(data)
    with pytest.raises(NewseventsError, match=re.escape(expected)) as failed:
        sync(data, destination, dataset=dataset)
    assert "\n" not in str(failed.value) and "next sync reloads" in str(failed.value)
    assert query(destination, f"SELECT count(*) FROM {dataset}.runs") == [(2,)], "nothing was loaded"
    assert lake_snapshot(data) == before
    again = sync(data, destination, dataset=dataset)
    assert again.reloaded and counts(destination, dataset) == {"articles": 4, "event_mentions": 5, "events": 4, "runs": 3}
    assert query(destination, f"SELECT sum(word_count), count(title) FROM {dataset}.articles") == [(4 * 12, 4)]
    assert sync(data, destination, dataset=dataset).line().endswith("nothing new")


def test_the_command_line_syncs_and_turns_bad_destinations_into_one_line(tmp_path, capsys):
    data = DataDir(tmp_path / "data")
    two_runs(data)
    target = tmp_path / "w.duckdb"
    assert main(["sync", "--destination", f"duckdb://{target}", "--data-dir", str(data.root)]) == 0
    assert "3 articles" in capsys.readouterr().out
    assert main(["sync", "--destination", "ftp://user:secret@host/x", "--data-dir", str(data.root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsevents: unsupported destination ftp://user:***@host/x") and err.count("\n") == 1


def test_passwords_are_redacted():
    assert redact("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("duckdb:///tmp/x.duckdb") == "duckdb:///tmp/x.duckdb"


@pytest.mark.flow
def test_the_maintenance_flow_compacts_then_syncs(tmp_path, prefect_harness):
    from flows.maintenance import maintenance

    data = DataDir(tmp_path / "data")
    two_runs(data)
    target = f"duckdb://{tmp_path / 'w.duckdb'}"
    lines = maintenance(data.root, [target], dataset="ne")
    assert lines[0].startswith("compacted 3 partitions") and "3 articles" in lines[1]
    assert len(list((data.lake.path / "articles").rglob("*.parquet"))) == 1
    assert counts(target, "ne") == {"articles": 3, "event_mentions": 4, "events": 3, "runs": 2}


def test_a_duckdb_warehouse_held_by_another_process_fails_cleanly_and_recovers(tmp_path):
    import sys

    data, target = DataDir(tmp_path / "data"), tmp_path / "w.duckdb"
    two_runs(data)
    sync(data, f"duckdb://{target}")
    third_run(data)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(target)!r}); print('held', flush=True); time.sleep(120)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(NewseventsError, match="lock") as failed:
            sync(data, f"duckdb://{target}")
        assert "\n" not in str(failed.value)
    finally:
        holder.kill()
        holder.wait()
    assert counts(f"duckdb://{target}", "newsevents")["runs"] == 2, "nothing was loaded"
    assert sync(data, f"duckdb://{target}").rows["runs"] == 1
    assert counts(f"duckdb://{target}", "newsevents") == {"articles": 4, "event_mentions": 5, "events": 4, "runs": 3}


def test_quarantine_rows_sync_and_compact(tmp_path, destination):
    from transforms.compact import compact
    from transforms.errors import Reason, Rejection
    from transforms.load import publish

    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    for n in (1, 2):  # two files in one partition; `at` is a keyword in DuckDB's SQL
        row = Rejection(stage="read", reason=Reason.EMPTY, url=f"file:///in/{n}.txt", detail="input is empty").to_row(
            "20260110T120000Z-aaaaaa", datetime(2026, 1, 10, 12, n, tzinfo=UTC))
        publish(data, f"q{n}", {"quarantine": [(row["at"], row)]})
    compact(data)
    merged = list((data.lake.path / "quarantine").rglob("*.parquet"))
    assert len(merged) == 1 and pq.read_metadata(merged[0]).num_rows == 2
    assert sync(data, destination, dataset=dataset).rows["quarantine"] == 2
    assert query(destination, f"SELECT reason, count(*) FROM {dataset}.quarantine GROUP BY 1") == [("EMPTY", 2)]


def entity(art: dict, n: int) -> dict:
    """An entities row, the n-th mention of an entity in article art."""
    return {"entity_id": stable_id("entity", art["article_id"], n), "article_id": art["article_id"], "sentence_index": 1,
            "start_char": 12, "end_char": 18, "text": "Turkey", "label": "GPE", "entity_key": "turkey", "actor_code": "TUR",
            "country_code": "TUR", "sector": None, "source": "model", "run_id": art["run_id"]}


def rerun(data: DataDir, batch: str, articles: list[dict], entities: list[dict], mentions: list[dict], run_id: str, at: datetime) -> None:
    """A run that writes these articles, replacing all their rows, as ingest does: the events of the months of their old
    and new mentions are recomputed."""
    replacing = {a["article_id"]: None for a in articles}
    months = months_of_articles(data, replacing) | {m["event_date"].replace(day=1) for m in mentions}
    day = {a["article_id"]: a["published_at"] for a in articles}
    publish(data, batch, {"articles": [(a["published_at"], a) for a in articles],
                          "entities": [(day[e["article_id"]], e) for e in entities],
                          "event_mentions": [(day[m["article_id"]], m) for m in mentions],
                          "runs": [(at, run_row(run_id, at))]}, replacing=replacing)
    rollup(data, months)


def lake_and_warehouse(data: DataDir, destination: str, dataset: str) -> dict[str, tuple[list, list]]:
    """Per table, the rows of the lake and of the warehouse by key and version (run_id; for events the date and mentions)."""
    columns = {t: (spec.primary_key[0], "event_date, num_mentions" if t == "events" else "run_id") for t, spec in TABLES.items()}
    with data.connect() as con:
        lake = {t: sorted(con.sql(f"SELECT {k}, {v} FROM read_parquet('{data.table_glob(t)}', union_by_name=true)").fetchall())
                if data.has_files(t) else [] for t, (k, v) in columns.items()}
    stored = {t: sorted(query(destination, f"SELECT {k}, {v} FROM {dataset}.{t}")) for t, (k, v) in columns.items() if data.has_files(t)}
    return {t: (lake[t], stored[t]) for t in stored}


def test_rows_the_lake_replaced_or_dropped_leave_the_warehouse(tmp_path, destination):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    t1, r1 = datetime(2026, 1, 10, 12, tzinfo=UTC), "20260110T120000Z-aaaaaa"
    a1, a2 = (article(n, published=date(2026, 1, 9), run_id=r1, ingested_at=t1) for n in (1, 2))
    a3 = article(3, published=date(2026, 2, 3), run_id=r1, ingested_at=t1)
    rerun(data, "b1", [a1, a2, a3], [entity(a1, 1), entity(a1, 2), entity(a2, 1)],
          [mention(a1, event="talks", event_date=date(2026, 1, 8)),
           mention(a2, event="strike", event_date=date(2026, 1, 9), cameo="190", quad=4, goldstein=-10.0),
           mention(a3, event="aid", event_date=date(2026, 2, 2), cameo="070", quad=2, goldstein=7.0)], r1, t1)
    sync(data, destination, dataset=dataset)

    # a later run: article 1 keeps one entity, article 2 loses its entity and its event (January keeps "talks"), article 3
    # moves to March with its event (February is left without events)
    t2, r2 = datetime(2026, 1, 12, 12, tzinfo=UTC), "20260112T120000Z-bbbbbb"
    b1, b2 = (article(n, published=date(2026, 1, 9), run_id=r2, ingested_at=t2) for n in (1, 2))
    b3 = article(3, published=date(2026, 3, 1), run_id=r2, ingested_at=t2)
    rerun(data, "b2", [b1, b2, b3], [entity(b1, 1)], [mention(b1, event="talks", event_date=date(2026, 1, 8)),
                                                       mention(b3, event="aid", event_date=date(2026, 3, 1), cameo="070")], r2, t2)
    synced = sync(data, destination, dataset=dataset)
    assert (synced.rows["articles"], synced.rows["entities"], synced.rows["event_mentions"]) == (3, 1, 2), "only the new run is read"
    for table, (lake, stored) in lake_and_warehouse(data, destination, dataset).items():
        assert stored == lake, table
    assert query(destination, f"SELECT count(*) FROM {dataset}.events") == [(2,)]
    assert sync(data, destination, dataset=dataset).line().endswith("nothing new")
    for table, (lake, stored) in lake_and_warehouse(data, destination, dataset).items():
        assert stored == lake, table


def test_a_dropped_dataset_is_reloaded_from_the_lake(tmp_path, destination):
    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    sync(data, destination, dataset=dataset)
    if destination.startswith("duckdb://"):
        Path(destination.removeprefix("duckdb://")).unlink()
    else:
        execute(destination, f"DROP SCHEMA {dataset} CASCADE")
    again = sync(data, destination, dataset=dataset)
    assert set(again.reloaded) >= {"articles", "event_mentions", "events", "runs"}
    assert counts(destination, dataset) == {"articles": 3, "event_mentions": 4, "events": 3, "runs": 2}
    third_run(data)
    sync(data, destination, dataset=dataset)
    assert counts(destination, dataset) == {"articles": 4, "event_mentions": 5, "events": 4, "runs": 3}


def test_a_second_sync_of_the_same_data_directory_is_refused_in_one_line(tmp_path, capsys):
    import sys

    data, target = DataDir(tmp_path / "data"), f"duckdb://{tmp_path / 'w.duckdb'}"
    two_runs(data)
    lock = data.root / "warehouse" / "sync.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
                               "print('held', flush=True); time.sleep(120)", str(lock)], stdout=subprocess.PIPE, text=True)
    try:  # a running sync holds this lock from its start to its end
        assert holder.stdout.readline().strip() == "held"
        assert main(["sync", "--destination", target, "--data-dir", str(data.root)]) == 2
        assert capsys.readouterr().err == f"newsevents: a sync of this data directory ({data.root}) is running; try again when it ends\n"
    finally:
        holder.kill()
        holder.wait()
    assert main(["sync", "--destination", target, "--data-dir", str(data.root)]) == 0
    assert counts(target, "newsevents")["articles"] == 3


def test_a_missing_data_directory_is_refused_and_not_created(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["sync", "--destination", f"duckdb://{tmp_path / 'w.duckdb'}", "--data-dir", str(missing)]) == 2
    assert capsys.readouterr().err == f"newsevents: no data directory at {missing}: sync copies the tables one holds\n"
    assert not missing.exists() and not (tmp_path / "w.duckdb").exists()


def test_events_a_crashed_run_left_to_roll_up_are_replaced_not_doubled(tmp_path, destination):
    from transforms.load import note_rollup

    data, dataset = DataDir(tmp_path / "data"), dataset_for(tmp_path)
    two_runs(data)
    sync(data, destination, dataset=dataset)
    note_rollup(data, {date(2026, 1, 8)})  # a run killed after it published, before its rollup: the sync's recover rolls up January
    assert sync(data, destination, dataset=dataset).rows["events"] == 3
    assert query(destination, f"SELECT count(*), count(DISTINCT event_id) FROM {dataset}.events") == [(3, 3)]
