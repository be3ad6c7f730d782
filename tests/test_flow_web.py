"""The ingest flow fetching from a real HTTP server on 127.0.0.1: a feed, its pages, conditional GET, failures."""

from __future__ import annotations

import io
import re
import threading
from dataclasses import replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.ingest import ingest
from flows.options import RunOptions
from tests.hostile import Site
from tests.httpfaults import page, rss
from transforms import catalog
from transforms.errors import NewseventsError
from transforms.fetch_options import FetchOptions
from transforms.load import DataDir
from transforms.sources import Source

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
PAGES = sorted(SAMPLES.glob("*.html"))
ETAG = '"feed-v1"'
CAFE = "/news/cafe.html"
CAFE_PAGE = ("<html><head><title>Café owners protest in São Paulo</title></head><body><article>"
             "<h1>Café owners protest in São Paulo</h1><p>Café owners marched through São Paulo on Monday, calling "
             "the city’s new licence fee “naïve” and unfair.</p><p>The mayor said small cafés would pay €0 in the first "
             "year, and officials promised talks with the owners’ association next week.</p></article></body></html>"
             ).encode("cp1252")  # no meta charset: only the HTTP header says windows-1252
CAFE_TYPE = "text/html; charset=windows-1252"

pytestmark = [pytest.mark.flow, pytest.mark.model]


class NewsSite(BaseHTTPRequestHandler):
    """Serves the sample pages under /news/, an RSS feed of them plus one missing page, and robots.txt."""

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        self.server.asked.append((self.path, self.headers.get("If-None-Match")))
        if self.path == "/robots.txt":
            return self.reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == ETAG:
                return self.reply(304, b"", "application/rss+xml")
            links = [f"/news/{p.name}" for p in PAGES] + ["/news/gone.html", "/private/secret.html", *self.server.later]
            items = "".join(f"<item><title>{link}</title><link>http://{self.headers['Host']}{link}?utm_source=rss</link>"
                            "<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate></item>" for link in links)
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Samples</title>{items}</channel></rss>'
            return self.reply(200, body.encode(), "application/rss+xml", ETag=ETAG)
        if self.path in self.server.later:  # listed in the feed; HTTP 503 until the test gives the page (and its type)
            given = self.server.later[self.path]
            if given is None:
                return self.reply(503, b"busy", "text/plain")
            body, content_type = given if isinstance(given, tuple) else (given, "text/html; charset=utf-8")
            return self.reply(200, body, content_type)
        page = SAMPLES / self.path.removeprefix("/news/")
        if self.path.startswith("/news/") and page.is_file():
            return self.reply(200, page.read_bytes(), "text/html; charset=utf-8")
        return self.reply(404, b"not here", "text/plain")

    def reply(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def start_site(later: dict[str, bytes | tuple[bytes, str] | None], host: str = "127.0.0.1") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), NewsSite)
    server.hits, server.asked, server.later = [], [], later
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site():
    server = start_site({})
    yield server
    server.shutdown()


def options(data: DataDir, site, **changes) -> RunOptions:
    feed = Source(name="samples", kind="feed", urls=(f"http://127.0.0.1:{site.server_port}/feed.xml",))
    return RunOptions(data_dir=data.root, sources=(feed,), **{"fetch": FetchOptions(allow_private=True, min_delay=0), **changes})


