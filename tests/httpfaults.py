"""A real HTTP server on 127.0.0.1 that serves pages, feeds and sitemaps and injects the web's faults, for the fetch tests."""

from __future__ import annotations

import gzip
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import brotli

ROBOTS = b"User-agent: *\nDisallow: /private/\n"
STALL_SECONDS = 120
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def page(n: int | str, extra: str = "") -> bytes:
    """A small news page the project wrote, numbered."""
    return (f"<html><head><title>Report {n}</title></head><body><article><h1>Report {n}</h1>"
            f"<p>Ministers met in Geneva on Tuesday to discuss a ceasefire, report number {n}.</p>{extra}"
            "</article></body></html>").encode()


def rss(base: str, paths: list[str], dates: list[str | None] | None = None) -> bytes:
    """An RSS 2.0 feed linking to the given paths, dated 24 November 2026 unless dates are given (None: no date)."""
    dates = dates or ["Tue, 24 Nov 2026 10:00:00 GMT"] * len(paths)
    items = "".join(f"<item><title>Item {p}</title><link>{base}{p}{'&' if '?' in p else '?'}utm_source=rss</link>"
                    + (f"<pubDate>{d}</pubDate>" if d else "") + "</item>" for p, d in zip(paths, dates, strict=True))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>{items}</channel></rss>'.encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><link>http://127.0.0.1/x</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&secret;</loc></url></urlset>"""


