"""The fetcher against a real fault-injecting HTTP server on 127.0.0.1: exact fetch rows, rejections and documents."""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import threading
import time

import pytest

from schemas.tables import FETCHES
from tests import httpfaults
from tests.hostile import Site
from transforms.errors import Reason, Rejection
from transforms.fetch import Fetched, Target, fetch
from transforms.fetch_http import Client
from transforms.fetch_options import FetchOptions
from transforms.ids import sha256_hex
from transforms.rawstore import RawStore
from transforms.read import RawDocument
from transforms.robots import RobotsCache
from transforms.tabulate import to_table

pytestmark = pytest.mark.timeout(60)

FAST = {"allow_private": True, "min_delay": 0.0, "backoff": 0.05, "connect_timeout": 1.0, "read_timeout": 0.5,
        "total_timeout": 3.0, "workers": 4, "per_domain_concurrency": 4, "max_body_bytes": 1_000_000,
        "max_decoded_bytes": 1_000_000, "respect_robots": False}


@pytest.fixture(scope="module")
def server():
    s = httpfaults.start()
    yield s
    s.shutdown()


def options(**changes) -> FetchOptions:
    return FetchOptions(**(FAST | changes))


def fetch_one(server, path: str, **changes) -> Fetched:
    """Fetch one path of the server; the single result."""
    results = list(fetch([server.base + path], options=options(**changes)))
    assert len(results) == 1
    return results[0]


def summary(fetched: Fetched, server) -> list[tuple]:
    """(path, status, error, attempts, redirects) of every row."""
    return [(row["url"].removeprefix(server.base), row["status"], row["error"], row["attempts"], row["redirects"])
            for row in fetched.rows]


def rejection(fetched: Fetched) -> Rejection:
    assert isinstance(fetched.result, Rejection), fetched.result
    assert fetched.result.stage == "fetch"
    return fetched.result


def test_page_becomes_a_document_with_fetch_rows_and_stored_body(server, tmp_path):
    store = RawStore(tmp_path)
    url = server.base + "/page/one?utm_source=newsletter#comments"
    [done] = fetch([Target(url=url, source_name="wire")], options=options(respect_robots=True), store=store)
    doc = done.result
    assert isinstance(doc, RawDocument)
    assert doc.url == doc.location == server.base + "/page/one"
    assert (doc.input_format, doc.is_html, doc.source_name) == ("web", True, "wire")
    assert "Report one" in doc.content and doc.raw == httpfaults.page("one")
    robots_row, page_row = done.rows
    assert (robots_row["url"], robots_row["status"], robots_row["source_name"]) == (server.base + "/robots.txt", 200, "robots.txt")
    assert {k for k in FETCHES.names if k != "run_id"} == set(page_row)
    assert page_row | {"fetch_id": None, "elapsed_ms": None, "fetched_at": None} == {
        "fetch_id": None, "url": server.base + "/page/one", "final_url": server.base + "/page/one", "source_name": "wire",
        "status": 200, "error": None, "content_type": "text/html", "bytes": len(doc.raw),
        "body_sha256": sha256_hex(doc.raw), "etag": None, "last_modified": None, "redirects": 0, "attempts": 1,
        "elapsed_ms": None, "fetched_at": None}
    assert store.get(page_row["body_sha256"]) == doc.raw


def test_same_page_under_tracking_variants_is_fetched_once(server):
    urls = [server.base + p for p in ("/page/dup?utm_medium=x", "/page/dup#top", "/page/dup")]
    results = list(fetch(urls, options=options()))
    assert sorted(type(r.result).__name__ for r in results) == ["NoneType", "NoneType", "RawDocument"]
    assert {r.url for r in results} == {server.base + "/page/dup"} and server.hits["/page/dup"] == 1


def test_known_urls_are_skipped_unless_refetch(server):
    known = {server.base + "/page/known"}
    [skipped] = fetch([server.base + "/page/known"], options=options(), known_urls=known)
    assert skipped.result is None and skipped.rows == () and server.hits["/page/known"] == 0
    [again] = fetch([server.base + "/page/known"], options=options(refetch=True), known_urls=known)
    assert isinstance(again.result, RawDocument) and server.hits["/page/known"] == 1


