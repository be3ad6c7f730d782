"""The lake on object storage: a real S3 API on loopback (moto's server) holds the same tables a local lake does."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import fsspec
import pytest

from flows.cli import main
from flows.ingest import run_ingest
from flows.options import RunOptions
from schemas.tables import TABLES
from tests.hostile import table_rows
from tests.lakes import article, commit_held_back, newsevents_elsewhere, two_runs
from transforms import catalog, lease
from transforms import lake as lake_module
from transforms.compact import compact
from transforms.errors import Reason, Rejection
from transforms.lake import COMMITS, LOCATION_FILE, MARKER, choose
from transforms.load import DataDir, exclusive, publish, recover, write_journal, write_parquet
from transforms.tabulate import to_table

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
TABLE_NAMES = ("articles", "entities", "event_mentions", "events", "quarantine", "runs")


@pytest.fixture(scope="module")
def s3():
    """An S3 endpoint on 127.0.0.1 with a bucket `news`; the AWS settings point every client there while the tests run."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    before = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    fs.mkdir("news")
    yield fs
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


def on_s3(tmp_path: Path, name: str) -> DataDir:
    """A data directory whose lake is s3://news/<name>."""
    root = tmp_path / name
    choose(root, f"s3://news/{name}")
    return DataDir(root)


def keys(fs, prefix: str) -> list[str]:
    return sorted(p.removeprefix(f"news/{prefix}/") for p in fs.find(f"news/{prefix}"))


def test_publish_rollup_replace_and_compact_make_the_same_tables_as_a_local_lake(s3, tmp_path):
    local, remote = DataDir(tmp_path / "local"), on_s3(tmp_path, "same")
    for data in (local, remote):
        two_runs(data)
        newer = article(1, published=date(2026, 1, 9), run_id="20260201T000000Z-cccccc",
                        ingested_at=datetime(2026, 2, 1, tzinfo=UTC), title="Corrected story 1")
        publish(data, "b3", {"articles": [(newer["published_at"], newer)]}, replacing={newer["article_id"]: None})
    for table in TABLE_NAMES:
        assert table_rows(remote.root, table) == table_rows(local.root, table), table
    title = TABLES["articles"].schema.names.index("title")
    assert [r[title] for r in table_rows(remote.root, "articles") if r[0] == newer["article_id"]] == ["Corrected story 1"]
    assert not (remote.root / "lake").exists(), "nothing of the lake is written locally"
    before = keys(s3, "same")
    assert "articles/year=2026/month=01/part-b3.parquet" in before and len(before) > 6

    assert compact(remote).files_after == compact(local).files_after
    for table in TABLE_NAMES:
        assert table_rows(remote.root, table) == table_rows(local.root, table), table
    after = keys(s3, "same")
    assert len([k for k in after if k.startswith("articles/")]) == 1
    assert not list(remote.staging.glob("*/*")) and not list(remote.journal.glob("*"))


