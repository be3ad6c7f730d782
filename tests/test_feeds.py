"""Feeds and sitemaps from the local fault server: targets found, conditional GET, hostile XML refused."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from tests import httpfaults
from tests.hostile import Site
from transforms.errors import Reason, Rejection
from transforms.feeds import FeedState, discover
from transforms.fetch import Target
from transforms.fetch_http import Client
from transforms.fetch_options import FetchOptions
from transforms.robots import RobotsCache
from transforms.sources import Source

pytestmark = pytest.mark.timeout(60)
OPTIONS = FetchOptions(allow_private=True, min_delay=0.0, backoff=0.05, workers=4, per_domain_concurrency=4)


@pytest.fixture(scope="module")
def server():
    s = httpfaults.start()
    yield s
    s.shutdown()


def test_feed_gives_article_targets_then_304_next_run(server, tmp_path):
    state = tmp_path / "state" / "feeds.json"
    feed = Source(name="wire", kind="feed", urls=(server.base + "/feed.xml",))
    first = discover([feed], options=OPTIONS, state=(feeds := FeedState(state)))
    assert not state.exists(), "validators are saved by the caller, once the articles are published"
    feeds.save()
    assert [t.url.removeprefix(server.base) for t in first.targets] == [f"/page/f{i}?utm_source=rss" for i in (1, 2, 3)]
    assert first.targets[0].title == "Item /page/f1" and first.targets[0].source_name == "wire"
    assert first.targets[0].published_at == datetime(2026, 11, 24, 10, tzinfo=UTC)
    [fetched] = first.fetched
    assert fetched.result is None and fetched.rows[-1]["status"] == 200 and fetched.rows[-1]["etag"] == '"feed-v1"'
    second = discover([feed], options=OPTIONS, state=FeedState(state))
    assert second.targets == []
    assert second.fetched[0].rows[-1]["status"] == 304
    assert server.request_headers["/feed.xml"]["If-None-Match"] == '"feed-v1"'


def test_a_window_picks_its_days_items_before_each_source_is_capped_and_counts_the_undated_it_reads(server):
    feed = Source(name="wire", kind="feed", urls=(server.base + "/feed-days.xml",), max_articles=2)
    day = (date(2026, 11, 22), date(2026, 11, 22))
    found = discover([feed], options=OPTIONS, window=day)
    assert [t.url.removeprefix(server.base) for t in found.targets] == ["/page/d22a?utm_source=rss", "/page/d22b?utm_source=rss"]
    assert found.undated == 0, "the undated item comes after the source has its 2: it is not read"
    wider = discover([replace(feed, max_articles=3)], options=OPTIONS, window=day)
    assert wider.targets == found.targets and wider.undated == 1
    everything = discover([feed], options=OPTIONS)
    assert len(everything.targets) == 2 and everything.undated == 0, "without a window the cap takes the newest"


def test_robots_cache_is_shared_across_calls(server):
    before = server.hits["/robots.txt"]
    robots = RobotsCache(Client(OPTIONS))
    feed = Source(name="wire", kind="feed", urls=(server.base + "/feed.xml?case=robots",))
    discover([feed], options=OPTIONS, robots=robots)
    discover([feed], options=OPTIONS, robots=robots)
    assert server.hits["/robots.txt"] - before == 1


@pytest.mark.parametrize("path", ["/lol.xml", "/external.xml"])
def test_entity_declarations_are_refused(server, path):
    kind = "feed" if path == "/lol.xml" else "sitemap"
    found = discover([Source(name="hostile", kind=kind, urls=(server.base + path,))], options=OPTIONS)
    assert found.targets == []
    [fetched] = found.fetched
    assert isinstance(fetched.result, Rejection) and fetched.result.reason == Reason.FEED_MALFORMED
    assert "declares entities" in fetched.result.detail


def test_broken_feed_is_malformed(server):
    found = discover([Source(name="broken", kind="feed", urls=(server.base + "/broken.xml",))], options=OPTIONS)
    assert found.fetched[0].result.reason == Reason.FEED_MALFORMED and found.targets == []


def test_sitemap_index_is_followed_to_news_and_gzipped_sitemaps(server):
    found = discover([Source(name="map", kind="sitemap", urls=(server.base + "/sitemap.xml",))], options=OPTIONS)
    assert [t.url.removeprefix(server.base) for t in found.targets] == ["/page/s1", "/page/s2#top", "/page/s3"]
    s1 = next(t for t in found.targets if t.url.endswith("/page/s1"))
    assert s1.title == "Sitemap one" and s1.published_at == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert {f.url.removeprefix(server.base) for f in found.fetched} == {"/sitemap.xml", "/sitemap-news.xml", "/sitemap-more.xml.gz"}
    assert all(f.result is None for f in found.fetched)


def test_self_nesting_sitemap_stops_at_the_depth_limit(server):
    found = discover([Source(name="deep", kind="sitemap", urls=(server.base + "/sitemap-self.xml",))], options=OPTIONS, max_depth=2)
    assert len(found.fetched) == 3
    rejected = [f.result for f in found.fetched if f.result is not None]
    assert [r.reason for r in rejected] == [Reason.TOO_LARGE] and "1 nested sitemaps skipped" in rejected[0].detail


def test_url_lists_and_max_articles(server):
    found = discover([Source(name="picked", kind="urls", urls=("https://a.example/1", "https://a.example/2"), max_articles=1),
                      Source(name="wire", kind="feed", urls=(server.base + "/feed.xml?case=cap",), max_articles=2)], options=OPTIONS)
    assert [t.url for t in found.targets if t.source_name == "picked"] == ["https://a.example/1"]
    assert len([t for t in found.targets if t.source_name == "wire"]) == 2


def test_entries_dated_by_updated_or_by_an_unreadable_date_give_no_deprecation_warning():
    import warnings

    from transforms.feeds import feed_targets
    from transforms.read import RawDocument

    atom = (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            b'<entry><title>Updated only</title><link href="https://news.example/a"/><updated>2026-11-20T08:30:00Z</updated></entry>'
            b'<entry><title>Undated</title><link href="https://news.example/b"/><published>last week</published></entry>'
            b'</feed>')
    document = RawDocument(location="https://news.example/feed", url="https://news.example/feed", input_format="web",
                           raw=atom, content=atom.decode(), is_html=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        updated, undated = feed_targets(document, "wire")
    assert updated.published_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert undated.published_at is None


def gathered(sources: list[Source], tmp_path) -> list:
    """What a run's gather yields for the sources: documents and rejections."""
    from transforms.gather import GatherOptions, Inputs, gather
    from transforms.rawstore import RawStore

    return list(gather(Inputs(), sources, options=GatherOptions(fetch=OPTIONS), store=RawStore(tmp_path), known_urls=set(),
                       feeds=FeedState(), on_fetch_rows=lambda rows: None, on_undated=lambda n: None))


