"""The task runners: a real local Dask cluster of 2 worker processes makes the same tables as the default threads."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest

from flows.ingest import clean_batch, run_ingest
from flows.options import RunOptions
from flows.prefect_api import TemporaryServer
from flows.runners import check_reachable, cpu_turn
from tests.hostile import table_rows
from transforms.clean import CleanOptions
from transforms.errors import NewseventsError
from transforms.load import DataDir
from transforms.read import RawDocument, expand_paths, read_files

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_dask_cluster_and_threads_make_identical_tables(prefect_harness, nlp, tmp_path):
    threads = DataDir(tmp_path / "threads")
    dask = DataDir(tmp_path / "dask")
    run_ingest([str(SAMPLES)], RunOptions(data_dir=threads.root, batch_size=3))
    summary = run_ingest([str(SAMPLES)], RunOptions(data_dir=dask.root, batch_size=3, runner="dask", workers=2))
    assert summary.counts["articles"] >= 12
    for table in ("articles", "entities", "event_mentions", "events", "quarantine"):
        assert table_rows(dask.root, table) == table_rows(threads.root, table), table


def test_a_cleaning_thread_waits_while_another_cpu_stage_runs():
    documents = [d for d in read_files(expand_paths([SAMPLES])) if isinstance(d, RawDocument)][:2]
    done = threading.Event()
    cleaning = threading.Thread(target=lambda: (clean_batch.fn(documents, CleanOptions()), done.set()))
    with cpu_turn():
        cleaning.start()
        assert not done.wait(1.0)  # the other stage holds the turn
    assert done.wait(60)
    cleaning.join()


def test_an_unreachable_dask_address_is_a_one_line_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NewseventsError, match=f"Dask scheduler at tcp://127.0.0.1:{port} is unreachable"):
        check_reachable(f"tcp://127.0.0.1:{port}")
    with pytest.raises(NewseventsError, match="must look like tcp://host:port"):
        check_reachable("http://example")


def test_a_temporary_server_answers_and_one_that_dies_is_a_one_line_error():
    server = TemporaryServer()
    try:
        url = server.wait()
        assert url == f"http://127.0.0.1:{server.port}/api"
        assert httpx.get(f"{url}/health", timeout=5).json() is True
    finally:
        server.stop()
    assert server.process.poll() is not None, "stop ends the server process"
    dead = TemporaryServer()
    dead.process.kill()
    dead.process.wait()
    with pytest.raises(NewseventsError, match=r"the temporary Prefect server exited with code -9 before it answered"):
        dead.wait()
