"""BODIES -> RAW STORE: every fetched body kept once, content-addressed by SHA-256 and zstd-compressed.

Layout: `<data_dir>/raw/ab/cd/<sha256>.zst` (ab, cd: the first two byte pairs of the hash). Files are
written to a temporary name in the same folder and renamed into place, so a reader never sees half a
file and two writers of the same body race harmlessly; a file that no longer holds its body is
rewritten the next time that body is put. zstd comes from pyarrow's compressed streams
(pyarrow is a dependency already); the files are ordinary zstd frames that `zstd -d` reads.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from transforms.errors import NewseventsError, Reason, Rejection
from transforms.ids import sha256_hex
from transforms.read import RawDocument, document_from_bytes, record_to_document

SUFFIX = ".zst"
REREAD_COLUMNS = ("article_id", "url", "canonical_url", "input_format", "raw_sha256", "published_at", "source_name",
                  "http_content_type", "given_title")  # what `reread` uses of an articles row


class RawStore:
    """Content-addressed, compressed store of raw bodies under `<data_dir>/raw/`."""

    def __init__(self, data_dir: str | Path):
        self.root = Path(data_dir) / "raw"

    def path(self, sha256: str) -> Path:
        """Where the body with this hash lives (whether or not it is stored)."""
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{SUFFIX}"

    def put(self, body: bytes) -> str:
        """Store the body unless it is there already and intact (a corrupt file is replaced); return its SHA-256."""
        sha = sha256_hex(body)
        if self.holds(sha):
            return sha
        target = self.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=SUFFIX)
        os.close(fd)
        try:
            with pa.output_stream(tmp, compression="zstd") as out:
                out.write(body)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        """The stored body; a missing or corrupt file is a per-run error naming it."""
        source = self.path(sha256)
        try:
            with pa.input_stream(str(source), compression="zstd") as f:
                body = f.read()
        except (OSError, pa.ArrowException) as e:
            raise NewseventsError(f"raw body {sha256} cannot be read from {source}: {e}") from e
        if sha256_hex(body) != sha256:
            raise NewseventsError(f"raw body {source} is corrupt: its content does not hash to {sha256}")
        return body

    def holds(self, sha256: str) -> bool:
        """True when the body with this hash is stored and reads back intact."""
        try:
            self.get(sha256)
        except NewseventsError:
            return False
        return True

    def __contains__(self, sha256: str) -> bool:
        return self.path(sha256).exists()


def reread(articles: Iterable[dict], store: RawStore) -> Iterator[RawDocument | Rejection]:
    """Documents rebuilt from stored `articles` rows (REREAD_COLUMNS) and their raw bytes, for reprocessing with the current
    pipeline.

    The stored Content-Type header and given title are used again as at ingest (the charset a header declared, a
    feed's title); the canonical URL stands for the page's own URL (a WARC record's target, a redirect's end), which
    `url` does not hold; the stored publication date and source name stand in when the raw input does not carry
    them (--published, a feed's date); a body missing from the store is rejected as UNREADABLE.
    """
    for row in articles:
        try:
            raw = store.get(row["raw_sha256"])
        except NewseventsError as e:
            yield Rejection(stage="reprocess", reason=Reason.UNREADABLE, url=row["url"], detail=str(e))
            continue
        kind = row["input_format"]
        if kind == "jsonl":
            result = record_to_document(raw, row["url"], published=None)
        else:
            result = document_from_bytes(raw, location=row["url"], url=row["canonical_url"] or row["url"], input_format=kind,
                                         is_html=kind != "txt", title=row["given_title"], content_type=row["http_content_type"])
        if isinstance(result, Rejection):
            yield replace(result, stage="reprocess")
        else:
            yield replace(result, published_at=result.published_at or row["published_at"],
                          source_name=result.source_name or row["source_name"])
