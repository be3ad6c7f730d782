"""The options of an ingest run, built in one place from the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from transforms.fetch_options import FetchOptions
from transforms.read import MAX_INPUT_BYTES
from transforms.sources import Source

RUNNERS = ("threads", "processes", "dask")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """Everything an ingest run needs besides its inputs."""

    data_dir: Path
    published: date | None = None  # date for inputs that carry none
    model: str | None = None  # spaCy model package; None: NEWSEVENTS_SPACY_MODEL or the default
    batch_size: int = 64  # articles per Prefect task
    max_bytes: int = MAX_INPUT_BYTES
    languages: tuple[str, ...] = field(default=("en",))
    runner: str = "threads"  # threads | processes (threads hand the CPU-bound stages to worker processes) | dask
    workers: int = 2  # threads, processes or local Dask workers
    dask_address: str | None = None  # an existing Dask scheduler (tcp://host:port); implies runner dask
    sources: tuple[Source, ...] = ()  # feeds, sitemaps and URL lists to fetch (--feed, --sitemap, --sources)
    fetch: FetchOptions = field(default_factory=FetchOptions)  # how politely, how far and how safely to fetch
    window: tuple[date, date] | None = None  # backfill: only fetch articles feeds and sitemaps date within these days
    deployment: str | None = None  # the Prefect deployment of a scheduled run (`newsevents serve`); None: a run by hand

    @property
    def in_threads(self) -> bool:
        """The CPU-bound stages run in threads of this process (sharing its model), not in worker processes or on Dask."""
        return self.runner == "threads" and not self.dask_address