def outcomes(items: list, base: str) -> list[tuple[str, str]]:
    """(url without the server's base, reason or "document") of each item, sorted."""
    return sorted((i.url.removeprefix(base), str(i.reason) if isinstance(i, Rejection) else "document") for i in items)


def test_a_link_or_loc_that_does_not_parse_is_rejected_alone(tmp_path):
    page = (200, {"Content-Type": "text/html"}, b"<html><body><p>Ministers met on Tuesday.</p></body></html>")
    site = Site({"/good": page, "/also-good": page})
    site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><link>http://[abc/</link></item>'
        f"<item><link>{site.base}/good</link></item></channel></rss>").encode())
    site.routes["/sitemap.xml"] = (200, {"Content-Type": "application/xml"}, (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>http://[abc/x</loc></url><url><loc>{site.base}/also-good</loc></url></urlset>").encode())
    try:
        items = gathered([Source(name="wire", kind="feed", urls=(site.base + "/feed.xml",)),
                          Source(name="map", kind="sitemap", urls=(site.base + "/sitemap.xml",))], tmp_path)
    finally:
        site.shutdown()
    assert outcomes(items, site.base) == [("/also-good", "document"), ("/good", "document"),
                                          ("http://[abc/", "BAD_URL"), ("http://[abc/x", "BAD_URL")]
    assert all("does not parse" in i.detail for i in items if isinstance(i, Rejection))


@pytest.mark.parametrize("when", ["0000-01-01T00:00:00Z", "9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00Z",
                                  "1850-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_an_entry_dated_out_of_range_or_implausibly_is_undated_and_the_feed_is_read(when):
    from transforms.feeds import feed_targets
    from transforms.read import RawDocument

    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            f'<entry><title>Odd</title><link href="https://news.example/a"/><published>{when}</published></entry>'
            '<entry><title>Fine</title><link href="https://news.example/b"/><published>2026-11-20T08:30:00Z</published></entry>'
            '</feed>').encode()
    document = RawDocument(location="https://news.example/feed", url="https://news.example/feed", input_format="web",
                           raw=atom, content=atom.decode(), is_html=False)
    odd, fine = feed_targets(document, "wire")
    assert (odd.url, odd.published_at) == ("https://news.example/a", None)
    assert fine.published_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "0001-01-01", "1850-01-01T12:00:00Z", "1899-12-31"])
def test_a_sitemap_publication_date_out_of_range_in_utc_or_before_1900_is_no_date(when):
    from transforms.feeds import sitemap_entries
    from transforms.read import RawDocument

    xml = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
           b'<url><loc>https://news.example/a</loc><news:news><news:publication_date>' + when.encode()
           + b'</news:publication_date></news:news></url><url><loc>https://news.example/b</loc></url></urlset>')
    document = RawDocument(location="https://news.example/sitemap.xml", url="https://news.example/sitemap.xml",
                           input_format="web", raw=xml, content=xml.decode(), is_html=False)
    listing = sitemap_entries(document, "map")
    assert listing.nested == []
    assert [(t.url, t.published_at) for t in listing.targets] == [("https://news.example/a", None), ("https://news.example/b", None)]


