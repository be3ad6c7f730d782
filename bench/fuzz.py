"""Coverage-guided fuzzing (atheris) of the functions that meet untrusted bytes: any exception they raise is a finding.

    uv run python bench/fuzz.py -max_total_time=60          # libFuzzer flags; add a folder to keep the corpus
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, date, datetime

import atheris

with atheris.instrument_imports():
    from transforms.clean import clean_document
    from transforms.dates import resolve_date
    from transforms.decode import DecodeError, decode_bytes, looks_binary
    from transforms.feeds import feed_targets, sitemap_entries
    from transforms.read import RawDocument, record_to_document
    from transforms.urls import canonical_url, url_problem

URL = "https://news.example.org/a"


def document(raw: bytes, content: str, is_html: bool) -> RawDocument:
    return RawDocument(location=URL, url=URL, input_format="web", raw=raw, content=content, is_html=is_html,
                       published_at=datetime(2026, 1, 15, tzinfo=UTC))


def one_input(data: bytes) -> None:
    """Feed the bytes to one of the targets, chosen by the first byte."""
    fdp = atheris.FuzzedDataProvider(data)
    target = fdp.ConsumeIntInRange(0, 6)
    rest = fdp.ConsumeBytes(fdp.remaining_bytes())
    text = rest.decode("utf-8", "replace")
    if target == 0:
        feed_targets(document(rest, "", False), "fuzz")
    elif target == 1:
        sitemap_entries(document(rest, "", False), "fuzz")
    elif target == 2:
        resolve_date(text, date(2026, 1, 15), future=len(rest) % 2 == 1)
    elif target == 3:
        clean_document(document(rest, text, len(rest) % 2 == 0))
    elif target == 4:
        record_to_document(rest, "file:///fuzz.jsonl#line=1", published=None)
    elif target == 5:
        looks_binary(rest)
        with contextlib.suppress(DecodeError):
            decode_bytes(rest, is_html=True, content_type=text[:40])
    elif url_problem(text) is None:
        canonical_url(text)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
