"""URL -> RESPONSE: one guarded HTTP GET (redirects re-checked, private addresses refused, every size and time capped).

Why urllib3 (rather than httpx or http.client): it lets us connect to an IP address we resolved and
checked ourselves while the host name still goes into the Host header, TLS SNI and the certificate
check (`server_hostname`/`assert_hostname`), so a DNS answer that changes between the check and the
connect (DNS rebinding) cannot reach a private address. It streams bodies with `read1`, so size and decoded
size are enforced while reading (total time by a Watch that hangs the connection up at the deadline, as
urllib3's timeouts count per read); its PoolManager keeps keep-alive connections per
origin, thread-safe and LRU-bounded; and with `retries=False, redirect=False` it neither retries nor
redirects behind our back. httpx hides the connect step inside httpcore; http.client would need
pooling and TLS by hand.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPException, LineTooLong
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from transforms.errors import Reason
from transforms.fetch_decode import BadEncoding, BoundedDecoder, DecodedTooLarge
from transforms.fetch_options import FetchOptions
from transforms.urls import ascii_host, canonical_url, resolved, url_problem

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
MAX_POOLS = 200
DNS_TTL = 60.0  # seconds a lookup is reused; connections still go to the address that was checked
MAX_DNS_ENTRIES = 10_000
MAX_ADDRESSES = 4  # addresses of one host tried in turn when a connect fails
CARRIES_IPV4 = tuple(ipaddress.IPv6Network(n) for n in (
    "::/96",  # IPv4-compatible (deprecated), :: and ::1 included: 0.0.0.0 and 0.0.0.1 are not public either
    "::ffff:0:0:0/96",  # SIIT IPv4-translated
    "64:ff9b::/96",  # NAT64 well-known prefix
))
NEVER_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "64:ff9b:1::/48",  # NAT64 local-use prefix (RFC 8215)
    "fec0::/10",  # site-local, deprecated but still routed inside some sites
    "192.0.0.0/24",  # IETF protocol assignments (192.0.0.8 is the IPv4 dummy address); no web site lives there
))
BAD_PORTS = frozenset({  # the WHATWG Fetch standard's "bad ports": mail, shell, file, chat and other services a
    # browser never sends HTTP to, so a hostile feed or redirect cannot make the fetcher talk to them
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
    111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
    540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
    6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
})


@dataclass(frozen=True, kw_only=True)
class Response:
    """What one attempt at a URL gave: a body, or an error with its reason code."""

    url: str
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None  # the Content-Type header, parameters included
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None  # seconds the server asked us to wait
    body: bytes | None = None  # decoded of its Content-Encoding
    truncated: bool = False  # the body was cut at the size cap, as `Client.get(cut=True)` asks
    redirects: int = 0
    error: Reason | None = None
    detail: str | None = None
    retryable: bool = False
    elapsed_ms: int = 0

    @property
    def media_type(self) -> str | None:
        """The media type without parameters, lower case."""
        return media_type(self.content_type)


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    """One request as it goes to each of the host's addresses in turn."""

    port: int
    scheme: str
    path: str
    headers: dict[str, str]
    pool_kw: dict[str, str]


class Refused(Exception):
    """A URL, address or response the client gives up on, with its reason code."""

    def __init__(self, reason: Reason, detail: str, *, retryable: bool = False):
        super().__init__(detail)
        self.reason, self.detail, self.retryable = reason, detail, retryable


def retryable_status(status: int | None) -> bool:
    """An HTTP status that may pass on another try: 429 Too Many Requests or a server error."""
    return status is not None and (status == 429 or status >= 500)