def test_a_feed_is_fetched_into_articles_fetches_and_quarantine(prefect_harness, nlp, site, tmp_path):
    data = DataDir(tmp_path / "data")
    site.hits.clear()
    summary = ingest([], options(data, site))
    c = summary.counts
    assert (c["articles"], c["quarantined"], c["inputs"]) == (len(PAGES), 2, len(PAGES) + 2)
    _, articles = catalog.query(data, "SELECT url, source_domain, source_name FROM articles ORDER BY url")
    assert [u for u, _, _ in articles] == sorted(f"http://127.0.0.1:{site.server_port}/news/{p.name}" for p in PAGES)
    _, reasons = catalog.query(data, "SELECT reason, url FROM quarantine ORDER BY reason")
    assert [r for r, _ in reasons] == ["FETCH_STATUS", "ROBOTS_DISALLOWED"]
    _, fetches = catalog.query(data, "SELECT status, count(*) FROM fetches GROUP BY 1 ORDER BY 1")
    assert fetches == [(200, len(PAGES) + 2), (404, 1)]  # robots.txt, the feed and the pages; the missing page
    assert summary.domains == {"127.0.0.1": {"robots.txt HTTP 200": 1, "HTTP 200": len(PAGES) + 1, "FETCH_STATUS": 1}}
    assert "/private/secret.html" not in site.hits
    _, raw = catalog.query(data, "SELECT count(*) FROM articles WHERE raw_sha256 IN (SELECT body_sha256 FROM fetches)")
    assert raw == [(len(PAGES),)], "every article's body is kept in data/raw/ under its hash"

    site.hits.clear()
    again = ingest([f"http://127.0.0.1:{site.server_port}/news/{PAGES[0].name}"], options(data, site))
    assert (again.counts["articles"], again.counts["unchanged"], again.counts["inputs"]) == (0, 1, 1)
    assert site.hits.count("/feed.xml") == 1 and not any(h.startswith("/news/") for h in site.hits)
    _, statuses = catalog.query(data, "SELECT status FROM fetches WHERE url LIKE '%feed.xml' ORDER BY fetched_at")
    assert statuses == [(200,), (304,)], "the second run asks with If-None-Match and gets 304"


def test_the_inputs_of_a_run_are_counted_once_the_feeds_are_read(site, tmp_path):
    """The progress bar's total: local files read before the web, the feeds' failures and every listed article."""
    from transforms.feeds import FeedState
    from transforms.gather import GatherOptions, gather, split_inputs
    from transforms.rawstore import RawStore

    (tmp_path / "a.txt").write_text("A local article read before the feeds.")
    totals: list[int] = []
    gone = Source(name="gone", kind="feed", urls=(f"http://127.0.0.1:{site.server_port}/no-feed.xml",))
    items = list(gather(split_inputs([str(tmp_path / "a.txt")]), [*options(DataDir(tmp_path), site).sources, gone],
                        options=GatherOptions(fetch=FetchOptions(allow_private=True, min_delay=0)), store=RawStore(tmp_path),
                        known_urls=set(), feeds=FeedState(), on_fetch_rows=lambda rows: None, on_undated=lambda n: None,
                        on_total=totals.append))
    assert totals == [len(items)] and len(items) == 1 + 1 + len(PAGES) + 2  # a.txt, the missing feed, the listed pages


def test_a_url_listed_again_in_a_run_is_one_input(site, tmp_path):
    """A page the feed lists, named on the command line and listed twice by a URL list: fetched and counted once."""
    from transforms.feeds import FeedState
    from transforms.gather import GatherOptions, Known, gather, split_inputs
    from transforms.rawstore import RawStore

    page = f"http://127.0.0.1:{site.server_port}/news/{PAGES[0].name}"
    again = Source(name="picked", kind="urls", urls=(page + "#top", page + "?utm_source=mail"))
    totals: list[int] = []
    items = list(gather(split_inputs([page]), [*options(DataDir(tmp_path), site).sources, again],
                        options=GatherOptions(fetch=FetchOptions(allow_private=True, min_delay=0)), store=RawStore(tmp_path),
                        known_urls=set(), feeds=FeedState(), on_fetch_rows=lambda rows: None, on_undated=lambda n: None,
                        on_total=totals.append))
    assert not any(isinstance(i, Known) for i in items), "an empty lake holds no article already"
    assert totals == [len(items)] and len(items) == len(PAGES) + 2  # the listed pages, the missing and the disallowed one


def site_asked(server: ThreadingHTTPServer, path: str) -> list[str | None]:
    """The If-None-Match header of each request for path."""
    return [etag for asked, etag in server.asked if asked == path]


def test_a_feed_is_read_in_full_again_until_an_article_that_failed_for_now_is_fetched(prefect_harness, nlp, tmp_path):
    late = "/news/late.html"
    server = start_site({late: None})
    try:
        data = DataDir(tmp_path / "data")
        run = options(data, server, fetch=FetchOptions(allow_private=True, min_delay=0, retries=0))
        first = ingest([], run)
        assert (first.counts["articles"], first.counts["quarantined"]) == (len(PAGES), 3)  # late.html: HTTP 503
        server.later[late] = PAGES[0].read_bytes().replace(b"<title>", b"<title>Late: ")
        server.hits.clear()
        server.asked.clear()
        second = ingest([], run)
        assert second.counts["articles"] + second.counts["duplicates"] == 1
        assert site_asked(server, "/feed.xml") == [None], "the feed is read in full again, not with If-None-Match"
        assert sorted(h for h in server.hits if h.startswith("/news/")) == ["/news/gone.html", late], "known pages are not fetched"
        _, rows = catalog.query(data, f"SELECT count(*) FROM articles WHERE url LIKE '%{late}'")
        assert rows == [(1,)]
        server.asked.clear()
        third = ingest([], run)
        assert site_asked(server, "/feed.xml") == [ETAG] and third.counts["inputs"] == 0, "all fetched: 304 from now on"
    finally:
        server.shutdown()


