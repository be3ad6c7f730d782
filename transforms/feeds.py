"""SOURCES -> TARGETS: article URLs from RSS/Atom feeds (conditional GET), news sitemaps and URL lists.

Hostile XML is refused before any parser sees it: a document that declares entities (billion
laughs, external entities) in its bytes, or once decoded as feedparser decodes it (UTF-7, EBCDIC),
is FEED_MALFORMED; sitemaps are parsed with defusedxml, feeds with feedparser only after that check.

Sitemap indexes are followed breadth-first to `max_depth` levels and at most `max_sitemaps` sitemaps
per run. Memory and time stay bounded whatever the sources list: feeds and sitemaps are fetched
XML_AT_ONCE at a time and each body is dropped once read; a sitemap is parsed as a stream and read
no further than its source needs, nor past the protocol's 50,000 URLs (the file is then TOO_LARGE,
saying so); a source that has its `max_articles` fetches no further feed or sitemap, and a feed or sitemap source without
one stops at MAX_LISTED (an index of 50 sitemaps of 50,000 URLs listed 2.45 million, 2.4 GB). A backfill fetches each feed
and sitemap once for all its days (`Listings`): read to its end, it keeps only the entries dated within the range,
at most its source's `max_articles` a day.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from feedparser.encodings import convert_to_utf8

from transforms.atomic import replace_json
from transforms.decode import NOT_CHARSETS
from transforms.errors import Reason, Rejection
from transforms.fetch import STAGE, Fetched, Target, fetch
from transforms.fetch_http import retryable_status
from transforms.fetch_options import FEED_TYPES, FetchOptions
from transforms.rawstore import RawStore
from transforms.read import RawDocument, as_utc_datetime, parse_datetime, plausible
from transforms.robots import RobotsCache
from transforms.sources import Source
from transforms.urls import canonical_url, resolved, url_problem

ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
NON_CHARSET_ENCODING = re.compile(rb"""encoding\s*=\s*["']\s*(%s)\s*["']""" % b"|".join(n.encode() for n in sorted(NOT_CHARSETS)),
                                  re.IGNORECASE)  # feedparser would decode with it: UnicodeError, or quadratic time
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_SITEMAPS = 50
MAX_DEPTH = 2
MAX_SITEMAP_ENTRIES = 50_000  # the sitemap protocol's limit of URLs per file
MAX_LISTED = 4 * MAX_SITEMAP_ENTRIES  # article URLs a run takes from a feed or sitemap source without max_articles
XML_AT_ONCE = 4  # feeds or sitemaps fetched at once: at most this many bodies are held
TRANSIENT_ERRORS = frozenset({str(Reason.FETCH_TIMEOUT), str(Reason.FETCH_CONNECTION)})  # besides a retryable status


@dataclass(kw_only=True)
class Discovery:
    """What the sources gave: article targets, and the feed/sitemap fetches (rows to write, rejections to quarantine)."""

    targets: list[Target] = field(default_factory=list)
    fetched: list[Fetched] = field(default_factory=list)
    undated: int = 0  # with a window: the targets met before their source had its cap, left out as nothing dates them


@dataclass(kw_only=True)
class Listing:
    """What one feed or sitemap gives its source: its first targets dated within the window, up to the source's cap
    (the undated ones met on the way counted), the sitemaps an index nests, and what of it was left unread."""

    targets: list[Target] = field(default_factory=list)
    undated: int = 0
    nested: list[tuple[datetime | None, str]] = field(default_factory=list)  # (<lastmod>, URL) in the index's order
    cut: str | None = None  # entries past the protocol's limit, not read


Pick = Callable[[Iterable[Target]], Listing]  # what a listing keeps of a feed's or sitemap's entries, in order
UNDATED = Target(url="")  # what a backfill keeps of an entry nothing dates: `take` counts it and never lists it