def test_bad_urls_are_rejected_without_a_request(server):
    results = list(fetch(["ftp://example.org/x", "http://user:secret@127.0.0.1/", "not a url"], options=options()))
    assert [rejection(r).reason for r in results] == [Reason.BAD_URL] * 3
    assert all(r.rows == () for r in results)


@pytest.mark.parametrize("robots", [False, True])
def test_ports_of_other_protocols_are_bad_urls_even_behind_a_redirect(robots):
    """A feed or a redirect could make the fetcher send HTTP to a mail (25) or chat (6667) port of any host."""
    site = Site({"/to-smtp": (302, {"Location": "http://127.0.0.1:25/"}, b"")})
    try:
        done = {d.url: d for d in fetch(["http://127.0.0.1:6667/x", site.base + "/to-smtp"], options=options(respect_robots=robots))}
    finally:
        site.shutdown()
    direct, redirected = done["http://127.0.0.1:6667/x"], done[site.base + "/to-smtp"]
    assert rejection(direct).reason == rejection(redirected).reason == Reason.BAD_URL
    assert direct.result.detail == "port 6667 serves another protocol than the web (browsers refuse it too)"
    assert redirected.result.detail == "redirect to http://127.0.0.1:25/: port 25 serves another protocol than the web (browsers refuse it too)"
    assert [row["status"] for row in redirected.rows if row["url"].endswith("/to-smtp")] == [302]


def test_slow_response_times_out_and_is_retried_then_quarantined(server):
    done = fetch_one(server, "/slow", retries=1)
    assert summary(done, server) == [("/slow", None, "FETCH_TIMEOUT", 1, 0), ("/slow", None, "FETCH_TIMEOUT", 2, 0)]
    assert rejection(done).reason == Reason.FETCH_TIMEOUT
    assert all(400 <= row["elapsed_ms"] < 1400 for row in done.rows)


def test_dripping_body_hits_the_total_timeout(server):
    started = time.monotonic()
    done = fetch_one(server, "/drip", retries=0, total_timeout=1.0)
    assert summary(done, server) == [("/drip", 200, "FETCH_TIMEOUT", 1, 0)]
    assert "body still arriving" in rejection(done).detail
    assert time.monotonic() - started < 2.5


def test_no_read_outlasts_the_total_timeout(server):
    started = time.monotonic()
    done = fetch_one(server, "/drip-stall", retries=0, total_timeout=1.0, read_timeout=1.0)
    assert summary(done, server) == [("/drip-stall", 200, "FETCH_TIMEOUT", 1, 0)]
    assert "body still arriving after 1.0 s" in rejection(done).detail
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize(("head", "drip"), [
    (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 40 + b"\r\n"),  # a header byte at a time, a new line now and then
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5\r\n<p>x\n\r\n0\r\n", b"X-Trailer: " + b"a" * 40 + b"\r\n"),  # endless trailer lines after the last chunk
])
def test_a_response_dripping_outside_its_body_ends_at_the_total_timeout(head, drip):
    dripping = httpfaults.Drip(head, drip)
    try:
        started = time.monotonic()
        [done] = fetch([dripping.base + "/page"], options=options(retries=0, total_timeout=1.0))
        assert [(row["error"], row["attempts"]) for row in done.rows] == [("FETCH_TIMEOUT", 1)]
        assert rejection(done).reason == Reason.FETCH_TIMEOUT and "after 1.0 s" in done.result.detail
        assert time.monotonic() - started < 2.0
        while not dripping.hung_up and time.monotonic() - started < 3.0:
            time.sleep(0.05)
        assert dripping.hung_up and dripping.hung_up[0] < 2.0, "the connection itself was closed, not left to drip"
    finally:
        dripping.close()