def media_type(content_type: str | None) -> str | None:
    """`text/html; charset=x` -> `text/html`; None for a missing or empty header."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime or None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, IPv4-compatible, SIIT, NAT64 64:ff9b::/96, 6to4), or None."""
    if ip.ipv4_mapped is not None or ip.sixtofour is not None:
        return ip.ipv4_mapped or ip.sixtofour
    if any(ip in network for network in CARRIES_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def is_public(address: str) -> bool:
    """True when the address is globally routable unicast (not private, loopback, link-local, multicast, reserved);
    an IPv6 address that carries an IPv4 one is judged by the IPv4 address, which is where a translator sends it."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast and not any(ip in network for network in NEVER_PUBLIC)


def header_number(value: str | None) -> float | None:
    """A header's whole number (ASCII digits only: `"²".isdigit()` is True yet float() refuses it); inf when huge, None when not one."""
    value = (value or "").strip()
    return float(value) if value.isascii() and value.isdigit() else None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    seconds = header_number(value)
    if seconds is not None:
        return seconds
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


class Watch:
    """Hangs up a request's connection when its total time runs out: urllib3's timeouts count per read, so a server
    sending a header or trailer byte a second would hold a worker for ever. Used as `with Watch(deadline):` around one
    request; the connections of this thread's requests enrol their sockets (see WatchedConnection)."""

    current = threading.local()  # .watch: the Watch of the request this thread is making

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self.expire)
        self._timer.daemon = True

    @property
    def ran_out(self) -> bool:
        """True once the deadline has passed (the sockets are then hung up, and reads end early)."""
        return self.expired or time.monotonic() >= self.deadline

    def __enter__(self) -> Watch:
        Watch.current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disarm: no hang-up after this returns."""
        self._timer.cancel()
        Watch.current.watch = None
        with self._lock:
            for dup in self._sockets:
                dup.close()
            self._sockets.clear()

    def enrol(self, sock: socket.socket) -> None:
        """Watch a socket through a duplicate descriptor of its own, so a late hang-up can never hit a reused number."""
        dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._sockets.append(dup)
            if self.expired:
                hang_up(dup)

    def expire(self) -> None:
        """The deadline: shut every enrolled connection down, which ends any read blocked on it."""
        with self._lock:
            self.expired = True
            for dup in self._sockets:
                hang_up(dup)


def hang_up(sock: socket.socket) -> None:
    """Shut a connection down both ways; one already gone is fine."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class WatchedConnection:
    """Enrols the connection's socket with the thread's Watch before the response headers are read."""

    sock: socket.socket

    def getresponse(self):
        """urllib3's getresponse, with the socket watched."""
        watch = getattr(Watch.current, "watch", None)
        if watch is not None:
            watch.enrol(self.sock)
        return super().getresponse()  # type: ignore[misc]


class WatchedHTTPConnection(WatchedConnection, urllib3.connection.HTTPConnection):
    """A plain HTTP connection a Watch can hang up."""


class WatchedHTTPSConnection(WatchedConnection, urllib3.connection.HTTPSConnection):
    """A TLS connection a Watch can hang up (the handshake is bounded by the connect timeout as a whole)."""


class WatchedHTTPPool(urllib3.HTTPConnectionPool):
    """A pool of watched HTTP connections."""

    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    """A pool of watched TLS connections."""

    ConnectionCls = WatchedHTTPSConnection