def test_refetch_reads_the_feed_in_full_and_fetches_its_pages_again(prefect_harness, nlp, site, tmp_path):
    data = DataDir(tmp_path / "data")
    ingest([], options(data, site))
    site.asked.clear()
    ingest([], options(data, site, fetch=FetchOptions(allow_private=True, min_delay=0, refetch=True)))
    assert site_asked(site, "/feed.xml") == [None], "no If-None-Match: a 304 would hide the items"
    assert sorted(path for path, _ in site.asked if path.startswith("/news/")) == sorted(
        [f"/news/{p.name}" for p in PAGES] + ["/news/gone.html"])


FRENCH_PAGE = ("<html><head><title>Rencontre à Genève</title></head><body><article><h1>Les ministres se sont rencontrés</h1>"
               "<p>Les ministres de la Turquie et de la Grèce se sont rencontrés mardi à Genève pour discuter d'un cessez-le-feu. "
               "Les discussions se sont terminées sans accord, ont indiqué des responsables.</p><p>Le ministre des affaires "
               "étrangères a déclaré qu'une autre réunion suivrait la semaine prochaine à Ankara.</p></article></body></html>"
               ).encode()
REFUSED_FOR_GOOD = {"/news/report.pdf": (b"%PDF-1.4 " + b"0" * 500, "application/pdf"),
                    "/news/french.html": (FRENCH_PAGE, "text/html; charset=utf-8")}


def test_a_url_refused_for_good_is_not_fetched_again_until_retried(prefect_harness, nlp, tmp_path):
    server = start_site({**REFUSED_FOR_GOOD, "/news/busy.html": None})
    try:
        data = DataDir(tmp_path / "data")
        run = options(data, server, fetch=FetchOptions(allow_private=True, min_delay=0, retries=0))
        first = ingest([], run)
        assert (first.counts["quarantined"], first.reasons["NOT_HTML"], first.reasons["NOT_ENGLISH"]) == (5, 1, 1)
        server.hits.clear()
        second = ingest([], run)
        assert not set(REFUSED_FOR_GOOD) & set(server.hits), "a PDF and a French page are refused again without a request"
        assert {"/news/gone.html", "/news/busy.html"} <= set(server.hits), "a 404 and a 503 may pass: tried again"
        assert (second.counts["inputs"], second.counts["refused"], second.counts["quarantined"]) == (first.counts["inputs"], 2, 3)
        assert ", 2 already refused (--retry-refused fetches them), 3 quarantined;" in second.line()
        _, rows = catalog.query(data, "SELECT count(*), count(DISTINCT url) FROM quarantine")
        assert rows == [(5, 5)], "one row per refused input"
        server.hits.clear()
        again = ingest([], options(data, server, fetch=FetchOptions(allow_private=True, min_delay=0, retries=0, retry_refused=True)))
        assert set(REFUSED_FOR_GOOD) <= set(server.hits) and (again.counts["refused"], again.counts["quarantined"]) == (0, 5)
    finally:
        server.shutdown()