def test_429_waits_for_retry_after_then_succeeds(server):
    started = time.monotonic()
    done = fetch_one(server, "/429")
    assert summary(done, server) == [("/429", 429, "FETCH_STATUS", 1, 0), ("/429", 200, None, 2, 0)]
    assert time.monotonic() - started >= 1.0  # Retry-After: 1
    assert isinstance(done.result, RawDocument) and "after 429" in done.result.content


def test_retry_after_over_the_cap_gives_up_at_once(server):
    done = fetch_one(server, "/429-long", max_retry_after=5)
    assert summary(done, server) == [("/429-long", 429, "FETCH_STATUS", 1, 0)]
    assert "Retry-After 3600 s is over the cap of 5 s" in rejection(done).detail


def test_a_retry_after_of_non_ascii_digits_is_ignored_not_fatal():
    site = Site({"/busy": (503, {"Retry-After": "\u00b2"}, b"busy")})  # "²".isdigit() is True, float("²") raises
    try:
        done = fetch_one(site, "/busy", retries=1)
        assert summary(done, site) == [("/busy", 503, "FETCH_STATUS", 1, 0), ("/busy", 503, "FETCH_STATUS", 2, 0)]
        assert rejection(done).detail == "HTTP 503 (after 2 attempts)"
    finally:
        site.shutdown()


def test_a_content_length_of_non_ascii_or_endless_digits_is_no_crash():
    site = Site({"/odd": (200, {"Content-Type": "text/html", "Content-Length": "\u00b2", "Connection": "close"}, httpfaults.page("odd")),
                 "/big": (200, {"Content-Type": "text/html", "Content-Length": "9" * 5000}, b"")})
    try:
        odd = fetch_one(site, "/odd")  # "²" is no length at all: the body is read to the end
        assert isinstance(odd.result, RawDocument) and "Report odd" in odd.result.content
        big = fetch_one(site, "/big")
        assert summary(big, site) == [("/big", 200, "TOO_LARGE", 1, 0)]
        assert rejection(big).detail.startswith("Content-Length 99999") and len(rejection(big).detail) < 200
    finally:
        site.shutdown()


def test_500_then_200_is_retried_to_a_document(server):
    done = fetch_one(server, "/flaky")
    assert summary(done, server) == [("/flaky", 500, "FETCH_STATUS", 1, 0), ("/flaky", 200, None, 2, 0)]
    assert isinstance(done.result, RawDocument)


@pytest.mark.parametrize(("path", "status", "detail"), [
    ("/cookies", None, "response headers over the limit: got more than 100 headers"),
    ("/long-header", None, "response headers over the limit: got more than 65536 bytes when reading header line"),
    ("/long-chunk-line", 200, "chunk framing over the limit: got more than 65536 bytes when reading chunk size"),
])
def test_responses_over_http_clients_line_limits_are_too_large_and_not_retried(server, path, status, detail):
    done = fetch_one(server, path, retries=2)
    assert summary(done, server) == [(path, status, "TOO_LARGE", 1, 0)]
    assert rejection(done).detail == detail and server.hits[path] == 1


def test_404_is_not_retried(server):
    done = fetch_one(server, "/missing")
    assert summary(done, server) == [("/missing", 404, "FETCH_STATUS", 1, 0)]
    assert rejection(done).detail == "HTTP 404"


def test_410_is_gone_and_not_retried(server):
    done = fetch_one(server, "/removed", retries=2)
    assert summary(done, server) == [("/removed", 410, "GONE", 1, 0)]
    assert rejection(done).detail == "HTTP 410 Gone"


def test_connection_reset_is_retried_then_quarantined(server):
    done = fetch_one(server, "/reset", retries=2)
    assert summary(done, server) == [("/reset", None, "FETCH_CONNECTION", n, 0) for n in (1, 2, 3)]
    assert rejection(done).reason == Reason.FETCH_CONNECTION and server.hits["/reset"] == 3


def test_redirect_loop_is_stopped(server):
    done = fetch_one(server, "/loop/a")
    assert summary(done, server) == [("/loop/a", 301, "FETCH_REDIRECTS", 1, 2)]
    assert "redirect loop" in rejection(done).detail


