"""Small lakes built from hand-made rows (no NLP), for the compaction, export and sync tests; a second lock holder and a
second holder of the catalog."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from transforms.ids import stable_id
from transforms.load import DataDir, publish
from transforms.rollup import rollup


def article(n: int, *, published: date, run_id: str, ingested_at: datetime, title: str | None = None) -> dict:
    """An articles row for article number n."""
    text = f"Article {n}. Turkey and Russia met in Ankara. The talks went on."
    return {
        "article_id": stable_id("article", n), "url": f"https://news.example.org/{n}", "canonical_url": f"https://news.example.org/{n}",
        "source_domain": "news.example.org" if n % 2 else "wire.example.com", "source_name": "Example News", "title": title or f"Story {n}",
        "authors": ["A. Writer"], "published_at": datetime(published.year, published.month, published.day, 9, tzinfo=UTC),
        "language": "en", "text": text, "text_sha256": stable_id("text", n), "word_count": len(text.split()), "tone": -1.5 + n,
        "extractor": "plaintext", "extractor_version": "1", "input_format": "txt", "raw_sha256": stable_id("raw", n),
        "duplicate_of": None, "ingested_at": ingested_at, "run_id": run_id, "pipeline_version": "newsevents 0.1.0",
        "http_content_type": None, "given_title": None, "ignored_canonical_url": None,
    }


def copy_of(original: dict, n: int, *, domain: str, ingested_at: datetime) -> dict:
    """An exact duplicate of an articles row, numbered n, on a domain: same text, not coded again."""
    row = article(n, published=original["published_at"].date(), run_id=original["run_id"], ingested_at=ingested_at)
    url = f"https://{domain}/{n}"
    return {**row, "url": url, "canonical_url": url, "source_domain": domain, "text": original["text"],
            "text_sha256": original["text_sha256"], "tone": original["tone"], "duplicate_of": original["article_id"]}


def mention(art: dict, *, event: str, event_date: date, cameo: str = "042", quad: int = 1, goldstein: float = 1.9,
            actor1: tuple[str, str | None] = ("TURGOV", "TUR"), actor2: tuple[str, str | None] = ("RUSGOV", "RUS"),
            location: tuple[str, str | None, float | None, float | None] = ("Ankara", "TUR", 39.92, 32.85)) -> dict:
    """An event_mentions row in article art, grouped into the event named event."""
    name, country, lat, lon = location

    def sector(code: str) -> str | None:
        return "IGO" if code.startswith("IGO") else code[3:] or None

    return {
        "event_mention_id": stable_id("mention", art["article_id"], event, cameo), "event_id": stable_id("event", event),
        "article_id": art["article_id"], "sentence_index": 1, "sentence_start_char": 12, "sentence_end_char": 46,
        "sentence": "Turkey and Russia met in Ankara.", "is_lead": True, "trigger": "met", "trigger_start_char": 30,
        "trigger_end_char": 33, "cameo_code": cameo, "cameo_base": cameo[:3], "cameo_root": cameo[:2], "quad_class": quad,
        "goldstein": goldstein, "plover_type": "CONSULT", "plover_mode": None, "plover_context": None,
        "actor1_text": "Turkey", "actor1_start_char": 12, "actor1_end_char": 18, "actor1_code": actor1[0],
        "actor1_country": actor1[1], "actor1_sector": sector(actor1[0]), "actor2_text": "Russia", "actor2_start_char": 23,
        "actor2_end_char": 29, "actor2_code": actor2[0], "actor2_country": actor2[1], "actor2_sector": sector(actor2[0]),
        "event_date": event_date, "date_precision": "day", "location_name": name, "location_country": country,
        "location_lat": lat, "location_lon": lon, "negated": False, "modality": "asserted", "attribution": None,
        "attribution_code": None, "confidence": 0.8, "coder_version": "test", "run_id": art["run_id"],
    }


def run_row(run_id: str, started_at: datetime) -> dict:
    """A runs row."""
    return {"run_id": run_id, "flow": "ingest", "started_at": started_at, "finished_at": started_at, "status": "completed", "error": None,
            "params": "{}", "counts": {"articles": 1}, "versions": {"newsevents": "test"}, "flow_run_id": None}


def ingest(data: DataDir, batch: str, articles: list[dict], mentions: list[dict], run_id: str, at: datetime) -> None:
    """Publish one batch of articles and mentions plus its runs row, then recompute the events of its months."""
    day = {a["article_id"]: a["published_at"] for a in articles}
    publish(data, batch, {"articles": [(a["published_at"], a) for a in articles],
                          "event_mentions": [(day[m["article_id"]], m) for m in mentions],
                          "runs": [(at, run_row(run_id, at))]})
    rollup(data, {m["event_date"].replace(day=1) for m in mentions})


def two_runs(data: DataDir) -> None:
    """A lake of two ingest runs in January 2026: three articles, four mentions, three events, six small files."""
    t1, t2 = datetime(2026, 1, 10, 12, tzinfo=UTC), datetime(2026, 1, 11, 12, tzinfo=UTC)
    a1, a2 = (article(n, published=date(2026, 1, 9), run_id="20260110T120000Z-aaaaaa", ingested_at=t1) for n in (1, 2))
    ingest(data, "b1", [a1, a2], [mention(a1, event="talks", event_date=date(2026, 1, 8)),
                                  mention(a2, event="talks", event_date=date(2026, 1, 8)),
                                  mention(a2, event="strike", event_date=date(2026, 1, 9), cameo="190", quad=4, goldstein=-10.0,
                                          actor1=("RUSMIL", "RUS"), actor2=("UKR", "UKR"), location=("Kharkiv", "UKR", 49.99, 36.23))],
           "20260110T120000Z-aaaaaa", t1)
    a3 = article(3, published=date(2026, 1, 10), run_id="20260111T120000Z-bbbbbb", ingested_at=t2)
    ingest(data, "b2", [a3], [mention(a3, event="aid", event_date=date(2026, 1, 10), cameo="070", quad=2, goldstein=7.0,
                                      actor1=("IGOUNO", None), actor2=("SYR", "SYR"), location=(None, None, None, None))],
           "20260111T120000Z-bbbbbb", t2)


@contextmanager
def held_by_another_process(root: Path) -> Iterator[int]:
    """A second process holding the data dir's lock while the block runs; yields its pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from transforms.load import DataDir, exclusive\n"
         "with exclusive(DataDir(Path(sys.argv[1]))):\n    print('held', flush=True); time.sleep(120)", str(root)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


