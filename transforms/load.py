"""TABLES -> LAKE: hive-partitioned Parquet published through staging, a journal and atomic renames.

A batch is written to `<data>/staging/<batch>/`, validated, then a journal listing every
(staged, final) pair is written, then each file is renamed into `<data>/lake/`. A crash before
the journal leaves nothing visible; a crash after it is rolled forward by `recover` at the
next start. A batch always writes the same file names, so publishing it again replaces.
A batch that replaces articles also removes, in the same journal, the files holding their old rows, and moves in new
files of the rows those keep: no lake file is ever replaced under its own name. On a local lake each partition folder
that loses files is swapped whole for its new content (`swap_folder`), so a listing of it sees the old files or the new
ones; on object storage, or where the system cannot swap, the files move in first and the old ones go after, so a
reader meanwhile may see a row twice. Every commit is counted (`Lake.committing`), so that `newsevents sql`, `report`
and `export` can tell a query that overlapped one and run it again.
The months of the event mentions a batch adds or retires (and of those of the originals of the duplicates
it adds or retires) go into a rollup backlog before the batch is visible, and leave it when the events
of those months are rewritten: a crash between the two is caught up by `recover`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import IO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.tables import TABLES
from transforms.atomic import exchange, replace_json
from transforms.errors import NewseventsError, first_line
from transforms.ids import stable_id
from transforms.lake import Lake, location
from transforms.lease import LeaseLost
from transforms.tabulate import to_table

PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3}
LOCK_POLL_SECONDS = 2  # how often a run that waits for the data directory tries its lock again
ARTICLE_TABLES = ("articles", "entities", "event_mentions")  # tables whose rows belong to one article


class LakeBusy(NewseventsError):
    """Another newsevents process holds the data directory."""


@dataclass(frozen=True)
class DataDir:
    """The folders of one installation: lake, staging, raw bodies and the DuckDB catalog."""

    root: Path

    @cached_property
    def lake(self) -> Lake:
        """Where the tables' files live: `lake/` here, or the path or URL the data directory was pointed at."""
        return Lake(location(self.root))

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def journal(self) -> Path:
        return self.root / "staging" / "_journal"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def catalog(self) -> Path:
        return self.root / "newsevents.duckdb"

    @property
    def lock_file(self) -> Path:
        return self.root / "newsevents.lock"

    @property
    def rollup_backlog(self) -> Path:
        return self.root / "rollup-backlog.json"

    @property
    def rollup_version(self) -> Path:
        """What the lake's events count, as `transforms.rollup.ROLLUP_VERSION` (absent: an older rollup's events, maybe)."""
        return self.root / "rollup-version.json"

    def table_glob(self, table: str) -> str:
        """The explicit glob of a table's Parquet files (never matches staging)."""
        return self.lake.table_glob(table)

    def has_files(self, table: str) -> bool:
        return self.lake.has_files(table)

    def connect(self, database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection that can read the lake wherever it is."""
        return self.lake.connect(database, read_only=read_only)


HELD: dict[Path, int] = {}  # data dirs this process holds, with how deeply the holds nest


@contextmanager
def exclusive(data: DataDir, *, claiming: bool = False, wait: float = 0) -> Iterator[None]:
    """Hold the data directory for this process; a second process is refused at once, or after trying every few seconds
    for `wait` seconds (holds nest within a process).

    The data directory must also be its lake's writer, and holds the lake's lease on S3 meanwhile, unless it is `claiming`
    the lake (pointing it elsewhere)."""
    key = Path(data.root).resolve()
    if key in HELD:
        HELD[key] += 1
        try:
            yield
        finally:
            HELD[key] -= 1
        return
    data.root.mkdir(parents=True, exist_ok=True)
    with open(data.lock_file, "a+") as handle:
        lock_within(handle, wait, data.root)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        HELD[key] = 1
        try:
            with contextlib.ExitStack() as role:
                writer = took_role(data, role, claiming=claiming)
                data.lake.cache_listings(writer)
                try:
                    if writer:
                        recover(data)
                    yield
                finally:
                    data.lake.cache_listings(False)
        finally:
            del HELD[key]
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def took_role(data: DataDir, role: contextlib.ExitStack, *, claiming: bool) -> bool:
    """Take the lake's writer's role (the marker checked, the lease held on S3) for the rest of `role`; a data directory
    `claiming` another lake goes on without it when it is not its current lake's writer (False), so that its journal
    waits for its next run as a writer instead of being rolled into a lake that another data directory writes (or one
    that cannot be reached any more)."""
    try:
        role.enter_context(data.lake.written_by(data.root))
    except Exception:  # every backend raises its own errors
        if not claiming:
            raise
        return False
    return True


def lock_within(handle: IO[str], wait: float, root: Path) -> None:
    """Take the lock file's lock, trying every LOCK_POLL_SECONDS for up to wait seconds; LakeBusy names its holder."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                break
        time.sleep(min(LOCK_POLL_SECONDS, left))
    handle.seek(0)
    holder = handle.read().strip() or "unknown"
    waited = f" (waited {wait:g} s for it)" if wait else ""
    raise LakeBusy(f"another newsevents process (pid {holder}) is using {root}{waited}; try again when it ends")


def partition(day: date | datetime) -> str:
    """The hive partition folder of a date: year=YYYY/month=MM."""
    return f"year={day.year:04d}/month={day.month:02d}"


def next_month(day: date) -> date:
    """The first day of the month after the day's."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def publish(data: DataDir, batch_id: str, tables: dict[str, list[tuple[date | datetime, dict]]],
            *, replacing: Mapping[str, str | None] | None = None, touching: Collection[date] = ()) -> dict[str, int]:
    """Write each table's (partition date, row) pairs as one file per partition, atomically; returns rows per table.

    The stored rows of the articles in `replacing` (article id -> the partition of its rows, None when not known) are
    dropped from their files in the same commit. `touching`: event dates whose events the batch changes though it writes
    or retires none of their mentions (those of the originals of the duplicates it adds or retires).
    """
    stage_dir = data.staging / batch_id
    shutil.rmtree(stage_dir, ignore_errors=True)
    moves, removes = retire_articles(data, batch_id, replacing or {})
    written: dict[str, int] = {}
    for name, dated_rows in tables.items():
        if not dated_rows:
            continue
        schema = TABLES[name].schema
        by_partition: dict[str, list[dict]] = defaultdict(list)
        for day, row in dated_rows:
            by_partition[partition(day)].append(row)
        for part, rows in sorted(by_partition.items()):
            staged = stage_dir / name / part / f"part-{batch_id}.parquet"
            staged.parent.mkdir(parents=True, exist_ok=True)
            write_parquet(to_table(rows, schema, table=name), staged)
            moves.append((str(staged), data.lake.url(name, part, staged.name)))
        written[name] = len(dated_rows)
    if moves or removes:
        note_rollup(data, {row["event_date"] for _, row in tables.get("event_mentions", ())} | set(touching))
        written_over = {final for _, final in moves}  # a batch published again replaces its own files
        commit(data, batch_id, moves, [name for name in removes if name not in written_over])
    shutil.rmtree(stage_dir, ignore_errors=True)
    return written


def retire_articles(data: DataDir, batch_id: str, replacing: Mapping[str, str | None]) -> tuple[list[tuple[str, str]], list[str]]:
    """The lake files holding rows of these articles, to remove, and the staged files of the rows they keep, to move in."""
    moves: list[tuple[str, str]] = []
    removes: list[str] = []
    if not replacing:
        return moves, removes
    ids = sorted(replacing)
    for table in ARTICLE_TABLES:
        candidates = files_in(data, table, set(replacing.values()))
        if not candidates:
            continue
        with data.connect() as con:
            files = [r[0] for r in con.execute(
                "SELECT DISTINCT filename FROM read_parquet($files, filename=true, union_by_name=true) "
                "WHERE article_id IN (SELECT unnest($ids))", {"files": candidates, "ids": ids}).fetchall()]
        for name in sorted(files):
            stored = data.lake.read_table(name)
            kept = stored.filter(pc.invert(pc.is_in(stored["article_id"], value_set=pa.array(ids))))
            if table == "event_mentions":
                retired = stored.filter(pc.is_in(stored["article_id"], value_set=pa.array(ids)))
                note_rollup(data, set(retired["event_date"].to_pylist()))
            removes.append(name)
            if kept.num_rows:
                kept_file = kept_name(data.lake.relative(name), batch_id)
                staged = data.staging / batch_id / "retired" / kept_file
                staged.parent.mkdir(parents=True, exist_ok=True)
                write_parquet(kept, staged)
                moves.append((str(staged), data.lake.url(kept_file)))
    return moves, removes


def kept_name(relative: str, batch_id: str) -> str:
    """Where the rows a batch keeps of a lake file (table/year=YYYY/month=MM/name.parquet) go: a new file beside it, since
    DuckDB may read a file replaced under its own name with the old file's metadata and the new one's bytes ('Invalid
    data', 'dictionary offset out of range')."""
    return f"{relative.rsplit('/', 1)[0]}/part-{batch_id}-kept-{stable_id(relative)}.parquet"


def files_in(data: DataDir, table: str, partitions: Collection[str | None]) -> list[str]:
    """A table's files in these partitions (`year=YYYY/month=MM`); all of them when one partition is not known (None)."""
    if None in partitions:
        return data.lake.files(table)
    by_partition = data.lake.files_by_partition(table)
    return sorted(file for name in partitions for file in by_partition.get(name, []))


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write and read back the file's metadata, so a short write fails here, not in a reader."""
    pq.write_table(table, path, **PARQUET_OPTIONS)
    if pq.read_metadata(path).num_rows != table.num_rows:
        raise NewseventsError(f"staged file {path} does not hold the rows written")


class CommitPending(NewseventsError):
    """A batch is journaled but not all in place (the lake failed meanwhile): it is published all the same, since the next
    command that writes finishes it."""


def commit(data: DataDir, batch_id: str, moves: list[tuple[str, str]], removes: list[str] | None = None) -> None:
    """Journal the moves (and lake files to remove after them) durably, then perform them; `recover` finishes a journal left by a crash."""
    journal = write_journal(data, batch_id, moves, removes)
    try:
        with data.lake.committing():
            if removes and data.lake.local:
                swap_folders(data, batch_id, moves, removes)
            roll_forward(data.lake, journal)
    except LeaseLost:
        raise  # nothing was changed: the batch stays in the journal for this data directory's next run
    except Exception as e:
        raise CommitPending(f"batch {batch_id} is journaled but the lake failed while it was put in place "
                            f"({type(e).__name__}: {first_line(e)}); the next command that writes finishes it") from e


def swap_folders(data: DataDir, batch_id: str, moves: list[tuple[str, str]], removes: list[str]) -> None:
    """Carry out a journaled commit that removes files one partition folder at a time: the moves into folders that lose no
    file first (a row moving to another month is then seen twice for a moment, never missed), then each folder that
    loses files swapped whole for its new content; where the system cannot swap, `roll_forward` does the rest file by file."""
    folders = sorted({os.path.dirname(name) for name in removes})
    for staged, final in moves:
        if os.path.dirname(final) not in folders:
            data.lake.put(staged, final)
    for folder in folders:
        if not swap_folder(data.staging / batch_id / "swap" / data.lake.relative(folder), Path(folder), moves, removes):
            return


def swap_folder(new: Path, folder: Path, moves: list[tuple[str, str]], removes: list[str]) -> bool:
    """Build a partition folder's new content in `new`, of hard links to the files that stay and to the staged files moving
    in, and exchange the two folders in one step, so that a listing of the folder sees every old file or every new one;
    False where the system cannot (no renameat2, no hard links, the lake on another file system than staging).

    The journal's moves into the folder are then renames onto hard links of the same files, which change nothing."""
    incoming = {os.path.basename(final): staged for staged, final in moves if Path(final).parent == folder}
    leaving = {os.path.basename(name) for name in removes if Path(name).parent == folder} | incoming.keys()
    new.mkdir(parents=True)
    try:
        for entry in os.scandir(folder):
            if entry.name not in leaving:
                os.link(entry.path, new / entry.name)
        for name, staged in incoming.items():
            os.link(staged, new / name)
    except OSError as e:
        if e.errno in (errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            return False
        raise
    return exchange(new, folder)


def write_journal(data: DataDir, batch_id: str, moves: list[tuple[str, str]], removes: list[str] | None = None) -> Path:
    """Durably record a commit: a list of (staged, final) moves, or an object with moves and removes."""
    journal = data.journal / f"{batch_id}.json"
    replace_json(journal, {"moves": moves, "removes": removes} if removes else moves)
    return journal


def roll_forward(lake: Lake, journal: Path) -> None:
    """Move every staged file of a journal still in staging into the lake, remove the files it retires, then drop it."""
    moves, removes = read_journal(journal)
    for staged, final in moves:
        if os.path.exists(staged):
            lake.put(staged, final)
    for path in removes:
        lake.remove(path)
    journal.unlink()


def read_journal(journal: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """A journal's (staged, final) moves and the lake files it removes."""
    entry = json.loads(journal.read_text())
    return (entry, []) if isinstance(entry, list) else (entry["moves"], entry["removes"])


def for_lake(lake: Lake, journal: Path) -> bool:
    """True when every file a journal moves or removes is in this lake (a data directory pointed elsewhere since keeps
    the journals of its former lake, which only that lake's writer may finish)."""
    moves, removes = read_journal(journal)
    return all(name.startswith(lake.url() + "/") for name in [final for _, final in moves] + removes)


def recover(data: DataDir) -> None:
    """Finish the publishes a crash interrupted (and the commit count it left odd) and clear staging left by unfinished
    batches."""
    for leftover in data.journal.glob("*.tmp"):
        leftover.unlink()
    journals, kept = [], set()
    for journal in sorted(data.journal.glob("*.json")):
        if for_lake(data.lake, journal):
            journals.append(journal)
        else:
            kept.add(journal.stem)
            print(f"newsevents: note: batch {journal.stem} in {journal} is for another lake than {data.lake.url()}; kept "
                  "until this data directory writes that lake again", file=sys.stderr)
    if journals or data.lake.commits() % 2:
        with data.lake.committing():
            for journal in journals:
                roll_forward(data.lake, journal)
    if data.staging.exists():
        for entry in data.staging.iterdir():
            if entry != data.journal and entry.name not in kept:
                shutil.rmtree(entry, ignore_errors=True)
    if backlog := rollup_backlog(data):
        from transforms.rollup import rollup  # the rollup writes through this module

        rollup(data, {date.fromisoformat(f"{month}-01") for month in backlog})
        clear_rollup(data, backlog)


def rollup_backlog(data: DataDir) -> set[str]:
    """Months (YYYY-MM) whose events must be recomputed because mentions changed since their rollup."""
    return set(json.loads(data.rollup_backlog.read_text())) if data.rollup_backlog.exists() else set()


def note_rollup(data: DataDir, days: set[date]) -> None:
    """Add the months of these event dates to the rollup backlog, durably, before the mentions become visible."""
    backlog = rollup_backlog(data)
    months = backlog | {f"{day.year:04d}-{day.month:02d}" for day in days if day is not None}
    if months != backlog:
        write_backlog(data, months)


def clear_rollup(data: DataDir, months: set[str]) -> None:
    """Take months whose events were just rewritten off the rollup backlog."""
    backlog = rollup_backlog(data)
    if backlog & months:
        write_backlog(data, backlog - months)


def write_backlog(data: DataDir, months: set[str]) -> None:
    """Replace the backlog file atomically (removed when empty)."""
    if not months:
        data.rollup_backlog.unlink(missing_ok=True)
        return
    replace_json(data.rollup_backlog, sorted(months))


def replace_partitions(data: DataDir, table: str, file_name: str, parts: dict[str, pa.Table]) -> int:
    """Rewrite one named file per partition (used by rollups) from tables in the table's schema; an empty partition's file is removed."""
    batch_id = f"{table}-{file_name}"
    stage_dir = data.staging / batch_id
    shutil.rmtree(stage_dir, ignore_errors=True)
    moves: list[tuple[str, str]] = []
    removes: list[str] = []
    for part, rows in sorted(parts.items()):
        final = data.lake.url(table, part, f"{file_name}.parquet")
        if rows.num_rows == 0:
            removes += [final] if data.lake.fs.exists(data.lake.fs_path(final)) else []
            continue
        staged = stage_dir / table / part / f"{file_name}.parquet"
        staged.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(rows, staged)
        moves.append((str(staged), final))
    if moves or removes:
        commit(data, batch_id, moves, removes)  # a month emptied of events loses its file in the commit, counted for readers
    shutil.rmtree(stage_dir, ignore_errors=True)
    if table == "events":
        clear_rollup(data, {part.replace("year=", "").replace("/month=", "-") for part in parts})
    return sum(rows.num_rows for rows in parts.values())
