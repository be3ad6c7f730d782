"""Main-text quality of the clean stage against trafilatura's default, on the extraction-dev pages.

Metric (shared/eval/README.md): \\w+ tokens, multisets of 4-gram shingles per page, precision and
recall per page averaged over pages, F1 of the averages. An empty output scores P = R = 0 on its page.
Also reports how many titles still end in a site name ("… | CNN", "… - Reuters").

    uv run python bench/extraction.py [--limit N] [--shared PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

from transforms.clean import CleanOptions, clean_document
from transforms.read import RawDocument, document_from_bytes

SHARED = Path(__file__).resolve().parents[2] / "shared"
WORD = re.compile(r"\w+")
OPTIONS = CleanOptions(languages=None)  # main-text quality: the set holds a French page, keep it
SEPARATOR = re.compile(r"\s*[|·•»]\s*|\s+[-–—]\s+|:\s+")


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of n-grams of \\w+ tokens."""
    tokens = WORD.findall(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(predicted: str, truth: str) -> tuple[float, float]:
    """Precision and recall of one page's output against its ground truth."""
    got, want = shingles(predicted), shingles(truth)
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    return precision, recall


def carries_site_name(title: str | None, publisher: str, url: str) -> bool:
    """True when a short title segment before or after a separator names the publisher or its host."""
    parts = SEPARATOR.split(title or "")
    if len(parts) < 2:
        return False
    names = {key(publisher).removeprefix("the")} | {
        label for label in (urlsplit(url).hostname or "").split(".") if len(label) > 2 and label not in {"www", "com", "org", "net"}
    }
    edges = [part for part in [parts[0], *parts[1:]] if 0 < len(part.split()) <= 5]
    return any(name in key(edge) for edge in edges for name in names)


def key(name: str) -> str:
    """Lower-case letters and digits of a name."""
    return re.sub(r"[\W_]", "", name.lower())


def trafilatura_default(html: str, url: str) -> tuple[str, str | None]:
    """Text and title from trafilatura's defaults."""
    result = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    return (result.text or "", result.title) if result else ("", None)


def clean_stage(options: CleanOptions) -> Callable[[str, str], tuple[str, str | None]]:
    """Text and title from the clean stage with these options (an empty text when it rejects the page)."""
    def extract(html: str, url: str) -> tuple[str, str | None]:
        doc = document_from_bytes(html.encode("utf-8"), location=url, url=url, input_format="web", is_html=True)
        row = clean_document(doc, options=options) if isinstance(doc, RawDocument) else doc
        return (row["text"], row["title"]) if isinstance(row, dict) else ("", None)
    return extract


def evaluate(name: str, extract: Callable[[str, str], tuple[str, str | None]], pages: list[tuple[str, str, str, str]]) -> dict:
    """Averaged scores, speed and site-name suffix rate of one extractor over the pages."""
    precisions, recalls, suffixes = [], [], 0
    extract(pages[0][1], pages[0][2])  # warm up: models and caches load once per process, not per page
    started = time.perf_counter()
    for file, html, url, truth in pages:
        text, title = extract(html, url)
        p, r = page_scores(text, truth)
        precisions.append(p)
        recalls.append(r)
        suffixes += carries_site_name(title, file.split("_")[0], url)
    elapsed = time.perf_counter() - started
    precision, recall = sum(precisions) / len(pages), sum(recalls) / len(pages)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"name": name, "P": precision, "R": recall, "F1": f1, "pages/s": len(pages) / elapsed, "suffix": suffixes / len(pages)}


def load_pages(folder: Path, limit: int | None) -> list[tuple[str, str, str, str]]:
    """(file, html, url, truth text) for each page of the set."""
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    pages = []
    for file in sorted(truth)[:limit]:
        html = gzip.decompress((folder / "html" / file).read_bytes()).decode("utf-8", "replace")
        pages.append((file, html, truth[file]["url"], "\n".join(truth[file]["body"])))
    return pages


def main() -> int:
    """Score both extractors and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder holding eval/extraction-dev")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages")
    args = parser.parse_args()
    folder = args.shared / "eval" / "extraction-dev"
    if not (folder / "ground_truth.json").is_file():
        print(f"error: no extraction dev set at {folder} (expected shared/ beside the checkout)", file=sys.stderr)
        return 2
    pages = load_pages(folder, args.limit)
    results = [
        evaluate("trafilatura default", trafilatura_default, pages),
        evaluate("newsevents clean", clean_stage(OPTIONS), pages),
        evaluate("newsevents clean fast", clean_stage(replace(OPTIONS, fast=True)), pages),
    ]
    print(f"{len(pages)} pages from {folder}")
    print(f"{'extractor':<22}{'P':>7}{'R':>7}{'F1':>7}{'pages/s':>9}{'site-name suffix':>18}")
    for r in results:
        print(f"{r['name']:<22}{r['P']:>7.3f}{r['R']:>7.3f}{r['F1']:>7.3f}{r['pages/s']:>9.1f}{r['suffix']:>17.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
