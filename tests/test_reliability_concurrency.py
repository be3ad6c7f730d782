"""Two `newsevents run` on one data directory at once: they serialise or one refuses in one line; the lake stays whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import (
    RUN_SPECIFIC,
    duplicate_keys,
    news_corpus,
    stray_files,
    table_rows,
    unreadable_files,
)

pytestmark = [pytest.mark.flow, pytest.mark.model, pytest.mark.slow, pytest.mark.timeout(400)]

REPO = Path(__file__).resolve().parent.parent
ARTICLES = 40


def test_two_runs_at_once_serialise_or_one_refuses(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    corpus = tmp_path / "corpus"
    news_corpus(corpus, ARTICLES)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}

    def start(data_dir: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "flows.cli", "run", str(corpus), "--data-dir", str(data_dir),
                                 "--published", "2026-01-15", "--batch-size", "8"],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    racers = [start(tmp_path / "shared"), start(tmp_path / "shared"), start(tmp_path / "alone")]
    results = [(p.wait(timeout=360), *p.communicate()) for p in racers]
    (code_a, out_a, err_a), (code_b, out_b, err_b), (code_alone, _, err_alone) = results
    assert code_alone == 0, err_alone
    assert sorted([code_a, code_b]) in ([0, 0], [0, 2]), (err_a, err_b)
    if 2 in (code_a, code_b):
        refused = err_a if code_a == 2 else err_b
        lines = refused.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("newsevents: another newsevents process (pid ")
        assert "is using" in lines[0] and "try again when it ends" in lines[0]
    else:  # the second took the lock after the first let go: it found everything stored
        assert any(f"{ARTICLES + 2} already in the lake" in out for out in (out_a, out_b))

    shared, alone = tmp_path / "shared", tmp_path / "alone"
    assert unreadable_files(shared / "lake") == [] and stray_files(shared / "lake") == []
    for table in [*RUN_SPECIFIC, "runs"]:
        assert duplicate_keys(shared, table) == []
    for table in RUN_SPECIFIC:
        assert table_rows(shared, table) == table_rows(alone, table), table
    completed = table_rows(shared, "runs")
    assert len(completed) == [code_a, code_b].count(0)
    print(f"\nconcurrent runs exited {code_a} and {code_b}")
