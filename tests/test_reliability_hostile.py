"""Hostile inputs: each is quarantined with its reason or handled, memory stays bounded, nothing outside the data dir changes.

One real `newsevents run` reads hostile files, a hostile WARC, a page URL and a feed URL from a local
server; the stage functions (discover, fetch, read_warc) get the cases a command line cannot set up
(a "public" host redirecting to private addresses, encodings, timings).
"""

from __future__ import annotations

import io
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.hostile import Site, gzip_bomb, snapshot, stray_files, unreadable_files
from transforms import fetch_http
from transforms.errors import Reason, Rejection
from transforms.feeds import discover
from transforms.fetch import fetch
from transforms.fetch_options import FetchOptions
from transforms.read import RawDocument
from transforms.sources import Source
from transforms.warc import read_warc

REPO = Path(__file__).resolve().parent.parent
GIB = 1 << 30
MEMORY_CAP_KB = 2 * 1024 * 1024  # 2 GB, as ru_maxrss counts it (kilobytes on Linux)
SQL = "Robert'); DROP TABLE articles; --"
ARTICLE = ("Ministers from Kenya and Ethiopia met in Nairobi on Tuesday to discuss the shared water of the river. "
           "Both governments agreed to set up a joint commission and to meet again next month in Addis Ababa.")
