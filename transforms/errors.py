"""Named errors: per-record rejections (quarantine reason codes) and per-run failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from transforms.ids import sha256_hex, stable_id


class Reason(StrEnum):
    """The closed set of quarantine reason codes; `SELECT reason, count(*) FROM quarantine` is a run report."""

    description: str

    def __new__(cls, code: str, description: str) -> Reason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.description = description
        return member

    UNREADABLE = ("UNREADABLE", "The file could not be opened or read.")
    UNSUPPORTED_TYPE = ("UNSUPPORTED_TYPE", "A file kind newsevents does not read.")
    BINARY = ("BINARY", "Bytes that are not text (NUL bytes, control characters).")
    EMPTY = ("EMPTY", "An input with no bytes or only white space.")
    TOO_LARGE = ("TOO_LARGE", "Over the size cap (file, body, response headers, JSONL line, decoded stream).")
    UNDECODABLE = ("UNDECODABLE", "No charset decodes the bytes to sensible text.")
    JSONL_MALFORMED = ("JSONL_MALFORMED", "A JSONL line that is not a JSON object.")
    JSONL_NO_TEXT = ("JSONL_NO_TEXT", "A JSONL record with neither text nor html.")
    BAD_FIELD = ("BAD_FIELD", "A record field of the wrong type or form (a date that is no date, a publication date in the future).")
    EXTRACT_EMPTY = ("EXTRACT_EMPTY", "The cleaner found no main text.")
    EXTRACT_FAILED = ("EXTRACT_FAILED", "The extractor raised or ran out of time on the page.")
    NOT_ENGLISH = ("NOT_ENGLISH", "The text is in another language.")
    BAD_URL = ("BAD_URL", "Not an http(s) URL, or credentials in it.")
    PRIVATE_ADDRESS = ("PRIVATE_ADDRESS", "The host resolves to a private, loopback, link-local or multicast address.")
    ROBOTS_DISALLOWED = ("ROBOTS_DISALLOWED", "Robots.txt forbids the URL.")
    FETCH_TIMEOUT = ("FETCH_TIMEOUT", "Connect, read or total time ran out.")
    FETCH_CONNECTION = ("FETCH_CONNECTION", "DNS failure, refused or reset connection.")
    FETCH_STATUS = ("FETCH_STATUS", "An HTTP status that is not success (a 404 too: feeds list pages before they are live).")
    GONE = ("GONE", "HTTP 410 Gone: the site says the page was removed for good.")
    FETCH_REDIRECTS = ("FETCH_REDIRECTS", "Too many redirects or a redirect loop.")
    NOT_HTML = ("NOT_HTML", "A content type that is not a web page.")
    FEED_MALFORMED = ("FEED_MALFORMED", "A feed or sitemap that does not parse.")
    WARC_MALFORMED = ("WARC_MALFORMED", "A WARC record or file that does not parse.")
    NLP_FAILED = ("NLP_FAILED", "The NLP stage raised on this article.")
    SAME_ARTICLE = ("SAME_ARTICLE", "Another input of the run is the same article (same canonical URL) with other bytes; the first is kept.")


# Refusals that a later run would repeat, the page being the same and the pipeline version too: a URL refused with one
# is not fetched again (`--retry-refused`), nor is one the site answered 410 Gone. The web's passing faults (time-outs,
# resets, other HTTP statuses: a feed may list a page before it is live, so a 404 is tried again), robots.txt and
# address checks (no request for the page; their owners may change them) and BAD_URL (never fetched) are tried again
# by every run.
PERMANENT = frozenset({Reason.NOT_HTML, Reason.TOO_LARGE, Reason.BINARY, Reason.UNDECODABLE, Reason.EXTRACT_EMPTY,
                       Reason.EXTRACT_FAILED, Reason.NOT_ENGLISH, Reason.NLP_FAILED, Reason.GONE})


class NewseventsError(Exception):
    """A per-run failure: our fault or the infrastructure's; the run stops with this message."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (the last of a Python traceback that a message carries, as DuckDB's do for
    an fsspec file system's errors); its type's name when it has none."""
    lines = [line.strip() for line in str(error).split("\nLINE ")[0].splitlines() if line.strip()]  # not DuckDB's pointer into the query
    if "Traceback (most recent call last):" in lines:
        return lines[-1]
    return lines[0] if lines else type(error).__name__


class Terminated(BaseException):
    """The command was sent SIGTERM (by `kill`, a scheduler or a container stopping): it unwinds as on Ctrl-C."""


class TransientError(NewseventsError):
    """A failure worth retrying (network, a busy lock)."""


class TerminalError(NewseventsError):
    """A failure that retrying will not mend."""


@dataclass(frozen=True, kw_only=True)
class Rejection:
    """One input or record that a stage could not use."""

    stage: str
    reason: Reason
    detail: str
    url: str | None = None
    payload: bytes | None = None

    def to_row(self, run_id: str, at: datetime | None = None, *, pipeline_version: str | None = None) -> dict:
        """The quarantine row for this rejection (a refusal for good by another pipeline version is another row)."""
        payload_sha = sha256_hex(self.payload) if self.payload is not None else None
        key = (self.stage, self.reason, self.url or "", payload_sha or self.detail)
        return {
            "quarantine_id": stable_id(*key, pipeline_version) if self.reason in PERMANENT else stable_id(*key),
            "stage": self.stage,
            "reason": str(self.reason),
            "url": self.url,
            "detail": self.detail,
            "payload_sha256": payload_sha,
            "at": at or datetime.now(UTC),
            "run_id": run_id,
            "pipeline_version": pipeline_version,
        }

    def __str__(self) -> str:
        return f"{self.reason} {self.url or ''}: {self.detail}"
