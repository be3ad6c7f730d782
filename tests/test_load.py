"""TABLES -> LAKE: partitioned files, replace-on-republish, crash recovery and the data-dir lock."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from schemas.tables import QUARANTINE
from tests.lakes import held_by_another_process
from transforms.errors import Reason, Rejection
from transforms.load import HELD, DataDir, LakeBusy, exclusive, files_in, publish, recover
from transforms.tabulate import SchemaMismatch, to_table

REPO = Path(__file__).resolve().parent.parent


def quarantine_row(n: int, at: datetime) -> dict:
    return Rejection(stage="read", reason=Reason.EMPTY, url=f"file:///in/{n}.txt", detail="input is empty").to_row("run-1", at)


def lake_rows(data: DataDir, table: str) -> int:
    return sum(pq.read_metadata(p).num_rows for p in (data.lake.path / table).glob("year=*/month=*/*.parquet"))


def test_rows_land_in_hive_partitions_by_date(tmp_path):
    data = DataDir(tmp_path)
    rows = [quarantine_row(1, datetime(2026, 1, 5, tzinfo=UTC)), quarantine_row(2, datetime(2026, 2, 7, tzinfo=UTC))]
    written = publish(data, "b1", {"quarantine": [(r["at"], r) for r in rows]})
    assert written == {"quarantine": 2}
    files = sorted(str(p.relative_to(data.lake.path)) for p in data.lake.path.rglob("*.parquet"))
    assert files == ["quarantine/year=2026/month=01/part-b1.parquet", "quarantine/year=2026/month=02/part-b1.parquet"]
    assert not any(data.staging.glob("b1*")), "staging is cleared after a publish"


def test_publishing_a_batch_again_replaces_its_files(tmp_path):
    data = DataDir(tmp_path)
    row = quarantine_row(1, datetime(2026, 1, 5, tzinfo=UTC))
    for _ in range(3):
        publish(data, "same-batch", {"quarantine": [(row["at"], row)]})
    assert lake_rows(data, "quarantine") == 1


def test_files_are_looked_for_in_the_partitions_named_or_everywhere_when_one_is_unknown(tmp_path):
    data = DataDir(tmp_path)
    rows = [quarantine_row(1, datetime(2026, 1, 5, tzinfo=UTC)), quarantine_row(2, datetime(2026, 2, 7, tzinfo=UTC))]
    publish(data, "b1", {"quarantine": [(r["at"], r) for r in rows]})
    january, february = data.lake.files("quarantine")
    assert files_in(data, "quarantine", {"year=2026/month=02"}) == [february]
    assert files_in(data, "quarantine", {"year=2025/month=12"}) == []
    assert files_in(data, "quarantine", {"year=2026/month=02", None}) == [january, february]


def test_a_crash_after_the_journal_is_rolled_forward(tmp_path):
    data = DataDir(tmp_path)
    staged = data.staging / "b9" / "quarantine" / "year=2026" / "month=03" / "part-b9.parquet"
    staged.parent.mkdir(parents=True)
    row = quarantine_row(3, datetime(2026, 3, 1, tzinfo=UTC))
    pq.write_table(to_table([row], QUARANTINE, table="quarantine"), staged)
    final = data.lake.path / "quarantine" / "year=2026" / "month=03" / "part-b9.parquet"
    data.journal.mkdir(parents=True)
    (data.journal / "b9.json").write_text(json.dumps([[str(staged), str(final)]]))
    recover(data)
    assert final.exists() and lake_rows(data, "quarantine") == 1
    assert not list(data.journal.glob("*.json")) and not (data.staging / "b9").exists()


def test_a_crash_before_the_journal_leaves_nothing_visible(tmp_path):
    data = DataDir(tmp_path)
    half = data.staging / "b7" / "quarantine" / "year=2026" / "month=03" / "part-b7.parquet"
    half.parent.mkdir(parents=True)
    half.write_bytes(b"PAR1 half a file")
    (data.journal).mkdir(parents=True)
    (data.journal / "b7.tmp").write_text("[[")
    recover(data)
    assert not data.lake.path.exists() or not list(data.lake.path.rglob("*.parquet"))
    assert not (data.staging / "b7").exists() and not list(data.journal.iterdir())


def test_a_second_holder_of_the_data_dir_is_refused(tmp_path):
    data = DataDir(tmp_path)
    with held_by_another_process(data.root) as pid, pytest.raises(LakeBusy, match=f"pid {pid}"), exclusive(data):
        pass
    with exclusive(data), exclusive(data):  # released after use; holds nest within one process
        assert HELD[data.root.resolve()] == 2
    assert data.root.resolve() not in HELD


def test_rows_that_do_not_fit_the_schema_are_refused():
    row = quarantine_row(1, datetime(2026, 1, 5, tzinfo=UTC))
    with pytest.raises(SchemaMismatch, match="unknown fields \\['extra'\\]"):
        to_table([{**row, "extra": 1}], QUARANTINE, table="quarantine")
    with pytest.raises(SchemaMismatch, match="missing fields \\['detail'\\]"):
        to_table([{k: v for k, v in row.items() if k != "detail"}], QUARANTINE, table="quarantine")
    with pytest.raises(SchemaMismatch, match="required field 'reason'"):
        to_table([{**row, "reason": None}], QUARANTINE, table="quarantine")
    with pytest.raises(SchemaMismatch):
        to_table([{**row, "at": "not a time"}], QUARANTINE, table="quarantine")


def test_a_refused_batch_publishes_nothing(tmp_path):
    data = DataDir(tmp_path)
    good = quarantine_row(1, datetime(2026, 1, 5, tzinfo=UTC))
    bad = {**quarantine_row(2, datetime(2026, 2, 5, tzinfo=UTC)), "stage": None}
    with pytest.raises(SchemaMismatch):
        publish(data, "b2", {"quarantine": [(good["at"], good)], "runs": [(date(2026, 2, 5), bad)]})
    assert not data.lake.path.exists() or not list(data.lake.path.rglob("*.parquet"))


def test_replacing_articles_never_rewrites_a_lake_file_in_place_so_readers_read_no_mixed_file(tmp_path):
    import hashlib
    import threading

    import duckdb

    from tests.lakes import article

    data = DataDir(tmp_path)
    day = date(2026, 1, 9)
    at = datetime(2026, 1, 10, tzinfo=UTC)
    publish(data, "first", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(10)]})
    counts, errors, stop = [], [], threading.Event()

    def read() -> None:
        with duckdb.connect() as con:
            while not stop.is_set():
                try:
                    counts.append(con.execute(f"SELECT count(DISTINCT article_id) FROM read_parquet('{data.table_glob('articles')}')").fetchone()[0])
                except duckdb.Error as e:
                    if "No such file" not in str(e):  # a file listed, then removed before it was opened: the query is run again
                        errors.append(str(e))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(12):
            before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.lake.path.rglob("*.parquet")}
            n = round_ % 10
            again = article(n, published=day, run_id=f"r{round_ + 1}", ingested_at=at, title=f"Version {round_}")
            publish(data, f"again-{round_}", {"articles": [(day, again)]}, replacing={again["article_id"]: "year=2026/month=01"})
            changed = [p.name for p, digest in before.items() if p.exists() and hashlib.sha256(p.read_bytes()).hexdigest() != digest]
            assert not changed, f"rewritten under their own names: {changed}"
    finally:
        stop.set()
        reader.join()
    # A folder's listing is no snapshot (files move in and out while DuckDB reads the directory), so a count may be off
    # for one query; what must never happen is a file read with another file's metadata ('Invalid data').
    assert not errors and counts, errors[:3]


def replaced_lake(tmp_path) -> tuple[DataDir, dict]:
    """Ten January articles in two files, and a batch that replaces one of each file and moves a third to February."""
    from tests.lakes import article

    data = DataDir(tmp_path)
    day, at = date(2026, 1, 9), datetime(2026, 1, 10, tzinfo=UTC)
    for half in (0, 5):
        publish(data, f"first-{half}", {"articles": [(day, article(n, published=day, run_id="r0", ingested_at=at)) for n in range(half, half + 5)]})
    again = [article(n, published=date(2026, 2 if n == 9 else 1, 9), run_id="r1", ingested_at=at, title="Again") for n in (0, 5, 9)]
    batch = {"tables": {"articles": [(a["published_at"], a) for a in again]},
             "replacing": {a["article_id"]: "year=2026/month=01" for a in again}}
    return data, batch


def listed_articles(data: DataDir) -> dict[str, list[str]]:
    """The article ids of each partition folder, as a listing of the folder finds them."""
    found = {}
    for folder in sorted((data.lake.path / "articles").glob("year=*/month=*")):
        names = [name for name in os.listdir(folder) if name.endswith(".parquet")]
        found[folder.name] = sorted(i for name in names for i in pq.read_table(folder / name, columns=["article_id"])["article_id"].to_pylist())
    return found


def test_every_state_of_a_replacing_commit_lists_each_article_once_per_folder(tmp_path, monkeypatch):
    import transforms.load
    from transforms.lake import Lake

    data, batch = replaced_lake(tmp_path)
    every = sorted(listed_articles(data)["month=01"])
    states = []

    def observed(step):
        def step_then_look(*args):
            step(*args)
            states.append(listed_articles(data))
        return step_then_look

    for name in ("put", "remove"):
        monkeypatch.setattr(Lake, name, observed(getattr(Lake, name)))
    monkeypatch.setattr(transforms.load, "exchange", observed(getattr(transforms.load, "exchange", None)), raising=False)
    publish(data, "again", batch["tables"], replacing=batch["replacing"])
    moved = batch["tables"]["articles"][2][1]["article_id"]
    for state in states:  # a folder holds no article twice; across folders, only the article moving month may be seen twice
        assert all(len(ids) == len(set(ids)) for ids in state.values()), state
        seen = [i for ids in state.values() for i in ids]
        assert sorted(set(seen)) == every and {i for i in seen if seen.count(i) > 1} <= {moved}, state
    assert states[-1] == {"month=01": sorted(set(every) - {moved}), "month=02": [moved]}
    assert not list(data.staging.glob("again*")), "the former folder goes with the staging"


@pytest.mark.parametrize("crash", ["swap_folders", "roll_forward"], ids=["before the swap", "after the swap"])
def test_a_replacing_commit_cut_before_or_after_its_swap_is_finished_by_recover(tmp_path, monkeypatch, crash):
    import transforms.load
    from transforms.load import CommitPending

    data, batch = replaced_lake(tmp_path)
    monkeypatch.setattr(transforms.load, crash, lambda *_: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(CommitPending):
        publish(data, "again", batch["tables"], replacing=batch["replacing"])
    monkeypatch.undo()
    recover(data)
    found = listed_articles(data)
    assert len(found["month=01"]) == 9 and len(found["month=02"]) == 1 and len(set(found["month=01"] + found["month=02"])) == 10
    import duckdb

    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FILTER (title = 'Again') FROM read_parquet('{data.table_glob('articles')}')").fetchone() == (3,)
    assert [p.name for p in data.staging.iterdir()] == ["_journal"] and not list(data.journal.iterdir())


def test_git_ignores_what_commands_write_in_the_default_data_directory_but_not_the_shipped_files():
    data = DataDir(REPO / "data")
    written = [data.catalog, data.lock_file, data.journal, data.raw / "ab", data.rollup_backlog, data.rollup_version,
               data.root / "lake" / "events" / "x.parquet", data.root / "lake-location", data.root / "reports" / "report.html",
               data.root / "warehouse" / "dlt" / "x", data.root / "state" / "feeds.json", data.root / "logs" / "prefect-server.log"]
    shipped = [data.root / "samples" / "README.md", data.root / "sources.example.toml"]
    if subprocess.run(["git", "-C", str(REPO), "rev-parse"], capture_output=True).returncode:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "--no-index", *map(str, written + shipped)],
                             capture_output=True, text=True).stdout.split()
    assert sorted(ignored) == sorted(map(str, written))
