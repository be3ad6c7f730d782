"""A throwaway PostgreSQL server for tests: Debian's binaries, a cluster in a temporary folder, a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

USER, PASSWORD, DATABASE = "newsevents", "s3cret-for-tests", "warehouse"


def binaries() -> Path | None:
    """The bin folder of the newest installed PostgreSQL server (Debian puts it under /usr/lib/postgresql)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl and shutil.which("initdb") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running() -> Iterator[str]:
    """Start a server (as the postgres user when we are root: initdb refuses root) and yield its URL; stop it after."""
    bindir = binaries()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("the PostgreSQL server binaries are missing; .ci/run installs them")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="newsevents-pg-"))
    (root / "pwfile").write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pwfile", "postgres")
    port = free_port()
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(root / "data")]

    def run(*argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    try:
        run(*as_user, str(bindir / "initdb"), "-D", str(root / "data"), "-U", USER, f"--pwfile={root / 'pwfile'}",
            "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run(*pg_ctl, "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start")
        run("psql", f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres", "-qc", f"CREATE DATABASE {DATABASE}")
        yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