class Listings:
    """The feeds and sitemaps a backfill has read, for all its days: each is fetched once, by the first day that reads it,
    and only its entries dated within the backfill's days are kept (an undated one as UNDATED), so memory stays bounded
    by what the days fetch. A fetch that fails is not kept: the next day tries it again."""

    def __init__(self, span: tuple[date, date]) -> None:
        self.span = span
        self.read: dict[str, Listing] = {}

    def keep(self, targets: Iterable[Target], cap: int | None = None) -> Listing:
        """The entries dated within the span, in order, the first cap of each day at most (`take` reads none past them),
        and an UNDATED marker for each one nothing dates."""
        since, until = self.span
        per_day: Counter[date] = Counter()
        kept = []
        for target in targets:
            if target.published_at is None:
                kept.append(UNDATED)
            elif since <= (day := target.published_at.date()) <= until and (cap is None or per_day[day] < cap):
                per_day[day] += 1
                kept.append(target)
        return Listing(targets=kept)

    def add(self, done: Fetched, source: Source, window: tuple[date, date] | None) -> tuple[Fetched, Listing]:
        """A feed or sitemap just fetched, read whole and kept unless refused; its listing for the window."""
        done, whole = listing_of(done, source, partial(self.keep, cap=source.max_articles))
        if done.result is None:
            self.read[done.url] = whole
        return done, self.day(done.url, source, window)

    def day(self, url: str, source: Source, window: tuple[date, date] | None) -> Listing:
        """The listing of a feed or sitemap read before, for the window, as `take` picks it for the source (the entries past
        the protocol's limit are left unread only when the source's cap was not met before)."""
        whole = self.read.get(url, Listing())
        listing = take(whole.targets, source.max_articles, window)
        capped = len(listing.targets) == source.max_articles
        return replace(listing, nested=whole.nested, cut=None if capped else whole.cut)


# The Listings a backfill's days share, set around them (a flow parameter would be serialised for Prefect's API on every
# run). Read through the two functions: a flow or task that names the variable itself cannot be pickled for Dask.
BACKFILL_LISTINGS: ContextVar[Listings | None] = ContextVar("backfill_listings", default=None)


@contextmanager
def listings_shared(span: tuple[date, date]) -> Iterator[None]:
    """The ingest runs within share one Listings of the span: each feed and sitemap is fetched once for all of them."""
    token = BACKFILL_LISTINGS.set(Listings(span))
    try:
        yield
    finally:
        BACKFILL_LISTINGS.reset(token)


def shared_listings() -> Listings | None:
    """The Listings that a backfill's runs share, or None outside a backfill."""
    return BACKFILL_LISTINGS.get()


def discover(
    sources: Iterable[Source],
    *,
    options: FetchOptions,
    store: RawStore | None = None,
    state: FeedState | None = None,
    max_sitemaps: int = MAX_SITEMAPS,
    max_depth: int = MAX_DEPTH,
    max_listed: int = MAX_LISTED,
    robots: RobotsCache | None = None,
    window: tuple[date, date] | None = None,
    listings: Listings | None = None,
) -> Discovery:
    """Article targets of every source in source order, each URL once (with a window, only those dated within it), each source's
    capped at its max_articles (a feed or sitemap source without one at `max_listed`, which says so): a source stops being
    read (no further feed, sitemap or entry) once it has them. The feeds' new validators are offered to `state`
    (conditional GET), which the caller saves once the articles are published. With `listings` (a backfill's, and a
    window), a feed or sitemap read on an earlier day is not fetched again."""
    sources = list(sources)
    uncapped = {s.name for s in sources if s.max_articles is None and s.kind != "urls"}
    sources = [replace(s, max_articles=max_listed) if s.name in uncapped else s for s in sources]
    found = Discovery()
    per_source: dict[str, list[Target]] = {s.name: [] for s in sources}
    xml_options = replace(options, content_types=FEED_TYPES, refetch=True,
                          max_body_bytes=max(options.max_body_bytes, MAX_FEED_BYTES),
                          max_decoded_bytes=max(options.max_decoded_bytes, 2 * MAX_FEED_BYTES))

    def full(source: Source) -> bool:
        """True once what was read before, in order, gave the source its max_articles."""
        return source.max_articles is not None and len(per_source[source.name]) >= source.max_articles

    memo = listings if window else None  # a window's listings are derived from what the memo holds

    def picked(done: Fetched, source: Source) -> tuple[Fetched, Listing]:
        """A feed or sitemap just fetched, read as far as its source needs (whole into the memo, for the days after)."""
        if memo is not None:
            return memo.add(done, source, window)
        return listing_of(done, source, partial(take, cap=source.max_articles, window=window))

    def read(level: dict[str, Source], target: Callable[[str, Source], Target]) -> Iterator[tuple[Fetched, Listing, Source]]:
        """The level's feeds or sitemaps in level order, fetched XML_AT_ONCE at a time, each read as it arrives (only
        its listing is kept, never its body); those of a source that is full by the time they are reached are not fetched,
        nor those `listings` holds."""
        held = memo.read if memo is not None else {}
        pending = list(level.items())
        while pending:
            pending = [(url, source) for url, source in pending if not full(source)]
            batch, pending = pending[:XML_AT_ONCE], pending[XML_AT_ONCE:]
            read_now = {done.url: picked(done, level[done.url]) for done in fetch(
                [target(url, source) for url, source in batch if url not in held], options=xml_options, store=store,
                robots=robots)}
            for url, source in batch:
                if url in read_now:
                    yield (*read_now[url], source)
                elif memo is not None and url in held:  # read on an earlier day of the backfill
                    yield Fetched(url=url, rows=(), result=None), memo.day(url, source, window), source

    def add(done: Fetched, listing: Listing, source: Source, notes: list[str]) -> None:
        """A feed or sitemap read: its targets go to its source unless that is full; what was not read makes it TOO_LARGE."""
        if not full(source):
            per_source[source.name].extend(listing.targets)
            found.undated += listing.undated
            if full(source) and source.name in uncapped:
                notes.append(f"its source reached {max_listed:,} article URLs, the most a run takes from a source without "
                             "max_articles: its further entries, feeds and sitemaps were not read")
        if notes and done.result is None:
            done = replace(done, result=Rejection(stage=STAGE, reason=Reason.TOO_LARGE, url=done.url, detail="; ".join(notes)))
        found.fetched.append(done)

    state = state or FeedState()
    feeds = {canonical_url(u): s for s in sources if s.kind == "feed" for u in s.urls}
    for done, listing, source in read(feeds, lambda url, source: state.target(url, source.name)):
        last = done.rows[-1] if done.rows else None
        if done.result is None and last is not None and last["status"] == 200 and (last["etag"] or last["last_modified"]):
            state.offer(done.url, source.name, {k: last[k] for k in ("etag", "last_modified") if last[k]})
        add(done, listing, source, [])

    sitemaps = {canonical_url(u): s for s in sources if s.kind == "sitemap" for u in s.urls}
    seen, depth, budget = set(sitemaps), 0, max_sitemaps - len(sitemaps)
    while sitemaps:
        children: dict[str, Source] = {}
        for done, listing, source in read(sitemaps, lambda url, source: Target(url=url, source_name=source.name)):
            notes = [listing.cut] if listing.cut else []
            fresh = [] if full(source) else [u for u in nested_sitemaps(listing.nested, window) if u not in seen]
            allowed = fresh[:max(budget, 0)] if depth < max_depth else []
            if len(allowed) < len(fresh):
                notes.append(f"{len(fresh) - len(allowed)} nested sitemaps skipped (limits: {max_depth} levels, "
                             f"{max_sitemaps} sitemaps per run)")
            budget -= len(allowed)
            seen.update(allowed)
            children.update(dict.fromkeys(allowed, source))
            add(done, listing, source, notes)
        sitemaps, depth = children, depth + 1

    for source in sources:
        if source.kind == "urls":
            listed = take((Target(url=u, source_name=source.name) for u in source.urls), source.max_articles, window)
            per_source[source.name] = listed.targets
            found.undated += listed.undated
        found.targets.extend(per_source[source.name][: source.max_articles])
    found.targets = distinct(found.targets)
    return found


