"""The writer's lease on a lake in S3: one object that says which process writes the lake now, and until when.

It is created with a conditional PUT (`If-None-Match: *`), so two processes that claim the lake at the same moment
cannot both get it; renewed by a thread every RENEW_SECONDS, and by every commit before it changes the lake (a fence:
`If-Match` on the ETag the holder last wrote, which fails once another process has taken the lease over); taken over
only once expired (`If-Match` on the ETag read); deleted at the end. A local lake has the data directory's file lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime

import fsspec

from transforms.errors import NewseventsError

LEASE = "_newsevents_lease.json"  # at the lake's root while a process writes the lake
LEASE_SECONDS = 30.0  # how long a lease lasts unless renewed: the longest a dead writer holds the lake (and readers wait)
RENEW_SECONDS = 10.0  # how often the holder renews it
LOST_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey")  # S3's answers to a condition that failed
HELD: dict[str, Lease] = {}  # lake URL -> the lease this process holds on it


class LeaseHeld(NewseventsError):
    """Another process holds the lake's writer's lease."""


class LeaseLost(NewseventsError):
    """This process's lease was taken over (it stalled past the lease's expiry): it must not change the lake any more."""


def leases(fs: fsspec.AbstractFileSystem) -> bool:
    """True for a file system whose writes take conditions (S3)."""
    return bool({"s3", "s3a"} & set([fs.protocol] if isinstance(fs.protocol, str) else fs.protocol))


class Lease:
    """A lease this process holds on a lake, renewed in a thread while it is held."""

    def __init__(self, fs: fsspec.AbstractFileSystem, lake: str, path: str, holder: dict):
        self.fs, self.lake, self.path = fs, lake, path
        self.holder = {**holder, "pid": os.getpid(), "token": uuid.uuid4().hex}
        self.etag = ""
        self.lost = ""  # why the lease is no longer this process's, once it is not
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    @property
    def token(self) -> str:
        return self.holder["token"]

    def take(self) -> None:
        """Create the lease, or replace one that expired or that a dead process of the same data directory left (the
        data directory's lock, which the taker holds, says that no other process of it is at work); LeaseHeld names a
        live holder."""
        try:
            self.etag = self.write(IfNoneMatch="*")
            return
        except OSError as e:
            if not condition_failed(e):
                raise
        other, etag = read(self.fs, self.path)
        if other is not None and not expired(other) and not self.succeeds(other):
            raise LeaseHeld(f"lake {self.lake} is being written by {holder_named(other)}, whose lease, renewed while it works, "
                            f"expires at {expiry(other)}; a lake has one writer: try again when it ends "
                            "(docs/operations.md#object-storage)")
        try:
            self.etag = self.write(**{"IfMatch": etag} if other is not None else {"IfNoneMatch": "*"})  # None: released meanwhile
        except OSError as e:
            if condition_failed(e):
                raise LeaseHeld(f"lake {self.lake} was claimed by another process at the same moment; try again") from e
            raise

    def check_conditions(self) -> None:
        """Refuse a store that ignores If-None-Match (a second creation of the lease succeeds): it cannot keep one writer."""
        try:
            self.etag = self.write(IfNoneMatch="*")
        except OSError as e:
            if condition_failed(e):
                return
            raise
        self.release()
        raise NewseventsError(f"lake {self.lake}: the object store ignores conditional writes (If-None-Match), so it cannot "
                              "keep the lake to one writer; use one that honours them, as AWS S3 does")

    def succeeds(self, other: dict) -> bool:
        """True when another lease was taken for the same data directory on the same host."""
        return (other.get("host"), other.get("data_dir")) == (self.holder["host"], self.holder["data_dir"])

    def renew(self) -> None:
        """Extend the lease, on condition that it is still the one this process wrote; LeaseLost when it is not."""
        with self.lock:
            if self.lost:
                raise LeaseLost(self.lost)
            try:
                self.etag = self.write(IfMatch=self.etag)
            except OSError as e:
                if not condition_failed(e):
                    raise
                other = read(self.fs, self.path)[0]
                taker = f"taken over by {holder_named(other)}" if other else "deleted"
                self.lost = (f"lake {self.lake}: this process lost its writer's lease ({taker}) and stopped writing; what it "
                             "had not published stays in its journal for its next run")
                raise LeaseLost(self.lost) from e

    def write(self, **condition: str) -> str:
        """PUT the lease with a new expiry on a condition; its ETag."""
        record = {**self.holder, "expires_at": time.time() + LEASE_SECONDS}
        return self.fs.pipe_file(self.path, json.dumps(record).encode(), **condition)["ETag"]

    def keep(self) -> None:
        """Renew every RENEW_SECONDS until released or lost (a renewal the endpoint fails is tried again at the next turn)."""
        while not self.stopped.wait(RENEW_SECONDS):
            try:
                self.renew()
            except LeaseLost:
                return
            except Exception:  # an endpoint that fails for a while: the lease lasts LEASE_SECONDS, the commits fence it
                continue

    def release(self) -> None:
        """Stop renewing and delete the lease, unless another process holds it now."""
        self.stopped.set()
        with self.lock:
            if self.lost:
                return
            bucket, key, _ = self.fs.split_path(self.path)
            with contextlib.suppress(OSError):  # taken over meanwhile, or an endpoint that fails: it expires by itself
                self.fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=self.etag)


def hold(fs: fsspec.AbstractFileSystem, lake: str, root: str, holder: dict) -> Lease:
    """Take a lake's lease for this process and keep it renewed until `let_go`."""
    lease = Lease(fs, lake, f"{root}/{LEASE}", holder)
    lease.take()
    lease.check_conditions()
    HELD[lake] = lease
    threading.Thread(target=lease.keep, daemon=True, name=f"lease {lake}").start()
    return lease


def let_go(lake: str) -> None:
    """Release the lease this process holds on a lake."""
    if lease := HELD.pop(lake, None):
        lease.release()


def read(fs: fsspec.AbstractFileSystem, path: str) -> tuple[dict | None, str]:
    """A lake's lease and its ETag (None and "" when there is none), read in one consistent GET."""
    fs.invalidate_cache(path)
    try:
        with fs.open(path, "rb") as f:
            return parsed(f.read()), f.details["ETag"]
    except FileNotFoundError:
        return None, ""


def alive(fs: fsspec.AbstractFileSystem, root: str, token: str) -> bool:
    """True when the lease with this token is still held and not expired: its holder may still be at work."""
    try:
        lease = parsed(fs.cat_file(f"{root}/{LEASE}"))
    except FileNotFoundError:
        return False
    return lease.get("token") == token and not expired(lease)


def parsed(raw: bytes) -> dict:
    """A lease object's fields; none ({}, an expired lease) for one that is not a lease (truncated, written by hand)."""
    try:
        lease = json.loads(raw)
    except ValueError:
        return {}
    return lease if isinstance(lease, dict) and isinstance(lease.get("expires_at"), int | float) else {}


def expired(lease: dict) -> bool:
    return lease.get("expires_at", 0) <= time.time()


def expiry(lease: dict) -> str:
    return datetime.fromtimestamp(lease["expires_at"], UTC).strftime("%H:%M:%S UTC")


def holder_named(lease: dict) -> str:
    """The process a lease names, for a message."""
    return f"data directory {lease.get('data_dir')} on {lease.get('host')} (pid {lease.get('pid')})"


def condition_failed(error: OSError) -> bool:
    """True when S3 refused a conditional write or delete because its condition did not hold."""
    response = getattr(error.__cause__, "response", None) or {}
    return response.get("Error", {}).get("Code") in LOST_CODES or isinstance(error, FileExistsError)
