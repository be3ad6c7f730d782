"""SOURCES -> TARGETS: article URLs from RSS/Atom feeds (conditional GET), news sitemaps and URL lists.

Hostile XML is refused before any parser sees it: a document that declares entities (billion
laughs, external entities) in its bytes, or once decoded as feedparser decodes it (UTF-7, EBCDIC),
is FEED_MALFORMED; sitemaps are parsed with defusedxml, feeds with feedparser only after that check. Sitemap indexes are followed breadth-first to `max_depth`
levels and at most `max_sitemaps` sitemaps per run.
"""

from __future__ import annotations

import calendar
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from feedparser.encodings import convert_to_utf8

from transforms.errors import Reason, Rejection
from transforms.fetch import STAGE, Fetched, Target, fetch
from transforms.fetch_http import retryable_status
from transforms.fetch_options import FEED_TYPES, FetchOptions
from transforms.rawstore import RawStore
from transforms.read import RawDocument, parse_datetime
from transforms.robots import RobotsCache
from transforms.sources import Source
from transforms.urls import canonical_url, url_problem

ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_SITEMAPS = 50
MAX_DEPTH = 2
TRANSIENT_ERRORS = frozenset({str(Reason.FETCH_TIMEOUT), str(Reason.FETCH_CONNECTION)})  # besides a retryable status


@dataclass(kw_only=True)
class Discovery:
    """What the sources gave: article targets, and the feed/sitemap fetches (rows to write, rejections to quarantine)."""

    targets: list[Target] = field(default_factory=list)
    fetched: list[Fetched] = field(default_factory=list)
    undated: int = 0  # with a window: the targets left out because nothing dates them


def discover(
    sources: Iterable[Source],
    *,
    options: FetchOptions,
    store: RawStore | None = None,
    state: FeedState | None = None,
    max_sitemaps: int = MAX_SITEMAPS,
    max_depth: int = MAX_DEPTH,
    robots: RobotsCache | None = None,
    window: tuple[date, date] | None = None,
) -> Discovery:
    """Article targets of every source in source order (with a window, only those dated within it), each source's
    capped at its max_articles; the feeds' new validators are offered to `state` (conditional GET), which the caller
    saves once the articles are published."""
    sources = list(sources)
    found = Discovery()
    per_source: dict[str, list[Target]] = {s.name: [] for s in sources}
    xml_options = replace(options, content_types=FEED_TYPES, refetch=True,
                          max_body_bytes=max(options.max_body_bytes, MAX_FEED_BYTES),
                          max_decoded_bytes=max(options.max_decoded_bytes, 2 * MAX_FEED_BYTES))

    def fetch_in_order(targets: list[Target]) -> list[Fetched]:
        done = {f.url: f for f in fetch(targets, options=xml_options, store=store, robots=robots)}
        return [done[t.url] for t in targets if t.url in done]

    state = state or FeedState()
    feeds = {canonical_url(u): s for s in sources if s.kind == "feed" for u in s.urls}
    for done in fetch_in_order([state.target(u, s.name) for u, s in feeds.items()]):
        document, rejection = split(done)
        last = done.rows[-1] if done.rows else None
        if rejection is None and last is not None and last["status"] == 200 and (last["etag"] or last["last_modified"]):
            state.offer(done.url, feeds[done.url].name, {k: last[k] for k in ("etag", "last_modified") if last[k]})
        if document is not None:
            targets = feed_targets(document, feeds[done.url].name)
            if isinstance(targets, Rejection):
                rejection, targets = targets, []
            per_source[feeds[done.url].name].extend(targets)
        found.fetched.append(replace(done, result=rejection))

    sitemaps = {canonical_url(u): s for s in sources if s.kind == "sitemap" for u in s.urls}
    seen, depth, budget = set(sitemaps), 0, max_sitemaps - len(sitemaps)
    while sitemaps:
        children: dict[str, Source] = {}
        for done in fetch_in_order([Target(url=u, source_name=s.name) for u, s in sitemaps.items()]):
            source = sitemaps[done.url]
            document, rejection = split(done)
            parsed = sitemap_entries(document, source.name) if document is not None else ([], [])
            if isinstance(parsed, Rejection):
                rejection, parsed = parsed, ([], [])
            targets, nested = parsed
            per_source[source.name].extend(targets)
            fresh = [u for u in nested if u not in seen]
            allowed = fresh[:max(budget, 0)] if depth < max_depth else []
            if len(allowed) < len(fresh):
                rejection = Rejection(stage=STAGE, reason=Reason.TOO_LARGE, url=done.url, detail=(
                    f"{len(fresh) - len(allowed)} nested sitemaps skipped (limits: {max_depth} levels, "
                    f"{max_sitemaps} sitemaps per run)"))
            budget -= len(allowed)
            seen.update(allowed)
            children.update(dict.fromkeys(allowed, source))
            found.fetched.append(replace(done, result=rejection))
        sitemaps, depth = children, depth + 1

    for source in sources:
        if source.kind == "urls":
            per_source[source.name] = [Target(url=u, source_name=source.name) for u in source.urls]
        targets = per_source[source.name]
        if window:
            found.undated += sum(t.published_at is None for t in targets)
            targets = [t for t in targets if t.published_at and window[0] <= t.published_at.date() <= window[1]]
        found.targets.extend(targets[: source.max_articles])
    return found


