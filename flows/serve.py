"""`newsevents serve`: the ingest flow per cron schedule of a sources file, and the maintenance flow, as Prefect deployments."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import flow, get_run_logger, runtime, serve
from prefect.client.schemas.schedules import CronSchedule
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings
from prefect.types.entrypoint import EntrypointType
from pydantic import ValidationError

from flows.lock_wait import LOCK_WAIT_SECONDS, held_when_free
from flows.prefect_api import (
    HISTORY_DEFAULTS,
    check_prefect_api,
    failure_in_one_line,
    start_server,
    stop_process,
    wait_until_healthy,
)
from flows.runners import signal_ignored
from transforms.errors import NewseventsError
from transforms.sources import Source, load_sources, parse_source

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

TAGS = ["newsevents"]


PROCESSING = ("model", "batch_size", "runner", "workers", "dask_address")  # RunOptions a deployment carries from `serve`


@flow(name="scheduled-ingest")
def scheduled_ingest(sources: list[dict], data_dir: str, fetch: dict | None = None, processing: dict | None = None,
                     lock_wait: float = LOCK_WAIT_SECONDS) -> str:
    """Fetch and ingest the given sources (tables of the sources file) into data_dir, waiting up to lock_wait seconds for
    it when busy; returns the run's summary line. Why a run failed is one line on `serve`'s terminal (the Prefect API gets
    the traceback)."""
    with failure_in_one_line():
        return ingest_sources(sources, data_dir, fetch, processing, lock_wait)


def ingest_sources(sources: list[dict], data_dir: str, fetch: dict | None, processing: dict | None, lock_wait: float) -> str:
    """Check a deployment's parameters, wait for the data directory, and run the ingest flow on them; returns the run's
    summary line."""
    from flows.ingest import run_ingest
    from flows.options import RunOptions
    from transforms.fetch_options import FetchOptions
    from transforms.load import DataDir

    parsed = tuple(parse_source(entry, f"deployment parameter sources[{i}]") for i, entry in enumerate(sources))
    try:
        fetch_options = FetchOptions(**(fetch or {}))
    except TypeError as e:
        raise NewseventsError(f"deployment parameter fetch: {e}") from None
    unknown = set(processing or {}) - set(PROCESSING)
    if unknown:
        raise NewseventsError(f"deployment parameter processing: unknown {', '.join(sorted(unknown))}")
    options = RunOptions(data_dir=Path(data_dir), sources=parsed, fetch=fetch_options, deployment=runtime.deployment.name,
                         **(processing or {}))
    with terminal_ctrl_c_ignored(), held_when_free(DataDir(options.data_dir), lock_wait, get_run_logger()):  # run_ingest's hold nests
        return run_ingest([], options).line()


def terminal_ctrl_c_ignored() -> AbstractContextManager[None]:
    """Ignore SIGINT in a served run: a terminal's Ctrl-C reaches `serve`'s whole process group, and `serve` then stops
    the run with SIGTERM (as Prefect stops a run it cancels), which the run records."""
    return signal_ignored(signal.SIGINT)


def serve_until_stopped(deployments: list[RunnerDeployment], limit: int) -> None:
    """Serve until Ctrl-C or SIGTERM. Ctrl-C takes Prefect's SIGTERM path, which asks each run in flight to stop
    (SIGTERM, then SIGKILL after 30 s): on a KeyboardInterrupt Prefect killed them at once, so they left no `runs` row
    and their flow runs stayed Running on the server."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: signal.raise_signal(signal.SIGTERM))
    try:
        serve(*deployments, limit=limit)
    finally:
        signal.signal(signal.SIGINT, previous)
    print("newsevents: serve stopped; its deployments' schedules are paused until the next `newsevents serve`",
          file=sys.stderr, flush=True)


def schedule_groups(sources: list[Source]) -> dict[str, list[Source]]:
    """The scheduled sources by cron expression, in file order; sources without a schedule are left out."""
    groups: dict[str, list[Source]] = {}
    for source in sources:
        if source.schedule:
            groups.setdefault(" ".join(source.schedule.split()), []).append(source)
    return groups