def test_too_many_redirects_are_stopped(server):
    done = fetch_one(server, "/redirect", max_redirects=0)
    assert summary(done, server) == [("/redirect", 301, "FETCH_REDIRECTS", 1, 1)]
    assert rejection(done).detail == "more than 0 redirects"


def test_redirect_is_followed_to_the_canonical_final_url(server):
    done = fetch_one(server, "/redirect")
    assert summary(done, server) == [("/redirect", 200, None, 1, 1)]
    assert done.rows[0]["final_url"] == server.base + "/page/target"
    assert done.result.url == server.base + "/page/target" and done.result.location == server.base + "/redirect"


def test_redirect_targets_are_checked_again(server):
    creds = fetch_one(server, "/redirect-creds")
    assert rejection(creds).reason == Reason.BAD_URL and "credentials" in creds.result.detail
    robots = fetch_one(server, "/redirect-robots", respect_robots=True)
    assert rejection(robots).reason == Reason.ROBOTS_DISALLOWED
    assert server.hits["/private/secret"] == 0


def test_a_redirect_to_a_location_that_does_not_parse_is_a_bad_url():
    """urljoin raised ValueError ("Invalid IPv6 URL") out of the fetch, which failed the whole run."""
    site = Site({"/r": (302, {"Location": "http://[::1/x"}, b""), "/ok": (200, {"Content-Type": "text/html"}, httpfaults.page(1))})
    try:
        done = {d.url.removeprefix(site.base): d for d in fetch([site.base + "/r", site.base + "/ok"], options=options())}
        assert rejection(done["/r"]).reason == Reason.BAD_URL and "does not parse" in done["/r"].result.detail
        assert [row["status"] for row in done["/r"].rows] == [302] and isinstance(done["/ok"].result, RawDocument)
    finally:
        site.shutdown()


def test_endless_body_is_cut_at_the_size_cap(server):
    done = fetch_one(server, "/endless", max_body_bytes=300_000)
    assert summary(done, server) == [("/endless", 200, "TOO_LARGE", 1, 0)]
    assert "over the cap of 300000 bytes" in rejection(done).detail


def test_gzip_bomb_is_cut_at_the_decoded_cap(server):
    done = fetch_one(server, "/bomb")
    assert summary(done, server) == [("/bomb", 200, "TOO_LARGE", 1, 0)]
    assert rejection(done).detail == "decoded body is over the cap of 1000000 bytes"


@pytest.mark.parametrize("path", ["/gzip", "/br", "/gzip-gzip"])
def test_compressed_pages_are_decoded(server, path):
    done = fetch_one(server, path)
    assert summary(done, server) == [(path, 200, None, 1, 0)]
    assert "<h1>Report" in done.result.content and done.rows[0]["bytes"] == len(done.result.raw)


def test_wrong_declared_charset_still_decodes(server):
    done = fetch_one(server, "/wrong-charset")
    assert summary(done, server) == [("/wrong-charset", 200, None, 1, 0)]
    assert "Le café de la gare a rouvert à Genève." in done.result.content


def test_a_charset_naming_a_python_codec_that_is_no_character_set_is_ignored():
    """punycode and undefined raised UnicodeError out of the fetch (the whole run failed), and punycode takes quadratic time."""
    slow = b"<html><body><p>Ministers met in Geneva on Tuesday.</p></body></html>-" + b"a" * 300_000
    site = Site({
        "/header": (200, {"Content-Type": "text/html; charset=punycode"}, httpfaults.page("header")),
        "/meta": (200, {"Content-Type": "text/html"}, b'<meta charset="undefined">' + httpfaults.page("meta")),
        "/slow": (200, {"Content-Type": "text/html; charset=punycode"}, slow),
    })
    try:
        started = time.monotonic()
        done = {d.url.removeprefix(site.base): d.result for d in fetch(
            [site.base + p for p in ("/header", "/meta", "/slow")], options=options())}
        assert "Ministers met in Geneva" in done["/header"].content and "Report meta" in done["/meta"].content
        assert done["/slow"].content.startswith("<html><body><p>Ministers met")
        assert time.monotonic() - started < 1.5  # decoding the 300 KB as punycode alone takes 1.5-3 s
    finally:
        site.shutdown()