class FaultServer(ThreadingHTTPServer):
    """The server: counts hits per path, knows its own base URL."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.request_headers: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.robots: bytes | None = ROBOTS  # None: robots.txt answers 404
        self.robots_failures = 0  # robots.txt answers 503 this many times first
        self.away = "/"  # where /away redirects
        self.stalled: set[str] = set()  # paths whose requests get no answer for STALL_SECONDS

    def handle_error(self, request, client_address) -> None:  # clients hanging up on purpose are expected
        pass

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hit(self, path: str, headers: dict[str, str]) -> int:
        """Count a request to the path; its ordinal."""
        with self.lock:
            self.hits[path] += 1
            self.request_headers[path] = headers
            return self.hits[path]


class Handler(BaseHTTPRequestHandler):
    """Routes each path to a behaviour."""

    protocol_version = "HTTP/1.1"
    server: FaultServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        n = self.server.hit(self.path, dict(self.headers.items()))  # counted with the query: ?case=x gives a fresh counter
        base = self.server.base
        if path in self.server.stalled:
            time.sleep(STALL_SECONDS)  # well past every fetch time limit: the client hangs up first
        elif path == "/robots.txt":
            if n <= self.server.robots_failures:
                self.send(503, b"busy", "text/plain")
            elif self.server.robots is None:
                self.send(404, b"no robots.txt here", "text/plain")
            else:
                self.send(200, self.server.robots, "text/plain")
        elif path == "/away":
            self.send(302, b"", Location=self.server.away)
        elif path.startswith(("/page/", "/private/")):
            pad = int(parse_qs(urlsplit(self.path).query).get("pad", ["0"])[0])  # ?pad=N adds N bytes of paragraphs (benchmarks)
            self.send(200, page(path.rsplit("/", 1)[-1], "<p>More details followed in the afternoon.</p>" * (pad // 46)))
        elif path == "/slow":
            time.sleep(1.5)
            self.send(200, page("slow"))
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"<p>x</p>")
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/drip-stall":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(6):
                self.wfile.write(b"<p>x</p>")
                self.wfile.flush()
                time.sleep(0.1)
            time.sleep(2.0)
        elif path == "/429":
            if n == 1:
                self.send(429, b"slow down", "text/plain", Retry_After="1")
            else:
                self.send(200, page("after 429"))
        elif path == "/429-long":
            self.send(429, b"go away", "text/plain", Retry_After="3600")
        elif path == "/flaky":
            if n == 1:
                self.send(500, b"oops", "text/plain")
            else:
                self.send(200, page("flaky"))
        elif path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif path == "/loop/a":
            self.send(302, b"", Location=f"{base}/loop/b")
        elif path == "/loop/b":
            self.send(301, b"", Location="/loop/a")
        elif path == "/redirect":
            self.send(301, b"", Location="/page/target?utm_campaign=x")
        elif path == "/redirect-robots":
            self.send(302, b"", Location="/private/secret")
        elif path == "/redirect-creds":
            self.send(302, b"", Location="http://user:pw@127.0.0.1/")
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.close_connection = True
            chunk = b"<p>" + b"a" * 65536 + b"</p>"
            try:
                for _ in range(10_000):  # ~650 MB at most, the client hangs up long before
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif path == "/bomb":
            self.send(200, GZIP_BOMB, "text/html", Content_Encoding="gzip")
        elif path == "/gzip":
            self.send(200, gzip.compress(page("gzip")), "text/html", Content_Encoding="gzip")
        elif path == "/gzip-gzip":  # stacked codings, as HTTP allows
            self.send(200, gzip.compress(gzip.compress(page("gzip twice"))), "text/html", Content_Encoding="gzip, gzip")
        elif path == "/br":
            self.send(200, brotli.compress(page("brotli")), "text/html", Content_Encoding="br")
        elif path == "/wrong-charset":
            body = "<html><body><p>Le café de la gare a rouvert à Genève.</p></body></html>".encode("cp1252")
            self.send(200, body, "text/html; charset=utf-8")
        elif path == "/image":
            self.send(200, PNG, "image/png")
        elif path == "/binary-as-html":
            self.send(200, PNG, "text/html")
        elif path == "/cookies":  # 500 Set-Cookie headers: over http.client's 100
            body = page("cookies")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            for i in range(500):
                self.send_header("Set-Cookie", f"c{i}=1")
            self.end_headers()
            self.wfile.write(body)
        elif path == "/long-header":  # one header of 200 KB: over http.client's 64 KiB a line
            self.send(200, page("long header"), X_Long="a" * 200_000)
        elif path == "/long-chunk-line":  # a chunk-size line of 70 KB (a chunk extension)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5;" + b"a" * 70_000 + b"\r\n<p>x\n\r\n0\r\n\r\n")
            self.close_connection = True
        elif path == "/missing":
            self.send(404, b"not here", "text/plain")
        elif path == "/removed":
            self.send(410, b"removed for good", "text/plain")
        elif path == "/feed.xml":
            etag = '"feed-v1"'
            if self.headers.get("If-None-Match") == etag:
                self.send(304, b"", "application/rss+xml", ETag=etag)
            else:
                self.send(200, rss(base, ["/page/f1", "/page/f2", "/page/f3"]), "application/rss+xml",
                          ETag=etag, Last_Modified="Tue, 24 Nov 2026 10:00:00 GMT")
        elif path == "/feed-days.xml":  # newest first, two items a day, and one that nothing dates
            self.send(200, rss(base, ["/page/d24a", "/page/d24b", "/page/d23a", "/page/d23b", "/page/d22a", "/page/d22b",
                                      "/page/undated"],
                               [f"{day} Nov 2026 {hour}:00:00 GMT" for day in ("Tue, 24", "Mon, 23", "Sun, 22")
                                for hour in (18, 9)] + [None]), "application/rss+xml")
        elif path == "/feed-gone.xml":  # a page on the 23rd, a missing one on the 24th
            self.send(200, rss(base, ["/page/g23?pad=400", "/missing"], ["Mon, 23 Nov 2026 09:00:00 GMT", "Tue, 24 Nov 2026 09:00:00 GMT"]),
                      "application/rss+xml")
        elif path == "/lol.xml":
            self.send(200, BILLION_LAUGHS, "application/rss+xml")
        elif path == "/external.xml":
            self.send(200, EXTERNAL_ENTITY, "application/xml")
        elif path == "/broken.xml":
            self.send(200, b"this is not a feed at all", "application/xml")
        elif path == "/sitemap.xml":
            self.send(200, (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>"
                f"<sitemap><loc>{base}/sitemap-more.xml.gz</loc></sitemap></sitemapindex>").encode(), "application/xml")
        elif path == "/sitemap-news.xml":
            self.send(200, (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                f"<url><loc>{base}/page/s1</loc><news:news><news:publication_date>2026-11-24T08:00:00Z"
                "</news:publication_date><news:title>Sitemap one</news:title></news:news></url>"
                f"<url><loc>{base}/page/s2#top</loc></url></urlset>").encode(), "application/xml")
        elif path == "/sitemap-more.xml.gz":
            self.send(200, gzip.compress((
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/page/s3</loc></url></urlset>").encode()), "application/x-gzip")
        elif path == "/sitemap-self.xml":
            self.send(200, (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/sitemap-self.xml?d={int(self.path.partition('d=')[2] or 0) + 1}</loc></sitemap>"
                "</sitemapindex>").encode(), "application/xml")
        else:
            self.send(404, b"no route", "text/plain")


GZIP_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


class Drip:
    """A raw TCP server on 127.0.0.1: to each connection it sends `head`, then `drip` one byte every `interval` seconds
    for `seconds` at most (each byte well within any read timeout, the whole far past the total one), then hangs up."""

    def __init__(self, head: bytes, drip: bytes, *, interval: float = 0.05, seconds: float = 6.0):
        self.head, self.drip, self.interval, self.seconds = head, drip, interval, seconds
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.hung_up: list[float] = []  # seconds each connection lasted
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with conn:
            try:
                conn.recv(65536)  # the request, or a TLS ClientHello
                conn.sendall(self.head)
                for i in range(int(self.seconds / self.interval)):
                    conn.sendall(self.drip[i % len(self.drip):][:1])
                    time.sleep(self.interval)
            except OSError:  # the client hung up
                pass
        self.hung_up.append(time.monotonic() - started)

    def close(self) -> None:
        self.listener.close()


def start() -> FaultServer:
    """A running server on a free port of 127.0.0.1 (call .shutdown() when done)."""
    server = FaultServer()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def start_tls(certfile: str, keyfile: str) -> FaultServer:
    """A running HTTPS server with the given (self-signed) certificate."""
    server = FaultServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server