def test_backfill_runs_once_per_day_for_the_articles_dated_that_day(prefect_harness, nlp, site, tmp_path, capsys):
    from flows.backfill import backfill

    data = DataDir(tmp_path / "data")
    summaries = backfill(date(2026, 11, 23), date(2026, 11, 25), options(data, site), echo=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [s.line() for s in summaries], "each day's line as the day ends"
    assert [re.match(r"(.+?)(, about \d+ s left)?\): run ", line)[1] for line in lines] == [
        "2026-11-23 (day 1 of 3", "2026-11-24 (day 2 of 3", "2026-11-25 (day 3 of 3"]
    assert "left" in lines[0] and "left" not in lines[-1]
    assert [s.counts["inputs"] for s in summaries] == [0, len(PAGES) + 2, 0]  # the feed dates every item 24 November
    _, runs = catalog.query(data, "SELECT count(*) FROM runs")
    assert runs == [(3,)]
    _, windows = catalog.query(data, "SELECT json_extract_string(params, '$.window[0]') FROM runs ORDER BY 1")
    assert windows == [("2026-11-23",), ("2026-11-24",), ("2026-11-25",)]


def dated_site(days: list[date]) -> Site:
    """A news site whose feed lists a story a day (and a missing page on the second day, and one nothing dates), and whose
    sitemap index, newest first, nests a sitemap a day (changed that day) of a story and an undated entry."""
    site = Site({})
    xml = {"Content-Type": "application/xml"}
    stories = [f"/page/f{day:%d}" for day in days] + ["/page/gone", "/page/undated"]
    dates = [f"{day:%a, %d %b %Y} 09:00:00 GMT" for day in days] + [f"{days[1]:%a, %d %b %Y} 10:00:00 GMT", None]
    site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(site.base, stories, dates))
    site.routes["/index.xml"] = (200, xml, (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{site.base}/{day}.xml</loc><lastmod>{day}T23:00:00Z</lastmod></sitemap>" for day in reversed(days))
        + "</sitemapindex>").encode())
    for day in days:
        entries = (f"<url><loc>{site.base}/page/s{day:%d}</loc><news:news><news:publication_date>{day}T07:00:00Z"
                   f"</news:publication_date></news:news></url><url><loc>{site.base}/page/s{day:%d}-undated</loc></url>")
        site.routes[f"/{day}.xml"] = (200, xml, URLSET.format(entries).encode())
    for path in stories + [f"/page/s{day:%d}" for day in days]:
        if path != "/page/gone":
            story = f"<p>Officials in Geneva said talks on story {path} would go on next week, after a long meeting.</p>"
            site.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, page(path.rsplit("/", 1)[1], story))
    return site


URLSET = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
          'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{}</urlset>')
SAME_ROWS = {  # each table's rows without what differs from run to run
    "articles": "SELECT * EXCLUDE (run_id, ingested_at) FROM articles ORDER BY url",
    "entities": "SELECT * EXCLUDE (run_id) FROM entities ORDER BY entity_id",
    "event_mentions": "SELECT * EXCLUDE (run_id) FROM event_mentions ORDER BY event_mention_id",
    "events": "SELECT * EXCLUDE (first_seen_at, updated_at) FROM events ORDER BY event_id",
    "quarantine": "SELECT stage, reason, url, detail FROM quarantine ORDER BY url",
    "pages fetched": "SELECT url, status FROM fetches WHERE url LIKE '%/page/%' ORDER BY url",
}


def test_a_backfill_reads_each_feed_and_sitemap_once_and_stores_what_day_by_day_runs_store(prefect_harness, nlp, tmp_path):
    from flows.backfill import backfill

    days = [date(2026, 11, 10) + timedelta(days=n) for n in range(6)]
    site = dated_site(days)
    sources = (Source(name="feed", kind="feed", urls=(site.base + "/feed.xml",)),
               Source(name="map", kind="sitemap", urls=(site.base + "/index.xml",)))

    def run(data: DataDir) -> RunOptions:
        return RunOptions(data_dir=data.root, sources=sources, fetch=FetchOptions(allow_private=True, min_delay=0, retries=0))

    try:
        one_by_one, shared = DataDir(tmp_path / "day-by-day"), DataDir(tmp_path / "backfill")
        daily = [ingest([], replace(run(one_by_one), window=(day, day), published=day)) for day in days[1:5]]
        assert site.hits["/index.xml"] == 4 and site.hits[f"/{days[5]}.xml"] == 4, "day by day, every day reads them again"
        site.hits.clear()
        summaries = backfill(days[1], days[4], run(shared))
    finally:
        site.shutdown()
    listings = {path: n for path, n in site.hits.items() if path.endswith(".xml")}
    assert listings == {"/feed.xml": 1, "/index.xml": 1, **{f"/{day}.xml": 1 for day in days}}, "each read once (the 10th: a day's slack)"
    assert [{**s.counts, "fetches": 0} for s in summaries] == [{**s.counts, "fetches": 0} for s in daily]
    assert [s.counts["undated"] for s in summaries] == [7, 6, 5, 4], "each day counts the undated entries it reads, as before"
    for table, sql in SAME_ROWS.items():
        assert catalog.query(shared, sql) == catalog.query(one_by_one, sql), table
    _, articles = catalog.query(shared, "SELECT count(*) FROM articles")
    assert articles == [(8,)]