def deployment_name(group: list[Source]) -> str:
    """`ingest-<first source>` plus how many more share its schedule; Prefect forbids / % & < > in names."""
    name = f"ingest-{group[0].name}" + (f"-and-{len(group) - 1}-more" if len(group) > 1 else "")
    return name.translate(str.maketrans("/%&<>", "-----"))


def cron_schedule(cron: str, timezone: str | None, what: str) -> CronSchedule:
    """Prefect's schedule for what's cron expression; one Prefect refuses, or that never comes round, is a one-line error."""
    try:
        schedule = CronSchedule(cron=cron, timezone=timezone)
    except ValidationError:
        raise NewseventsError(f"{what}: schedule {cron!r} is not a cron expression Prefect accepts") from None
    if not upcoming(schedule, 1):
        raise NewseventsError(f"{what}: schedule {cron!r} never comes round (a day that none of its months has?)")
    return schedule


def upcoming(schedule: CronSchedule, n: int) -> list:
    """The next n start times of a schedule, computed as Prefect's scheduler does (none for a schedule that never fires)."""
    from prefect._vendor.croniter import CroniterBadDateError
    from prefect.server.schemas.schedules import CronSchedule as ServerCron

    try:
        return asyncio.run(ServerCron(cron=schedule.cron, timezone=schedule.timezone).get_dates(n=n))
    except CroniterBadDateError:
        return []


def build_deployments(sources: list[Source], data_dir: Path, *, timezone: str | None = None,
                      maintenance_cron: str | None = None, destinations: list[str] | None = None,
                      fetch: dict | None = None, processing: dict | None = None,
                      lock_wait: float = LOCK_WAIT_SECONDS) -> list[RunnerDeployment]:
    """One ingest deployment per distinct schedule (sources sharing it run together), then the maintenance one."""
    groups = schedule_groups(sources)
    if not groups:
        raise NewseventsError("no source has a schedule: add schedule = \"*/30 * * * *\" (cron) to the sources to serve")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise NewseventsError(f"time zone {timezone!r} is not an IANA name such as Europe/Paris") from None
    data = str(data_dir.resolve())
    deployments, named = [], {}
    for cron, group in groups.items():
        name, sources_named = deployment_name(group), ", ".join(repr(s.name) for s in group)
        if name in named:
            raise NewseventsError(f"sources {named[name]} and {sources_named} would both be served as deployment {name!r} "
                                  "(sources on one schedule share a deployment named after the first); rename one")
        named[name] = sources_named
        parameters = {"sources": [asdict(s) for s in group], "data_dir": data, "fetch": fetch or {}, "processing": processing or {},
                      "lock_wait": lock_wait}
        deployments.append(scheduled_ingest.to_deployment(
            name, schedules=[cron_schedule(cron, timezone, f"source{'s' * (len(group) > 1)} {sources_named}")], parameters=parameters, tags=TAGS,
            description=f"Ingest {', '.join(s.name for s in group)} on {cron!r}.",
            entrypoint_type=EntrypointType.MODULE_PATH))
    if maintenance_cron:
        from flows.maintenance import maintenance

        deployments.append(maintenance.to_deployment(
            "maintenance", schedules=[cron_schedule(maintenance_cron, timezone, "--maintenance-cron")], tags=TAGS,
            parameters={"data_dir": data, "destinations": list(destinations or []), "lock_wait": lock_wait},
            description="Compact the lake, then sync each warehouse destination.",
            entrypoint_type=EntrypointType.MODULE_PATH))
    return deployments


def next_runs(deployment: RunnerDeployment, n: int = 3) -> list:
    """The next n start times of a deployment's first schedule."""
    return upcoming(deployment.schedules[0].schedule, n)


def describe(deployments: list[RunnerDeployment]) -> str:
    """Each deployment's name, schedule, sources and next start times, for --list."""
    lines = []
    for d in deployments:
        schedule = d.schedules[0].schedule
        lines.append(f"{d.flow_name}/{d.name}  cron {schedule.cron!r} ({schedule.timezone or 'UTC'})")
        if "sources" in d.parameters:
            lines.append("  sources: " + ", ".join(s["name"] for s in d.parameters["sources"]))
        lines.append("  next: " + ", ".join(f"{t:%Y-%m-%d %H:%M %Z}" for t in next_runs(d)))
    return "\n".join(lines)