def test_binary_content_is_rejected(server):
    image = fetch_one(server, "/image")
    assert summary(image, server) == [("/image", 200, "NOT_HTML", 1, 0)]
    assert rejection(image).detail == "content type image/png is not accepted"
    disguised = fetch_one(server, "/binary-as-html")
    assert summary(disguised, server) == [("/binary-as-html", 200, "BINARY", 1, 0)]
    assert rejection(disguised).reason == Reason.BINARY and disguised.result.payload == httpfaults.PNG


def test_robots_disallow_is_respected_and_robots_read_once(server):
    before = server.hits["/robots.txt"]
    results = {r.url.removeprefix(server.base): r for r in fetch(
        [server.base + p for p in ("/private/a", "/private/b", "/page/r1", "/page/r2")], options=options(respect_robots=True))}
    assert rejection(results["/private/a"]).reason == Reason.ROBOTS_DISALLOWED
    assert rejection(results["/private/b"]).reason == Reason.ROBOTS_DISALLOWED
    assert server.hits["/private/a"] == server.hits["/private/b"] == 0
    assert isinstance(results["/page/r1"].result, RawDocument)
    assert server.hits["/robots.txt"] - before == 1
    assert sum(row["url"].endswith("/robots.txt") for r in results.values() for row in r.rows) == 1


def test_a_missing_robots_txt_allows_everything_and_its_row_is_no_failure():
    s = httpfaults.start()
    s.robots = None
    try:
        [done] = fetch([s.base + "/private/x"], options=options(respect_robots=True))
        assert summary(done, s)[0] == ("/robots.txt", 404, None, 1, 0), "RFC 9309: a 4xx robots.txt means no rules"
        assert not isinstance(done.result, Rejection)
    finally:
        s.shutdown()


def test_robots_txt_is_retried_after_a_server_error():
    s = httpfaults.start()
    s.robots_failures = 1
    try:
        [done] = fetch([s.base + "/private/x"], options=options(respect_robots=True))
        assert summary(done, s) == [("/robots.txt", 503, "FETCH_STATUS", 1, 0), ("/robots.txt", 200, None, 2, 0)]
        assert rejection(done).reason == Reason.ROBOTS_DISALLOWED
    finally:
        s.shutdown()


def test_redirect_to_another_origin_checks_that_origins_robots(server):
    other = httpfaults.start()
    try:
        server.away = other.base + "/private/elsewhere"
        [done] = fetch([server.base + "/away"], options=options(respect_robots=True))
        assert [row["url"] for row in done.rows] == [server.base + "/robots.txt", other.base + "/robots.txt", server.base + "/away"]
        assert rejection(done).reason == Reason.ROBOTS_DISALLOWED and other.hits["/private/elsewhere"] == 0
    finally:
        other.shutdown()


