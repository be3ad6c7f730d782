"""The options of the fetcher, built once from the CLI or the config and passed to every fetch function."""

from __future__ import annotations

from dataclasses import dataclass, fields

from transforms.errors import NewseventsError

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml",
    "application/x-gzip", "application/gzip", "application/octet-stream", "text/plain", "text/html",
})
DEFAULT_USER_AGENT = "newsevents/0.1 (news event extraction; +https://github.com/newsevents/newsevents)"


@dataclass(frozen=True, kw_only=True)
class FetchOptions:
    """How politely, how far and how safely to fetch."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 5.0  # seconds to open the TCP (and TLS) connection
    read_timeout: float = 15.0  # seconds of silence allowed between two reads
    total_timeout: float = 30.0  # seconds for one attempt, redirects and body included
    max_redirects: int = 5
    max_body_bytes: int = 10 * 1024 * 1024  # bytes on the wire
    max_decoded_bytes: int = 20 * 1024 * 1024  # bytes after gzip/deflate/brotli decoding
    content_types: frozenset[str] = HTML_TYPES  # media types accepted as pages; a missing type is accepted
    workers: int = 16  # threads across all domains
    per_domain_concurrency: int = 2  # requests in flight per origin
    min_delay: float = 1.0  # seconds between two request starts on one origin
    max_crawl_delay: float = 30.0  # a robots.txt Crawl-delay is honoured up to this
    retries: int = 2  # extra tries after a 429, 5xx, timeout or reset
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_retry_after: float = 60.0  # a longer Retry-After gives up instead of waiting
    respect_robots: bool = True
    allow_private: bool = False  # allow hosts on private, loopback, link-local addresses (local use, tests)
    refetch: bool = False  # fetch URLs already in the lake again (and those refused for good)
    retry_refused: bool = False  # fetch URLs the current pipeline version refused for good again (NOT_HTML, NOT_ENGLISH, ...)
    max_pending: int = 1000  # URLs read ahead of the workers; bounds memory on huge inputs

    @property
    def skips_refused(self) -> bool:
        """URLs the current pipeline version refused for good are not fetched again (neither refetch nor retry_refused)."""
        return not (self.refetch or self.retry_refused)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise NewseventsError(f"fetch option {f.name} must not be negative, got {value}")
        for name in ("connect_timeout", "read_timeout", "total_timeout", "max_body_bytes", "max_decoded_bytes",
                     "workers", "per_domain_concurrency", "max_pending"):
            if getattr(self, name) <= 0:
                raise NewseventsError(f"fetch option {name} must be positive, got {getattr(self, name)}")
        if not self.user_agent.strip() or any(c in self.user_agent for c in "\r\n"):
            raise NewseventsError("fetch option user_agent must be one non-empty line")
