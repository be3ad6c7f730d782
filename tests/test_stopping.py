"""A run stopped from outside: Ctrl-C or SIGTERM ends it within seconds, with one line and a `runs` row saying why;
a killed one leaves no server or worker process behind.

Each test runs the real command as a fresh process with its own temporary Prefect server and worker processes, and
watches its child processes through /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.ingest import accounted
from tests import httpfaults
from tests.hostile import news_corpus

pytestmark = [pytest.mark.flow, pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="watches processes through /proc")]

REPO = Path(__file__).resolve().parent.parent
ARTICLES = 160


def start_run(data_dir: Path, *inputs: str, runner: str = "processes") -> subprocess.Popen:
    """`newsevents run` in a session of its own with Ctrl-C at its default, as a terminal starts it; no Prefect API is
    configured, so it starts its own server."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return subprocess.Popen([sys.executable, "-m", "flows.cli", "run", *inputs, "--data-dir", str(data_dir),
                             "--published", "2026-01-15", "--batch-size", "8", "--runner", runner, "--workers", "2"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def run_past_its_first_batch(tmp_path: Path, data_dir: Path, runner: str = "processes") -> tuple[subprocess.Popen, set[int]]:
    """A run over a fresh corpus that has published its first articles, and its child processes."""
    news_corpus(tmp_path / "corpus", ARTICLES)
    command = start_run(data_dir, str(tmp_path / "corpus"), runner=runner)
    wait_for_first_batch(command, data_dir)
    helpers = children(command.pid)
    assert len(helpers) >= 3, "a Prefect server and two worker processes"
    return command, helpers


def wait_for_first_batch(command: subprocess.Popen, data_dir: Path, timeout: float = 180) -> None:
    """Return once the run has published its first articles."""
    deadline = time.monotonic() + timeout
    while not any((data_dir / "lake" / "articles").glob("*/*/*.parquet")):
        assert command.poll() is None, f"the run ended before its first batch: {command.communicate()}"
        assert time.monotonic() < deadline, "no batch published in time"
        time.sleep(0.05)