@contextmanager
def catalog_held(data: DataDir, *, read_only: bool) -> Iterator[None]:
    """Another process holding the catalog file open (a DuckDB shell, a `newsevents sql`, a run refreshing it)."""
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, duckdb\n"
                               f"con = duckdb.connect({str(data.catalog)!r}, read_only={read_only})\n"
                               "print('held', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


@contextmanager
def commit_held_back(data: DataDir, batch: str, tables: dict, replacing: dict, monkeypatch, *, seconds: float = 0.3) -> Iterator[None]:
    """Publish a batch in another thread and hold its commit back for some seconds after its first step: the body runs then."""
    import threading

    from transforms.lake import Lake

    halfway, put = threading.Event(), Lake.put

    def put_then_pause(lake: Lake, staged: str, final: str) -> None:
        put(lake, staged, final)
        if not halfway.is_set():
            halfway.set()
            threading.Event().wait(seconds)

    monkeypatch.setattr(Lake, "put", put_then_pause)
    writer = threading.Thread(target=publish, args=(data, batch, tables), kwargs={"replacing": replacing})
    writer.start()
    try:
        halfway.wait(10)
        yield
    finally:
        writer.join()


def newsevents_elsewhere(*args: str, before: str = "") -> subprocess.CompletedProcess:
    """`newsevents args` run in another process (after the Python statements `before`), its output captured."""
    return subprocess.run([sys.executable, "-c", f"import sys\n{before}\nfrom flows.cli import main\nsys.exit(main(sys.argv[1:]))", *args],
                          capture_output=True, text=True, timeout=120)
