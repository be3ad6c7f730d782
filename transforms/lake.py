"""Where the published Parquet files live: a local folder, or an fsspec URL (s3://, gs://, az://, ...).

A data directory keeps its working state on local disk (lock, staging, journal, raw bodies,
catalog). Its lake is `<data>/lake/` unless `<data>/lake-location` names another place, which
`choose` writes once the place has answered. Every lake file is written whole, by a rename on
a local disk or by one object upload elsewhere, so readers never see a partial file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from transforms import lease
from transforms.errors import NewseventsError

LOCATION_FILE = "lake-location"
CHECK_SECONDS = 60.0  # the most a lake's first check may take (an unreachable bucket's retries included)
# Every S3 call gives up after S3FS_TRIES x S3_ATTEMPTS tries of at most S3_READ_SECONDS without a byte (~100 s), so an
# endpoint that stops answering mid-run fails the run instead of holding it (botocore's and s3fs's defaults: ~15 min).
S3_CONNECT_SECONDS, S3_READ_SECONDS = 5, 15
S3_ATTEMPTS = 3  # botocore's tries, with its exponential back-off (AWS_MAX_ATTEMPTS or AWS_RETRY_MODE set: theirs)
S3FS_TRIES = 2  # s3fs's own tries around botocore's
FILE_SYSTEMS: dict[tuple, tuple[fsspec.AbstractFileSystem, str]] = {}  # (process, location, settings) -> a remote lake's file system, root
MARKER = "_newsevents_lake.json"  # written at the lake's root when a data directory is pointed there
COMMITS = "_newsevents_commits"  # at the lake's root: how often commits began or ended (odd while one is at work)


class Lake:
    """A lake's file system and root, and the few operations the lake needs from it."""

    def __init__(self, location: str | Path):
        self.location = str(location)
        self.fs, root = file_system(self.location)
        self.local = isinstance(self.fs, LocalFileSystem)
        self.root = root.rstrip("/")

    @property
    def path(self) -> Path:
        """The lake's folder; only a local lake has one."""
        if not self.local:
            raise NewseventsError(f"lake {self.location} is not a local folder")
        return Path(self.root)

    def url(self, *parts: str) -> str:
        """A place in the lake as DuckDB and the journal name it: a plain path when local, a URL otherwise."""
        path = "/".join([self.root, *parts])
        return path if self.local else self.fs.unstrip_protocol(path)

    def table_glob(self, table: str) -> str:
        """The explicit glob of a table's Parquet files."""
        return self.url(table, "year=*", "month=*", "*.parquet")

    def files(self, table: str) -> list[str]:
        """The table's Parquet files, sorted."""
        found = self.fs.glob(f"{self.root}/{table}/year=*/month=*/*.parquet")
        return sorted(p if self.local else self.fs.unstrip_protocol(p) for p in found)

    def has_files(self, table: str) -> bool:
        return bool(self.files(table))

    def files_by_partition(self, table: str) -> dict[str, list[str]]:
        """The table's Parquet files by `year=YYYY/month=MM` partition (one listing)."""
        found: dict[str, list[str]] = {}
        for file in self.files(table):
            found.setdefault(self.relative(file).split("/", 1)[1].rsplit("/", 1)[0], []).append(file)
        return found

    def fs_path(self, url: str) -> str:
        """A lake path or URL as its file system names it (without the protocol)."""
        return url if self.local else self.fs._strip_protocol(url)

    def relative(self, url: str) -> str:
        """A lake file's path below the lake root (table/year=YYYY/month=MM/name.parquet)."""
        return self.fs_path(url)[len(self.root) + 1:]

    def put(self, staged: str, final: str) -> None:
        """Make a staged local file a lake file in one step (a rename, or one upload), then drop the staged copy."""
        if self.local:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            try:
                os.replace(staged, final)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                copy_then_rename(staged, final)  # a lake folder on another file system than the data directory
            return
        self.fs.put_file(staged, self.fs_path(final))
        os.unlink(staged)

    def remove(self, final: str) -> None:
        """Remove a lake file; one already gone is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.fs_path(final))

    def commits(self) -> int:
        """How often commits began or ended on this lake (odd while one is at work, or was cut by a crash)."""
        return self.commit_state()[0]

    def commit_state(self) -> tuple[int, str]:
        """The commit count, and the token of the writer's lease that wrote it ("" when none: a local lake)."""
        try:
            count, _, token = (self.fs.cat_file(f"{self.root}/{COMMITS}", start=0) or b"0").decode().partition(" ")  # ranged: s3fs asks a whole file's size first
            return int(count), token
        except (FileNotFoundError, ValueError):
            return 0, ""

    def writer_gone(self, token: str) -> bool:
        """True when the lease that wrote an odd count is released, expired or taken over: its commit was cut, and no one
        is at work on it until the next command that writes."""
        return bool(token) and not lease.alive(self.fs, self.root, token)

    @contextlib.contextmanager
    def committing(self) -> Iterator[None]:
        """Keep the commit count odd while the body changes the lake, and even after, so that a reader can tell a query that
        overlapped a change (a body that fails leaves it odd: the lake is part-way until `recover`)."""
        if held := lease.HELD.get(self.url()):
            held.renew()  # the fence: a process whose lease was taken over stops here, before it changes anything
        count = self.commits()
        begun = count + 1 + count % 2
        self.count_commits(begun)
        yield
        self.count_commits(begun + 1)

    def count_commits(self, count: int) -> None:
        """Write the commit count over the old one: on a local lake in place, in one write of a fixed width (no temporary
        file to leave behind, and a reader that catches the write half done reads another number, so runs its query
        again); on object storage in one PUT, which a reader sees whole, the old count or the new one, followed by the token
        of the writer's lease (a reader tells by it whether the writer of an odd count is still at work)."""
        if not self.local:
            held = lease.HELD.get(self.url())
            self.fs.pipe_file(f"{self.root}/{COMMITS}", b"%020d" % count + (f" {held.token}".encode() if held else b""))
            return
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / COMMITS, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, b"%020d" % count, 0)
        finally:
            os.close(fd)

    def read_table(self, url: str) -> pa.Table:
        return pq.read_table(self.fs_path(url), filesystem=None if self.local else self.fs)  # pyarrow reads local files itself

    def check_writer(self, root: Path) -> None:
        """Refuse a data directory that is not the last one pointed at this lake (a lake has one writer)."""
        if self.url() == Lake(root / "lake").url():
            return  # the data directory's own folder
        try:
            marker = json.loads(self.fs.cat_file(f"{self.root}/{MARKER}"))
        except FileNotFoundError:
            if not self.fs.exists(self.root):
                raise NewseventsError(f"lake {self.location} is not there (its bucket or folder is gone); give --lake "
                                      "with a lake that is") from None
            marker = None
        if marker != writer(root):
            other = f"data directory {marker.get('data_dir')} on {marker.get('host')}" if isinstance(marker, dict) else "no data directory"
            raise NewseventsError(f"lake {self.location} is written by {other}; a lake has one writer. To make {root} its writer, "
                                  f"give --lake {self.location} again (docs/operations.md#object-storage)")

    @contextlib.contextmanager
    def written_by(self, root: Path) -> Iterator[None]:
        """Check that the data directory is the lake's writer, and hold the lake's lease while the body runs."""
        self.check_writer(root)
        with self.leased(root):
            yield

    @contextlib.contextmanager
    def leased(self, root: Path) -> Iterator[None]:
        """Hold the lake's writer's lease for the data directory while the body runs (on S3; elsewhere, nothing)."""
        if not lease.leases(self.fs):
            yield
            return
        lease.hold(self.fs, self.url(), self.root, writer(root))
        try:
            yield
        finally:
            lease.let_go(self.url())

    def cache_listings(self, on: bool) -> None:
        """Keep the listings (names, sizes, times) of remote files between calls, or forget them: only while this process holds
        the lake's writer, since then every change to the lake goes through this process's file system, which forgets
        the listings that a write changes."""
        self.fs.dircache.clear()
        self.fs.dircache.use_listings_cache = on

    def connect(self, database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection that can read this lake (its fsspec file system registered when remote), without DuckDB's
        progress bar, which it turns on where Python's `__main__` has no file (`python -c`, a notebook) and which then
        draws over the log of a long rollup or compaction."""
        con = duckdb.connect(database, read_only=read_only)
        con.execute("SET enable_progress_bar = false")
        if not self.local:
            con.execute("SET autoload_known_extensions = false")  # the fsspec file system, not a downloaded httpfs
            con.register_filesystem(self.fs)
        return con


def file_system(location: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The file system of a lake location and the lake's root in it; one per remote location in a process, so that its
    listings, when kept, are forgotten on a write made through any of the process's lakes."""
    settings = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("AWS_", "GOOGLE_", "AZURE_"))))
    key = (os.getpid(), location, settings)  # a forked worker, or other credentials or endpoint, make their own
    if key in FILE_SYSTEMS:
        return FILE_SYSTEMS[key]
    s3 = fsspec.core.split_protocol(location)[0] in ("s3", "s3a")
    try:
        fs, root = fsspec.core.url_to_fs(location, use_listings_cache=False, skip_instance_cache=True,
                                         **(s3_options() if s3 else {}))
    except (ImportError, ValueError) as e:
        raise NewseventsError(f"lake {location}: {str(e).splitlines()[0]}") from e
    if isinstance(fs, LocalFileSystem):
        return fs, root
    if s3:
        fs.retries = S3FS_TRIES
    return FILE_SYSTEMS.setdefault(key, (fs, root))