def test_crawl_delay_spaces_requests_to_one_origin():
    s = httpfaults.start()
    s.robots = b"User-agent: *\nCrawl-delay: 1\n"  # urllib.robotparser reads whole seconds only
    try:
        started = time.monotonic()
        results = list(fetch([s.base + f"/page/c{i}" for i in range(3)], options=options(respect_robots=True)))
        assert all(isinstance(r.result, RawDocument) for r in results)
        assert time.monotonic() - started >= 2 * 1.0  # first page, then one a second
    finally:
        s.shutdown()


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_robots_txt_over_512_kib_is_read_up_to_there(encoding):
    text = b"User-agent: *\nDisallow: /private/\n" + (b"# " + b"padding " * 100 + b"\n") * 1500 + b"Disallow: /late/\n"
    assert len(text) > 2 * 512 * 1024
    body = gzip.compress(text) if encoding == "gzip" else text
    site = Site({"/robots.txt": (200, {"Content-Type": "text/plain", "Content-Encoding": encoding}, body),
                 **{p: (200, {"Content-Type": "text/html"}, httpfaults.page(p)) for p in ("/private/x", "/page/ok", "/late/x")}})
    try:
        results = {r.url.removeprefix(site.base): r for r in fetch(
            [site.base + p for p in ("/private/x", "/page/ok", "/late/x")], options=options(respect_robots=True))}
        assert rejection(results["/private/x"]).reason == Reason.ROBOTS_DISALLOWED
        assert isinstance(results["/page/ok"].result, RawDocument), "the first 512 KiB were read, not the origin closed"
        assert isinstance(results["/late/x"].result, RawDocument), "a rule past 512 KiB is not read"
        [robots] = [row for r in results.values() for row in r.rows if row["url"].endswith("/robots.txt")]
        assert (robots["status"], robots["error"], robots["bytes"]) == (200, None, 512 * 1024)
    finally:
        site.shutdown()


def test_a_robots_txt_the_standard_parser_raises_on_keeps_its_other_rules():
    s = httpfaults.start()
    s.robots = "User-agent: *\nCrawl-delay: \u00b2\nRequest-rate: \u00b2/5\nDisallow: /private/\n".encode()
    try:
        results = {r.url.removeprefix(s.base): r for r in fetch([s.base + "/private/x", s.base + "/page/ok"], options=options(respect_robots=True))}
        assert rejection(results["/private/x"]).reason == Reason.ROBOTS_DISALLOWED
        assert isinstance(results["/page/ok"].result, RawDocument)
    finally:
        s.shutdown()


def test_the_robots_cache_keeps_rules_up_to_its_byte_budget_and_fetches_dropped_ones_again():
    """Every origin's rules were kept for the whole run: a 512 KiB robots.txt parses to ~5 MB, so a feed listing pages on a
    few hundred hosts serving one each would take gigabytes."""
    robots_txt = b"User-agent: *\nDisallow: /private/\n" + b"# padding\n" * 10_000  # 100 KB
    page = (200, {"Content-Type": "text/html"}, httpfaults.page(1))
    sites = [Site({"/robots.txt": (200, {"Content-Type": "text/plain"}, robots_txt), "/page": page}) for _ in range(3)]
    robots = RobotsCache(Client(options()), max_kept_bytes=250_000)
    try:
        for site in [*sites, sites[0]]:
            [done] = fetch([site.base + "/page"], options=options(respect_robots=True), robots=robots)
            assert isinstance(done.result, RawDocument)
        assert [site.hits["/robots.txt"] for site in sites] == [2, 1, 1], "the first dropped for the third, then read again"
    finally:
        for site in sites:
            site.shutdown()


def test_one_host_under_several_spellings_shares_its_rate_limit(server):
    port = server.server_address[1]
    urls = [f"http://{host}:{port}/page/spelling-{i}" for i, host in enumerate(["127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1"])]
    started = time.monotonic()
    results = list(fetch(urls, options=options(min_delay=0.4)))
    assert all(isinstance(r.result, RawDocument) for r in results)
    assert time.monotonic() - started >= 3 * 0.4, "one host: one request start per min_delay"


def test_per_origin_concurrency_is_bounded():
    s = httpfaults.start()
    active, peak, lock = [0], [0], threading.Lock()
    original = s.RequestHandlerClass.do_GET

    def counting(handler):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        try:
            original(handler)
        finally:
            with lock:
                active[0] -= 1

    class Counting(httpfaults.Handler):
        do_GET = counting

    s.RequestHandlerClass = Counting
    try:
        results = list(fetch([s.base + f"/page/k{i}" for i in range(12)], options=options(per_domain_concurrency=2, workers=8)))
        assert len(results) == 12 and peak[0] == 2
    finally:
        s.shutdown()