class Client:
    """A thread-safe HTTP client that applies FetchOptions to every request and redirect."""

    def __init__(self, options: FetchOptions):
        self.options = options
        self._resolver = ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="dns")
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._dns_lock = threading.Lock()
        self.pools = urllib3.PoolManager(num_pools=MAX_POOLS, maxsize=max(1, options.per_domain_concurrency),
                                         block=False, retries=False)
        self.pools.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}
        self.abandoned = threading.Event()  # set by abandon(): the run is stopping
        self._watches: set[Watch] = set()  # those of the requests in flight
        self._watches_lock = threading.Lock()

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to try, in resolver order; refuses hosts with any non-public address unless allow_private."""
        addresses = self.lookup(host, port)
        if not self.options.allow_private:
            private = [a for a in addresses if not is_public(a)]
            if private:
                raise Refused(Reason.PRIVATE_ADDRESS, f"{host} resolves to non-public address {private[0]}")
        return addresses[:MAX_ADDRESSES]

    def lookup(self, host: str, port: int) -> list[str]:
        """The host's addresses from the system resolver, within the connect timeout, cached for DNS_TTL seconds."""
        key = (host, port)
        with self._dns_lock:
            cached = self._dns.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = self._resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(
                timeout=self.options.connect_timeout)
        except TimeoutError as e:
            raise Refused(Reason.FETCH_TIMEOUT, f"DNS lookup of {host} took over {self.options.connect_timeout} s",
                          retryable=True) from e
        except (socket.gaierror, UnicodeError) as e:
            raise Refused(Reason.FETCH_CONNECTION, f"cannot resolve {host}: {e}") from e
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise Refused(Reason.FETCH_CONNECTION, f"{host} has no address")
        with self._dns_lock:
            if len(self._dns) >= MAX_DNS_ENTRIES:
                self._dns.clear()
            self._dns[key] = (time.monotonic() + DNS_TTL, addresses)
        return addresses

    def get(
        self,
        url: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        content_types: frozenset[str] | None = None,
        max_body_bytes: int | None = None,
        cut: bool = False,
        permit: Callable[[str], str | None] | None = None,
        keep_alive: bool = True,
    ) -> Response:
        """GET the URL following redirects; `permit(url)` may veto a redirect target (robots.txt); with `cut` a body
        over max_body_bytes (on the wire or decoded) is cut there, not refused; without `keep_alive` each connection is
        closed after its response, not kept for another request. Never raises for the web's faults."""
        started = time.monotonic()
        deadline = started + self.options.total_timeout
        current, redirects, seen = url, 0, {url}
        last: Response | None = None

        def done(**fields) -> Response:
            elapsed = int((time.monotonic() - started) * 1000)
            base: dict[str, Any] = {"url": url, "redirects": redirects, "elapsed_ms": elapsed}
            if last is not None:
                base |= {"final_url": last.final_url, "status": last.status, "content_type": last.content_type,
                         "etag": last.etag, "last_modified": last.last_modified, "retry_after": last.retry_after}
            return Response(**(base | fields))

        while True:
            if redirects:
                problem = url_problem(current) or foreign_port(current)
                if problem:
                    return done(error=Reason.BAD_URL, detail=f"redirect to {current[:200]}: {problem}")
                veto = permit(current) if permit else None
                if veto:
                    return done(error=Reason.ROBOTS_DISALLOWED, detail=f"redirect to {current}: {veto}")
            elif problem := foreign_port(current):
                return done(error=Reason.BAD_URL, detail=problem)
            try:
                last, location = self._request(current, headers, content_types, max_body_bytes, cut, deadline, keep_alive)
            except Refused as e:
                return done(error=e.reason, detail=e.detail, retryable=e.retryable)
            if location is None:
                return done(**{k: getattr(last, k) for k in ("body", "truncated", "error", "detail", "retryable")})
            target = resolved(current, location.strip())
            if not url_problem(target):
                target = canonical_url(target)
            redirects += 1
            if target in seen:
                return done(error=Reason.FETCH_REDIRECTS, detail=f"redirect loop back to {target}")
            if redirects > self.options.max_redirects:
                return done(error=Reason.FETCH_REDIRECTS, detail=f"more than {self.options.max_redirects} redirects")
            seen.add(target)
            current = target

    def _request(self, url: str, headers: Iterable[tuple[str, str]], content_types: frozenset[str] | None,
                 max_body_bytes: int | None, cut: bool, deadline: float, keep_alive: bool) -> tuple[Response, str | None]:
        """One request to one URL: the response, and the Location to follow when it is a redirect."""
        parts = urlsplit(url)
        host = ascii_host(parts.hostname or "")
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        addresses = self.resolve(host, port)
        host_header = (f"[{host}]" if ":" in host else host) + ("" if parts.port in (None, 80 if scheme == "http" else 443) else f":{port}")
        request_headers = {"Host": host_header, "User-Agent": self.options.user_agent,
                           "Accept-Encoding": "gzip, deflate, br", "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
                           **({} if keep_alive else {"Connection": "close"}), **dict(headers)}
        pool_kw = {"server_hostname": host, "assert_hostname": host} if scheme == "https" else {}
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        outgoing = Outgoing(port=port, scheme=scheme, path=path, headers=request_headers, pool_kw=pool_kw)
        with self.watch(deadline) as watch:
            resp = self._open(addresses, outgoing, watch)
            connection = resp.connection  # reading the whole body hands it back to the pool
            try:
                return self._response(url, resp, content_types, max_body_bytes, cut, watch)
            finally:
                watch.close()  # before the connection goes back to the pool and may serve another request
                if not keep_alive and connection is not None:
                    connection.close()  # the pool keeps it closed, to open again if ever asked
                resp.release_conn()

    @contextlib.contextmanager
    def watch(self, deadline: float) -> Iterator[Watch]:
        """The Watch of one request, which abandon() can hang up too; a request is refused once the client is abandoned."""
        watch = Watch(deadline)
        with self._watches_lock:
            if self.abandoned.is_set():
                raise Refused(Reason.FETCH_CONNECTION, "not sent: the run is stopping")
            self._watches.add(watch)
        try:
            with watch:
                yield watch
        finally:
            with self._watches_lock:
                self._watches.discard(watch)

    def abandon(self) -> None:
        """Give up at once on every request in flight (their connections are hung up, so their reads end) and refuse new
        ones: a run that is told to stop does not wait for a server that does not answer."""
        with self._watches_lock:
            self.abandoned.set()
            watches = list(self._watches)
        for watch in watches:
            watch.expire()

    def _open(self, addresses: list[str], outgoing: Outgoing, watch: Watch) -> BaseHTTPResponse:
        """The response, headers read, from the host's first address that takes the connection."""
        *others, last = addresses
        for address in others:
            try:
                return self._send(address, outgoing, watch)
            except Refused as e:
                if not isinstance(e.__cause__, ConnectTimeoutError):  # refused, unreachable or slow (NewConnectionError is
                    raise  # one too): the next address may answer
        return self._send(last, outgoing, watch)

    def _send(self, address: str, outgoing: Outgoing, watch: Watch) -> BaseHTTPResponse:
        """GET the path from one address; the response with its headers read."""
        remaining = watch.deadline - time.monotonic()
        if remaining <= 0:
            raise Refused(Reason.FETCH_TIMEOUT, f"total time of {self.options.total_timeout} s ran out", retryable=True)
        timeout = urllib3.Timeout(connect=min(self.options.connect_timeout, remaining),
                                  read=min(self.options.read_timeout, remaining))
        pool = self.pools.connection_from_host(address, outgoing.port, outgoing.scheme, pool_kwargs=outgoing.pool_kw)
        try:
            return pool.urlopen("GET", outgoing.path, headers=outgoing.headers, timeout=timeout, retries=False,
                                redirect=False, preload_content=False, decode_content=False, assert_same_host=False)
        except (HTTPError, OSError) as e:
            if watch.ran_out:
                raise Refused(Reason.FETCH_TIMEOUT, f"no whole response within {self.options.total_timeout} s",
                              retryable=True) from e
            raise refusal(e, address, timeout) from e

    def _response(self, url: str, resp, content_types: frozenset[str] | None, max_body_bytes: int | None, cut: bool,
                  watch: Watch) -> tuple[Response, str | None]:
        """Interpret the status and headers, then stream the body within the caps."""
        h = resp.headers
        meta = {"url": url, "final_url": url, "status": resp.status, "content_type": h.get("Content-Type"),
                "etag": h.get("ETag"), "last_modified": h.get("Last-Modified"),
                "retry_after": parse_retry_after(h.get("Retry-After"))}

        def fail(reason: Reason, detail: str, retryable: bool = False, body: bytes | None = None) -> tuple[Response, None]:
            resp.close()  # never drain what we refuse to read: the body may be endless
            return Response(**meta, error=reason, detail=detail, retryable=retryable, body=body), None

        if watch.ran_out:  # the hang-up cut the headers short
            return fail(Reason.FETCH_TIMEOUT, f"headers still arriving after {self.options.total_timeout} s", retryable=True)
        if resp.status in REDIRECT_STATUSES:
            resp.close()
            location = h.get("Location")
            if not location:
                return fail(Reason.FETCH_STATUS, f"HTTP {resp.status} without a Location header")
            return Response(**meta), location
        if resp.status == 304:
            resp.close()
            return Response(**meta), None
        if retryable_status(resp.status):
            return fail(Reason.FETCH_STATUS, f"HTTP {resp.status}", retryable=True)
        if resp.status == 410:
            return fail(Reason.GONE, "HTTP 410 Gone")
        if not 200 <= resp.status < 300:
            return fail(Reason.FETCH_STATUS, f"HTTP {resp.status}")
        mime = media_type(meta["content_type"])
        if content_types is not None and mime is not None and mime not in content_types:
            return fail(Reason.NOT_HTML, f"content type {mime[:80]} is not accepted")
        cap = self.options.max_body_bytes if max_body_bytes is None else max_body_bytes
        declared = header_number(h.get("Content-Length"))
        if declared is not None and declared > cap and not cut:
            return fail(Reason.TOO_LARGE, f"Content-Length {h['Content-Length'].strip()[:40]} is over the cap of {cap} bytes")
        try:
            decoder = BoundedDecoder(h.get("Content-Encoding"), cap if cut else min(self.options.max_decoded_bytes, 2 * cap), cut=cut)
        except BadEncoding as e:
            return fail(Reason.UNDECODABLE, str(e))
        try:
            body, truncated = self._read_body(resp, decoder, cap, watch)
        except Refused as e:
            return fail(e.reason, e.detail, e.retryable)
        if truncated:
            resp.close()  # the rest is not wanted
        return Response(**meta, body=body, truncated=truncated), None

    def _read_body(self, resp, decoder: BoundedDecoder, cap: int, watch: Watch) -> tuple[bytes, bool]:
        """The decoded body, and whether the decoder's `cut` cut it at the cap; raises Refused for what ends it otherwise."""
        late = Refused(Reason.FETCH_TIMEOUT, f"body still arriving after {self.options.total_timeout} s", retryable=True)
        parts: list[bytes] = []
        wire = 0
        try:
            while not watch.ran_out:
                chunk = resp.read1(CHUNK, decode_content=False)
                if not chunk:
                    break
                wire += len(chunk)
                if wire > cap and not decoder.cut:
                    raise Refused(Reason.TOO_LARGE, f"body is over the cap of {cap} bytes")
                parts.append(decoder.feed(chunk))
                if decoder.full or wire > cap:
                    return b"".join(parts), True
        except DecodedTooLarge as e:
            raise Refused(Reason.TOO_LARGE, str(e)) from e
        except BadEncoding as e:
            raise Refused(Reason.UNDECODABLE, str(e)) from e
        except (HTTPError, OSError) as e:
            if watch.ran_out:
                raise late from e
            if isinstance(e, ReadTimeoutError):
                raise Refused(Reason.FETCH_TIMEOUT, f"no data for {self.options.read_timeout} s while reading the body",
                              retryable=True) from e
            if (limit := over_limit(e)) is not None:
                raise Refused(Reason.TOO_LARGE, f"chunk framing over the limit: {limit}") from e
            raise Refused(Reason.FETCH_CONNECTION, f"connection broke while reading the body: {short(e)}", retryable=True) from e
        if watch.ran_out:  # the deadline passed, or its hang-up ended the body (or its trailers) early
            raise late
        return b"".join(parts), False

    def close(self) -> None:
        """Close every pooled connection and the resolver threads."""
        self.pools.clear()
        self._resolver.shutdown(wait=False, cancel_futures=True)


