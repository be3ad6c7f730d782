"""INPUTS -> RAW DOCUMENTS: local files, WARC archives, article URLs, feeds and sitemaps as one stream.

`split_inputs` sorts what the command line names into local files, WARC files and URLs; `gather`
yields, in a stable order, a RawDocument or a Rejection per input (every fetched or read body is
kept in the raw store so `reprocess` can rebuild articles later), or `Known` for a URL the lake
holds already, or `AlreadyRefused` for one the current pipeline version refused for good. The
`fetches` rows of every attempt are handed to `on_fetch_rows` as they arrive, and with a window
(backfill) the number of listed articles that nothing dates to `on_undated`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path

from transforms.errors import Rejection
from transforms.feeds import FeedState, Listings, discover
from transforms.fetch import Fetched, fetch
from transforms.fetch_http import Client
from transforms.fetch_options import FetchOptions
from transforms.rawstore import RawStore
from transforms.read import MAX_INPUT_BYTES, RawDocument, check_named, expand_paths, read_files
from transforms.robots import RobotsCache
from transforms.sources import Source, command_line_sources
from transforms.urls import canonical_url, url_problem
from transforms.warc import read_warc

WARC_SUFFIXES = (".warc", ".warc.gz")
URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Known:
    """A URL not fetched because the lake holds its article already (counted as unchanged)."""

    url: str


@dataclass(frozen=True)
class AlreadyRefused:
    """A URL not fetched because the current pipeline version refused it for good (NOT_HTML, NOT_ENGLISH, ...) before."""

    url: str


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """What a run reads: local files, WARC files and article URLs."""

    files: tuple[Path, ...] = ()
    warcs: tuple[Path, ...] = ()
    urls: tuple[str, ...] = ()
    unread: tuple[Rejection, ...] = ()  # what the named folders hold that is not read (links, pipes, devices)


@dataclass(frozen=True, kw_only=True)
class GatherOptions:
    """How inputs are read and fetched."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    max_bytes: int = MAX_INPUT_BYTES
    published: date | None = None
    window: tuple[date, date] | None = None  # only articles a feed or sitemap dates within these days (backfill)
    listings: Listings | None = None  # a backfill's: each feed and sitemap is fetched once for all its days


def is_url(path: str) -> bool:
    """True for an input the fetcher reads (http or https), not a local path."""
    return path.lower().startswith(URL_SCHEMES)


def check_local_paths(paths: Iterable[str]) -> None:
    """The error `split_inputs` would raise for a missing or special local path, without listing any folder."""
    check_named(Path(p) for p in paths if not is_url(p))


def split_inputs(paths: Iterable[str]) -> Inputs:
    """URLs apart from local paths, and WARC files apart from article files; a missing local path is an error."""
    paths = list(paths)
    urls = tuple(p for p in paths if is_url(p))
    files, unread = expand_paths([p for p in paths if not is_url(p)])
    warcs = tuple(f for f in files if f.name.lower().endswith(WARC_SUFFIXES))
    return Inputs(files=tuple(f for f in files if f not in warcs), warcs=warcs, urls=urls, unread=tuple(unread))


def gather(
    inputs: Inputs,
    sources: Iterable[Source],
    *,
    options: GatherOptions,
    store: RawStore,
    known_urls: frozenset[str] | set[str],
    refused_urls: frozenset[str] | set[str] = frozenset(),
    feeds: FeedState,
    on_fetch_rows: Callable[[list[dict]], None],
    on_undated: Callable[[int], None],
    on_total: Callable[[int], None] = lambda _: None,
) -> Iterator[RawDocument | Rejection | Known | AlreadyRefused]:
    """Every input's document, rejection, Known or AlreadyRefused marker: what folders hold that is not read, local files,
    then WARC records, then the web (the feeds' conditional-GET validators are offered to `feeds`, for the caller to save
    once the run is published; `refused_urls` are not fetched unless the options retry them). Once the feeds and sitemaps
    are read, `on_total` is told how many inputs there are in all."""
    yielded = 0

    def web() -> Iterator[RawDocument | Rejection | Known | AlreadyRefused]:
        """Feeds and sitemaps discovered, then their articles and the listed URLs fetched (one robots.txt cache for all).

        With a window (backfill), feeds are read in full (no conditional GET; once for all its days with the backfill's
        `listings`) and only articles dated within it are fetched;
        with refetch, feeds are read in full too (a 304 would list no article to fetch again).
        """
        robots = RobotsCache(Client(options.fetch))
        try:
            window = options.window
            full = window or options.fetch.refetch
            found = discover(all_sources, options=options.fetch, store=store, state=None if full else feeds, robots=robots,
                             window=window, listings=options.listings)
            on_undated(found.undated)
            on_total(yielded + sum(isinstance(done.result, Rejection) for done in found.fetched) + len(found.targets))
            source_of = {canonical_url(t.url): t.source_name  # a fetch names the canonical URL; a bad one it rejects
                         for t in found.targets if not url_problem(t.url)}
            for done in found.fetched:  # the feeds and sitemaps themselves: only their failures are inputs
                on_fetch_rows(list(done.rows))
                if isinstance(done.result, Rejection):
                    yield done.result
            refused = refused_urls if options.fetch.skips_refused else frozenset()
            for done in fetch(found.targets, options=options.fetch, store=store, known_urls=known_urls, refused_urls=refused,
                              robots=robots):
                on_fetch_rows(list(done.rows))
                feeds.article_fetched(done, source_of.get(done.url))
                yield outcome(done, refused)
        finally:
            robots.client.close()  # its pooled connections and resolver threads, also when the run fails or stops

    all_sources = [*sources, *command_line_sources(urls=inputs.urls)]
    web_items = web() if all_sources else None
    items = chain(inputs.unread, read_files(inputs.files, max_bytes=options.max_bytes, published=options.published),
                  *(read_warc(path, options=options.fetch) for path in inputs.warcs),
                  web_items or ())
    try:
        for item in items:
            if isinstance(item, RawDocument):
                store.put(item.raw)  # kept once, by content: `reprocess` rebuilds the article from it
            yielded += 1
            yield item
    finally:  # a failure's traceback keeps this frame, and with it the web's generator: close it now, not when it is collected
        if web_items is not None:
            web_items.close()


def outcome(done: Fetched, refused: frozenset[str] | set[str]) -> RawDocument | Rejection | Known | AlreadyRefused:
    """What one fetched target contributes to the run."""
    if done.result is not None:
        return done.result
    return AlreadyRefused(done.url) if done.url in refused else Known(done.url)