def children(pid: int) -> set[int]:
    """The processes whose parent is pid (the command's server, workers and multiprocessing's resource tracker)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while listed
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """True while pid is a process that has not ended (a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_ended(pids: set[int], timeout: float) -> set[int]:
    """The pids still running after timeout seconds."""
    deadline = time.monotonic() + timeout
    while (left := {pid for pid in pids if running(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def lake_rows(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql.format(lake=data_dir / "lake")).fetchall()


@pytest.mark.parametrize(("sig", "to_group", "code", "last_line", "error"), [
    (signal.SIGINT, True, 130, "newsevents: interrupted", "Ctrl-C (SIGINT)"),  # a terminal's Ctrl-C: every process of the group
    (signal.SIGTERM, False, 143, "newsevents: terminated", "SIGTERM"),  # `kill`, a scheduler or a container: the command
], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_ends_in_seconds_with_one_line_and_a_runs_row(tmp_path, sig, to_group, code, last_line, error):
    data_dir = tmp_path / "data"
    command, helpers = run_past_its_first_batch(tmp_path, data_dir)
    (os.killpg if to_group else os.kill)(command.pid, sig)
    stopped_at = time.monotonic()
    _, err = command.communicate(timeout=60)
    took = time.monotonic() - stopped_at
    assert command.returncode == code, err
    assert err.strip().splitlines()[-1] == last_line and "Traceback" not in err, err
    assert took < 30, f"{took:.1f} s to stop"  # each worker finishes the batch it holds
    assert wait_until_ended(helpers, timeout=15) == set()
    [(status, why, counts)] = lake_rows(data_dir, "SELECT status, error, counts FROM read_parquet('{lake}/runs/*/*/*.parquet')")
    [(stored,)] = lake_rows(data_dir, "SELECT count(*) FROM read_parquet('{lake}/articles/*/*/*.parquet') "
                                      "WHERE duplicate_of IS NULL")
    assert (status, why) == ("interrupted", error)
    assert 0 < counts["articles"] == stored < ARTICLES, "the row counts what the run published before it stopped"
    assert counts["inputs"] == accounted(counts), f"inputs read ahead of what was published are not counted: {counts}"
    [(mentions, rolled_up)] = lake_rows(data_dir, "SELECT (SELECT count(*) FROM read_parquet('{lake}/event_mentions/*/*/*.parquet')), "
                                                  "(SELECT sum(num_mentions) FROM read_parquet('{lake}/events/*/*/*.parquet'))")
    assert 0 < mentions == rolled_up, "the events of what was published are recomputed before the command ends"


@pytest.mark.parametrize(("stalled", "sig", "code", "error"), [
    ("/robots.txt", signal.SIGTERM, 143, "SIGTERM"),  # Prefect stopping a served run: SIGKILL follows 30 s later
    ("/page/f2", signal.SIGINT, 130, "Ctrl-C (SIGINT)"),
], ids=["robots.txt-sigterm", "page-ctrl-c"])
def test_a_run_waiting_on_a_server_that_never_answers_stops_in_seconds(tmp_path, stalled, sig, code, error):
    """The requests in flight are abandoned, their connections hung up: the stop does not wait out the fetch time limits
    (before, 33 s with robots.txt unanswered, as its retries went on, and 16 s with a page)."""
    server = httpfaults.start()
    server.stalled.add(stalled)
    data_dir = tmp_path / "data"
    try:
        command = start_run(data_dir, "--feed", f"{server.base}/feed.xml", "--allow-private", runner="threads")
        deadline = time.monotonic() + 120
        while not server.hits[stalled]:
            assert command.poll() is None, f"the run ended before it asked for {stalled}: {command.communicate()}"
            assert time.monotonic() < deadline, f"no request for {stalled} in time"
            time.sleep(0.05)
        time.sleep(1)
        (os.killpg if sig == signal.SIGINT else os.kill)(command.pid, sig)
        stopped_at = time.monotonic()
        _, err = command.communicate(timeout=90)
        took = time.monotonic() - stopped_at
    finally:
        server.shutdown()
    assert command.returncode == code, err
    assert took < 10, f"{took:.1f} s to stop"
    [(status, why, counts)] = lake_rows(data_dir, "SELECT status, error, counts FROM read_parquet('{lake}/runs/*/*/*.parquet')")
    assert (status, why) == ("interrupted", error)
    assert counts["inputs"] == accounted(counts), counts


@pytest.mark.parametrize(("sig", "gap", "code", "error"), [
    (signal.SIGINT, 0.05, 130, "Ctrl-C (SIGINT)"), (signal.SIGINT, 0.25, 130, "Ctrl-C (SIGINT)"),
    (signal.SIGTERM, 0.05, 143, "SIGTERM"),  # `kill -- -PGID` or a service manager: to the group, and again from uv
])
def test_a_stop_delivered_twice_still_recomputes_the_events(tmp_path, sig, gap, code, error):
    """`uv run newsevents ...`: the terminal's Ctrl-C, or a SIGTERM sent the process group, reaches the command, and uv
    forwards it a second time (0.20-0.26 s later here): that copy is not the second Ctrl-C that skips a stopping step,
    and a second SIGTERM skipped writing the `runs` row before."""
    data_dir = tmp_path / "data"
    command, _ = run_past_its_first_batch(tmp_path, data_dir)
    os.killpg(command.pid, sig)
    time.sleep(gap)
    os.killpg(command.pid, sig)
    _, err = command.communicate(timeout=60)
    assert command.returncode == code, err
    assert "newsevents: the stopped run:" not in err and "Traceback" not in err, err  # no step skipped or failed
    [(status, why)] = lake_rows(data_dir, "SELECT status, error FROM read_parquet('{lake}/runs/*/*/*.parquet')")
    assert (status, why) == ("interrupted", error)
    [(mentions, rolled_up)] = lake_rows(data_dir, "SELECT (SELECT count(*) FROM read_parquet('{lake}/event_mentions/*/*/*.parquet')), "
                                                  "(SELECT sum(num_mentions) FROM read_parquet('{lake}/events/*/*/*.parquet'))")
    assert 0 < mentions == rolled_up, "the events of what was published are recomputed before the command ends"


def test_ctrl_c_on_a_local_dask_cluster_says_one_line(tmp_path):
    data_dir = tmp_path / "data"
    command, helpers = run_past_its_first_batch(tmp_path, data_dir, runner="dask")
    os.killpg(command.pid, signal.SIGINT)  # every process of the group: the cluster's workers too
    _, err = command.communicate(timeout=60)
    assert command.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "WARNING" not in err, err
    assert err.strip().splitlines()[-1] == "newsevents: interrupted"
    assert wait_until_ended(helpers, timeout=15) == set()


def test_a_killed_worker_process_is_one_line_on_the_terminal(tmp_path):
    data_dir = tmp_path / "data"
    command, helpers = run_past_its_first_batch(tmp_path, data_dir)
    [worker, *_] = sorted(pid for pid in helpers if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text())
    os.kill(worker, signal.SIGKILL)
    _, err = command.communicate(timeout=60)
    assert command.returncode == 2, err
    lines = [line for line in err.splitlines() if not line.startswith("progress")]
    assert lines[-1] == ("newsevents: a worker process died (killed, or out of memory?); the batches published so far "
                         "stay in the lake, and the next run picks up the rest"), err
    assert all(line.startswith("newsevents: ") for line in lines), err  # the events' recompute may be said before


def test_a_run_whose_output_pipe_closes_with_the_ctrl_c_still_records_itself(tmp_path):
    """`newsevents run ... 2>&1 | tee log`: the same Ctrl-C ends tee, and every later message meets a closed pipe."""
    data_dir = tmp_path / "data"
    command, _ = run_past_its_first_batch(tmp_path, data_dir)
    command.stdout.close()
    command.stderr.close()
    os.killpg(command.pid, signal.SIGINT)
    assert command.wait(timeout=60) == 130
    [(status, why)] = lake_rows(data_dir, "SELECT status, error FROM read_parquet('{lake}/runs/*/*/*.parquet')")
    assert (status, why) == ("interrupted", "Ctrl-C (SIGINT)")


def test_a_killed_run_leaves_no_server_or_worker_behind(tmp_path):
    data_dir = tmp_path / "data"
    command, helpers = run_past_its_first_batch(tmp_path, data_dir)
    command.kill()
    command.communicate(timeout=30)
    assert wait_until_ended(helpers, timeout=20) == set(), "each ends when the command that started it has gone"


def test_ctrl_c_during_a_commit_takes_effect_once_the_commit_is_done():
    from flows.ingest import signals_deferred

    done = []
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal (a background shell ignores it)
    try:
        with pytest.raises(KeyboardInterrupt), signals_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)  # a signal handler would have run by now
            done.append("commit")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outer)
    assert done == ["commit"]


def test_a_second_ctrl_c_counts_once_the_echo_window_has_passed():
    from flows.ingest import ECHO_SECONDS, one_stop_per_ctrl_c

    outer = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal (a background shell ignores it)
    try:
        with one_stop_per_ctrl_c():
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)  # the same Ctrl-C delivered again: ignored
            time.sleep(ECHO_SECONDS)
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)  # a person pressing again
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outer)