def test_a_backfill_that_stops_says_how_many_days_are_done_and_how_to_finish(prefect_harness, site, tmp_path, capsys):
    from flows.backfill import backfill

    with pytest.raises(NewseventsError, match="no_such_model"):
        backfill(date(2026, 11, 23), date(2026, 11, 25), options(DataDir(tmp_path / "data"), site, model="no_such_model"), echo=True)
    assert ("newsevents: the backfill stopped on 2026-11-23, 0 of 3 days done; --since 2026-11-23 --until 2026-11-25 "
            "finishes it\n") in capsys.readouterr().err


def write_warc(archive: Path, responses: list[tuple[str, bytes, str]]) -> None:
    """A gzipped WARC of one response record per (target URL, body, Content-Type)."""
    with archive.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body, content_type in responses:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))


def test_a_warc_archive_is_ingested_record_by_record(prefect_harness, nlp, tmp_path):
    archive = tmp_path / "news.warc.gz"
    write_warc(archive, [(f"https://news.example/{p.name}", p.read_bytes(), "text/html; charset=utf-8") for p in PAGES])
    data = DataDir(tmp_path / "data")
    summary = ingest([str(archive)], RunOptions(data_dir=data.root))
    assert (summary.counts["articles"], summary.counts["inputs"]) == (len(PAGES), len(PAGES))
    _, rows = catalog.query(data, "SELECT DISTINCT input_format FROM articles")
    assert rows == [("warc",)]


def test_a_page_with_an_invalid_canonical_link_is_kept_under_its_own_url(prefect_harness, nlp, tmp_path):
    page = re.sub(rb'(rel="canonical" href|property="og:url" content)="[^"]*"', rb'\1="http://[abc/"',
                  (SAMPLES / "russia-jets-algeria.html").read_bytes())
    assert page.count(b"http://[abc/") == 2
    write_warc(tmp_path / "news.warc.gz", [("https://news.example/bad.html", page, "text/html; charset=utf-8"),
                                           (f"https://news.example{CAFE}", CAFE_PAGE, CAFE_TYPE)])
    data = DataDir(tmp_path / "data")
    summary = ingest([str(tmp_path / "news.warc.gz")], RunOptions(data_dir=data.root))
    assert (summary.counts["articles"], summary.counts["quarantined"]) == (2, 0)
    _, rows = catalog.query(data, "SELECT canonical_url, source_domain FROM articles ORDER BY 1")
    assert rows == [("https://news.example/bad.html", "news.example"), (f"https://news.example{CAFE}", "news.example")]


def news_page(canonical: str, headline: str, story: str) -> bytes:
    """A page declaring a canonical URL, with a headline and a few sentences about a story."""
    sentences = "".join(f"<p>{story} Officials said on Monday that talks would go on, paragraph {i} of the report.</p>" for i in range(4))
    return (f'<html><head><title>{headline}</title><link rel="canonical" href="{canonical}"></head>'
            f"<body><article><h1>{headline}</h1>{sentences}</article></body></html>").encode()


@pytest.fixture(scope="module")
def victim_and_spoof():
    """A news site on 127.0.0.2 with a page, and another host, 127.0.0.7, whose page declares that page canonical."""
    victim, spoof = start_site({}, host="127.0.0.2"), start_site({}, host="127.0.0.7")
    good = f"http://127.0.0.2:{victim.server_port}/good/50.html"
    victim.later["/good/50.html"] = news_page(good, "Ghana and Togo agree on a fishing patrol",
                                              "Ghana and Togo agreed to patrol their maritime border together.")
    spoof.later["/spoof.html"] = news_page(good, "FAKE: Ghana declares war on Togo", "Ghana declared war on Togo.")
    yield good, f"http://127.0.0.7:{spoof.server_port}/spoof.html", victim
    victim.shutdown()
    spoof.shutdown()