def foreign_port(url: str) -> str | None:
    """Why the URL's port is not one to send HTTP to (a "bad port" of the Fetch standard), or None."""
    port = urlsplit(url).port
    return f"port {port} serves another protocol than the web (browsers refuse it too)" if port in BAD_PORTS else None


def over_limit(error: HTTPError | OSError) -> str | None:
    """What http.client found over its limits (100 headers, 64 KiB a header, status or chunk-size line), or None;
    urllib3 wraps its error as ProtocolError(message, error), and the header count has only its message to tell it."""
    cause = next((a for a in error.args if isinstance(a, HTTPException)), None)
    if isinstance(cause, LineTooLong) or (cause is not None and str(cause).startswith("got more than")):
        return str(cause)
    return None


def refusal(error: HTTPError | OSError, address: str, timeout: urllib3.Timeout) -> Refused:
    """The reason code and detail for an error opening a connection or reading the response headers."""
    if (limit := over_limit(error)) is not None:  # the same answer on every try
        return Refused(Reason.TOO_LARGE, f"response headers over the limit: {limit}")
    if isinstance(error, NewConnectionError):  # refused or unreachable (a subclass of ConnectTimeoutError)
        return Refused(Reason.FETCH_CONNECTION, f"connection failed: {short(error)}", retryable=True)
    if isinstance(error, ConnectTimeoutError):
        return Refused(Reason.FETCH_TIMEOUT, f"timed out connecting to {address}", retryable=True)
    if isinstance(error, ReadTimeoutError):
        return Refused(Reason.FETCH_TIMEOUT, f"no response within {timeout.read_timeout} s", retryable=True)
    if isinstance(error, SSLError):
        return Refused(Reason.FETCH_CONNECTION, f"TLS failed: {error}")
    return Refused(Reason.FETCH_CONNECTION, f"connection failed: {short(error)}", retryable=True)


def short(error: BaseException) -> str:
    """A one-line description of an exception, at most 200 characters."""
    return " ".join(f"{type(error).__name__}: {error}".split())[:200]