def distinct(targets: Iterable[Target]) -> list[Target]:
    """The targets without the repeats of a URL listed again (by another feed, sitemap or list, or twice in one), in order:
    a run fetches and counts each URL once, with its first listing's title and date."""
    first: dict[str, Target] = {}
    for target in targets:  # a bad URL is kept as it is given, for the fetch to reject
        first.setdefault(target.url if url_problem(target.url) else canonical_url(target.url), target)
    return list(first.values())


def listing_of(done: Fetched, source: Source, pick: Pick) -> tuple[Fetched, Listing]:
    """A fetched feed or sitemap read for its source, its entries as `pick` keeps them: the fetch (its result the rejection,
    if any, no longer the body) and its listing."""
    document, rejection = split(done)
    listing = Listing()
    if document is not None:
        if source.kind == "sitemap":
            parsed = sitemap_entries(document, source.name, pick=pick)
        else:
            targets = feed_targets(document, source.name)
            parsed = targets if isinstance(targets, Rejection) else pick(targets)
        rejection, listing = (parsed, listing) if isinstance(parsed, Rejection) else (None, parsed)
    return replace(done, result=rejection), listing


def take(targets: Iterable[Target], cap: int | None, window: tuple[date, date] | None) -> Listing:
    """The first targets dated within the window (any, without one), up to cap: none is read past it; with a window,
    the undated ones met on the way are counted."""
    listing = Listing()
    for target in targets:
        when = target.published_at
        if window and when is None:
            listing.undated += 1
        elif not window or (when is not None and window[0] <= when.date() <= window[1]):
            listing.targets.append(target)
            if len(listing.targets) == cap:
                break
    return listing