def test_a_page_cannot_replace_another_sites_article_through_its_canonical_link(prefect_harness, nlp, victim_and_spoof, tmp_path):
    good, bad, _ = victim_and_spoof
    data = DataDir(tmp_path / "data")
    run = RunOptions(data_dir=data.root, fetch=FetchOptions(allow_private=True, min_delay=0))
    ingest([good], run)
    second = ingest([bad], run)
    assert (second.counts["articles"], second.counts["replaced"]) == (1, 0)
    _, rows = catalog.query(data, "SELECT url, canonical_url, source_domain, title, ignored_canonical_url FROM articles ORDER BY url")
    assert rows == [(good, good, "127.0.0.2", "Ghana and Togo agree on a fishing patrol", None),
                    (bad, bad, "127.0.0.7", "FAKE: Ghana declares war on Togo", good)]


def test_a_page_cannot_keep_another_sites_article_from_being_fetched(prefect_harness, nlp, victim_and_spoof, tmp_path):
    good, bad, victim = victim_and_spoof
    data = DataDir(tmp_path / "data")
    run = RunOptions(data_dir=data.root, fetch=FetchOptions(allow_private=True, min_delay=0))
    ingest([bad], run)
    victim.hits.clear()
    later = ingest([good], run)
    assert (later.counts["articles"], later.counts["unchanged"]) == (1, 0)
    assert "/good/50.html" in victim.hits
    _, rows = catalog.query(data, f"SELECT title FROM articles WHERE canonical_url = '{good}'")
    assert rows == [("Ghana and Togo agree on a fishing patrol",)]


def stored(data: DataDir) -> tuple[dict[str, dict], list[tuple]]:
    """The articles by URL (all but when, by which run and which pipeline they were written) and the entities."""
    columns, rows = catalog.query(data, "SELECT * EXCLUDE (ingested_at, run_id, pipeline_version) FROM articles")
    _, entities = catalog.query(data, "SELECT * EXCLUDE (run_id) FROM entities ORDER BY ALL")
    return {row["url"]: row for row in (dict(zip(columns, r, strict=True)) for r in rows)}, entities


def reprocessed(data: DataDir) -> tuple[tuple[dict[str, dict], list[tuple]], tuple[dict[str, dict], list[tuple]]]:
    """The lake's stored rows before and after `reprocess --all`, which must rebuild every article."""
    from flows.ingest import reprocess

    before = stored(data)
    summary = reprocess(RunOptions(data_dir=data.root), everything=True)
    assert summary.counts["replaced"] == summary.counts["inputs"] == len(before[0]), summary.counts
    return before, stored(data)


@pytest.fixture(scope="module")
def feed_reprocessed(prefect_harness, nlp, tmp_path_factory):
    """The rows of a feed's articles (the feed titles each, one page is windows-1252 by its header alone) before and
    after `reprocess --all`."""
    server = start_site({CAFE: (CAFE_PAGE, CAFE_TYPE)})
    try:
        data = DataDir(tmp_path_factory.mktemp("feed") / "data")
        ingest([], options(data, server))
    finally:
        server.shutdown()
    return reprocessed(data)


def test_reprocess_decodes_a_page_with_the_charset_its_http_header_gave(feed_reprocessed):
    (before, _), (after, _) = feed_reprocessed
    [url] = [u for u in before if u.endswith(CAFE)]
    assert "São Paulo" in before[url]["text"] and "“naïve”" in before[url]["text"] and "€0" in before[url]["text"]
    assert after[url]["text"] == before[url]["text"]
    assert after[url]["http_content_type"] == CAFE_TYPE


def test_reprocess_with_the_same_pipeline_rebuilds_feed_titled_articles_unchanged(feed_reprocessed):
    before, after = feed_reprocessed
    assert {row["given_title"] for row in before[0].values()} == {urlsplit(u).path for u in before[0]}, \
        "each article has the title its feed item gave"
    assert after == before, "the same titles, texts, hashes, word counts and entity offsets"


def test_reprocess_decodes_a_warc_record_with_the_charset_of_its_http_header(prefect_harness, nlp, tmp_path):
    write_warc(tmp_path / "news.warc.gz", [(f"https://news.example{CAFE}", CAFE_PAGE, CAFE_TYPE)])
    data = DataDir(tmp_path / "data")
    ingest([str(tmp_path / "news.warc.gz")], RunOptions(data_dir=data.root))
    (before, _), (after, _) = reprocessed(data)
    [row] = before.values()
    assert "São Paulo" in row["text"] and "€0" in row["text"]
    assert [r["text"] for r in after.values()] == [row["text"]]
