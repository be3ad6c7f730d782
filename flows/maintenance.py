"""Maintenance flows: compact the lake, sync warehouses, export GDELT files; orchestration only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, task

from flows.prefect_api import failure_in_one_line
from transforms.compact import compact
from transforms.errors import NewseventsError, TransientError
from transforms.gdelt import export_gdelt
from transforms.load import DataDir, LakeBusy
from transforms.warehouse import sync

DEFAULT_CRON = "30 3 * * *"  # daily, 03:30 in the server's time zone


def retry_when_transient(task_, task_run, state) -> bool:
    """Retry only what might mend by itself (an unreachable warehouse, a busy lake); never a wrong password."""
    try:
        state.result()
    except (TransientError, LakeBusy):
        return True
    except Exception:
        return False
    return False


@task(name="compact-lake", retries=2, retry_delay_seconds=60, retry_condition_fn=retry_when_transient)
def compact_lake(data_dir: Path) -> str:
    """Merge small files and recompute the events they touch."""
    return compact(DataDir(data_dir)).line()


@task(name="sync-warehouse", retries=3, retry_delay_seconds=[30, 120, 600], retry_condition_fn=retry_when_transient)
def sync_warehouse(data_dir: Path, destination: str, dataset: str) -> str:
    """Merge what is new in the lake into one warehouse."""
    return sync(DataDir(data_dir), destination, dataset=dataset).line()


@flow(name="maintenance")
def maintenance(data_dir: Path, destinations: list[str] | None = None, dataset: str = "newsevents") -> list[str]:
    """Compact the lake, then sync it into each destination in turn; one failing sync does not stop the others. Why a
    run failed is one line on `serve`'s terminal."""
    with failure_in_one_line():
        lines = [compact_lake(data_dir)]
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

