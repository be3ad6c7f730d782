"""LAKE -> DUCKDB: views over the lake, valid from any working directory and after the data dir moves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.tables import TABLES
from transforms import catalog
from transforms.errors import NewseventsError, Reason, Rejection
from transforms.load import DataDir, publish


def add_quarantine(data: DataDir, rows: list[dict], batch: str = "b1") -> None:
    publish(data, batch, {"quarantine": [(r["at"], r) for r in rows]})


def rejection_row(detail: str, url: str = "file:///x.txt") -> dict:
    return Rejection(stage="clean", reason=Reason.NOT_ENGLISH, url=url, detail=detail).to_row("run-1", datetime(2026, 4, 1, tzinfo=UTC))


def test_every_table_has_a_typed_view_even_when_empty(tmp_path):
    data = DataDir(tmp_path)
    catalog.refresh(data)
    with duckdb.connect(str(data.catalog), read_only=True) as con:
        for name, table in TABLES.items():
            columns = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
            assert columns == [*table.schema.names, "year", "month"]
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone() == (0,)


def test_views_see_published_rows_with_partition_columns(tmp_path):
    data = DataDir(tmp_path)
    add_quarantine(data, [rejection_row("language de")])
    catalog.refresh(data)
    columns, rows = catalog.query(data, "SELECT reason, detail, year, month FROM quarantine")
    assert columns == ["reason", "detail", "year", "month"]
    assert rows == [("NOT_ENGLISH", "language de", 2026, 4)]


def test_a_column_added_after_the_files_were_written_reads_as_null(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.lakes import run_row

    data = DataDir(tmp_path)
    at = datetime(2026, 3, 2, tzinfo=UTC)
    before = pa.schema([f for f in TABLES["runs"].schema if f.name != "error"])  # runs as written before `error`
    old = {k: v for k, v in run_row("old-run", at).items() if k != "error"}
    (tmp_path / "lake" / "runs" / "year=2026" / "month=3").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([old], schema=before), tmp_path / "lake" / "runs" / "year=2026" / "month=3" / "old.parquet")
    in_order = [*TABLES["runs"].schema.names, "year", "month"]  # whatever the files hold: SELECT * is stable
    catalog.refresh(data)
    assert catalog.query(data, "SELECT run_id, status, error FROM runs")[1] == [("old-run", "completed", None)]
    assert catalog.query(data, "SELECT * FROM runs")[0] == in_order
    publish(data, "new", {"runs": [(at, run_row("new-run", at) | {"status": "interrupted", "error": "SIGTERM"})]})
    catalog.refresh(data)
    assert catalog.query(data, "SELECT run_id, error FROM runs ORDER BY run_id")[1] == [("new-run", "SIGTERM"), ("old-run", None)]
    assert catalog.query(data, "SELECT * FROM runs")[0] == in_order


def test_views_match_columns_by_name_only_while_some_file_lacks_one(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = DataDir(tmp_path)
    add_quarantine(data, [rejection_row("new", url="file:///new.txt") | {"pipeline_version": "v2"}])
    catalog.refresh(data)

    def quarantine_view() -> str:
        with duckdb.connect(str(data.catalog), read_only=True) as con:
            return con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'quarantine'").fetchone()[0]

    assert "union_by_name" not in quarantine_view()  # one footer binds a query, not every file's
    before = pa.schema([f for f in TABLES["quarantine"].schema if f.name != "pipeline_version"])
    old = {k: v for k, v in rejection_row("old", url="file:///old.txt").items() if k != "pipeline_version"}
    folder = tmp_path / "lake" / "quarantine" / "year=2025" / "month=1"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([old], schema=before), folder / "old.parquet")
    catalog.refresh(data)
    assert "union_by_name = true" in quarantine_view()
    rows = catalog.query(data, "SELECT detail, pipeline_version FROM quarantine ORDER BY detail")[1]
    assert rows == [("new", "v2"), ("old", None)]


def test_catalog_opens_from_another_working_directory(tmp_path):
    data = DataDir(tmp_path / "data")
    add_quarantine(data, [rejection_row("x")])
    catalog.refresh(data)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = f"import duckdb; print(duckdb.connect({str(data.catalog)!r}, read_only=True).execute('SELECT count(*) FROM quarantine').fetchone()[0])"
    out = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_connections_draw_no_progress_bar_even_where_duckdb_would(tmp_path):
    data = DataDir(tmp_path / "data")
    add_quarantine(data, [rejection_row("x")])
    setting = "SELECT current_setting('enable_progress_bar')"
    script = ("from pathlib import Path; from transforms import catalog; from transforms.load import DataDir; "
              f"data = DataDir(Path({str(data.root)!r})); "
              f"print(data.connect().execute({setting!r}).fetchone()[0], catalog.connect(data).execute({setting!r}).fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # no __main__ file: on
    assert out.stdout.split() == ["False", "False"]


def made_for_this_lake(data: DataDir) -> bool:
    with duckdb.connect(str(data.catalog), read_only=True) as con:
        return catalog.current(con, data)


def test_a_moved_data_dir_gets_its_views_rewritten(tmp_path):
    old = DataDir(tmp_path / "old")
    add_quarantine(old, [rejection_row("x")])
    catalog.refresh(old)
    shutil.move(old.root, tmp_path / "new")
    new = DataDir(tmp_path / "new")
    assert not made_for_this_lake(new)
    assert catalog.query(new, "SELECT count(*) FROM quarantine")[1] == [(1,)]
    assert made_for_this_lake(new)


def test_a_table_that_was_empty_when_the_views_were_made_is_read_once_it_has_files(tmp_path):
    """A data directory that only reads a lake another one writes never refreshes its views after a run of its own."""
    from tests.lakes import run_row

    data = DataDir(tmp_path / "data")
    add_quarantine(data, [rejection_row("x")])
    catalog.refresh(data)
    assert catalog.query(data, "SELECT count(*) FROM runs")[1] == [(0,)]
    at = datetime(2026, 1, 5, tzinfo=UTC)
    publish(data, "elsewhere", {"runs": [(at, run_row("written-by-the-writer", at))]})
    assert catalog.query(data, "SELECT run_id FROM runs")[1] == [("written-by-the-writer",)]


@pytest.mark.parametrize("read_only", [True, False], ids=["held-by-a-reader", "held-by-a-writer"])
def test_a_catalog_another_process_holds_is_read_through_views_of_its_own(tmp_path, read_only):
    from tests.lakes import catalog_held, run_row

    data = DataDir(tmp_path / "data")
    add_quarantine(data, [rejection_row("x")])
    catalog.refresh(data)
    at = datetime(2026, 1, 5, tzinfo=UTC)
    publish(data, "later", {"runs": [(at, run_row("a-later-run", at))]})  # the catalog's empty view of runs is out of date
    with catalog_held(data, read_only=read_only):
        with pytest.raises(catalog.CatalogBusy, match=r"is open in another process \(pid [0-9]+\)"):
            catalog.refresh(data)
        assert catalog.query(data, "SELECT run_id FROM runs")[1] == [("a-later-run",)]
        assert catalog.query(data, "SELECT count(*) FROM quarantine")[1] == [(1,)]
    assert catalog.query(data, "SELECT run_id FROM runs")[1] == [("a-later-run",)]


def test_a_catalog_file_duckdb_cannot_open_is_a_one_line_error_and_is_left_as_it_is(tmp_path):
    data = DataDir(tmp_path)
    add_quarantine(data, [rejection_row("x")])
    data.catalog.write_bytes(b"not a DuckDB file" * 512)
    with pytest.raises(NewseventsError, match="cannot open the catalog") as info:
        catalog.query(data, "SELECT count(*) FROM quarantine")
    assert "\n" not in str(info.value)
    assert data.catalog.read_bytes() == b"not a DuckDB file" * 512  # it may hold a user's own views: never replaced


def test_a_bad_query_is_a_one_line_error(tmp_path):
    data = DataDir(tmp_path)
    with pytest.raises(NewseventsError, match="query failed") as info:
        catalog.query(data, "SELECT nope FROM quarantine")
    assert "\n" not in str(info.value)


def test_a_session_keeps_footers_yet_sees_a_file_rewritten_under_the_same_name(tmp_path):
    data = DataDir(tmp_path)
    add_quarantine(data, [rejection_row("first")])
    with catalog.connect(data) as con:
        assert con.execute("SELECT current_setting('parquet_metadata_cache')").fetchone() == (True,)
        assert con.execute("SELECT detail FROM quarantine").fetchall() == [("first",)]
        # the same batch id writes the same file name: the kept footer of the old file must not be used
        add_quarantine(data, [rejection_row("second", url=f"file:///{n}.txt") for n in range(3)])
        assert sorted(con.execute("SELECT detail FROM quarantine").fetchall()) == [("second",)] * 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(details=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=8, unique=True))
def test_parquet_round_trips_through_duckdb_unchanged(tmp_path_factory, details):
    data = DataDir(tmp_path_factory.mktemp("lake"))
    rows = [rejection_row(d, url=f"file:///{i}.txt") for i, d in enumerate(details)]
    add_quarantine(data, rows)
    catalog.refresh(data)
    _, got = catalog.query(data, "SELECT quarantine_id, detail, url FROM quarantine ORDER BY url")
    want = sorted((r["quarantine_id"], r["detail"], r["url"]) for r in rows)
    assert sorted(got) == want


def test_a_query_while_files_are_replaced_and_compacted_is_answered(tmp_path):
    import threading

    from tests.lakes import article
    from transforms.compact import compact

    data = DataDir(tmp_path)
    day, at = datetime(2026, 1, 9, tzinfo=UTC), datetime(2026, 1, 10, tzinfo=UTC)
    publish(data, "first", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(10)]})
    stop = threading.Event()

    def write() -> None:  # replacing runs and compactions, as fast as they go
        for round_ in range(10_000):
            again = article(round_ % 10, published=day, run_id=f"r{round_ + 1}", ingested_at=at)
            publish(data, f"again-{round_}", {"articles": [(day, again)]}, replacing={again["article_id"]: "year=2026/month=01"})
            if round_ % 3 == 2:
                compact(data)
            if stop.is_set():
                return

    writer = threading.Thread(target=write)
    writer.start()
    try:
        answers = [catalog.query(data, "SELECT count(*) FROM articles")[1] for _ in range(150)]
    finally:
        stop.set()
        writer.join()
    # every query answered exactly: one that overlapped a commit (or opened a file removed since it listed it) is run again
    assert answers == [[(10,)]] * 150, answers


def articles_counted_by_sql(data: DataDir) -> int:
    [(rows, articles)] = catalog.query(data, "SELECT count(*), count(DISTINCT article_id) FROM articles")[1]
    return rows if rows == articles else -rows


def articles_counted_by_report(data: DataDir) -> int:
    import re

    from transforms.report import ReportOptions, write_report

    page = write_report(data, ReportOptions(output=data.root / "report.html")).read_text()
    return int(re.search(r"<b>([\d,]+)</b><span>articles</span>", page)[1].replace(",", ""))


@pytest.mark.parametrize("count", [articles_counted_by_sql, articles_counted_by_report], ids=["sql", "report"])
def test_a_query_during_a_commit_answers_from_the_lake_before_or_after_it(tmp_path, monkeypatch, count):
    from datetime import date

    from tests.lakes import article, commit_held_back

    data = DataDir(tmp_path)
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    publish(data, "first", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(10)]})
    count(data)  # the catalog made, the report's pieces loaded
    moved = article(9, published=date(2026, 2, 9), run_id="r1", ingested_at=at)  # its publication date was corrected
    with commit_held_back(data, "again", {"articles": [(moved["published_at"], moved)]}, {moved["article_id"]: "year=2026/month=01"},
                          monkeypatch):
        counted = count(data)
    assert counted == 10


def test_a_query_after_a_crash_cut_a_commit_waits_for_it_a_second_then_answers(tmp_path):
    import time

    from transforms.load import exclusive

    data = DataDir(tmp_path)
    add_quarantine(data, [rejection_row("first")])
    data.lake.count_commits(data.lake.commits() + 1)  # a commit begun, and its process killed
    started = time.monotonic()
    assert catalog.query(data, "SELECT count(*) FROM quarantine")[1] == [(1,)]
    assert 1 <= time.monotonic() - started < 3
    with exclusive(data):  # the next command that writes
        pass
    assert data.lake.commits() % 2 == 0
