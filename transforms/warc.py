"""WARC FILES -> RAW DOCUMENTS: the HTML response records of a .warc / .warc.gz file (CC-NEWS style), read with fastwarc.

Only `response` records are inputs; request, metadata and the other record types WARC defines are
skipped, and a record of no known type (headers that do not parse) is WARC_MALFORMED. Every size is
capped: a record longer than options.max_body_bytes is rejected unread, and an HTTP payload that is
still content-encoded is decoded within options.max_decoded_bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType

from transforms.errors import Reason, Rejection
from transforms.fetch import STAGE
from transforms.fetch_decode import BadEncoding, DecodedTooLarge, decode_all
from transforms.fetch_http import media_type, short
from transforms.fetch_options import FetchOptions
from transforms.rawstore import RawStore
from transforms.read import RawDocument, document_from_bytes
from transforms.urls import canonical_url, url_problem


def read_warc(path: str | Path, *, options: FetchOptions, store: RawStore | None = None) -> Iterator[RawDocument | Rejection]:
    """Each HTML response record of the WARC as a document (url = canonical target URI), or its rejection."""
    path = Path(path)
    file_location = path.resolve().as_uri()

    def reject(reason: Reason, detail: str, url: str = file_location, payload: bytes | None = None) -> Rejection:
        return Rejection(stage=STAGE, reason=reason, url=url, detail=detail, payload=payload)

    try:
        stream = path.open("rb")
    except OSError as e:
        yield reject(Reason.UNREADABLE, f"cannot read WARC file: {e.strerror or e}")
        return
    records = answered = 0  # records read, and those that gave a document or a rejection
    with stream:
        try:
            for record in ArchiveIterator(stream, parse_http=False, auto_decode="none"):
                records += 1
                location = f"{file_location}#offset={record.stream_pos}"
                if record.record_type in (WarcRecordType.no_type, WarcRecordType.unknown):
                    answered += 1
                    yield reject(Reason.WARC_MALFORMED, "the record's WARC-Type is missing or none WARC defines (its "
                                                        "headers do not parse?): not read", location)
                    continue
                if record.record_type != WarcRecordType.response:
                    continue
                answered += 1
                if problem := length_problem(record):  # the parser would take its block for the next record's header
                    yield reject(Reason.WARC_MALFORMED, f"{problem}: where the record ends is unknown, so the rest of "
                                                        "the WARC is not read", location)
                    return
                yield read_record(record, location, options, store, reject)
        except (OSError, ValueError) as e:
            yield reject(Reason.WARC_MALFORMED, f"WARC stops parsing after {records} records: {short(e)}")
            return
    if records == 0:
        yield reject(Reason.WARC_MALFORMED, "no WARC records found; is this a .warc or .warc.gz file?")
    elif answered == 0:  # else the file would count as no input at all
        yield reject(Reason.WARC_MALFORMED, f"none of its {records} WARC records is a response (requests and metadata "
                                            "hold no page)")


def length_problem(record) -> str | None:
    """Why a record's Content-Length cannot tell where it ends (missing, not a number), or None."""
    value = (record.headers.get("Content-Length") or "").strip()
    if not value:
        return "the record has no Content-Length"
    if not (value.isascii() and value.isdigit()):
        return f"the record's Content-Length {value[:40]!r} is not a number"
    return None


def read_record(record, location: str, options: FetchOptions, store: RawStore | None, reject) -> RawDocument | Rejection:
    """One response record as a document, or the reason it cannot be one."""
    target = record.headers.get("WARC-Target-URI") or ""
    if problem := url_problem(target):
        return reject(Reason.BAD_URL, f"record target {target[:200]!r}: {problem}", location)
    url = canonical_url(target)
    try:
        record.parse_http(auto_decode="none")
    except (OSError, ValueError) as e:
        return reject(Reason.WARC_MALFORMED, f"HTTP headers of the record do not parse: {short(e)}", location)
    http = record.http_headers
    if http is None:
        return reject(Reason.WARC_MALFORMED, "response record without HTTP headers", location)
    status = http.status_code
    if status is None:
        return reject(Reason.WARC_MALFORMED, "the record's HTTP status line does not parse (truncated record?)", location)
    if not 200 <= status < 300:
        return reject(Reason.FETCH_STATUS, f"archived HTTP status {status}", location)
    content_type = http.get("Content-Type")
    mime = media_type(content_type)
    if mime is not None and mime not in options.content_types:
        return reject(Reason.NOT_HTML, f"content type {mime[:80]} is not accepted", location)
    if record.content_length > options.max_body_bytes:
        return reject(Reason.TOO_LARGE, f"record payload is {record.content_length} bytes, over the cap of {options.max_body_bytes}", location)
    expected = record.content_length
    body = record.reader.read(options.max_body_bytes + 1)
    if len(body) < expected:
        return reject(Reason.WARC_MALFORMED, f"record is truncated: {len(body)} of {expected} payload bytes", location)
    try:
        body = decode_all(body, http.get("Content-Encoding"), options.max_decoded_bytes)
    except DecodedTooLarge as e:
        return reject(Reason.TOO_LARGE, str(e), location)
    except BadEncoding as e:
        return reject(Reason.UNDECODABLE, str(e), location, body)
    if store is not None and body:
        store.put(body)
    result = document_from_bytes(body, location=location, url=url, input_format="warc", is_html=True,
                                 content_type=content_type)
    return dataclasses.replace(result, stage=STAGE) if isinstance(result, Rejection) else result