@contextmanager
def local_server(port: int, log_file: Path) -> Iterator[str]:
    """Run `prefect server start` (API, UI and scheduler) on 127.0.0.1:port for as long as the block runs; yields its API URL."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise NewseventsError(f"port {port} is in use; if a Prefect server runs there, set "
                                  f"PREFECT_API_URL=http://127.0.0.1:{port}/api, else pass --port")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/api"
    with log_file.open("ab") as log:  # the server runs in a session of its own: Ctrl-C stops serve, which then stops it
        process = start_server(["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                               env={**HISTORY_DEFAULTS, **os.environ}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(process, url, name="the local Prefect server", advice=f"see {log_file}")
        yield url
    finally:
        stop_process(process)


def register(deployments: list[RunnerDeployment], work_pool: str, limit: int | None) -> None:
    """Register the deployments with an existing work pool for its workers to run; limit caps the pool's concurrent runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(work_pool)
        except ObjectNotFound:
            raise NewseventsError(f"work pool {work_pool!r} does not exist; create it with "
                                  f"`prefect work-pool create {work_pool} --type process`") from None
        if limit is not None:
            client.update_work_pool(work_pool, WorkPoolUpdate(concurrency_limit=limit))
    for deployment in deployments:
        deployment.apply(work_pool_name=work_pool)
        print(f"registered {deployment.flow_name}/{deployment.name} with work pool {work_pool}")


def serve_command(args: argparse.Namespace) -> int:
    """Check everything, then serve the deployments until interrupted (or print them with --list)."""
    from flows import cli
    from flows.maintenance import DEFAULT_CRON

    data_dir = cli.data_dir(args)
    sources_file = args.sources or data_dir / "sources.toml"
    if not sources_file.exists():
        raise NewseventsError(f"{sources_file}: no such sources file; pass --sources FILE (see data/sources.example.toml)")
    if args.limit is not None and args.limit < 1:
        raise NewseventsError(f"--limit must be at least 1, got {args.limit}")
    lock_wait = LOCK_WAIT_SECONDS if args.lock_wait is None else args.lock_wait
    if not 0 <= lock_wait < math.inf:
        raise NewseventsError(f"--lock-wait must be a number of seconds, 0 or more, got {lock_wait:g}")
    sources = load_sources(sources_file)
    cli.dask_reachable(args)  # the Dask address and the model: checked now, not at the first scheduled run
    options = cli.run_options(args)
    processing = {name: getattr(options, name) for name in PROCESSING}
    if args.destination:
        from transforms.warehouse import destination_of

        for destination in args.destination:  # a URL sync refuses: now, not at the nightly maintenance run
            destination_of(destination)
    fetch = {name: value for name, value in (("allow_private", args.allow_private), ("user_agent", args.user_agent)) if value}
    deployments = build_deployments(
        sources, data_dir, timezone=args.timezone,
        maintenance_cron=None if args.maintenance_cron == "off" else args.maintenance_cron or DEFAULT_CRON,
        destinations=args.destination, fetch=fetch, processing=processing, lock_wait=lock_wait)
    api_url = get_current_settings().api.url
    if args.work_pool and not api_url:
        raise NewseventsError("--work-pool needs a Prefect server: start one (`prefect server start`) and set PREFECT_API_URL")
    if api_url and not args.list:
        check_prefect_api(api_url)
    unscheduled = [s.name for s in sources if not s.schedule]
    if unscheduled:
        print(f"not scheduled (no schedule in {sources_file}): {', '.join(unscheduled)}")
    if args.list:
        print(describe(deployments))
        return 0
    if args.work_pool:
        register(deployments, args.work_pool, args.limit)
        return 0
    limit = args.limit or 1
    if api_url:
        serve_until_stopped(deployments, limit)
        return 0
    print(f"starting a local Prefect server: UI http://127.0.0.1:{args.port}, log {data_dir / 'logs' / 'prefect-server.log'}")
    with local_server(args.port, data_dir / "logs" / "prefect-server.log") as url:
        os.environ["PREFECT_API_URL"] = url  # for the flow-run processes the runner starts
        with temporary_settings(updates={PREFECT_API_URL: url}):
            serve_until_stopped(deployments, limit)
    return 0
