"""Seconds of `newsevents run` on a lake in S3 (moto's server on loopback) against the same run on a local lake.

Writes a JSONL corpus of --articles records (the samples' English texts, each made distinct, dated over 24 months),
ingests it into a fresh data dir with each lake, then edits one record --edits times and runs again: each later run
replaces one article, so it reads the lake's files (every table has a file per batch and month) and rewrites a few.
Prints each run's wall seconds and the flow's own seconds from its summary line.

    uv run python bench/object_store.py [--articles 480] [--edits 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import fsspec
from moto.server import ThreadedMotoServer

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
MONTHS = 24


def corpus(count: int, edit: int) -> str:
    """JSONL records spread over MONTHS months; record 5 carries the edit number."""
    texts = [p.read_text() for p in sorted(SAMPLES.glob("*.txt")) if p.stat().st_size > 200 and not p.stem.endswith("-es")]
    records = []
    for n in range(count):
        year, month = 2024 + (n % MONTHS) // 12, n % 12 + 1
        text = f"{texts[n % len(texts)]}\n\nReport {n} of the series." + (f" Update {edit}." if n == 5 else "")
        records.append({"url": f"https://news.example/{n}", "text": text, "published_at": f"{year}-{month:02d}-{1 + n % 27:02d}"})
    return "".join(json.dumps(r) + "\n" for r in records)


def run(inputs: Path, data_dir: Path, lake: str | None) -> tuple[float, str]:
    """Wall seconds of one `newsevents run`, and the flow's seconds from its summary line."""
    command = ["newsevents", "run", str(inputs), "--data-dir", str(data_dir)] + (["--lake", lake] if lake else [])
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    flow = re.search(r"; ([0-9.]+) s$", done.stdout.strip().splitlines()[-1])
    return time.perf_counter() - began, flow.group(1) if flow else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=480)
    parser.add_argument("--edits", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": f"http://{host}:{port}"})
    fsspec.filesystem("s3", skip_instance_cache=True).mkdir("bench")
    try:
        with tempfile.TemporaryDirectory() as work:
            inputs = Path(work) / "in"
            inputs.mkdir()
            for edit in range(args.edits + 1):
                (inputs / "records.jsonl").write_text(corpus(args.articles, edit))
                for name, lake in (("s3", "s3://bench/lake"), ("local", None)):
                    wall, flow = run(inputs, Path(work) / name, lake)
                    what = f"first run of {args.articles}" if edit == 0 else f"edit {edit} (replaces one article)"
                    print(f"{what:34} {name:5}: {wall:6.1f} s, flow {flow} s", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
