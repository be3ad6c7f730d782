"""SOURCES FILE -> SOURCES: the TOML list of feeds, sitemaps and URL lists to ingest, validated with one-line errors."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from transforms.errors import NewseventsError
from transforms.urls import url_problem

KINDS = ("feed", "sitemap", "urls")
MAX_SOURCES_BYTES = 16 * 2**20  # ~150,000 listed URLs
KEYS = {"name", "kind", "url", "urls", "schedule", "max_articles", "language"}
CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names for values from `lowest` on)
CRON_FIELDS = [("minute", 0, 59, []), ("hour", 0, 23, []), ("day of month", 1, 31, []),
               ("month", 1, 12, MONTHS), ("day of week", 0, 7, DAYS)]
CRON_ITEM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")


@dataclass(frozen=True, kw_only=True)
class Source:
    """One entry of the sources file."""

    name: str
    kind: str  # feed | sitemap | urls
    urls: tuple[str, ...]
    schedule: str | None = None  # 5-field cron expression (or @daily, ...) for scheduled runs
    max_articles: int | None = None  # at most this many article URLs per run from this source
    language: str | None = None  # ISO 639-1 code the source publishes in


def command_line_sources(*, urls: Iterable[str] = (), feeds: Iterable[str] = (), sitemaps: Iterable[str] = ()) -> list[Source]:
    """Sources for what the command line names: each feed and sitemap its own source named by its URL, the URLs one source
    (a bad feed or sitemap URL is an error; a bad article URL is rejected when it is fetched)."""
    feeds, sitemaps = tuple(feeds), tuple(sitemaps)
    for url in (*feeds, *sitemaps):
        if problem := url_problem(url):
            raise NewseventsError(f"bad feed or sitemap URL {url[:200]!r}: {problem}")
    sources = [Source(name=u, kind="feed", urls=(u,)) for u in feeds]
    sources += [Source(name=u, kind="sitemap", urls=(u,)) for u in sitemaps]
    urls = tuple(urls)
    if urls:
        sources.append(Source(name="command line", kind="urls", urls=urls))
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """The sources listed in a TOML file (`[[sources]]` tables); any mistake raises a NewseventsError naming it."""
    path = Path(path)
    try:
        document = tomllib.loads(read_sources_text(path))
    except FileNotFoundError as e:
        raise NewseventsError(f"{path}: no such sources file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise NewseventsError(f"{path}: cannot read sources file: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise NewseventsError(f"{path}: not valid TOML: {e}") from e
    entries = document.get("sources")
    if not isinstance(entries, list) or not entries:
        raise NewseventsError(f"{path}: expected at least one [[sources]] table")
    extra = set(document) - {"sources"}
    if extra:
        raise NewseventsError(f"{path}: unknown top-level key {sorted(extra)[0]!r}; only [[sources]] tables are read")
    sources = [parse_source(entry, f"{path}: source #{i}") for i, entry in enumerate(entries, start=1)]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise NewseventsError(f"{path}: source name {duplicates[0]!r} is used more than once")
    return sources


def read_sources_text(path: Path) -> str:
    """A sources file's text: a regular file of at most MAX_SOURCES_BYTES (not a pipe or a device, which could block or
    never end)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once rather than waiting for a writer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NewseventsError(f"{path}: a sources file must be a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_SOURCES_BYTES + 1)
    if len(data) > MAX_SOURCES_BYTES:
        raise NewseventsError(f"{path}: over {MAX_SOURCES_BYTES // 2**20} MB, too large for a sources file")
    return data.decode("utf-8")


def parse_source(entry: object, where: str) -> Source:
    """One [[sources]] table as a Source."""
    if not isinstance(entry, dict):
        raise NewseventsError(f"{where}: expected a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise NewseventsError(f"{where}: 'name' must be a non-empty string")
    where = f"{where} ({name})"
    unknown = set(entry) - KEYS
    if unknown:
        raise NewseventsError(f"{where}: unknown key {sorted(unknown)[0]!r}; expected {', '.join(sorted(KEYS))}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise NewseventsError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    if ("url" in entry) == ("urls" in entry):
        raise NewseventsError(f"{where}: give exactly one of 'url' (a string) or 'urls' (a list of strings)")
    urls = [entry["url"]] if "url" in entry else entry["urls"]
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise NewseventsError(f"{where}: 'url' must be a string and 'urls' a non-empty list of strings")
    for url in urls:
        if problem := url_problem(url):
            raise NewseventsError(f"{where}: bad URL {url[:200]!r}: {problem}")
    schedule = entry.get("schedule")
    if schedule is not None:
        if not isinstance(schedule, str):
            raise NewseventsError(f"{where}: 'schedule' must be a cron string such as \"*/30 * * * *\"")
        if problem := cron_problem(schedule):
            raise NewseventsError(f"{where}: schedule {schedule!r} is not a cron expression: {problem}")
    max_articles = entry.get("max_articles")
    if max_articles is not None and (not isinstance(max_articles, int) or isinstance(max_articles, bool) or max_articles < 1):
        raise NewseventsError(f"{where}: 'max_articles' must be a positive integer")
    language = entry.get("language")
    if language is not None and (not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}", language)):
        raise NewseventsError(f"{where}: 'language' must be a two-letter ISO 639-1 code such as \"en\"")
    return Source(name=name.strip(), kind=kind, urls=tuple(urls), schedule=schedule,
                  max_articles=max_articles, language=language)


def cron_problem(expression: str) -> str | None:
    """What is wrong with a 5-field cron expression (or @daily-style macro), or None when it is valid."""
    text = expression.strip().lower()
    if text.startswith("@"):
        return None if text in CRON_MACROS else f"unknown macro {text!r}"
    fields = text.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
    for value, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for item in value.split(","):
            if problem := cron_item_problem(item, low, high, names):
                return f"{name} field {value!r}: {problem}"
    return None


def cron_item_problem(item: str, low: int, high: int, names: list[str]) -> str | None:
    """What is wrong with one comma-separated item of a cron field, or None."""
    match = CRON_ITEM.match(item)
    if not match:
        return f"{item!r} is not *, N, N-M or one of them with /step"
    span, step = match.groups()
    if step is not None and int(step) < 1:
        return "a step must be at least 1"
    if span == "*":
        return None
    bounds = []
    for part in span.split("-"):
        if part.isdigit():
            number = int(part)
        elif part in names:
            number = names.index(part) + low
        else:
            return f"{part!r} is not a number or a name"
        if not low <= number <= high:
            return f"{number} is outside {low}-{high}"
        bounds.append(number)
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        return f"range {span} runs backwards"
    return None