@pytest.mark.parametrize("reference", ["&#xdfff;", "&#55296;"])
def test_a_feed_whose_character_reference_is_half_a_character_is_malformed(reference):
    from transforms.feeds import feed_targets
    from transforms.read import RawDocument

    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
           f"<item><title>a {reference} b</title><link>https://news.example/a</link></item></channel></rss>").encode()
    document = RawDocument(location="https://news.example/feed", url="https://news.example/feed", input_format="web",
                           raw=rss, content=rss.decode(), is_html=False)
    rejection = feed_targets(document, "wire")
    assert isinstance(rejection, Rejection) and rejection.reason == Reason.FEED_MALFORMED
    assert "the feed parser failed: UnicodeEncodeError" in rejection.detail


def in_encoding(xml: str, encoding: str) -> bytes:
    """The XML declared and encoded in the encoding; in UTF-7 with "<" shifted (+ADw-), so no byte spells "<!ENTITY"."""
    xml = f'<?xml version="1.0" encoding="{encoding}"?>\n{xml}'
    raw = xml.encode(encoding)
    return raw.replace(b"<", b"+ADw-").replace(b"+ADw-?xml", b"<?xml", 1) if encoding == "utf-7" else raw


@pytest.mark.parametrize("encoding", ["utf-7", "cp037"])
def test_entities_spelt_in_a_stateful_or_ebcdic_encoding_are_refused_and_its_plain_feeds_read(encoding):
    from transforms.feeds import feed_targets
    from transforms.read import RawDocument

    items = '<rss version="2.0"><channel><title>t</title><item><title>{}</title><link>https://news.example/a</link></item></channel></rss>'
    hostile = in_encoding('<!DOCTYPE rss [\n<!ENTITY a "AAAA">\n]>\n' + items.format("x&a;y"), encoding)
    plain = in_encoding(items.format("Café talks"), encoding)
    assert b"<!ENTITY" not in hostile.replace(b"\x00", b"")

    def read(raw: bytes):
        return feed_targets(RawDocument(location="https://news.example/feed", url="https://news.example/feed",
                                        input_format="web", raw=raw, content="", is_html=False), "wire")

    refused = read(hostile)
    assert isinstance(refused, Rejection) and refused.reason == Reason.FEED_MALFORMED and refused.payload == hostile
    assert f"XML declares entities once decoded from {encoding}" in refused.detail
    [target] = read(plain)
    assert (target.url, target.title) == ("https://news.example/a", "Café talks")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_feed_declaring_a_codec_that_is_no_character_set_is_malformed_and_the_others_are_read(encoding):
    """feedparser decoded with the declared punycode or undefined: UnicodeError failed the whole run, and punycode takes
    quadratic time (a 300 KB tail: 1.5-3 s, 20 MB: hours)."""
    site = Site({})
    feed = '<?xml version="1.0" encoding="{}"?><rss version="2.0"><channel><item><link>{}/page/{}</link></item></channel></rss>'
    for name in ("punycode", "undefined"):
        site.routes[f"/{name}.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                       (feed.format(name, site.base, name) + "-" + "a" * 300_000).encode(encoding))
    site.routes["/fine.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.format("utf-8", site.base, "fine").encode())
    try:
        started = time.monotonic()
        found = discover([Source(name="wire", kind="feed", urls=tuple(site.base + p for p in site.routes))],
                         options=OPTIONS)
        assert time.monotonic() - started < 1.5
        assert [t.url for t in found.targets] == [site.base + "/page/fine"]
        refused = [(f.result.reason, f.result.detail) for f in found.fetched if f.result is not None]
        assert refused == [(Reason.FEED_MALFORMED, f"not an RSS or Atom feed: declared encoding '{name}' is no character set")
                           for name in ("punycode", "undefined")]
    finally:
        site.shutdown()


@pytest.mark.parametrize(("encoding", "error"), [("shift_jis", "multi-byte encodings are not supported"),
                                                 ("utf-7", "multi-byte encodings are not supported"),
                                                 ("x-no-such-encoding", "unknown encoding: x-no-such-encoding")])
def test_a_sitemap_in_an_encoding_the_parser_cannot_read_is_malformed_and_the_others_are_read(encoding, error):
    urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{}</loc></url></urlset>'
    site = Site({})
    body = in_encoding(urlset.format(site.base + "/page/odd"), "utf-8").replace(b"utf-8", encoding.encode(), 1)
    site.routes["/odd.xml"] = (200, {"Content-Type": "application/xml"}, body)
    site.routes["/fine.xml"] = (200, {"Content-Type": "application/xml"}, urlset.format(site.base + "/page/fine").encode())
    try:
        found = discover([Source(name="map", kind="sitemap", urls=(site.base + "/odd.xml", site.base + "/fine.xml"))],
                         options=OPTIONS)
    finally:
        site.shutdown()
    assert [t.url.removeprefix(site.base) for t in found.targets] == ["/page/fine"]
    odd, fine = found.fetched
    assert fine.result is None and odd.result.reason == Reason.FEED_MALFORMED
    assert odd.result.detail == f"sitemap's declared encoding cannot be read (the protocol asks for UTF-8): {error}"


URLSET = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
          'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{}</urlset>')


def news_url(loc: str, day: int | None) -> str:
    """A urlset entry, published on that day of November 2026 (None: undated)."""
    dated = f"<news:news><news:publication_date>2026-11-{day:02d}T08:00:00Z</news:publication_date></news:news>" if day else ""
    return f"<url><loc>{loc}</loc>{dated}</url>"


def sitemap_site(children: list[list[int | None]], lastmods: list[str] | None = None) -> Site:
    """An index of urlsets, child k listing /page/c{k}-{i} dated by children[k][i], last changed at lastmods[k] if given."""
    site = Site({})
    xml = {"Content-Type": "application/xml"}
    changed = [f"<lastmod>{when}</lastmod>" for when in lastmods] if lastmods else [""] * len(children)
    site.routes["/index.xml"] = (200, xml, (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{site.base}/c{k}.xml</loc>{changed[k]}</sitemap>" for k in range(len(children)))
        + "</sitemapindex>").encode())
    for k, days in enumerate(children):
        entries = "".join(news_url(f"{site.base}/page/c{k}-{i}", day) for i, day in enumerate(days))
        site.routes[f"/c{k}.xml"] = (200, xml, URLSET.format(entries).encode())
    return site


def test_a_source_with_its_max_articles_reads_no_further_sitemap():
    from transforms.feeds import XML_AT_ONCE

    site = sitemap_site([[24, 24]] * 8)
    try:
        found = discover([Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",), max_articles=3)],
                         options=OPTIONS)
    finally:
        site.shutdown()
    assert [t.url.removeprefix(site.base) for t in found.targets] == ["/page/c0-0", "/page/c0-1", "/page/c1-0"]
    assert [k for k in range(8) if site.hits[f"/c{k}.xml"]] == list(range(XML_AT_ONCE)), "one batch, and no more"
    assert all(f.result is None for f in found.fetched)


def test_a_source_without_max_articles_stops_at_the_run_limit_and_says_so():
    """An index of 49 sitemaps of 50,000 URLs each listed 2.45 million targets (2.4 GB, 87 s) before it was capped."""
    site = sitemap_site([[24, 24]] * 8)
    try:
        found = discover([Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",))], options=OPTIONS,
                         max_listed=3)
    finally:
        site.shutdown()
    assert [t.url.removeprefix(site.base) for t in found.targets] == ["/page/c0-0", "/page/c0-1", "/page/c1-0"]
    assert [k for k in range(8) if site.hits[f"/c{k}.xml"]] == [0, 1, 2, 3], "one batch, and no more"
    refused = {f.url.removeprefix(site.base): (f.result.reason, f.result.detail) for f in found.fetched if f.result}
    assert refused == {"/c1.xml": (Reason.TOO_LARGE, "its source reached 3 article URLs, the most a run takes from a source "
                                                     "without max_articles: its further entries, feeds and sitemaps were not read")}


def test_with_a_window_and_a_cap_the_first_dated_entries_in_sitemap_order_are_taken():
    site = sitemap_site([[20, None, 21], [22, None, 22, 22], [22, 22], [22, None], [22], [22]])
    try:
        found = discover([Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",), max_articles=3)],
                         options=OPTIONS, window=(date(2026, 11, 22), date(2026, 11, 22)))
    finally:
        site.shutdown()
    assert [t.url.removeprefix(site.base) for t in found.targets] == ["/page/c1-0", "/page/c1-2", "/page/c1-3"]
    assert found.undated == 2, "the undated entries met before the source had its 3, in order"
    assert site.hits["/c3.xml"] == 1 and site.hits["/c4.xml"] == 0, "fetched four at a time"


def test_with_a_window_an_index_skips_the_sitemaps_changed_before_it_and_reads_the_earliest_changed_first():
    days = list(range(24, 0, -1))  # per-day sitemaps listed newest first: c0 lists 24 November, c23 the 1st
    site = sitemap_site([[day] for day in days], lastmods=[f"2026-11-{day:02d}T23:59:00Z" for day in days])
    try:
        found = discover([Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",))], options=OPTIONS,
                         window=(date(2026, 11, 3), date(2026, 11, 3)), max_sitemaps=4)
    finally:
        site.shutdown()
    assert [t.url.removeprefix(site.base) for t in found.targets] == ["/page/c21-0"]
    assert [k for k in range(24) if site.hits[f"/c{k}.xml"]] == [20, 21, 22], "3 and 4 November, and the 2nd (a day's slack)"


def test_a_sitemap_over_the_protocols_50000_urls_is_read_to_the_limit_and_says_so():
    site = Site({})
    entries = "".join(f"<url><loc>{site.base}/page/{i}</loc></url>" for i in range(50_003))
    site.routes["/big.xml"] = (200, {"Content-Type": "application/xml"}, URLSET.format(entries).encode())
    try:
        found = discover([Source(name="big", kind="sitemap", urls=(site.base + "/big.xml",))], options=OPTIONS)
    finally:
        site.shutdown()
    assert len(found.targets) == 50_000 and found.targets[-1].url == f"{site.base}/page/49999"
    [fetched] = found.fetched
    assert fetched.result.reason == Reason.TOO_LARGE and fetched.result.url == site.base + "/big.xml"
    assert fetched.result.detail == "sitemap lists over 50,000 URLs, the protocol's limit per file: those past it were not read"


def open_connections_to(server) -> list:
    """This process's sockets still connected to the server (the server's own ends left out)."""
    import gc
    import socket

    def peer(s: socket.socket):
        try:
            return s.getpeername()
        except OSError:
            return None

    return [s for s in gc.get_objects() if isinstance(s, socket.socket) and s.fileno() != -1
            and peer(s) == server.server_address]


def test_a_failed_run_leaves_no_robots_txt_connection_or_client_open(server, tmp_path):
    """The run's robots.txt client: a run that fails keeps its exception (Prefect keeps it in the run's state), and with it
    gather's frame; the client there held its connection to every origin it had read robots.txt from, and its resolver."""
    import gc

    from transforms.fetch_http import Client
    from transforms.gather import GatherOptions, Inputs, gather
    from transforms.rawstore import RawStore

    def stop(rows: list[dict]) -> None:
        raise RuntimeError("the run failed")

    feed = Source(name="wire", kind="feed", urls=(server.base + "/feed.xml?case=failed-run",))
    with pytest.raises(RuntimeError) as failed:
        list(gather(Inputs(), [feed], options=GatherOptions(fetch=OPTIONS), store=RawStore(tmp_path), known_urls=set(),
                    feeds=FeedState(), on_fetch_rows=stop, on_undated=lambda n: None))
    assert server.request_headers["/robots.txt"]
    assert failed.value.__traceback__ is not None and open_connections_to(server) == []
    assert [c for c in gc.get_objects() if isinstance(c, Client) and not c._resolver._shutdown] == []


def test_a_backfills_listings_give_each_day_the_targets_a_fresh_read_gives_and_fetch_each_sitemap_once():
    from transforms.feeds import Listings

    days = [date(2026, 11, d) for d in range(20, 25)]
    children = [[20, None, 21], [22, None, 22, 22], [21, 22, None], [24, 23, 24], [None, None]]
    fresh, shared = sitemap_site(children), sitemap_site(children)

    def source(site: Site) -> list[Source]:
        return [Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",), max_articles=2)]

    listings = Listings((days[0], days[-1]))
    try:
        each = [discover(source(fresh), options=OPTIONS, window=(day, day)) for day in days]
        once = [discover(source(shared), options=OPTIONS, window=(day, day), listings=listings) for day in days]
    finally:
        fresh.shutdown()
        shared.shutdown()
    assert [[(t.url.removeprefix(fresh.base), t.published_at) for t in found.targets] for found in each] == \
        [[(t.url.removeprefix(shared.base), t.published_at) for t in found.targets] for found in once]
    assert [found.undated for found in each] == [found.undated for found in once]

    def read(site: Site) -> dict[str, int]:
        return {path: n for path, n in site.hits.items() if path.endswith(".xml")}

    assert read(fresh) == {"/index.xml": 5, "/c0.xml": 5, "/c1.xml": 5, "/c2.xml": 5, "/c3.xml": 5, "/c4.xml": 2}
    assert read(shared) == dict.fromkeys(read(fresh), 1)
    assert sum(len(found.targets) for found in once) == 8


def test_a_backfills_listings_keep_no_more_of_a_day_than_its_cap_and_give_what_take_gives():
    from transforms.feeds import Listings, take

    when = [20, 20, None, 20, 30, 21, None, 20, 21, 21, None, 19]
    targets = [Target(url=f"https://news.example/{i}", published_at=None if day is None else datetime(2026, 11, day, 9, tzinfo=UTC))
               for i, day in enumerate(when)]
    kept = Listings((date(2026, 11, 20), date(2026, 11, 21))).keep(targets, cap=2)
    assert len(kept.targets) == 7, "two of the 20th, two of the 21st and three undated marks; none of other days"
    for day in (date(2026, 11, 20), date(2026, 11, 21)):
        assert take(kept.targets, 2, (day, day)) == take(targets, 2, (day, day))


def test_a_backfills_listings_keep_no_failed_read_and_the_next_day_fetches_it_again():
    from transforms.feeds import Listings

    site = sitemap_site([[20, 21]])
    good = site.routes["/c0.xml"]
    site.routes["/c0.xml"] = (503, {"Content-Type": "text/plain"}, b"busy")
    listings = Listings((date(2026, 11, 20), date(2026, 11, 21)))
    source = [Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",))]
    try:
        first = discover(source, options=OPTIONS, window=(date(2026, 11, 20),) * 2, listings=listings)
        site.routes["/c0.xml"] = good
        second = discover(source, options=OPTIONS, window=(date(2026, 11, 21),) * 2, listings=listings)
    finally:
        site.shutdown()
    assert [f.result.reason for f in first.fetched if f.result] == [Reason.FETCH_STATUS] and not first.targets
    assert [t.url.removeprefix(site.base) for t in second.targets] == ["/page/c0-1"]
    assert site.hits["/index.xml"] == 1 and site.hits["/c0.xml"] == 1 + OPTIONS.retries + 1