FAST = {"allow_private": True, "respect_robots": False, "min_delay": 0.0, "retries": 0, "connect_timeout": 2.0,
        "read_timeout": 5.0, "total_timeout": 20.0}


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def write_hostile_inputs(folder: Path, outside: Path) -> dict[str, str | None]:
    """The hostile files; file name -> the quarantine reason expected (None: it becomes an article)."""
    folder.mkdir()
    expected: dict[str, str | None] = {}

    def put(name: str, data: bytes, reason: str | None) -> None:
        (folder / name).write_bytes(data)
        expected[name] = reason

    put("good.txt", f"Water talks\n\n{ARTICLE}".encode(), None)
    put("sql.txt", f"{SQL}\n\nThe minister said {SQL} before the vote. {ARTICLE}".encode(), None)
    put("binary.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64, "BINARY")
    put("nul-late.txt", f"Late NUL\n\n{ARTICLE * 60}".encode() + b"\x00\x00" + ARTICLE.encode(), "BINARY")
    put("invalid-utf8.txt", b"Caf\xc3 \xff\xfe\xfd \x80\x81 " * 200 + bytes(range(0x80, 0x100)) * 40, "UNDECODABLE")
    with open(folder / "page-50mb.html", "wb") as f:  # a real 50 MB page of paragraphs
        block = b"<p>" + ARTICLE.encode() + b"</p>\n"
        f.write(b"<html><body>" + block * (50 * 1024 * 1024 // len(block)) + b"</body></html>")
    expected["page-50mb.html"] = "TOO_LARGE"
    put("wide.html", b"<html><body>" + b"<p>x</p>" * 400_000 + b"</body></html>", "TOO_LARGE")
    put("deep.html", b"<html><body>" + b"<div>" * 100_000 + ARTICLE.encode() + b"</div>" * 100_000 + b"</body></html>",
        "EXTRACT_FAILED")
    for name in ("-rf.txt", "$(touch pwned).txt", "new\nline.txt", "..txt", "; rm -rf ~.txt"):
        put(name, f"Odd name {name!r}\n\n{ARTICLE} File {name!r}.".encode(), None)
    with open(folder / "records.jsonl", "wb") as f:  # line 1 declares 1 GB: a sparse file, no 1 GB on disk
        f.write(b'{"text": "')
        f.seek(GIB)
        f.write(b'"}\n')
        f.write(b'{"url": "https://user:secret@news.example.org/a", "text": "' + ARTICLE.encode() + b'"}\n')
        f.write(b'{"url": "https://news.example.org/fine", "title": "Fine", "text": "' + ARTICLE.encode() + b' Fine."}\n')
    expected.update({"records.jsonl#line=1": "TOO_LARGE", "records.jsonl#line=2": "BAD_URL", "records.jsonl#line=3": None})
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Outside secret\n\nOUTSIDE-SECRET {ARTICLE}")
    (folder / "secret-link.txt").symlink_to(outside / "secret.txt")
    (folder / "outside-dir").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to("..", target_is_directory=True)
    expected.update(dict.fromkeys(("secret-link.txt", "outside-dir", "loop"), "UNSUPPORTED_TYPE"))  # not followed
    write_warc(folder / "archive.warc.gz", [
        ("https://news.example.org/bomb", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], gzip_bomb(GIB)),
        ("https://user:secret@news.example.org/creds", [("Content-Type", "text/html")], b"<p>hello</p>"),
        ("file:///etc/passwd", [("Content-Type", "text/html")], b"<p>root:x:0:0</p>"),
        ("https://news.example.org/archived", [("Content-Type", "text/html")], f"<html><p>{ARTICLE} Archived.</p></html>".encode()),
    ])
    return expected


def write_warc(path: Path, records: list[tuple[str, list[tuple[str, str]], bytes]]) -> None:
    """A gzipped WARC of HTTP 200 response records (target URI, HTTP headers, payload)."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for uri, headers, body in records:
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                                          http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    root = tmp_path_factory.mktemp("hostile")
    inputs, outside, data = root / "in", root / "outside", root / "data"
    expected = write_hostile_inputs(inputs, outside)
    before = {"in": snapshot(inputs), "outside": snapshot(outside), "root": sorted(p.name for p in root.iterdir())}
    site = Site({"/lol.xml": (200, {"Content-Type": "application/rss+xml"}, LOL.format(enc="utf-8").encode()),
                 "/bomb": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip_bomb(GIB))})
    web = {site.base + "/lol.xml": "FEED_MALFORMED", site.base + "/bomb": "TOO_LARGE"}
    started = time.monotonic()
    logs = tmp_path_factory.mktemp("logs")
    try:
        with open(logs / "out", "wb") as out, open(logs / "err", "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "run", str(inputs), site.base + "/bomb",
                                     "--feed", site.base + "/lol.xml", "--allow-private", "--data-dir", str(data),
                                     "--published", "2026-02-10"], cwd=root, stdout=out, stderr=err,
                                    env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()})
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory, not the largest of all children
    finally:
        site.shutdown()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"root": root, "inputs": inputs, "outside": outside, "data": data, "expected": expected, "web": web, "before": before,
            "code": proc.returncode, "stdout": (logs / "out").read_text(), "stderr": (logs / "err").read_text(),
            "peak_kb": usage.ru_maxrss, "seconds": time.monotonic() - started}


def lake_query(data: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data / "newsevents.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_hostile_files_are_quarantined_with_their_reason_or_read(hostile_run):
    run = hostile_run
    assert run["code"] == 0, run["stderr"]
    assert "Traceback" not in run["stderr"]
    uri = {name: (run["inputs"].resolve() / name.split("#")[0]).as_uri() + ("#" + name.split("#")[1] if "#" in name else "")
           for name in run["expected"]}
    reasons = dict(lake_query(run["data"], "SELECT url, reason FROM quarantine"))
    articles = {row[0] for row in lake_query(run["data"], "SELECT url FROM articles")}
    got = {name: reasons.get(uri[name], "article" if uri[name] in articles else "missing") for name in run["expected"]}
    assert got == {name: reason or "article" for name, reason in run["expected"].items()}
    warc = (run["inputs"] / "archive.warc.gz").resolve().as_uri()
    assert sorted(r for url, r in reasons.items() if url.startswith(warc)) == ["BAD_URL", "BAD_URL", "TOO_LARGE"]
    assert lake_query(run["data"], "SELECT count(*) FROM articles WHERE canonical_url = 'https://news.example.org/archived'") == [(1,)]
    assert {url: reasons.get(url) for url in run["web"]} == run["web"]
    assert len(articles) + len(reasons) == len(run["expected"]) + 4 + len(run["web"])  # each input once: no link followed
    print(f"\nhostile run: {len(articles) + len(reasons)} inputs in {run['seconds']:.0f} s, peak RSS {run['peak_kb'] // 1024} MB")


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_hostile_run_stays_under_2_gb(hostile_run):
    assert 0 < hostile_run["peak_kb"] < MEMORY_CAP_KB


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_nothing_outside_the_data_dir_is_touched(hostile_run):
    run = hostile_run
    assert snapshot(run["inputs"]) == run["before"]["in"]
    assert snapshot(run["outside"]) == run["before"]["outside"]
    assert sorted(p.name for p in run["root"].iterdir()) == sorted([*run["before"]["root"], "data"])
    assert not list(run["root"].rglob("pwned")) and not Path("pwned").exists()
    texts = " ".join(row[0] for row in lake_query(run["data"], "SELECT text FROM articles"))
    assert "OUTSIDE-SECRET" not in texts
    assert unreadable_files(run["data"] / "lake") == [] and stray_files(run["data"] / "lake") == []


@pytest.mark.flow
@pytest.mark.model
@pytest.mark.slow
def test_sql_in_article_text_is_stored_as_text_and_the_views_still_work(hostile_run):
    data = hostile_run["data"]
    [(title, text)] = lake_query(data, "SELECT title, text FROM articles WHERE text LIKE '%DROP TABLE%'")
    assert title == SQL and f"The minister said {SQL} before the vote." in text
    tables = {row[0] for row in lake_query(data, "SELECT view_name FROM duckdb_views() WHERE NOT internal")}
    assert {"articles", "entities", "event_mentions", "events", "quarantine", "runs"} <= tables
    assert lake_query(data, "SELECT count(*) FROM articles")[0][0] >= 8


LOL = ('<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
       + ']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
       '<link>https://news.example.org/lol</link></item></channel></rss>')
EXTERNAL = ('<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE rss [<!ENTITY s SYSTEM "file:///etc/hostname">]>\n'
            '<rss version="2.0"><channel><title>t</title><item><title>&s;</title>'
            '<link>https://news.example.org/&s;</link></item></channel></rss>')
SITEMAP_LOL = LOL.replace('<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
                          '<link>https://news.example.org/lol</link></item></channel></rss>',
                          '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>')


@pytest.mark.parametrize("enc", ["utf-8", "utf-16", "utf-32"])
def test_entity_bombs_and_external_entities_are_refused_in_any_encoding(enc):
    xml = {"application/rss+xml": {"/lol.xml": LOL, "/external.xml": EXTERNAL}, "application/xml": {"/sitemap.xml": SITEMAP_LOL}}
    site = Site({path: (200, {"Content-Type": ctype}, body.format(enc=enc).encode(enc))
                 for ctype, bodies in xml.items() for path, body in bodies.items()})
    try:
        before = peak_rss_kb()
        found = discover([Source(name="lol", kind="feed", urls=(site.base + "/lol.xml", site.base + "/external.xml")),
                          Source(name="map", kind="sitemap", urls=(site.base + "/sitemap.xml",))],
                         options=FetchOptions(**FAST))
    finally:
        site.shutdown()
    reason = Reason.BINARY if enc == "utf-32" else Reason.FEED_MALFORMED  # no BOM-less UTF-32 text is read as text
    assert found.targets == []
    assert [(f.url.removeprefix(site.base), f.result.reason) for f in found.fetched] == [
        ("/lol.xml", reason), ("/external.xml", reason), ("/sitemap.xml", reason)]
    assert peak_rss_kb() - before < 100 * 1024


def test_gzip_bomb_over_http_stops_at_the_decoded_cap():
    bomb = gzip_bomb(GIB)
    site = Site({"/bomb": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)})
    try:
        started, before = time.monotonic(), peak_rss_kb()
        [done] = fetch([site.base + "/bomb"], options=FetchOptions(**FAST))  # default caps: 10 MB wire, 20 MB decoded
    finally:
        site.shutdown()
    assert isinstance(done.result, Rejection) and done.result.reason == Reason.TOO_LARGE
    assert done.result.detail == f"decoded body is over the cap of {FetchOptions().max_decoded_bytes} bytes"
    assert peak_rss_kb() - before < 200 * 1024 and time.monotonic() - started < 10
    print(f"\n{len(bomb)} byte gzip bomb of 1 GiB refused in {time.monotonic() - started:.2f} s")


def test_gzip_bomb_and_hostile_target_uris_inside_a_warc(tmp_path):
    path = tmp_path / "hostile.warc.gz"
    write_warc(path, [
        ("https://news.example.org/bomb", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], gzip_bomb(GIB)),
        ("https://user:secret@news.example.org/creds", [("Content-Type", "text/html")], b"<p>hello</p>"),
        ("file:///etc/passwd", [("Content-Type", "text/html")], b"<p>root:x:0:0</p>"),
        ("https://news.example.org/fine", [("Content-Type", "text/html")], f"<html><p>{ARTICLE}</p></html>".encode()),
    ])
    before = peak_rss_kb()
    results = list(read_warc(path, options=FetchOptions()))
    assert [r.reason if isinstance(r, Rejection) else "document" for r in results] == [
        Reason.TOO_LARGE, Reason.BAD_URL, Reason.BAD_URL, "document"]
    assert "credentials" in results[1].detail and "secret" not in (results[1].url or "")
    assert isinstance(results[3], RawDocument) and results[3].url == "https://news.example.org/fine"
    assert peak_rss_kb() - before < 200 * 1024


@pytest.fixture
def public_loopback(monkeypatch):
    """127.0.0.1 stands in for a public address (a test cannot reach one); every other private address stays private."""
    real = fetch_http.is_public
    monkeypatch.setattr(fetch_http, "is_public", lambda address: address == "127.0.0.1" or real(address))
    resolve = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):  # stands in for DNS, which tests cannot reach
        names = {"intranet.test": ["10.1.2.3"], "mixed.test": ["127.0.0.1", "192.168.0.7"], "metadata.test": ["169.254.169.254"]}
        if host in names:
            return [info for a in names[host] for info in resolve(a, port, *args, **kwargs)]
        return resolve(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)


PRIVATE_TARGETS = ["http://10.1.2.3/admin", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://0.0.0.0/",
                   "http://2130706434/", "http://0x7f000002/", "http://127.2/", "http://[::ffff:127.0.0.2]/",
                   "http://intranet.test/", "http://metadata.test/latest", "http://mixed.test/",
                   "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/", "http://[::127.0.0.2]/",
                   "http://[::ffff:0:a00:1]/", "http://[64:ff9b:1::a00:1]/", "http://[fec0::1]/", "http://192.0.0.8/"]


@pytest.mark.parametrize("robots", [False, True])
def test_redirects_from_a_public_host_to_private_addresses_are_refused(public_loopback, robots):
    site = Site({f"/r{i}": (302, {"Location": target}, b"") for i, target in enumerate(PRIVATE_TARGETS)}
                | {"/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")})
    try:
        done = {f.url.removeprefix(site.base): f for f in fetch(
            [site.base + f"/r{i}" for i in range(len(PRIVATE_TARGETS))],
            options=FetchOptions(**FAST | {"allow_private": False, "respect_robots": robots}))}
    finally:
        site.shutdown()
    for i, target in enumerate(PRIVATE_TARGETS):
        result = done[f"/r{i}"].result
        assert isinstance(result, Rejection), target
        assert result.reason in (Reason.PRIVATE_ADDRESS, Reason.ROBOTS_DISALLOWED), (target, result)
        assert "non-public address" in result.detail or "PRIVATE_ADDRESS" in result.detail, (target, result.detail)
    assert all(site.hits[f"/r{i}"] == 1 for i in range(len(PRIVATE_TARGETS)))  # the public hop was fetched


def test_dns_names_with_any_private_address_are_refused_without_a_connection(public_loopback):
    site = Site({"/page": (200, {"Content-Type": "text/html"}, f"<p>{ARTICLE}</p>".encode())})
    port = site.server_address[1]
    try:
        done = list(fetch([f"http://mixed.test:{port}/page", f"http://intranet.test:{port}/page", f"http://127.0.0.1:{port}/page"],
                          options=FetchOptions(**FAST | {"allow_private": False})))
    finally:
        site.shutdown()
    reasons = {f.url.split("/")[2].split(":")[0]: f.result.reason if isinstance(f.result, Rejection) else "document" for f in done}
    assert reasons == {"mixed.test": Reason.PRIVATE_ADDRESS, "intranet.test": Reason.PRIVATE_ADDRESS, "127.0.0.1": "document"}
    assert site.hits["/page"] == 1


def test_a_feed_cannot_bypass_robots_txt_or_the_rate_limit(monkeypatch):
    site = Site({"/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
                 **{f"/page/{i}": (200, {"Content-Type": "text/html"}, f"<p>{ARTICLE} {i}</p>".encode()) for i in range(4)}})
    host, port = site.server_address
    links = [f"http://{host}:{port}/private/a", f"HTTP://{host}:{port}/private/b?utm_source=feed", f"http://{host}:{port}/%70rivate/c",
             f"http://{host}:{port}/page/../private/d"] + [f"http://{host}:{port}/page/{i}" for i in range(4)]
    items = "".join(f"<item><title>t{i}</title><link>{link}</link></item>" for i, link in enumerate(links))
    site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'.encode())
    times: list[float] = []
    real_get = fetch_http.Client.get

    def timed_get(self, url, **kwargs):
        if "/page/" in url:
            times.append(time.monotonic())
        return real_get(self, url, **kwargs)

    options = FetchOptions(**FAST | {"respect_robots": True, "min_delay": 0.4, "per_domain_concurrency": 4, "workers": 8})
    try:
        found = discover([Source(name="f", kind="feed", urls=(site.base + "/feed.xml",))], options=options)
        assert len(found.targets) == len(links)
        monkeypatch.setattr(fetch_http.Client, "get", timed_get)
        results = list(fetch(found.targets, options=options))
    finally:
        site.shutdown()
    reasons = sorted(str(r.result.reason) if isinstance(r.result, Rejection) else "document" for r in results)
    assert reasons == ["ROBOTS_DISALLOWED"] * 4 + ["document"] * 4
    assert not any(path.startswith(("/private", "/%70rivate")) for path in site.hits)
    gaps = [b - a for a, b in zip(sorted(times), sorted(times)[1:], strict=False)]
    assert len(times) == 4 and min(gaps) >= 0.39, gaps


def test_a_feed_body_naming_a_local_file_is_not_opened(tmp_path):
    local = tmp_path / "local-feed.xml"
    local.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>local</title><item><title>LOCAL</title>'
                     "<link>https://news.example.org/from-a-local-file</link></item></channel></rss>")
    site = Site({"/path.xml": (200, {"Content-Type": "application/rss+xml"}, str(local).encode()),
                 "/zero.xml": (200, {"Content-Type": "application/rss+xml"}, b"/dev/zero")})
    try:
        started = time.monotonic()
        found = discover([Source(name="paths", kind="feed", urls=(site.base + "/path.xml", site.base + "/zero.xml"))],
                         options=FetchOptions(**FAST))
    finally:
        site.shutdown()
    assert found.targets == [] and time.monotonic() - started < 10
    assert [f.result.reason for f in found.fetched] == [Reason.FEED_MALFORMED] * 2
