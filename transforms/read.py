"""FILES -> RAW DOCUMENTS: read local .txt, .html and .jsonl inputs, rejecting what cannot be used."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from transforms.decode import DecodeError, decode_bytes, looks_binary
from transforms.errors import NewseventsError, Reason, Rejection
from transforms.urls import url_problem

MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_CONTENT_TYPE_CHARS = 200  # a Content-Type header is untrusted; kept and used only up to this
TEXT_SUFFIXES = {".txt": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
STAGE = "read"
# How far past the current time a publication date may lie (a time zone ahead of UTC, a clock a little fast); later is no date.
FUTURE_SLACK = timedelta(days=1)
# The earliest publication date taken: older ones are the placeholders of empty date fields (0001-01-01, 1850-01-01), not
# news, and one would stretch the report's per-day charts back to its year.
EARLIEST_PUBLISHED = datetime(1900, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class RawDocument:
    """One article as read, before cleaning."""

    location: str  # where it was read: file:// URL (with #line=N for JSONL) or the fetched URL
    url: str  # the article's own URL when known (JSONL `url`, fetched page), else location
    input_format: str  # txt | html | jsonl | warc | web
    raw: bytes  # the input bytes: the file, the JSONL line or the HTTP body
    content: str  # decoded text or HTML
    is_html: bool
    title: str | None = None
    published_at: datetime | None = None
    source_name: str | None = None
    content_type: str | None = None  # the HTTP Content-Type header the bytes were decoded with


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Rejection]]:
    """Files named or found (recursively, sorted) under the given paths, and the rejections of what a folder holds
    that is not read: a symbolic link (a folder written by others may link anywhere) or a pipe, socket or device
    (reading one may never end). A missing path, or a named one that is no regular file, is an error."""
    paths = [Path(p) for p in paths]
    check_named(paths)
    files: list[Path] = []
    unread: list[Rejection] = []
    for p in paths:
        if not p.is_dir():
            files.append(p)
            continue
        for entry in sorted(p.rglob("*")):
            if why := why_unread(entry):
                unread.append(Rejection(stage=STAGE, reason=Reason.UNSUPPORTED_TYPE,
                                        url=(entry.parent.resolve() / entry.name).as_uri(), detail=why))
            elif entry.is_file():
                files.append(entry)
    return files, unread


def check_named(paths: Iterable[Path]) -> None:
    """A missing path, or a named one that is neither a regular file nor a folder, is an error; folders are not listed."""
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise NewseventsError(f"no such file or directory: {', '.join(missing)}")
    special = [str(p) for p in paths if not p.is_dir() and not p.is_file()]
    if special:
        raise NewseventsError(f"not a regular file or folder: {', '.join(special)}")


def why_unread(entry: Path) -> str | None:
    """Why a folder entry is not read; None for a regular file or a folder."""
    if entry.is_symlink():
        return "a symbolic link inside an input folder is not followed; name the file it points to, to read it"
    if not (entry.is_file() or entry.is_dir()):
        return "not a regular file (a pipe, socket or device)"
    return None


def read_files(
    files: Iterable[Path], *, max_bytes: int = MAX_INPUT_BYTES, published: date | None = None
) -> Iterator[RawDocument | Rejection]:
    """Each file's documents (one per JSONL line) or its rejection; never raises for bad content."""
    for path in files:
        yield from read_file(path, max_bytes=max_bytes, published=published)


def read_file(path: Path, *, max_bytes: int, published: date | None) -> Iterator[RawDocument | Rejection]:
    """The documents in one file, or rejections naming what is wrong with it."""
    location = path.resolve().as_uri()
    kind = TEXT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        yield Rejection(stage=STAGE, reason=Reason.UNSUPPORTED_TYPE, url=location,
                        detail=f"unsupported file type {path.suffix or '(none)'!r}; expected .txt, .html, .htm, .jsonl, .warc or .warc.gz")
        return
    if kind == "jsonl":
        yield from read_jsonl(path, location, max_line_bytes=max_bytes, published=published)
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield Rejection(stage=STAGE, reason=Reason.TOO_LARGE, url=location,
                            detail=f"file is {size} bytes, over the cap of {max_bytes}")
            return
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as e:
        yield Rejection(stage=STAGE, reason=Reason.UNREADABLE, url=location, detail=f"cannot read file: {e.strerror or e}")
        return
    if len(raw) > max_bytes:  # the file grew while we read it
        yield Rejection(stage=STAGE, reason=Reason.TOO_LARGE, url=location, detail=f"file is over the cap of {max_bytes} bytes")
        return
    yield document_from_bytes(raw, location=location, url=location, input_format=kind,
                              is_html=kind == "html", published=published)


def document_from_bytes(
    raw: bytes, *, location: str, url: str, input_format: str, is_html: bool,
    published: date | None = None, title: str | None = None, content_type: str | None = None,
) -> RawDocument | Rejection:
    """Decode one input's bytes into a document, or reject it as empty, binary or undecodable."""
    content_type = content_type[:MAX_CONTENT_TYPE_CHARS] if content_type else None
    if not raw.strip():
        return Rejection(stage=STAGE, reason=Reason.EMPTY, url=location, detail="input is empty", payload=raw)
    if looks_binary(raw):
        return Rejection(stage=STAGE, reason=Reason.BINARY, url=location, detail="input is binary, not text", payload=raw)
    try:
        content = decode_bytes(raw, is_html=is_html, content_type=content_type)
    except DecodeError as e:
        return Rejection(stage=STAGE, reason=Reason.UNDECODABLE, url=location, detail=str(e), payload=raw)
    if "\x00" in content:  # past the sample looks_binary reads
        return Rejection(stage=STAGE, reason=Reason.BINARY, url=location, detail="text contains NUL characters", payload=raw)
    return RawDocument(location=location, url=url, input_format=input_format, raw=raw, content=content,
                       is_html=is_html, title=title, published_at=as_utc_datetime(published), content_type=content_type)


