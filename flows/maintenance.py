"""Maintenance flows: compact the lake, sync warehouses, export GDELT files; orchestration only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task

from flows.lock_wait import LOCK_WAIT_SECONDS, held_when_free
from flows.prefect_api import failure_in_one_line
from transforms.compact import compact
from transforms.errors import NewseventsError, TransientError
from transforms.gdelt import export_gdelt
from transforms.load import DataDir, LakeBusy
from transforms.warehouse import sync

DEFAULT_CRON = "30 3 * * *"  # daily, 03:30 in the server's time zone


def retry_on(*errors: type[Exception]) -> Callable[..., bool]:
    """A task's retry condition: retry what raised one of errors (what might mend by itself), never a wrong password."""

    def condition(task_, task_run, state) -> bool:
        try:
            state.result()
        except errors:
            return True
        except Exception:
            return False
        return False

    return condition


@task(name="compact-lake", retries=2, retry_delay_seconds=60, retry_condition_fn=retry_on(TransientError))
def compact_lake(data_dir: Path, lock_wait: float) -> str:
    """Merge small files and recompute the events they touch, waiting up to lock_wait seconds for a busy data directory
    (as a scheduled ingest run does; a lake still busy then fails the run)."""
    data = DataDir(data_dir)
    with held_when_free(data, lock_wait, get_run_logger()):
        return compact(data).line()


# A sync holds the data directory only while it reads the lake, not through its upload: it does not wait for the lock
# (that would hold the lake through the upload), it is retried when the lake is busy.
@task(name="sync-warehouse", retries=3, retry_delay_seconds=[30, 120, 600], retry_condition_fn=retry_on(TransientError, LakeBusy))
def sync_warehouse(data_dir: Path, destination: str, dataset: str) -> str:
    """Merge what is new in the lake into one warehouse."""
    return sync(DataDir(data_dir), destination, dataset=dataset).line()


@flow(name="maintenance")
def maintenance(data_dir: Path, destinations: list[str] | None = None, dataset: str = "newsevents",
                lock_wait: float = LOCK_WAIT_SECONDS) -> list[str]:
    """Compact the lake (waiting up to lock_wait seconds for it when busy), then sync it into each destination in turn;
    one failing sync does not stop the others. Why a run failed is one line on `serve`'s terminal."""
    with failure_in_one_line():
        lines = [compact_lake(data_dir, lock_wait)]
        failed = []
        for destination in destinations or []:
            state = sync_warehouse(data_dir, destination, dataset, return_state=True)
            if state.is_completed():
                lines.append(state.result())
            else:
                failed.append(state.message or destination)
        if failed:
            raise NewseventsError(f"{len(failed)} of {len(destinations or [])} warehouse syncs failed: {'; '.join(failed)}")
        return lines


@task(name="write-gdelt-files")
def write_gdelt_files(data_dir: Path, since: date, until: date, output: Path) -> str:
    """Write the events of a date range and their mentions as GDELT 2.0 files."""
    return export_gdelt(DataDir(data_dir), since, until, output).line()


@flow(name="export-gdelt")
def export(data_dir: Path, since: date, until: date, output: Path) -> str:
    """Write the events of a date range in the GDELT 2.0 layout."""
    return write_gdelt_files(data_dir, since, until, output)

