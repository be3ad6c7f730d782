"""Crash trials: `newsevents run` killed with SIGKILL at random points, then re-run, gives the lake a clean run gives.

Each trial is the real command (`flows.cli.main`) in its own process. A fresh interpreter costs
10-40 s here (Prefect, trafilatura, spaCy imports and model load on a shared 2-core machine), so
the runs are forked from a warm driver process (this module run as a script) that has imported
everything and loaded the model, and they talk to one Prefect test server instead of each starting
a temporary one. The concurrency and hostile-input tests run the command as a fresh process.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.hostile import (
    RUN_SPECIFIC,
    duplicate_keys,
    news_corpus,
    parquet_files,
    stray_files,
    table_rows,
    unreadable_files,
)
from transforms.load import DataDir, note_rollup

pytestmark = [pytest.mark.flow, pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(400)]

REPO = Path(__file__).resolve().parent.parent
ARTICLES = 200
BATCH_SIZE = "16"
KILLS = 20
EARLY, LATE = 0.8, 0.8  # kills fall between 80% of a clean run's time to its first file and 80% of its whole time
SEED = 20261126
CHECKED_TABLES = list(RUN_SPECIFIC)


def run_args(corpus: Path, data_dir: Path) -> list[str]:
    return ["run", str(corpus), "--data-dir", str(data_dir), "--published", "2026-01-15", "--batch-size", BATCH_SIZE]


class Driver:
    """A warm process that forks one `newsevents` command at a time and reports its pid and exit code."""

    def __init__(self):
        self.api_url = ""
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.test_reliability_crash"], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ready(self) -> None:
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", f"driver failed to start: {line!r}"

    def start(self, argv: list[str], log: Path) -> int:
        self.proc.stdin.write(json.dumps({"argv": argv, "log": str(log), "api_url": self.api_url}) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def exit_code(self) -> int:
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def serve() -> None:
    """The driver: import and load everything once, then fork `flows.cli.main(argv)` per request line."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows import cli
    from flows.ingest import run_ingest  # noqa: F401  (warm the import)
    from transforms.nlp import load_nlp

    load_nlp()
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                with temporary_settings(updates={PREFECT_API_URL: request["api_url"]}):
                    code = cli.main(request["argv"])
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


class Watcher(threading.Thread):
    """Reads every Parquet file of the lake being written, over and over, noting any it cannot read."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lake: Path | None = None
        self.first_file_at: float | None = None  # when the first file of the lake was seen
        self.stop, self.problems, self.reads = threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.is_set():
            if self.lake is not None:
                self.problems += unreadable_files(self.lake)
                files = len(parquet_files(self.lake))
                self.reads += files
                if files and self.first_file_at is None:
                    self.first_file_at = time.monotonic()
            self.stop.wait(0.25)


def kill_point(data_dir: Path, files_before: int) -> str:
    """Where a kill landed: mid-commit (a journal left), mid-batch (staged files left), after publishing, or before any."""
    staging = data_dir / "staging"
    if list(staging.glob("_journal/*.json")):
        return "mid-commit"
    if staging.exists() and any(p.name != "_journal" for p in staging.iterdir()):
        return "mid-batch"
    return "after-publishing" if len(parquet_files(data_dir / "lake")) > files_before else "nothing-published"


def lake_state(data_dir: Path) -> dict[str, list[tuple]]:
    return {table: table_rows(data_dir, table) for table in CHECKED_TABLES}


@pytest.fixture(scope="module")
def driver(request):
    started = Driver()  # warms up while the Prefect test server starts
    request.getfixturevalue("prefect_harness")
    from prefect.settings import PREFECT_API_URL

    started.api_url = PREFECT_API_URL.value()
    started.ready()
    yield started
    started.close()


def run_to_end(driver: Driver, corpus: Path, data_dir: Path, log: Path) -> float:
    """Run the command to its end; seconds it took."""
    started = time.monotonic()
    driver.start(run_args(corpus, data_dir), log)
    assert driver.exit_code() == 0, log.read_text()
    return time.monotonic() - started


def test_sigkill_at_random_points_then_rerun_equals_a_clean_run(driver, tmp_path):
    corpus = tmp_path / "corpus"
    news_corpus(corpus, ARTICLES)
    lakes = tmp_path / "lakes"
    watcher = Watcher()
    watcher.start()
    try:
        reference = lakes / "reference"
        watcher.lake = reference / "lake"
        started = time.monotonic()
        full_run = run_to_end(driver, corpus, reference, tmp_path / "reference.log")
        first_publish = watcher.first_file_at - started  # before it, a kill only ever finds an empty lake
        expected = lake_state(reference)
        assert len(expected["articles"]) == ARTICLES + 2 and expected["events"] and len(expected["quarantine"]) == 2

        rng = random.Random(SEED)
        kills, chains, completed_early = 0, 0, 0
        landed: Counter[str] = Counter()
        while kills < KILLS:  # a chain: runs on one data dir killed one after another until one gets to its end
            data_dir = lakes / f"chain{chains}"
            watcher.lake = data_dir / "lake"
            files_before, chains = 0, chains + 1
            while True:
                log = tmp_path / f"{data_dir.name}-{time.monotonic_ns()}.log"
                pid = driver.start(run_args(corpus, data_dir), log)
                time.sleep(rng.uniform(EARLY * first_publish, LATE * full_run))
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                code = driver.exit_code()
                assert unreadable_files(data_dir / "lake") == []
                assert stray_files(data_dir / "lake") == []
                if code == 0:
                    completed_early += 1
                    break
                assert code == -signal.SIGKILL, log.read_text()
                kills += 1
                landed[kill_point(data_dir, files_before)] += 1
                files_before = len(parquet_files(data_dir / "lake"))
                if kills == KILLS:
                    run_to_end(driver, corpus, data_dir, tmp_path / f"{data_dir.name}-final.log")
                    break
            assert lake_state(data_dir) == expected, f"{data_dir.name} differs from the clean run"
            for table in [*CHECKED_TABLES, "runs"]:
                assert duplicate_keys(data_dir, table) == []
            assert not list((data_dir / "staging").glob("*/**/*.parquet"))
            assert not DataDir(data_dir).rollup_backlog.exists()
    finally:
        watcher.stop.set()
        watcher.join()
    assert watcher.problems == [] and watcher.reads > 0
    print(f"\ncrash trials: {kills} SIGKILLs in {chains} chains ({completed_early} runs got to their end before the kill); "
          f"clean run {full_run:.1f} s, first file after {first_publish:.1f} s; kills landed {dict(landed)}; "
          f"{watcher.reads} Parquet reads by the watcher, none failed")


def test_a_crash_before_the_rollup_is_caught_up_by_the_next_run(driver, tmp_path):
    corpus = tmp_path / "corpus"
    news_corpus(corpus, 12)
    data_dir = tmp_path / "data"
    run_to_end(driver, corpus, data_dir, tmp_path / "first.log")
    events = table_rows(data_dir, "events")
    assert events and not DataDir(data_dir).rollup_backlog.exists()
    shutil.rmtree(data_dir / "lake" / "events")  # the state a kill between the last publish and the rollup leaves,
    note_rollup(DataDir(data_dir), {date(2026, 1, 12)})  # with the backlog the publish wrote
    run_to_end(driver, corpus, data_dir, tmp_path / "second.log")
    assert table_rows(data_dir, "events") == events


if __name__ == "__main__":
    serve()
