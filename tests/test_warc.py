"""A WARC written here with warcio is read back with fastwarc: HTML responses become documents, the rest rejections."""

from __future__ import annotations

import gzip
import io
import re

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.errors import Reason, Rejection
from transforms.fetch_options import FetchOptions
from transforms.ids import sha256_hex
from transforms.rawstore import RawStore
from transforms.read import RawDocument
from transforms.warc import read_warc

PAGE = "<html><head><title>Talks</title></head><body><p>Ministers met in Genève on Tuesday.</p></body></html>".encode()
RECORDS = [
    ("https://news.example.org/talks?utm_source=x#top", "text/html; charset=utf-8", PAGE, "200 OK", None),
    ("https://news.example.org/logo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00", "200 OK", None),
    ("https://news.example.org/gone", "text/html", b"<p>gone</p>", "404 Not Found", None),
    ("https://news.example.org/zipped", "text/html", gzip.compress(b"<html><p>zipped page</p></html>"), "200 OK", "gzip"),
    ("https://news.example.org/bomb", "text/html", gzip.compress(b"\0" * 3_000_000), "200 OK", "gzip"),
]
OPTIONS = FetchOptions(max_decoded_bytes=1_000_000)


def write_warc(path, *, compress: bool) -> None:
    """A WARC with a request record and the RECORDS as response records."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=compress)
        writer.write_record(writer.create_warc_record("https://news.example.org/talks", "request",
                                                      payload=io.BytesIO(b"GET /talks HTTP/1.1\r\n\r\n")))
        for uri, content_type, body, status, encoding in RECORDS:
            headers = [("Content-Type", content_type)] + ([("Content-Encoding", encoding)] if encoding else [])
            writer.write_record(writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1")))


@pytest.mark.parametrize("suffix", [".warc", ".warc.gz"])
def test_warc_responses_become_documents_or_rejections(tmp_path, suffix):
    path = tmp_path / f"crawl{suffix}"
    write_warc(path, compress=suffix.endswith(".gz"))
    store = RawStore(tmp_path / "data")
    results = list(read_warc(path, options=OPTIONS, store=store))
    assert len(results) == len(RECORDS)
    talks, logo, gone, zipped, bomb = results
    assert isinstance(talks, RawDocument) and talks.url == "https://news.example.org/talks"
    assert (talks.input_format, talks.is_html, talks.raw) == ("warc", True, PAGE)
    assert "Genève" in talks.content and talks.location.startswith(path.resolve().as_uri() + "#offset=")
    assert store.get(sha256_hex(PAGE)) == PAGE
    assert isinstance(zipped, RawDocument) and zipped.content == "<html><p>zipped page</p></html>"
    assert [(r.stage, r.reason) for r in (logo, gone, bomb) if isinstance(r, Rejection)] == [
        ("fetch", Reason.NOT_HTML), ("fetch", Reason.FETCH_STATUS), ("fetch", Reason.TOO_LARGE)]


def test_record_over_the_size_cap_is_rejected_unread(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    write_warc(path, compress=True)
    results = list(read_warc(path, options=FetchOptions(max_body_bytes=50)))
    assert results[0].reason == Reason.TOO_LARGE and "over the cap of 50" in results[0].detail


def test_a_file_that_is_not_a_warc_is_malformed(tmp_path):
    path = tmp_path / "notes.warc"
    path.write_bytes(b"these are not WARC records\n" * 20)
    [result] = read_warc(path, options=OPTIONS)
    assert result.reason == Reason.WARC_MALFORMED and result.url == path.resolve().as_uri()


@pytest.mark.parametrize(("content", "detail"), [
    (b"WARC/1.0\r\ngarbage\r\n\r\n", "the record's WARC-Type is missing or none WARC defines"), (None, "is a response")],
    ids=["unparsable headers", "requests only"])
def test_a_warc_without_a_response_record_is_one_rejection_not_a_silent_drop(tmp_path, content, detail):
    path = tmp_path / "odd.warc"
    if content is None:
        with open(path, "wb") as out:
            writer = WARCWriter(out, gzip=False)
            writer.write_record(writer.create_warc_record("https://news.example.org/talks", "request",
                                                          payload=io.BytesIO(b"GET /talks HTTP/1.1\r\n\r\n")))
    else:
        path.write_bytes(content)
    [result] = read_warc(path, options=OPTIONS)
    assert result.reason == Reason.WARC_MALFORMED and detail in result.detail


@pytest.mark.parametrize("broken", [b"WARC-Type response\r\n", b"WARC-Type: reply\r\n"], ids=["no colon", "no such type"])
def test_a_record_whose_type_does_not_parse_is_rejected_between_the_records_read(tmp_path, broken):
    first = response_record("https://news.example.org/a", PAGE).replace(b"WARC-Type: response\r\n", broken, 1)
    path = tmp_path / "odd-type.warc"
    path.write_bytes(first + response_record("https://news.example.org/b", PAGE))
    rejected, read = read_warc(path, options=OPTIONS)
    assert rejected.reason == Reason.WARC_MALFORMED and rejected.url == path.resolve().as_uri() + "#offset=0"
    assert "WARC-Type is missing or none WARC defines" in rejected.detail
    assert isinstance(read, RawDocument) and read.url == "https://news.example.org/b"


def test_a_missing_file_is_unreadable(tmp_path):
    [result] = read_warc(tmp_path / "absent.warc.gz", options=OPTIONS)
    assert result.reason == Reason.UNREADABLE


def test_a_truncated_record_is_malformed(tmp_path):
    path = tmp_path / "cut.warc"
    write_warc(path, compress=False)
    path.write_bytes(path.read_bytes()[:-100])
    results = list(read_warc(path, options=OPTIONS))
    assert [type(r) for r in results[:2]] == [RawDocument, Rejection]
    assert results[-1].reason == Reason.WARC_MALFORMED and "truncated" in results[-1].detail



def response_record(uri: str, body: bytes) -> bytes:
    """One uncompressed WARC response record (HTTP 200, text/html)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=StatusAndHeaders(
        "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
    return out.getvalue()


@pytest.mark.parametrize(("length", "problem"), [(b"Content-Length: x 47\r\n", "the record's Content-Length 'x 47' is not a number"),
                                                 (b"Content-Length: -47\r\n", "the record's Content-Length '-47' is not a number"),
                                                 (b"", "the record has no Content-Length")])
@pytest.mark.parametrize("compress", [False, True])
def test_a_record_whose_length_is_no_number_is_one_rejection_and_ends_the_file(tmp_path, length, problem, compress):
    bad = re.sub(rb"Content-Length: \d+\r\n", length, response_record("https://news.example.org/a", PAGE), count=1)
    after = response_record("https://news.example.org/b", PAGE)
    path = tmp_path / "bad-length.warc"
    path.write_bytes(gzip.compress(bad) + gzip.compress(after) if compress else bad + after)
    [result] = read_warc(path, options=OPTIONS)  # the parser cannot tell where the next record starts
    assert result.reason == Reason.WARC_MALFORMED and result.url == path.resolve().as_uri() + "#offset=0"
    assert result.detail == f"{problem}: where the record ends is unknown, so the rest of the WARC is not read"
