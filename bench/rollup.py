"""Peak memory and time of the events rollup (`transforms.rollup.rollup`) over a lake's months.

Reads the `articles` and `event_mentions` of a data dir (e.g. a copy of `query.py`'s lake with its
files hard-linked and no `events`) and rewrites its `events` for the months given, in this process:
prints the resident memory before and the peak during the rollup, its seconds and CPU seconds.

    uv run python bench/rollup.py DATA_DIR [--months 2025-01 2025-02 ...]   # default: every month of the mentions
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from pathlib import Path

import psutil

from transforms.load import DataDir
from transforms.rollup import rollup

MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--months", nargs="+", help="YYYY-MM (default: every month folder of event_mentions)")
    args = parser.parse_args()
    data = DataDir(args.data_dir.resolve())
    keys = args.months or sorted(p.parent.name[5:] + "-" + p.name[6:] for p in (data.root / "lake" / "event_mentions").glob("year=*/month=*"))
    before = psutil.Process().memory_info().rss / MB
    began, cpu_began = time.perf_counter(), time.process_time()
    events = rollup(data, {date.fromisoformat(f"{k}-01") for k in keys})
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rollup of {len(keys)} months: {events:,} events in {seconds:.1f} s ({cpu:.1f} CPU s); "
          f"RSS {before:.0f} MB before, peak {peak:.0f} MB (+{peak - before:.0f} MB)")


if __name__ == "__main__":
    main()