def s3_options() -> dict:
    """An S3 file system's time limits and tries, and a session that sends no `Expect: 100-continue` (aiohttp waits for
    the interim answer with no time limit, so an endpoint that stops answering held an upload for good)."""
    from aiobotocore.session import AioSession

    config: dict = {"connect_timeout": S3_CONNECT_SECONDS, "read_timeout": S3_READ_SECONDS}
    if not {"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"} & set(os.environ):
        config["retries"] = {"max_attempts": S3_ATTEMPTS, "mode": "standard"}
    session = AioSession()
    session.register("before-send.s3", without_expect_header)
    return {"config_kwargs": config, "session": session}


def without_expect_header(request, **_) -> None:
    """Send a request's body at once instead of waiting for `100 Continue`."""
    request.headers.pop("Expect", None)


def copy_then_rename(staged: str, final: str) -> None:
    """Copy a file into the final folder under a hidden name, flush it, rename it into place, then drop the original."""
    hidden = os.path.join(os.path.dirname(final), f".{os.path.basename(final)}.incoming")
    shutil.copyfile(staged, hidden)
    with open(hidden, "rb") as f:
        os.fsync(f.fileno())
    os.replace(hidden, final)
    os.unlink(staged)


def writer(root: Path) -> dict:
    """What the marker at a lake's root says of the data directory that writes it."""
    return {"newsevents_lake": 1, "host": socket.gethostname(), "data_dir": str(root)}


