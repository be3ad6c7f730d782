"""URLS -> CANONICAL URLS: one spelling per page (no tracking parameters, no fragment) and the checks a URL must pass."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from tld import get_fld

SCHEMES = ("http", "https")
MAX_URL_CHARS = 2048
NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")  # what inet_aton may read as an IPv4 address (hex, octal, fewer parts)
HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")  # labels of letters, digits, "-" and "_", in ASCII


def url_problem(url: str) -> str | None:
    """Why the URL cannot be fetched (not http(s), no host, credentials, bad port), or None when it can."""
    if len(url) > MAX_URL_CHARS:
        return f"URL is over {MAX_URL_CHARS} characters"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        return f"URL does not parse: {e}"
    if parts.scheme.lower() not in SCHEMES:
        return f"scheme {parts.scheme or '(none)'!r} is not http or https"
    if not parts.hostname:
        return "URL has no host"
    if parts.username is not None or parts.password is not None:
        return "URL carries credentials"
    if port == 0:
        return "port 0 is not a port"
    try:
        ascii_host(parts.hostname)
    except UnicodeError:
        return f"host {parts.hostname[:100]!r} is not a valid domain name"
    return None


def resolved(base: str, link: str) -> str:
    """The link resolved against the URL it was found at; as given when it does not parse (url_problem then says why)."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def ascii_host(host: str) -> str:
    """The host in ASCII (IDNA for international names), lower case."""
    return host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()


def site(url: str) -> str | None:
    """The site of a URL: its registrable domain, else its host without "www."; None when it has no valid host name."""
    # The public suffix list is the copy bundled with tld (courlan's dependency, offline): "news.bbc.co.uk" -> "bbc.co.uk",
    # "a.github.io" stays. Without a listed suffix (an IP address, .example, .local) only the same host is the same site.
    if url_problem(url):
        return None
    host = ascii_host(urlsplit(url.strip()).hostname or "").rstrip(".")
    if (address := ip_address_text(host)) is not None:
        return address
    if not HOST_NAME.fullmatch(host):
        return None
    return get_fld(host, fix_protocol=True, fail_silently=True) or host.removeprefix("www.")


def ip_address_text(host: str) -> str | None:
    """The IPv4 or IPv6 address a host is (as urlsplit gives it: no brackets), in its short form; None for a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def same_site(url: str, other: str) -> bool:
    """True when both URLs have a valid host on the same site (registrable domain or, without one, host)."""
    ours = site(url)
    return ours is not None and ours == site(other)


def canonical_url(url: str) -> str:
    """The URL normalised by courlan (case, default port, sorted query, tracking parameters dropped) without its fragment."""
    normal = normalize_url(url.strip())
    parts = urlsplit(normal)
    return urlunsplit((parts.scheme, parts.netloc, remove_dot_segments(parts.path) or "/", parts.query, ""))


def remove_dot_segments(path: str) -> str:
    """The path with its "." and ".." segments (also as %2e) resolved as RFC 3986 5.2.4 does: what a server serves, and what robots.txt must judge."""
    segments = path.split("/")
    kept: list[str] = []
    for i, segment in enumerate(segments):
        dots = segment.lower().replace("%2e", ".")
        if dots in (".", ".."):
            if dots == ".." and len(kept) > 1:
                kept.pop()
            if i == len(segments) - 1:
                kept.append("")  # "/a/b/.." is the folder "/a/"
            continue
        kept.append(segment)
    return "/".join(kept)


def host_key(url: str) -> str:
    """The host a URL's rate limits count against, one spelling per host: lower case, IDNA, no trailing dot, and an
    IP address as the resolver reads it (127.1, 2130706433 and 0x7f.0.0.1 are all 127.0.0.1; [0:0::1] is ::1)."""
    host = ascii_host((urlsplit(url).hostname or "").rstrip("."))
    if (address := ip_address_text(host)) is not None:
        return address
    if NUMERIC_HOST.fullmatch(host):
        with contextlib.suppress(OSError):
            return socket.inet_ntoa(socket.inet_aton(host))  # the forms getaddrinfo takes for an IPv4 address
    return host


def origin(url: str) -> str:
    """scheme://host[:port] of the URL, the host spelt as `host_key` spells it: the unit robots.txt applies to."""
    parts = urlsplit(url)
    host = host_key(url)
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    return f"{parts.scheme}://{host}" + ("" if port == default else f":{port}")
