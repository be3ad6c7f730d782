"""Two `newsevents run` on one data directory at once: they serialise or one refuses in one line; the lake stays whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.hostile import (
    RUN_SPECIFIC,
    duplicate_keys,
    news_corpus,
    stray_files,
    table_rows,
    unreadable_files,
)
from transforms.clean import clean_document
from transforms.errors import Rejection
from transforms.read import expand_paths, read_files

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

    racers = [start(tmp_path / "shared"), start(tmp_path / "shared")]
    results = [(p.wait(timeout=360), *p.communicate()) for p in racers]
    (code_a, out_a, err_a), (code_b, out_b, err_b) = results
    assert sorted([code_a, code_b]) in ([0, 0], [0, 2]), (err_a, err_b)
    if 2 in (code_a, code_b):
        refused = err_a if code_a == 2 else err_b
        last = refused.strip().splitlines()[-1]  # Prefect logs the flow's exception with a traceback before it
        assert last.startswith("newsevents: another newsevents process (pid ") and last.endswith("try again when it ends")
    else:  # the second took the lock after the first let go: it found everything stored
        assert any(f"{ARTICLES + 2} already in the lake" in out for out in (out_a, out_b))

    shared = tmp_path / "shared"
    assert unreadable_files(shared / "lake") == [] and stray_files(shared / "lake") == []
    for table in [*RUN_SPECIFIC, "runs"]:
        assert duplicate_keys(shared, table) == []
    assert {row[0] for row in table_rows(shared, "articles")} == expected_article_ids(corpus)
    assert sorted(row[2] for row in table_rows(shared, "quarantine")) == ["BINARY", "EMPTY"]  # (id, stage, reason, ...)
    with duckdb.connect() as con:
        for table in ("entities", "event_mentions"):
            orphans = con.execute(f"SELECT count(*) FROM read_parquet('{shared}/lake/{table}/*/*/*.parquet') "
                                  f"WHERE article_id NOT IN (SELECT article_id FROM read_parquet('{shared}/lake/articles/*/*/*.parquet'))")
            assert orphans.fetchone()[0] == 0
    assert table_rows(shared, "entities") and table_rows(shared, "events")
    assert len(table_rows(shared, "runs")) == [code_a, code_b].count(0)
    print(f"\nconcurrent runs exited {code_a} and {code_b}")


def expected_article_ids(corpus: Path) -> set[str]:
    """The article ids one run makes of the corpus: every file read and cleaned (no NLP needed)."""
    docs = [d for d in read_files(expand_paths([corpus])[0]) if not isinstance(d, Rejection)]
    return {a["article_id"] for a in map(clean_document, docs) if not isinstance(a, Rejection)}