def split(done: Fetched) -> tuple[RawDocument | None, Rejection | None]:
    """The document or the rejection of a fetch (both None for 304 Not Modified)."""
    if isinstance(done.result, RawDocument):
        return done.result, None
    return None, done.result


def unsafe_xml(raw: bytes, url: str, *, decoded: bytes = b"", encoding: str = "") -> Rejection | None:
    """A rejection for XML that declares entities (entity expansion, external entities) in its bytes, in them without
    their NULs (UTF-16/32) or in `decoded`, the UTF-8 a parser makes of them from `encoding` (UTF-7, EBCDIC); else None."""
    if ENTITY_DECLARATION.search(raw) or ENTITY_DECLARATION.search(raw.replace(b"\x00", b"")):
        how = ""
    elif ENTITY_DECLARATION.search(decoded):
        how = f" once decoded from {encoding[:40]}"
    else:
        return None
    return Rejection(stage=STAGE, reason=Reason.FEED_MALFORMED, url=url, payload=raw,
                     detail=f"XML declares entities{how} (possible entity expansion or external entity attack); refused")


def as_feedparser_reads(raw: bytes) -> tuple[bytes, str]:
    """The feed in UTF-8 as feedparser decodes it (declared encoding, byte order mark, EBCDIC marker), and that encoding."""
    found: dict = {}
    return convert_to_utf8({}, raw, found), found.get("encoding") or "an unknown encoding"


def feed_targets(document: RawDocument, source_name: str) -> list[Target] | Rejection:
    """The article links of an RSS/Atom feed, in feed order, with their titles and dates."""
    def malformed(problem: object) -> Rejection:
        return Rejection(stage=STAGE, reason=Reason.FEED_MALFORMED, url=document.location, payload=document.raw,
                         detail=f"not an RSS or Atom feed: {' '.join(str(problem).split())[:200]}")

    readable, encoding = as_feedparser_reads(document.raw)
    if rejection := unsafe_xml(document.raw, document.location, decoded=readable, encoding=encoding):
        return rejection
    try:  # the UTF-8 just checked, which feedparser reads as it is; a stream, never bytes: feedparser opens bytes
        # that name a path as a local file ("/etc/passwd", "/dev/zero")
        parsed = feedparser.parse(io.BytesIO(readable), resolve_relative_uris=False, sanitize_html=False)
    except Exception as e:  # feedparser's loose parser raises on what it meets (&#xdfff;: UnicodeEncodeError)
        return malformed(f"the feed parser failed: {type(e).__name__}: {e}")
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        return malformed(parsed.get("bozo_exception") or "no feed entries")
    targets = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        # dict.get reads the entry's own key: feedparser's lookup of a missing updated_parsed falls back to
        # published_parsed (already tried) with a DeprecationWarning
        when = entry.get("published_parsed") or dict.get(entry, "updated_parsed")
        targets.append(Target(url=resolved(document.url, link), source_name=source_name,
                              title=entry.get("title") or None, published_at=entry_time(when)))
    return targets