def every(targets: Iterable[Target]) -> Listing:
    """Every target, none left out."""
    return take(targets, None, None)


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

    if declared := NON_CHARSET_ENCODING.search(document.raw[:4096].replace(b"\x00", b"")):
        return malformed(f"declared encoding {declared.group(1).decode()!r} is no character set")
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
    """A feed entry's parsed date in UTC; None when it has none, it is out of range (year 0) as for an unreadable one, or
    no publication date (later than now, before 1900)."""
    if not when:
        return None
    try:
        return plausible(datetime.fromtimestamp(calendar.timegm(when), UTC))
    except (ValueError, OverflowError, OSError):
        return None


def local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def child_text(element: Element, name: str) -> str | None:
    """Stripped text of the first descendant with the local name, or None."""
    for node in element.iter():
        if local(node.tag) == name and node.text and node.text.strip():
            return node.text.strip()
    return None


def sitemap_entries(document: RawDocument, source_name: str, *,
                    pick: Pick = every) -> Listing | Rejection:
    """The article targets of a urlset as `pick` keeps them (the file is read only as far as it needs), or the nested
    sitemaps of a sitemapindex with their <lastmod>; parsed as a stream, and never past the protocol's MAX_SITEMAP_ENTRIES
    entries."""
    def malformed(detail: str) -> Rejection:
        return Rejection(stage=STAGE, reason=Reason.FEED_MALFORMED, url=document.location, payload=document.raw, detail=detail)

    if rejection := unsafe_xml(document.raw, document.location):
        return rejection
    nodes = parsed_children(document.raw)
    counted = 0

    def located() -> Iterator[tuple[Element, str]]:
        nonlocal counted
        for node in nodes:
            if local(node.tag) in ("url", "sitemap") and (loc := child_text(node, "loc")):
                counted += 1
                if counted > MAX_SITEMAP_ENTRIES:
                    return
                yield node, loc

    try:
        kind = local(next(nodes).tag)
        if kind not in ("urlset", "sitemapindex"):
            return malformed(f"root element <{kind}> is neither <urlset> nor <sitemapindex>")
        if kind == "sitemapindex":
            listing = Listing(nested=[(child_time(node, "lastmod"), canonical_url(loc)) for node, loc in located()
                                      if not url_problem(loc)])
        else:
            listing = pick(entry_target(node, loc, source_name) for node, loc in located())
    except DefusedXmlException as e:
        return malformed(f"unsafe sitemap XML refused: {type(e).__name__}")
    except ParseError as e:
        return malformed(f"sitemap is not well-formed XML: {e}")
    except (ValueError, LookupError) as e:  # expat reads no multi-byte encoding but UTF-8/16, nor an unknown one
        return malformed(f"sitemap's declared encoding cannot be read (the protocol asks for UTF-8): {e}")
    if counted > MAX_SITEMAP_ENTRIES:
        listing.cut = (f"sitemap lists over {MAX_SITEMAP_ENTRIES:,} URLs, the protocol's limit per file: "
                       "those past it were not read")
    return listing


def parsed_children(raw: bytes) -> Iterator[Element]:
    """The root element of an XML document, then each child of the root once parsed, dropped from the tree after use:
    memory stays flat however long the document."""
    depth = 0
    root = None
    for event, node in iterparse(io.BytesIO(raw), events=("start", "end"), forbid_dtd=False, forbid_entities=True,
                                 forbid_external=True):
        depth += 1 if event == "start" else -1
        if event == "start" and depth == 1:
            root = node
            yield root
        elif event == "end" and depth == 1 and root is not None:
            yield node
            root.clear()


def nested_sitemaps(nested: list[tuple[datetime | None, str]], window: tuple[date, date] | None) -> list[str]:
    """The sitemap URLs of an index, in its order. With a window, those last changed (<lastmod>) before the window began are
    left out, as they cannot list its articles (a day's slack for a lastmod without a time zone), and the others are read
    earliest changed first, those without a lastmod last: per-day or per-month sitemaps listed newest first would
    otherwise spend the per-run limit of sitemaps on the days after the window."""
    if window:
        since = as_utc_datetime(window[0] - timedelta(days=1))
        nested = sorted([(when, url) for when, url in nested if when is None or when >= since],
                        key=lambda pair: pair[0] or datetime.max.replace(tzinfo=UTC))
    return [url for _, url in nested]


def child_time(element: Element, name: str) -> datetime | None:
    """The date-time of the first descendant with the local name, in UTC; None when it has none or it does not parse."""
    text = child_text(element, name)
    try:
        return parse_datetime(text) if text else None
    except ValueError:
        return None


def entry_target(node: Element, loc: str, source_name: str) -> Target:
    """The article target of a urlset's <url>: its news title and publication date (lastmod is a change time)."""
    return Target(url=loc, source_name=source_name, title=child_text(node, "title"),
                  published_at=child_time(node, "publication_date"))


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
        replace_json(Path(self.path), state)
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