def read_jsonl(path: Path, location: str, *, max_line_bytes: int, published: date | None) -> Iterator[RawDocument | Rejection]:
    """One document per JSONL line; a bad line is rejected alone, the rest of the file is read."""
    try:
        f = path.open("rb")
    except OSError as e:
        yield Rejection(stage=STAGE, reason=Reason.UNREADABLE, url=location, detail=f"cannot read file: {e.strerror or e}")
        return
    with f:
        any_line = False
        for number, line in enumerate(bounded_lines(f, max_line_bytes), start=1):
            line_location = f"{location}#line={number}"
            if line is None:
                yield Rejection(stage=STAGE, reason=Reason.TOO_LARGE, url=line_location,
                                detail=f"JSONL line is over the cap of {max_line_bytes} bytes")
                any_line = True
                continue
            if not line.strip():
                continue
            any_line = True
            yield record_to_document(line, line_location, published=published)
        if not any_line:
            yield Rejection(stage=STAGE, reason=Reason.EMPTY, url=location, detail="JSONL file has no records")


def bounded_lines(f, max_bytes: int) -> Iterator[bytes | None]:
    """Lines of a binary file; None stands for a line over max_bytes, which is skipped without being held in memory."""
    while True:
        line = f.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:  # drain the rest of the oversized line in bounded chunks
                rest = f.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield line


def record_to_document(line: bytes, location: str, *, published: date | None) -> RawDocument | Rejection:
    """A JSONL record `{text|html, url?, title?, published_at?}` as a document."""
    def reject(reason: Reason, detail: str) -> Rejection:
        return Rejection(stage=STAGE, reason=reason, url=location, detail=detail, payload=line)

    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return reject(Reason.JSONL_MALFORMED, f"line is not valid JSON: {e}")
    except RecursionError:  # json's decoder recurses once per [ or {
        return reject(Reason.JSONL_MALFORMED, "line nests JSON arrays or objects too deeply to read")
    if not isinstance(record, dict):
        return reject(Reason.JSONL_MALFORMED, f"line is JSON {type(record).__name__}, not an object")
    text, html = record.get("text"), record.get("html")
    body = text if isinstance(text, str) and text.strip() else html if isinstance(html, str) and html.strip() else None
    if body is None:
        return reject(Reason.JSONL_NO_TEXT, "record has no non-empty string 'text' or 'html'")
    for key in ("url", "title", "published_at"):
        if record.get(key) is not None and not isinstance(record[key], str):
            return reject(Reason.BAD_FIELD, f"field {key!r} must be a string")
    stored = {"text" if body is text else "html": body, "url": record.get("url"), "title": record.get("title")}
    for key, value in stored.items():
        if value and not is_unicode(value):
            return reject(Reason.BAD_FIELD, f"field {key!r} holds a lone surrogate (a \\u escape of half a character), "
                                            "not text that can be stored")
    url = record.get("url") or location
    if not url.startswith("file://") and (problem := url_problem(url)):
        return reject(Reason.BAD_URL, f"url {url[:200]!r}: {problem}")
    try:
        record_date = parse_datetime(record["published_at"]) if record.get("published_at") else None
    except ImplausibleDate as e:
        return reject(Reason.BAD_FIELD, f"published_at {record['published_at'][:50]!r} is {e}")
    except ValueError as e:
        return reject(Reason.BAD_FIELD, f"published_at {record['published_at'][:50]!r} is not an ISO date: {e}")
    if "\x00" in body:
        return reject(Reason.BINARY, "record text contains NUL characters")
    return RawDocument(location=location, url=url, input_format="jsonl", raw=line, content=body,
                       is_html=body is html, title=record.get("title") or None,
                       published_at=record_date or as_utc_datetime(published))


def is_unicode(value: str) -> bool:
    """False for a string UTF-8 cannot hold: one with a lone surrogate, as a JSON \\udfff escape gives."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ImplausibleDate(ValueError):
    """A publication date no article has: one later than now, or one before EARLIEST_PUBLISHED (a placeholder for none)."""


def parse_datetime(value: str) -> datetime:
    """An ISO date or date-time as an aware UTC datetime (naive values are taken as UTC); ValueError for what is none,
    ImplausibleDate for one later than now or before 1900 (9999-12-31 or 0001-01-01 would date the article's events there too)."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    try:
        moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError as e:  # 0001-01-01T00:00:00+14:00 is a day before year 1 in UTC
        raise ValueError("out of range once in UTC") from e
    return plausible(moment)


def plausible(moment: datetime) -> datetime:
    """An aware UTC datetime as a publication date; ImplausibleDate for one later than now or before EARLIEST_PUBLISHED."""
    if moment > datetime.now(UTC) + FUTURE_SLACK:
        raise ImplausibleDate(f"later than now ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC): no article is published in the future")
    if moment < EARLIEST_PUBLISHED:
        raise ImplausibleDate(f"before {EARLIEST_PUBLISHED:%Y-%m-%d}: a placeholder for no date, not a publication date")
    return moment


def as_utc_datetime(day: date | None) -> datetime | None:
    """Midnight UTC of a date."""
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)