def location(root: Path) -> str:
    """The lake location a data directory uses: the one it was given, else its `lake/` folder."""
    chosen = root / LOCATION_FILE
    return chosen.read_text().strip() if chosen.exists() else str(root / "lake")


def reads_from(root: Path, where: str) -> bool:
    """True when the data directory's lake is at this path or URL already."""
    return given(where).url() == Lake(location(root)).url()


def is_writer(root: Path, where: str) -> bool:
    """True when the data directory's lake is at this path or URL already, and the data directory is its writer."""
    if not reads_from(root, where):
        return False
    try:
        Lake(location(root)).check_writer(root)
    except NewseventsError:
        return False
    return True


def given(where: str) -> Lake:
    """The lake a path or URL from the user names (a relative path is taken from the working directory; a URL may not
    climb out of its prefix with `..`, nor lack a bucket)."""
    if "://" not in where:
        return Lake(Path(where).resolve())
    path = where.split("://", 1)[1]
    if not path.strip("/") or {".", ".."} & set(path.split("/")) or {"?", "#"} & set(path):
        raise NewseventsError(f"lake {where}: a URL needs a bucket (or host) and a path without '.', '..', '?' or '#'")
    return Lake(where)


def answered(call: Callable[[], None], seconds: float) -> None:
    """Run call, raising TimeoutError when it has not returned within seconds (left running in a daemon thread: an
    endpoint that accepts connections and never answers would otherwise hold the command for good)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as e:  # handed to the caller's thread
            outcome.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        raise TimeoutError(f"no answer within {seconds:.0f} s")
    if outcome[0] is not None:
        raise outcome[0]


def choose(root: Path, where: str, *, claim: bool = True) -> Lake:
    """Point a data directory's lake at a path or URL, after listing it there; with claim, make the data directory the
    lake's writer first, by writing the marker (a command that only reads leaves the lake's writer as it is)."""
    lake = given(where)
    if isinstance(lake.fs, MemoryFileSystem):
        raise NewseventsError(f"lake {where}: an in-memory file system ends with the process; use a folder or a bucket")
    def check() -> None:
        if claim:
            if lake.local:
                lake.fs.makedirs(lake.root, exist_ok=True)
            with lake.leased(root):  # refused while another process writes the lake
                lake.fs.pipe_file(f"{lake.root}/{MARKER}", json.dumps(writer(root)).encode())
        try:
            lake.fs.ls(lake.root)
        except FileNotFoundError:
            if claim or not lake.fs.exists(lake.fs._parent(lake.root)):
                raise  # a reader of a lake not written yet sees empty tables, if its bucket or folder is there

    try:
        answered(check, CHECK_SECONDS)
    except NewseventsError:
        raise
    except Exception as e:  # every backend raises its own errors; the user needs one line
        detail = str(e).splitlines()[0] if str(e) else ""
        raise NewseventsError(f"lake {where} cannot be {'written' if claim else 'read'}: {type(e).__name__}: {detail}") from e
    root.mkdir(parents=True, exist_ok=True)
    (root / LOCATION_FILE).write_text(lake.location + "\n")
    return lake