def entry_time(when: time.struct_time | None) -> datetime | None:
    """A feed entry's parsed date in UTC; None when it has none or it is out of range (year 0), as for an unreadable one."""
    if not when:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(when), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def resolved(base: str, link: str) -> str:
    """The link resolved against the feed's URL; as given when it does not parse (the fetch rejects it as BAD_URL)."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def child_text(element: Element, name: str) -> str | None:
    """Stripped text of the first descendant with the local name, or None."""
    for node in element.iter():
        if local(node.tag) == name and node.text and node.text.strip():
            return node.text.strip()
    return None


def sitemap_entries(document: RawDocument, source_name: str) -> tuple[list[Target], list[str]] | Rejection:
    """Article targets of a urlset, or the nested sitemap URLs of a sitemapindex."""
    def malformed(detail: str) -> Rejection:
        return Rejection(stage=STAGE, reason=Reason.FEED_MALFORMED, url=document.location, payload=document.raw, detail=detail)

    if rejection := unsafe_xml(document.raw, document.location):
        return rejection
    try:
        root = fromstring(document.raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        return malformed(f"unsafe sitemap XML refused: {type(e).__name__}")
    except ParseError as e:
        return malformed(f"sitemap is not well-formed XML: {e}")
    except (ValueError, LookupError) as e:  # expat reads no multi-byte encoding but UTF-8/16, nor an unknown one
        return malformed(f"sitemap's declared encoding cannot be read (the protocol asks for UTF-8): {e}")
    kind = local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return malformed(f"root element <{kind}> is neither <urlset> nor <sitemapindex>")
    locations = [(node, child_text(node, "loc")) for node in root if local(node.tag) in ("url", "sitemap")]
    if kind == "sitemapindex":
        return [], [canonical_url(loc) for _, loc in locations if loc and not url_problem(loc)]
    targets = []
    for node, loc in locations:
        if not loc:
            continue
        published = child_text(node, "publication_date")  # lastmod is a change time, not a publication time
        try:
            published_at = parse_datetime(published) if published else None
        except ValueError:
            published_at = None
        targets.append(Target(url=loc, source_name=source_name, title=child_text(node, "title"), published_at=published_at))
    return targets, []


class FeedState:
    """Conditional-GET validators (ETag, Last-Modified) per feed URL, kept in a state file between runs.

    A run offers the validators its feeds answered with and saves them only once it has published the feeds' articles:
    a run that stops early, or a source one of whose articles failed in a way that may pass (a time-out, a refused
    connection, HTTP 429 or 5xx), keeps the old ones, so that the next run reads the feed in full again and fetches
    what is missing (the articles the lake holds are not fetched again)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.known = read_state(path)
        self.offered: dict[str, tuple[str, dict[str, str]]] = {}
        self.retry_sources: set[str] = set()

    def target(self, url: str, source_name: str) -> Target:
        """A feed target carrying If-None-Match / If-Modified-Since from the last run that saved them."""
        known = self.known.get(url)
        known = known if isinstance(known, dict) else {}
        headers = []
        if known.get("etag"):
            headers.append(("If-None-Match", known["etag"]))
        if known.get("last_modified"):
            headers.append(("If-Modified-Since", known["last_modified"]))
        return Target(url=url, source_name=source_name, headers=tuple(headers))

    def offer(self, url: str, source_name: str, validators: dict[str, str]) -> None:
        """The validators a feed of source_name answered with in this run."""
        self.offered[url] = (source_name, validators)

    def article_fetched(self, done: Fetched, source_name: str | None) -> None:
        """Note an article's fetch: one that failed in a way that may pass keeps its source's feeds from being saved."""
        last = done.rows[-1] if done.rows else {}
        if last.get("error") in TRANSIENT_ERRORS or retryable_status(last.get("status")):
            self.retry_sources.add(source_name)

    def save(self) -> None:
        """Write the known validators, with those offered by sources whose articles need no other try, atomically."""
        if self.path is None or not self.offered:
            return
        state = {**self.known, **{url: v for url, (name, v) in self.offered.items() if name not in self.retry_sources}}
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
        self.known, self.offered = state, {}


def read_state(path: Path | None) -> dict[str, dict[str, str]]:
    """Conditional-GET validators per feed URL from the state file ({} when there is none or it is unreadable)."""
    if path is None or not Path(path).exists():
        return {}
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a lost state only costs one unconditional fetch per feed
    return state if isinstance(state, dict) else {}
