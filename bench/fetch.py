"""Fetch throughput and memory: N pages from the fault server (run in its own process) on 127.0.0.1.

    uv run python bench/fetch.py --pages 10000 --pad 20000

Prints pages/s and the resident memory of this process every `--every` pages, so flat memory shows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import httpfaults
from transforms.fetch import fetch
from transforms.fetch_options import FetchOptions
from transforms.rawstore import RawStore
from transforms.read import RawDocument


def serve(port_queue) -> None:
    """Run the server until killed; report its port."""
    server = httpfaults.FaultServer()
    port_queue.put(server.server_address[1])
    server.serve_forever(poll_interval=0.05)


def rss_mib() -> float:
    """Current resident set size of this process in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--pad", type=int, default=20000, help="bytes of text added to each page")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--no-store", action="store_true", help="do not write bodies to a raw store")
    args = parser.parse_args()

    ports = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=10)}"
    options = FetchOptions(allow_private=True, min_delay=0.0, workers=args.workers,
                           per_domain_concurrency=args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        store = None if args.no_store else RawStore(tmp)
        urls = (f"{base}/page/{i}?pad={args.pad}" for i in range(args.pages))
        started = time.perf_counter()
        documents = errors = 0
        print(f"{'pages':>8} {'pages/s':>8} {'RSS MiB':>8}")
        for n, done in enumerate(fetch(urls, options=options, store=store), start=1):
            if isinstance(done.result, RawDocument):
                documents += 1
            else:
                errors += 1
            if n % args.every == 0:
                print(f"{n:>8} {n / (time.perf_counter() - started):>8.0f} {rss_mib():>8.1f}")
        elapsed = time.perf_counter() - started
    server.kill()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.pages} pages ({documents} documents, {errors} rejected) of ~{args.pad // 1000 + 1} kB in {elapsed:.1f} s: "
          f"{args.pages / elapsed:.0f} pages/s, peak RSS {peak:.0f} MiB, {args.workers} workers, "
          f"raw store {'off' if args.no_store else 'on'}")


if __name__ == "__main__":
    main()