def test_private_addresses_are_refused_by_default(server):
    done = list(fetch([server.base + "/page/p", "http://localhost:8/x"], options=options(allow_private=False, respect_robots=True)))
    assert [rejection(d).reason for d in done] == [Reason.PRIVATE_ADDRESS] * 2
    assert server.hits["/page/p"] == 0 and server.hits["/robots.txt"] >= 0
    without_robots = fetch_one(server, "/page/p", allow_private=False)
    assert summary(without_robots, server) == [("/page/p", None, "PRIVATE_ADDRESS", 1, 0)]
    assert server.hits["/page/p"] == 0


def test_closing_the_iterator_early_stops_the_workers(server):
    def workers() -> int:
        return sum(t.name.startswith("fetch-") for t in threading.enumerate())

    results = fetch([server.base + f"/page/e{i}" for i in range(50)], options=options(workers=4))
    next(results)
    assert workers() == 4
    results.close()
    assert workers() == 0


def test_many_pages_stream_with_bounded_read_ahead(server):
    produced = []

    def targets():
        for i in range(300):
            produced.append(i)
            yield server.base + f"/page/m{i}"

    stream = fetch(targets(), options=options(max_pending=20))
    first = next(stream)
    assert isinstance(first.result, RawDocument) and len(produced) <= 21
    assert sum(1 for _ in stream) == 299


def test_host_is_resolved_once_and_the_connection_goes_to_that_address(server, monkeypatch):
    real = socket.getaddrinfo
    lookups = []

    def resolver(host, *args, **kwargs):  # stands in for DNS, which tests cannot reach
        if host == "rebind.test":
            lookups.append(host)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = server.server_address[1]
    [done] = fetch([f"http://rebind.test:{port}/page/rebind"], options=options())
    assert isinstance(done.result, RawDocument) and lookups == ["rebind.test"]
    assert server.request_headers["/page/rebind"]["Host"] == f"rebind.test:{port}"
    [refused] = fetch([f"http://rebind.test:{port}/page/rebind2"], options=options(allow_private=False))
    assert rejection(refused).reason == Reason.PRIVATE_ADDRESS and server.hits["/page/rebind2"] == 0


def test_refused_connection_is_retried_then_quarantined():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [done] = fetch([f"http://127.0.0.1:{port}/page/x"], options=options(retries=1))
    assert [(row["status"], row["error"], row["attempts"]) for row in done.rows] == [
        (None, "FETCH_CONNECTION", 1), (None, "FETCH_CONNECTION", 2)]
    assert "connection failed" in rejection(done).detail


def test_next_address_is_tried_when_the_first_refuses(server, monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):  # a host with two addresses, the first one dead
        if host == "two.test":
            return real("127.0.0.2", port, *args, **kwargs) + real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    [done] = fetch([f"http://two.test:{server.server_address[1]}/page/two"], options=options(retries=0))
    assert isinstance(done.result, RawDocument) and [row["error"] for row in done.rows] == [None]


def test_tls_certificates_are_verified(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    s = httpfaults.start_tls(str(cert), str(key))
    try:
        [done] = fetch([f"https://127.0.0.1:{s.server_address[1]}/page/tls"], options=options())
        assert [(row["status"], row["error"], row["attempts"]) for row in done.rows] == [(None, "FETCH_CONNECTION", 1)]
        assert "TLS failed" in rejection(done).detail and "CERTIFICATE_VERIFY_FAILED" in done.result.detail
    finally:
        s.shutdown()


def test_fetch_rows_fit_the_fetches_table(server):
    fetched = list(fetch([server.base + p for p in ("/page/t1", "/flaky?case=table", "/reset?case=table", "/image?case=t")],
                         options=options(respect_robots=True, retries=1)))
    rows = [row | {"run_id": "test-run"} for f in fetched for row in f.rows]
    table = to_table(rows, FETCHES, table="fetches")
    assert table.num_rows == 1 + 1 + 2 + 2 + 1  # robots, page, flaky twice, reset twice, image
    assert len(set(table.column("fetch_id").to_pylist())) == table.num_rows
