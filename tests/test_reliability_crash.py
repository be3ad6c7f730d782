"""Crash trials: `newsevents run` killed with SIGKILL at random points, then re-run, gives the lake a clean run gives.

Each trial is the real command (`flows.cli.main`) in its own process. A fresh interpreter costs
10-40 s here (Prefect, trafilatura, spaCy imports and model load on a shared 2-core machine), so
the runs are forked from a warm driver process (this module run as a script) that has imported
everything and loaded the model, and they talk to one Prefect test server instead of each starting
a temporary one. The concurrency and hostile-input tests run the command as a fresh process.
"""

from __future__ import annotations

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

pytestmark = [pytest.mark.flow, pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(400)]

REPO = Path(__file__).resolve().parent.parent
ARTICLES = 200
BATCH_SIZE = "16"
CHAINS, KILLS_PER_CHAIN = 4, 5  # 20 kills: each chain kills 5 runs in a row on one data dir, then completes it
KILL_WINDOW = 0.5  # kill within the first half of a clean run's time: a chain's later runs have less left to do
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
        self.stop, self.problems, self.reads = threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.is_set():
            if self.lake is not None:
                self.problems += unreadable_files(self.lake)
                self.reads += len(parquet_files(self.lake))
            self.stop.wait(0.25)


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
        full_run = run_to_end(driver, corpus, reference, tmp_path / "reference.log")
        expected = lake_state(reference)
        assert len(expected["articles"]) == ARTICLES + 2 and expected["events"] and len(expected["quarantine"]) == 2

        rng = random.Random(SEED)
        kills = completed_early = 0
        for chain in range(CHAINS):
            data_dir = lakes / f"chain{chain}"
            watcher.lake = data_dir / "lake"
            for trial in range(KILLS_PER_CHAIN):
                log = tmp_path / f"chain{chain}-{trial}.log"
                pid = driver.start(run_args(corpus, data_dir), log)
                time.sleep(rng.uniform(0.0, KILL_WINDOW * full_run))
                try:
                    os.kill(pid, signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
                code = driver.exit_code()
                if code == 0:
                    completed_early += 1
                else:
                    assert code == -signal.SIGKILL, log.read_text()
                assert unreadable_files(data_dir / "lake") == []
                assert stray_files(data_dir / "lake") == []
            run_to_end(driver, corpus, data_dir, tmp_path / f"chain{chain}-final.log")
            assert lake_state(data_dir) == expected, f"chain {chain} differs from the clean run"
            for table in [*CHECKED_TABLES, "runs"]:
                assert duplicate_keys(data_dir, table) == []
            assert not list((data_dir / "staging").glob("*/**/*.parquet"))
    finally:
        watcher.stop.set()
        watcher.join()
    assert watcher.problems == [] and watcher.reads > 0
    assert kills + completed_early == CHAINS * KILLS_PER_CHAIN and kills >= 16
    print(f"\ncrash trials: {kills} SIGKILLs ({completed_early} runs finished first) in {CHAINS} chains; "
          f"clean run {full_run:.1f} s; {watcher.reads} Parquet reads by the watcher, none failed")


@pytest.mark.xfail(strict=True, reason="the rollup only covers months of this run's new mentions; a crash after the "
                   "last publish and before the rollup leaves events missing (fix: flows/ingest.py + transforms/rollup.py)")
def test_a_crash_before_the_rollup_is_caught_up_by_the_next_run(driver, tmp_path):
    corpus = tmp_path / "corpus"
    news_corpus(corpus, 12)
    data_dir = tmp_path / "data"
    run_to_end(driver, corpus, data_dir, tmp_path / "first.log")
    events = table_rows(data_dir, "events")
    assert events
    shutil.rmtree(data_dir / "lake" / "events")  # the state a kill between the last publish and the rollup leaves
    run_to_end(driver, corpus, data_dir, tmp_path / "second.log")
    assert table_rows(data_dir, "events") == events


if __name__ == "__main__":
    serve()
