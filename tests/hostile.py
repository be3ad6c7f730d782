"""Corpora and lake checks for the reliability tests: short news articles, hostile inputs, row-for-row lake comparison."""

from __future__ import annotations

import gzip
import os
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq

from schemas.tables import TABLES
from transforms.lake import COMMITS, MARKER
from transforms.load import DataDir

COUNTRIES = ["France", "Germany", "Japan", "India", "Brazil", "Kenya", "Egypt", "Turkey", "Mexico", "Canada", "Nigeria", "Chile"]
VERBS = ["met with", "criticised", "signed an agreement with", "threatened", "praised", "accused", "visited", "condemned"]
# Columns that say when or by which run a row was written; everything else must be equal between two runs.
# events.first_source_url/first_sentence pick the earliest-ingested mention, and batches race each other in one run.
RUN_SPECIFIC = {
    "articles": ["ingested_at", "run_id"], "entities": ["run_id"], "event_mentions": ["run_id"],
    "events": ["first_seen_at", "updated_at", "first_source_url", "first_sentence"], "quarantine": ["at", "run_id"],
}


def news_corpus(folder: Path, n: int, *, seed: int = 7) -> list[Path]:
    """n short English articles the test writes (plus two copies, an empty file and a binary one); the files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        a, b = rng.sample(COUNTRIES, 2)
        (folder / f"a{i:04d}.txt").write_text(
            f"Talks number {i}\n\nThe government of {a} {rng.choice(VERBS)} officials from {b} in the capital on "
            f"Monday, report {i} said. Ministers from both countries discussed trade and security for several hours "
            "before the meeting ended late in the evening.")
    (folder / "copy-1.txt").write_text((folder / "a0003.txt").read_text())
    (folder / "copy-2.txt").write_text((folder / "a0011.txt").read_text())
    (folder / "empty.txt").write_text("   \n")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 8)
    return sorted(folder.iterdir())


def parquet_files(lake: Path) -> list[Path]:
    """Every Parquet file anywhere under the lake folder."""
    return sorted(lake.rglob("*.parquet"))


def unreadable_files(lake: Path) -> list[str]:
    """Parquet files under the lake that pyarrow cannot read whole (a partial file would be one), with the error."""
    bad = []
    for path in parquet_files(lake):
        try:
            pq.read_table(path)
        except FileNotFoundError:
            continue  # replaced or retired between the listing and the read
        except Exception as e:
            bad.append(f"{path}: {type(e).__name__}: {e}")
    return bad


def stray_files(lake: Path) -> list[Path]:
    """Files under the lake that are not table/year=YYYY/month=MM/*.parquet nor the lake's own records at its root
    (temporary or staged files)."""
    return [p for p in lake.rglob("*") if p.is_file() and p.name not in (MARKER, COMMITS) and not (
        p.suffix == ".parquet" and len(p.relative_to(lake).parts) == 4 and p.parts[-3].startswith("year=")
        and p.parts[-2].startswith("month="))]


def table_rows(data_dir: Path, table: str) -> list[tuple]:
    """A table's rows as DuckDB reads them from the lake's explicit glob (wherever the lake is), without run-specific columns, sorted."""
    data = DataDir(data_dir)
    if not data.has_files(table):
        return []
    exclude = RUN_SPECIFIC.get(table, [])
    columns = [c for c in TABLES[table].schema.names if c not in exclude]
    with data.connect() as con:
        rows = con.execute(f"SELECT {', '.join(columns)} FROM read_parquet('{data.table_glob(table)}', union_by_name=true)").fetchall()
    return sorted(rows, key=repr)


def duplicate_keys(data_dir: Path, table: str) -> list[tuple]:
    """Primary-key values that occur more than once in a table."""
    data = DataDir(data_dir)
    if not data.has_files(table):
        return []
    key = ", ".join(TABLES[table].primary_key)
    with data.connect() as con:
        return con.execute(f"SELECT {key}, count(*) FROM read_parquet('{data.table_glob(table)}', union_by_name=true) "
                           f"GROUP BY ALL HAVING count(*) > 1").fetchall()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of everything under a folder, symlinks not followed: to show that nothing there changed."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            found[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return found


def gzip_bomb(size: int) -> bytes:
    """A gzip body that decodes to `size` zero bytes: one small member per MiB, ~1000:1."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    return member * (size >> 20)


class Site(ThreadingHTTPServer):
    """A local HTTP server answering each path from a table of (status, headers, body); counts hits."""

    daemon_threads = True

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]]):
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.routes, self.hits = routes, Counter()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:  # clients that hang up on a bomb are expected
        pass


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Site

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits[path] += 1
        status, headers, body = self.server.routes.get(path, (404, {"Content-Type": "text/plain"}, b"no route"))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