@pytest.fixture
def other_file_system(tmp_path):
    """A folder on another file system than tmp_path (tmpfs), removed afterwards."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system (tmpfs at /dev/shm) here")
    folder = Path(tempfile.mkdtemp(dir=shm, prefix="newsevents-lake-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_lake_folder_on_another_file_system_is_written_by_copy_and_rename(tmp_path, other_file_system):
    local, elsewhere = DataDir(tmp_path / "local"), tmp_path / "elsewhere"
    choose(elsewhere, str(other_file_system / "lake"))
    elsewhere = DataDir(elsewhere)
    for data in (local, elsewhere):
        two_runs(data)
        assert compact(data).partitions == 3
    for table in TABLE_NAMES:
        assert table_rows(elsewhere.root, table) == table_rows(local.root, table), table
    written = sorted(str(p.relative_to(other_file_system / "lake")) for p in (other_file_system / "lake").rglob("*") if p.is_file())
    assert len(written) == 2 + 4 and all(p.endswith(".parquet") for p in written if p not in (MARKER, COMMITS)), written
    assert not (elsewhere.root / "lake").exists() and not list(elsewhere.staging.glob("*/*"))


def test_a_journal_left_by_a_crash_is_uploaded_by_recover(s3, tmp_path):
    data = on_s3(tmp_path, "crash")
    staged = data.staging / "b1" / "runs" / "year=2026" / "month=03" / "part-b1.parquet"
    staged.parent.mkdir(parents=True)
    row = {"run_id": "r1", "flow": "ingest", "started_at": datetime(2026, 3, 1, tzinfo=UTC),
           "finished_at": datetime(2026, 3, 1, tzinfo=UTC), "status": "completed", "error": None, "params": "{}", "counts": {}, "versions": {}, "flow_run_id": None}
    write_parquet(to_table([row], TABLES["runs"].schema, table="runs"), staged)
    write_journal(data, "b1", [(str(staged), data.lake.url("runs", "year=2026/month=03", staged.name))])
    assert keys(s3, "crash") == ["_newsevents_lake.json"], "before recovery only the marker is in the bucket"
    recover(data)
    assert keys(s3, "crash") == [COMMITS, MARKER, "runs/year=2026/month=03/part-b1.parquet"]
    assert not staged.exists() and not list(data.journal.glob("*"))
    assert [r[0] for r in table_rows(data.root, "runs")] == ["r1"]


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_the_samples_ingested_into_a_bucket_equal_a_local_run_and_sql_reads_them(prefect_harness, nlp, s3, tmp_path, capsys):
    local, remote = DataDir(tmp_path / "local"), on_s3(tmp_path, "flow")
    run_ingest([str(SAMPLES)], RunOptions(data_dir=local.root, batch_size=5))
    summary = run_ingest([str(SAMPLES)], RunOptions(data_dir=remote.root, batch_size=5))
    assert summary.counts["articles"] >= 12 and summary.counts["events"] > 0
    for table in ("articles", "entities", "event_mentions", "events", "quarantine"):
        assert table_rows(remote.root, table) == table_rows(local.root, table), table
    assert not (remote.root / "lake").exists()
    assert catalog.query(remote, "SELECT count(*) FROM events")[1] == [(summary.counts["events"],)]

    capsys.readouterr()
    assert main(["sql", "SELECT count(*) AS n FROM articles", "--format", "csv", "--data-dir", str(remote.root)]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", str(summary.counts["articles"] + summary.counts["duplicates"])]


@pytest.mark.parametrize("leased", [False, True])
def test_sql_during_a_commit_to_a_bucket_counts_the_lake_before_or_after_it(s3, tmp_path, monkeypatch, capsys, leased):
    data = on_s3(tmp_path, f"held-{leased}")
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    publish(data, "first", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(10)]})
    args = ["sql", "SELECT count(*) AS n, count(DISTINCT article_id) AS articles FROM articles", "--format", "csv",
            "--data-dir", str(data.root)]
    moved = article(9, published=date(2026, 2, 9), run_id="r1", ingested_at=at)  # its publication date was corrected
    with (exclusive(data) if leased else contextlib.nullcontext(),  # the count then names the writer's lease, alive
          commit_held_back(data, "again", {"articles": [(moved["published_at"], moved)]}, {moved["article_id"]: "year=2026/month=01"},
                           monkeypatch, seconds=3)):  # longer than `sql` takes on moto
        assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == ["n,articles", "10,10"]
    assert data.lake.commits() == 4 and s3.cat_file(f"news/held-{leased}/{COMMITS}").startswith(b"%020d" % 4), "two commits, each begun and ended"


def test_sql_that_reads_a_file_a_commit_rewrites_meanwhile_is_run_again(s3, tmp_path, monkeypatch, capsys):
    import s3fs

    from transforms.load import replace_partitions

    data = on_s3(tmp_path, "rewritten")
    two_runs(data)
    month = "year=2026/month=01"
    events = data.lake.read_table(data.lake.url("events", month, "part-rollup.parquet"))
    fetch, rewritten = s3fs.core.S3File._fetch_range, []

    def rollup_meanwhile(file, start, end):  # the events of the month rewritten after the query opened their file
        if file.path.endswith("part-rollup.parquet") and not rewritten:
            rewritten.append(replace_partitions(data, "events", "part-rollup", {month: events.take(list(range(len(events) - 1, -1, -1)))}))
        return fetch(file, start, end)

    catalog.refresh(data)
    monkeypatch.setattr(s3fs.core.S3File, "_fetch_range", rollup_meanwhile)
    assert main(["sql", "SELECT count(*) AS n FROM events", "--format", "csv", "--data-dir", str(data.root)]) == 0
    assert rewritten == [3] and capsys.readouterr().out.splitlines() == ["n", "3"]


@pytest.mark.parametrize("attempts", [5, 1])
def test_sql_whose_views_are_made_while_a_commit_removes_a_file_makes_them_again(s3, tmp_path, monkeypatch, capsys, attempts):
    import s3fs

    data = on_s3(tmp_path, f"viewed-{attempts}")
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    publish(data, "first", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(10)]})
    fetch, replaced = s3fs.core.S3File._fetch_range, []

    def replace_meanwhile(file, start, end):  # an article replaced after the views' first look at the articles' file
        if "/articles/" in file.path and not replaced:
            replaced.append(article(3, published=day, run_id="r1", ingested_at=at))
            publish(data, "again", {"articles": [(day, replaced[0])]}, replacing={replaced[0]["article_id"]: "year=2026/month=01"})
        return fetch(file, start, end)

    monkeypatch.setattr(s3fs.core.S3File, "_fetch_range", replace_meanwhile)
    monkeypatch.setattr(catalog, "QUERY_ATTEMPTS", attempts)
    args = ["sql", "SELECT count(*) AS n FROM articles", "--format", "csv", "--data-dir", str(data.root)]
    if attempts == 1:  # no second try: the error names what went wrong, not DuckDB's pointer into the query (^^^^)
        assert main(args) == 2
        assert capsys.readouterr().err == "newsevents: Error: FileNotFoundError: The specified key does not exist.\n"
        return
    assert main(args) == 0
    assert len(replaced) == 1 and capsys.readouterr().out.splitlines() == ["n", "10"]


def test_the_lake_option_is_remembered_by_the_data_directory(s3, tmp_path, capsys):
    root = tmp_path / "data"
    assert main(["sql", "SELECT 1", "--data-dir", str(root), "--lake", "s3://news/remembered/"]) == 0
    assert (root / LOCATION_FILE).read_text().strip() == "s3://news/remembered/"
    assert DataDir(root).lake.url("x") == "s3://news/remembered/x"
    assert main(["sql", "SELECT 1", "--data-dir", str(root)]) == 0
    assert DataDir(root).lake.url() == "s3://news/remembered"
    assert main(["sql", "SELECT 1", "--data-dir", str(root), "--lake", str(tmp_path / "here")]) == 0
    assert DataDir(root).lake.local and DataDir(root).lake.path == tmp_path / "here"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("lake", "message"), [
    ("nosuch://x/y", "lake nosuch://x/y: Protocol not known: nosuch"),
    ("memory://x", "lake memory://x: an in-memory file system ends with the process"),
    ("s3://no-such-bucket/x", "lake s3://no-such-bucket/x cannot be read: "),
    ("s3://", "lake s3://: a URL needs a bucket"),
    ("s3://news/a/../b", "lake s3://news/a/../b: a URL needs a bucket (or host) and a path without '.', '..', '?' or '#'"),
    ("s3://news/lake/./", "lake s3://news/lake/./: a URL needs a bucket (or host) and a path without '.', '..', '?' or '#'"),
    ("s3://news/lake?x=1", "lake s3://news/lake?x=1: a URL needs a bucket (or host) and a path without '.', '..', '?' or '#'"),
])
def test_a_lake_that_cannot_be_used_is_a_one_line_error(s3, tmp_path, capsys, lake, message):
    assert main(["sql", "SELECT 1", "--data-dir", str(tmp_path / "data"), "--lake", lake]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsevents: {message}") and err.count("\n") == 1, err
    assert not (tmp_path / "data" / LOCATION_FILE).exists(), "a lake that failed the check is not remembered"


def test_an_unreachable_endpoint_is_a_one_line_error(s3, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["sql", "SELECT 1", "--data-dir", str(tmp_path / "data"), "--lake", "s3://news/away"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsevents: lake s3://news/away cannot be read: ") and err.count("\n") == 1, err
    assert main(["compact", "--data-dir", str(tmp_path / "data"), "--lake", "s3://news/away"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsevents: lake s3://news/away cannot be written: ") and err.count("\n") == 1, err



def test_an_endpoint_that_never_answers_is_a_one_line_error_in_time(s3, tmp_path, capsys, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, says nothing
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setattr(lake_module, "CHECK_SECONDS", 2.0)
        started = time.monotonic()
        assert main(["compact", "--data-dir", str(tmp_path / "data"), "--lake", "s3://news/silent"]) == 2
        assert time.monotonic() - started < 20
    err = capsys.readouterr().err
    assert err == "newsevents: lake s3://news/silent cannot be written: TimeoutError: no answer within 2 s\n"


def test_a_lake_whose_bucket_was_deleted_is_named_as_gone_not_as_another_writers(s3, tmp_path, capsys):
    s3.mkdir("doomed")
    choose(tmp_path / "data", "s3://doomed/news")
    s3.rm("doomed", recursive=True)
    assert main(["compact", "--data-dir", str(tmp_path / "data")]) == 2
    assert capsys.readouterr().err == ("newsevents: lake s3://doomed/news is not there (its bucket or folder is gone); "
                                       "give --lake with a lake that is\n")


def test_a_remembered_endpoint_that_stops_answering_fails_a_write_in_time(s3, tmp_path, monkeypatch):
    data = on_s3(tmp_path, "stalls")
    staged = tmp_path / "part.parquet"
    staged.write_bytes(b"PAR1")
    for name, seconds in (("S3_CONNECT_SECONDS", 0.5), ("S3_READ_SECONDS", 0.5)):
        monkeypatch.setattr(lake_module, name, seconds)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the endpoint now accepts connections and says nothing
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        began = time.monotonic()
        with pytest.raises(OSError):
            data.lake.put(str(staged), data.lake.url("articles", "year=2026", "month=01", "part.parquet"))
    assert time.monotonic() - began < 30, "a bounded number of tries, each bounded in time"
    assert staged.exists(), "the staged file stays for the journal to upload later"


def quarantine_rows(count: int) -> list[tuple[datetime, dict]]:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [Rejection(stage="read", reason=Reason.EMPTY, url=f"file:///in/{n}.txt", detail="input is empty").to_row("run-1", at)
            for n in range(count)]
    return [(at, row) for row in rows]


def stored_count(data: DataDir, table: str) -> int:
    with data.connect() as con:
        return con.execute(f"SELECT count(*) FROM read_parquet('{data.table_glob(table)}')").fetchone()[0]


def test_the_writer_keeps_listings_that_its_own_writes_renew_and_forgets_them_when_it_lets_go(s3, tmp_path):
    data = on_s3(tmp_path, "listed")
    with exclusive(data):
        publish(data, "b1", {"quarantine": quarantine_rows(1)})
        assert stored_count(data, "quarantine") == 1
        assert len(data.lake.fs.dircache) > 0, "sizes and times come from the listing, not a request per file"
        [name] = data.lake.files("quarantine")
        one_row = s3.cat_file(data.lake.fs_path(name))
        publish(DataDir(data.root), "b1", {"quarantine": quarantine_rows(40)})  # the same file, rewritten bigger
        assert stored_count(data, "quarantine") == 40, "a write through another lake of the process renews the listing"
    assert len(data.lake.fs.dircache) == 0
    with exclusive(data):
        publish(data, "b1", {"quarantine": quarantine_rows(3)})
        assert stored_count(data, "quarantine") == 3
    s3.pipe_file(data.lake.fs_path(name), one_row)  # another process writes once this one has let go
    assert stored_count(data, "quarantine") == 1


def test_a_lake_has_one_writer_and_giving_the_lake_again_moves_it(s3, tmp_path, capsys):
    first, second, lake = tmp_path / "first", tmp_path / "second", "s3://news/shared"
    assert main(["compact", "--data-dir", str(first), "--lake", lake]) == 0
    assert main(["compact", "--data-dir", str(second), "--lake", lake]) == 0
    capsys.readouterr()
    assert main(["compact", "--data-dir", str(first)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsevents: lake {lake} is written by data directory {second} on ") and err.count("\n") == 1, err
    assert main(["sql", "SELECT count(*) FROM articles", "--data-dir", str(first)]) == 0, "reading needs no writer's role"
    reader = tmp_path / "reader"
    assert main(["sql", "SELECT count(*) FROM articles", "--data-dir", str(reader), "--lake", lake]) == 0
    assert main(["compact", "--data-dir", str(second)]) == 0, "a command that only reads the lake leaves its writer be"
    assert main(["compact", "--data-dir", str(reader)]) == 2
    assert main(["compact", "--data-dir", str(first), "--lake", lake]) == 0
    assert main(["compact", "--data-dir", str(second)]) == 2


def test_a_run_holds_the_lakes_lease_so_another_data_directory_cannot_claim_the_lake_meanwhile(s3, tmp_path, monkeypatch):
    monkeypatch.setattr(lease, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(lease, "RENEW_SECONDS", 0.2)
    data, second, lake = on_s3(tmp_path, "leased"), tmp_path / "second", "s3://news/leased"
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    with exclusive(data):
        time.sleep(2)  # a long run: its lease, renewed, outlives LEASE_SECONDS
        refused = newsevents_elsewhere("compact", "--data-dir", str(second), "--lake", lake)
        publish(data, "b1", {"articles": [(day, article(1, published=day, run_id="r1", ingested_at=at))]})
    assert refused.returncode == 2 and refused.stderr.startswith(
        f"newsevents: lake {lake} is being written by data directory {data.root} on {socket.gethostname()} (pid {os.getpid()}), whose lease, renewed while it works, expires at ")
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert json.loads(s3.cat_file(f"news/leased/{MARKER}"))["data_dir"] == str(data.root), "the refused claim moved nothing"
    assert "articles/year=2026/month=01/part-b1.parquet" in keys(s3, "leased") and lease.LEASE not in keys(s3, "leased")
    assert newsevents_elsewhere("compact", "--data-dir", str(second), "--lake", lake).returncode == 0, "a released lease is free"


def test_a_writer_whose_lease_was_taken_over_publishes_nothing_and_keeps_its_batch(s3, tmp_path, monkeypatch):
    monkeypatch.setattr(lease, "LEASE_SECONDS", 0.5)
    monkeypatch.setattr(lease, "RENEW_SECONDS", 3600)  # a writer that stalls (a paused VM, a lost network) renews nothing
    data = on_s3(tmp_path, "stalled")
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    with exclusive(data):
        time.sleep(0.6)
        taken = newsevents_elsewhere("compact", "--data-dir", str(tmp_path / "other"), "--lake", "s3://news/stalled")
        before = keys(s3, "stalled")
        with pytest.raises(lease.LeaseLost) as lost:
            publish(data, "b1", {"articles": [(day, article(1, published=day, run_id="r1", ingested_at=at))]})
    assert taken.returncode == 0, taken.stderr
    assert str(lost.value).startswith("lake s3://news/stalled: this process lost its writer's lease (deleted) and stopped writing")
    assert "\n" not in str(lost.value)
    assert keys(s3, "stalled") == before and not any(k.startswith("articles/") for k in before), "nothing partial in the bucket"
    assert [p.name for p in data.journal.glob("*.json")] == ["b1.json"] and list(data.staging.glob("b1/articles/*/*/*.parquet"))


def test_a_query_after_a_writer_died_mid_commit_answers_without_waiting_and_says_why(s3, tmp_path, capsys):
    data = on_s3(tmp_path, "died")
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    publish(data, "first", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(3)]})
    killed = subprocess.run([sys.executable, "-c", "import os, sys\nfrom pathlib import Path\nfrom transforms import lease\n"
                             "from transforms.load import DataDir, exclusive\nlease.LEASE_SECONDS = 1\n"
                             "data = DataDir(Path(sys.argv[1]))\nwith exclusive(data):\n"
                             "    data.lake.count_commits(data.lake.commits() + 1)\n    os._exit(9)  # killed as its commit began",
                             str(data.root)], timeout=60)
    assert killed.returncode == 9 and data.lake.commits() % 2 == 1
    args = ["sql", "SELECT count(*) AS n FROM articles", "--format", "csv", "--data-dir", str(tmp_path / "reader"), "--lake", "s3://news/died"]
    notes = []
    for _ in range(2):
        began = time.monotonic()
        assert main(args) == 0
        assert time.monotonic() - began < 5, "no wait for a commit that no one is at work on (30 s before)"
        out, err = capsys.readouterr()
        assert out.splitlines() == ["n", "3"]
        notes.append(err)
    assert notes == ["newsevents: note: the last commit to s3://news/died was cut (its writer stopped); answering from the lake "
                     "as it was left, which the next command that writes there finishes\n", ""], "said once"
    assert main(["compact", "--data-dir", str(data.root)]) == 0
    assert data.lake.commits() % 2 == 0, "the next command that writes finished the cut commit"


def test_a_data_directory_whose_run_was_killed_writes_again_at_once_and_finishes_the_cut_commit(s3, tmp_path):
    data = on_s3(tmp_path, "restarted")
    killed = subprocess.run([sys.executable, "-c", "import os, sys\nfrom pathlib import Path\n"
                             "from transforms.load import DataDir, exclusive\ndata = DataDir(Path(sys.argv[1]))\n"
                             "with exclusive(data):\n    data.lake.count_commits(data.lake.commits() + 1)\n    os._exit(9)",
                             str(data.root)], timeout=60)
    assert killed.returncode == 9 and lease.LEASE in keys(s3, "restarted"), "a killed run leaves its lease to expire"
    began = time.monotonic()
    assert main(["compact", "--data-dir", str(data.root)]) == 0, "its own lock says the lease's holder is gone"
    assert time.monotonic() - began < 10 and data.lake.commits() % 2 == 0
    other = newsevents_elsewhere("compact", "--data-dir", str(tmp_path / "other"), "--lake", "s3://news/restarted")
    assert other.returncode == 0, "the lease was released at the end"


@pytest.mark.parametrize("junk", [b"", b"{not json", b'{"expires_at": "tomorrow"}', b"[1]"])
def test_a_lease_object_that_is_no_lease_is_taken_over(s3, tmp_path, capsys, junk):
    data = on_s3(tmp_path, "junk")
    s3.pipe_file(f"news/junk/{lease.LEASE}", junk)
    assert main(["compact", "--data-dir", str(data.root)]) == 0, capsys.readouterr().err
    assert lease.LEASE not in keys(s3, "junk"), "taken over, then released"


def test_a_store_that_ignores_conditional_writes_is_refused_in_one_line(s3, tmp_path, capsys, monkeypatch):
    def unconditional(request, **_):  # a store (or a proxy before it) that drops the condition
        request.headers.pop("Expect", None)
        request.headers.pop("If-None-Match", None)

    monkeypatch.setattr(lake_module, "without_expect_header", unconditional)
    assert main(["compact", "--data-dir", str(tmp_path / "data"), "--lake", "s3://news/unconditional"]) == 2
    assert capsys.readouterr().err == ("newsevents: lake s3://news/unconditional: the object store ignores conditional writes "
                                       "(If-None-Match), so it cannot keep the lake to one writer; use one that honours them, "
                                       "as AWS S3 does\n")
    assert keys(s3, "unconditional") == [], "no lease, no marker left behind"


def test_a_data_directory_that_lost_the_lake_does_not_roll_its_journal_into_it_when_pointed_elsewhere(s3, tmp_path, capsys):
    data = on_s3(tmp_path, "moved")
    staged = data.staging / "b1" / "runs" / "year=2026" / "month=03" / "part-b1.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"PAR1")
    write_journal(data, "b1", [(str(staged), data.lake.url("runs", "year=2026/month=03", staged.name))])  # left by a lost lease
    assert main(["compact", "--data-dir", str(tmp_path / "new"), "--lake", "s3://news/moved"]) == 0, "the role moves"
    assert main(["compact", "--data-dir", str(data.root), "--lake", str(tmp_path / "elsewhere")]) == 0
    assert keys(s3, "moved") == [MARKER], "nothing of the old writer's journal in the new writer's lake"
    assert [p.name for p in data.journal.glob("*.json")] == ["b1.json"] and staged.exists()
    capsys.readouterr()
    assert main(["compact", "--data-dir", str(data.root)]) == 0, "a run on its new lake leaves the old lake's journal be"
    assert keys(s3, "moved") == [MARKER] and [p.name for p in data.journal.glob("*.json")] == ["b1.json"] and staged.exists()
    assert f"newsevents: note: batch b1 in {data.journal / 'b1.json'} is for another lake than {tmp_path / 'elsewhere'}; " in capsys.readouterr().err


def test_a_data_directory_moves_away_from_a_lake_whose_endpoint_is_gone(s3, tmp_path, capsys, monkeypatch):
    data = on_s3(tmp_path, "abandoned")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["compact", "--data-dir", str(data.root), "--lake", str(tmp_path / "local")]) == 0, capsys.readouterr().err
    assert DataDir(data.root).lake.path == tmp_path / "local"
