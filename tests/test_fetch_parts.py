"""The fetcher's parts alone: URL canonicalisation and checks, address classes, bounded decoding, the raw store."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.errors import NewseventsError, Reason
from transforms.fetch_decode import BadEncoding, BoundedDecoder, DecodedTooLarge, decode_all
from transforms.fetch_http import Response, is_public, parse_retry_after
from transforms.fetch_options import FetchOptions
from transforms.ids import sha256_hex
from transforms.rawstore import RawStore
from transforms.robots import parse_rules
from transforms.urls import canonical_url, host_key, origin, same_site, site, url_problem


def test_canonical_url_drops_tracking_parameters_fragment_and_default_port():
    url = "HTTP://WWW.Example.com:80/world/story?utm_source=x&b=2&a=1&fbclid=abc#comments"
    assert canonical_url(url) == "http://www.example.com/world/story?a=1&b=2"


@given(st.lists(st.sampled_from(["a", "b", "utm_medium", "id", "gclid"]), max_size=4),
       st.text(alphabet="abcxyz019-", max_size=12), st.text(alphabet="abc", max_size=5))
def test_canonical_url_is_idempotent(keys, path, fragment):
    query = "&".join(f"{k}={i}" for i, k in enumerate(keys))
    once = canonical_url(f"https://news.example.org/{path}?{query}#{fragment}")
    assert canonical_url(once) == once and "#" not in once and "utm_" not in once


@pytest.mark.parametrize(("url", "expected"), [
    ("https://news.bbc.co.uk/a", "bbc.co.uk"),
    ("HTTPS://WWW.BBC.CO.UK./a", "bbc.co.uk"),
    ("https://www2.com/a", "www2.com"),  # a registrable domain that looks like a www. prefix stays whole
    ("https://victim.blogspot.com/a", "victim.blogspot.com"),  # the list's private section counts
    ("https://city.kawasaki.jp/a", "city.kawasaki.jp"),  # and its exceptions
    ("https://www.ledger.example/a", "ledger.example"),  # a suffix the list lacks: the host without www.
    ("http://[0:0::1]:8080/a", "::1"),
    ("http://127.0.0.2:18081/a", "127.0.0.2"),
    ("http://victim.com\\.evil.example/a", None),  # not a host name
    ("http://[abc/", None),
    ("file:///etc/passwd", None),
])
def test_site_is_the_registrable_domain_else_the_host(url, expected):
    assert site(url) == expected


def test_same_site_needs_a_valid_host_on_both_sides():
    assert same_site("https://www.bbc.co.uk/a", "http://m.bbc.co.uk:8080/b")
    assert not same_site("https://www1.com/a", "https://www2.com/a")
    assert not same_site("https://a.github.io/", "https://b.github.io/")
    assert not same_site("http://[abc/", "http://[abc/")


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://example.org/", "scheme 'ftp' is not http or https"),
    ("https://user:pw@example.org/", "URL carries credentials"),
    ("https:///path", "URL has no host"),
    ("http://example.org:99999/", "URL does not parse"),
    ("javascript:alert(1)", "scheme 'javascript'"),
])
def test_url_problems(url, problem):
    assert problem in url_problem(url)


def test_origin_names_scheme_host_and_port():
    assert origin("https://Example.org/a") == "https://example.org"
    assert origin("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"


def test_one_origin_whatever_the_hosts_spelling_so_robots_txt_is_read_once():
    assert origin("https://Example.org./a") == origin("https://example.org/b") == "https://example.org"
    assert origin("http://0x7f.0.0.1:8080/x") == origin("http://2130706433:8080/") == "http://127.0.0.1:8080"
    assert origin("https://bücher.example/") == "https://xn--bcher-kva.example"
    assert origin("http://[0:0::1]/") == "http://[::1]"


@pytest.mark.parametrize(("url", "key"), [
    ("http://bücher.example/a", "xn--bcher-kva.example"), ("https://XN--BCHER-KVA.example./b", "xn--bcher-kva.example"),
    ("http://ＥＸＡＭＰＬＥ.com/", "example.com"), ("http://Example.COM.:8080/", "example.com"),
    ("http://127.1:8080/", "127.0.0.1"), ("http://2130706433/", "127.0.0.1"), ("http://0x7f.0.0.1/", "127.0.0.1"),
    ("http://0177.0.0.1/", "127.0.0.1"), ("http://127.0.0.1./", "127.0.0.1"), ("http://[0:0::1]/", "::1"),
    ("http://[::FFFF:7f00:1]/", "::ffff:7f00:1"), ("http://cafe.example/", "cafe.example"), ("http://deadbeef/", "deadbeef"),
])
def test_rate_limits_count_per_host_whatever_its_spelling(url, key):
    assert host_key(url) == key


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:4700::1111", True),
    ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False), ("127.0.0.1", False), ("0.0.0.0", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("224.0.0.251", False), ("::1", False), ("fe80::1%eth0", False),
    ("fc00::1", False), ("::ffff:127.0.0.1", False), ("ff02::1", False), ("240.0.0.1", False),
    # IPv6 forms that carry an IPv4 address are judged by it: NAT64, 6to4, IPv4-compatible, SIIT
    ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::a00:1", False), ("2002:a9fe:a9fe::", False), ("2002:7f00:1::1", False),
    ("::127.0.0.1", False), ("::a9fe:a9fe", False), ("::ffff:0:a9fe:a9fe", False), ("::ffff:0:a00:1", False),
    ("64:ff9b::5db8:d822", True), ("2002:5db8:d822::1", True), ("::ffff:0:5db8:d822", True),
    ("64:ff9b:1::a00:1", False), ("64:ff9b:1::5db8:d822", False),  # local-use NAT64 (RFC 8215) is never global
    ("fec0::1", False), ("192.0.0.8", False), ("::ffff:192.0.0.8", False),  # deprecated site-local; IETF protocol range
])
def test_address_classes(address, public):
    assert is_public(address) is public


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("\u00b2") is None and parse_retry_after("\u0663") is None  # "²", Arabic-Indic 3: not ASCII
    assert parse_retry_after("9" * 5000) == float("inf")  # over any cap, never a crash
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 +99999999999999999999") is None  # an offset past a C int


@given(st.text(max_size=60))
def test_retry_after_never_raises(value):
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0


@pytest.mark.parametrize(("encoding", "compress"), [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
])
def test_decoding_round_trips_within_the_cap(encoding, compress):
    body = b"<p>Talks resumed in Doha.</p>" * 100
    assert decode_all(compress(body), encoding, len(body)) == body


@pytest.mark.parametrize(("encoding", "compress"), [("gzip", gzip.compress), ("br", brotli.compress), ("deflate", zlib.compress)])
def test_decompression_bombs_stop_at_the_cap(encoding, compress):
    bomb = compress(b"\0" * 5_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(DecodedTooLarge):
        decode_all(bomb, encoding, 1_000_000)


@pytest.mark.parametrize(("encoding", "compress"), [
    ("identity", bytes), ("gzip", gzip.compress), ("br", brotli.compress), ("deflate", zlib.compress)])
def test_a_cutting_decoder_keeps_the_first_bytes_up_to_the_cap(encoding, compress):
    body = bytes(range(256)) * 4000
    decoder = BoundedDecoder(encoding, 1000, cut=True)
    assert decoder.feed(compress(body)) == body[:1000] and decoder.full
    assert decoder.feed(compress(body)) == b""


def test_stacked_encodings_are_decoded_last_applied_first():
    body = b"<p>Talks resumed in Doha.</p>" * 100
    assert decode_all(gzip.compress(gzip.compress(body)), "gzip, gzip", len(body)) == body
    assert decode_all(brotli.compress(gzip.compress(body)), "x-gzip,identity, BR", len(body)) == body
    decoder = BoundedDecoder("deflate, gzip", len(body))
    stacked = gzip.compress(zlib.compress(body))
    assert b"".join(decoder.feed(stacked[i:i + 7]) for i in range(0, len(stacked), 7)) == body


def test_stacked_bombs_stop_at_the_cap_and_stacks_are_bounded():
    bomb = gzip.compress(gzip.compress(b"\0" * 50_000_000))
    assert len(bomb) < 10_000
    with pytest.raises(DecodedTooLarge):
        decode_all(bomb, "gzip, gzip", 1_000_000)
    cut = BoundedDecoder("gzip, gzip", 1000, cut=True)
    assert cut.feed(bomb) == b"\0" * 1000 and cut.full
    with pytest.raises(BadEncoding, match="more than 3 content encodings"):
        BoundedDecoder("gzip, gzip, gzip, gzip", 1000)


def test_unknown_or_corrupt_encodings_are_refused():
    with pytest.raises(BadEncoding):
        decode_all(b"x", "compress", 100)
    with pytest.raises(BadEncoding):
        decode_all(b"\x1f\x8bnot really gzip", "gzip", 100)


def test_raw_store_keeps_each_body_once_compressed(tmp_path):
    store = RawStore(tmp_path)
    body = b"<html><p>Ceasefire talks</p></html>" * 500
    sha = store.put(body)
    assert sha == sha256_hex(body) and store.put(body) == sha and sha in store
    path = store.path(sha)
    assert path == tmp_path / "raw" / sha[:2] / sha[2:4] / f"{sha}.zst"
    assert path.stat().st_size < len(body) // 10
    assert store.get(sha) == body
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left


def test_raw_store_refuses_a_corrupt_body(tmp_path):
    store = RawStore(tmp_path)
    sha = store.put(b"original body")
    store.path(sha).write_bytes(b"garbage")
    with pytest.raises(NewseventsError, match="cannot be read"):
        store.get(sha)
    other = RawStore(tmp_path / "other")
    store.path(sha).write_bytes(other.path(other.put(b"another body")).read_bytes())
    with pytest.raises(NewseventsError, match="is corrupt"):
        store.get(sha)


def test_putting_a_body_again_replaces_its_corrupt_file(tmp_path):
    store = RawStore(tmp_path)
    body = b"<html><p>Ceasefire talks</p></html>" * 500
    sha = store.put(body)
    store.path(sha).write_bytes(b"garbage")
    assert store.put(body) == sha
    assert store.get(sha) == body
    store.path(sha).write_bytes(store.path(store.put(b"another body")).read_bytes())
    assert store.put(body) == sha
    assert store.get(sha) == body
    assert sorted(p.name for p in store.path(sha).parent.iterdir()) == [store.path(sha).name]  # no temporary files left


def robots_response(status: int | None, body: bytes = b"", error: Reason | None = None) -> Response:
    return Response(url="https://news.example.org/robots.txt", status=status, body=body, error=error, detail="x")


def test_the_cut_last_line_of_a_truncated_robots_txt_is_left_out():
    agent, url = "newsevents/0.1", "https://news.example.org/world/a"
    body = b"User-agent: *\nDisallow: /private/\nDisallow: /"  # "Disallow: /private-drafts/" cut short at the size cap
    cut = Response(url="https://news.example.org/robots.txt", status=200, body=body, truncated=True)
    assert parse_rules(cut, agent).veto(url, agent) is None
    assert parse_rules(cut, agent).veto("https://news.example.org/private/a", agent) == "robots.txt disallows this URL"
    whole = Response(url="https://news.example.org/robots.txt", status=200, body=body)
    assert parse_rules(whole, agent).veto(url, agent) == "robots.txt disallows this URL"


def test_robots_rules_follow_rfc_9309_status_handling():
    agent = "newsevents/0.1"
    rules = parse_rules(robots_response(200, b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.5\n"), agent)
    assert rules.veto("https://news.example.org/private/a", agent) == "robots.txt disallows this URL"
    assert rules.veto("https://news.example.org/world/a", agent) is None
    assert rules.crawl_delay == 1.0  # rounded up to whole seconds
    assert parse_rules(robots_response(404, error=Reason.FETCH_STATUS), agent).veto("https://news.example.org/a", agent) is None
    unavailable = parse_rules(robots_response(503, error=Reason.FETCH_STATUS), agent)
    assert "unreachable (HTTP 503: x)" in unavailable.veto("https://news.example.org/a", agent)
    silent = parse_rules(robots_response(None, error=Reason.FETCH_TIMEOUT), agent)
    assert "unreachable (FETCH_TIMEOUT: x)" in silent.veto("https://news.example.org/a", agent), "the error's detail is kept"
    named = parse_rules(robots_response(200, b"User-agent: newsevents\nDisallow: /\n\nUser-agent: *\nAllow: /\n"), agent)
    assert named.veto("https://news.example.org/a", agent) and named.veto("https://news.example.org/a", "otherbot/1") is None


@pytest.mark.parametrize(("line", "delay"), [
    ("Crawl-delay: \u00b2", None), ("Crawl-delay: %C2%B2", None), ("Crawl-delay: " + "\u0663" * 400, None),  # no ASCII number
    ("Crawl-delay: " + "9" * 400, 86400.0), ("Crawl-delay: " + "9" * 5000, 86400.0), ("Crawl-delay: " + "9" * 400 + ".5", 86400.0),
    ("Crawl-delay: 2.5 # seconds", 3.0),
    ("Request-rate: \u00b2/5", None), ("Request-rate: 1/" + "9" * 5000, None),
    ("Disallow: http://[::1", None), ("Allow: //[x", None),
])
def test_robots_lines_the_standard_parser_raises_on_are_left_out(line, delay):
    agent = "newsevents/0.1"
    rules = parse_rules(robots_response(200, f"User-agent: *\nDisallow: /private/\n{line}\nAllow: /\n".encode()), agent)
    assert rules.crawl_delay == delay
    assert rules.veto("https://news.example.org/private/a", agent) == "robots.txt disallows this URL", "the other rules still hold"
    assert rules.veto("https://news.example.org/world/a", agent) is None


@given(st.lists(st.tuples(st.sampled_from(["User-agent", "Allow", "Disallow", "Crawl-delay", "Request-rate", "Sitemap"]),
                          st.text(max_size=30)), max_size=8))
def test_any_robots_txt_gives_rules(lines):
    text = "User-agent: *\n" + "\n".join(f"{name}: {value}" for name, value in lines)
    rules = parse_rules(robots_response(200, text.encode("utf-8", "surrogatepass")), "newsevents/0.1")
    rules.veto("https://news.example.org/a?b=%C2%B2", "newsevents/0.1")


@given(st.binary(max_size=5000), st.lists(st.integers(min_value=1, max_value=400), max_size=20),
       st.sampled_from(["gzip", "br", "deflate", "raw deflate"]))
def test_decoding_in_any_chunking_gives_the_same_bytes(body, cuts, encoding):
    compress = {"gzip": gzip.compress, "br": brotli.compress, "deflate": zlib.compress,
                "raw deflate": lambda b: zlib.compress(b)[2:-4]}[encoding]
    compressed = compress(body)
    encoding = encoding.removeprefix("raw ")
    decoder = BoundedDecoder(encoding, len(body))
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(decoder.feed(compressed[start:start + cut]))
        start += cut
    pieces.append(decoder.feed(compressed[start:]))
    assert b"".join(pieces) == body


@pytest.mark.parametrize(("changes", "message"), [
    ({"workers": 0}, "workers must be positive"), ({"min_delay": -1.0}, "min_delay must not be negative"),
    ({"total_timeout": 0}, "total_timeout must be positive"), ({"user_agent": "bot\r\nX-Evil: 1"}, "one non-empty line"),
])
def test_nonsense_fetch_options_are_refused(changes, message):
    with pytest.raises(NewseventsError, match=message):
        FetchOptions(**changes)
