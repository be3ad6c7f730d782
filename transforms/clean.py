"""RAW DOCUMENTS -> ARTICLES: main text and metadata, with trafilatura for HTML and line rules for plain text."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from functools import cache
from importlib.metadata import version
from urllib.parse import urljoin, urlsplit

import trafilatura
from courlan import normalize_url
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from transforms.errors import Reason, Rejection
from transforms.ids import sha256_hex, stable_id
from transforms.language import detect_language
from transforms.read import RawDocument, parse_datetime
from transforms.tone import tone
from transforms.urls import ascii_host, same_site, url_problem

# trafilatura logs a WARNING for a page it finds no text in ('discarding data'): its quarantine row says so already
logging.getLogger("trafilatura").setLevel(logging.ERROR)

STAGE = "clean"
WORD = re.compile(r"\w+")
SPACE = re.compile(r"\s+")
LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# Soft hyphen, zero-width space, word joiner, BOM, and the control characters that are not white space (C0, DEL, C1):
# ESC, BEL and CSI would let stored text drive the terminal that shows it.
INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
# Lines that only label a picture: "Photo: ...", "Illustrative: ...", AP's "FILE - ...".
CAPTION_START = re.compile(
    r"^(?:(?:illustrative|image|images|photo|photos|photograph|picture|pictured|caption|"
    r"file photo|graphic|video|watch|listen)(?:\s+credit)?\s*[:|]|FILE\s*[-–—]\s)",
    re.IGNORECASE,
)
# A line ending in a parenthesised picture credit: "(Name/Agency via AP)", "(Getty Images)".
CREDIT_END = re.compile(
    r"\((?=[^()]*(?:/|\bvia\b|\b[Pp]hoto\b|\b[Cc]redit\b|\bGetty\b|\bImages\b|\bAP\b|\bAFP\b|\bReuters\b))[^()]{2,160}\)$"
)
# Whole lines that are page furniture wherever they appear.
FURNITURE = re.compile(
    r"^(?:advertisement|sponsored(?: content)?|story continues (?:below|after)(?: this)? ad(?:vertisement)?|"
    r"continue reading(?: below)?|read (?:more|next|also)|also read|see also|more|related|"
    r"(?:read (?:more|next|also)|also read|see also|related(?: \w+)?|more|watch|listen)\s*:.*|"
    r"related (?:articles|stories|coverage|content|topics|news)|most (?:popular|read|viewed|shared)|"
    r"more (?:from|on|stories|news)\b.*|recommended(?: for you)?|you (?:may|might) also like|trending(?: now)?|"
    r"top stories|latest news|share(?: this(?: article| story| page)?| on \w+| via \w+| article| story)?|"
    r"tweet|email|print|comments?|(?:sign up|subscribe)(?: now| today| here)? (?:to|for)\b.*|follow us\b.*|"
    r"click here\b.*|tags?:.*|topics?:.*|copyright (?:©|\(c\)|\d{4}).*|©.*|all rights reserved)\W*$",
    re.IGNORECASE,
)
# Furniture lines open a list of links when they head the end of a page.
SECTION_MARKER = re.compile(
    r"^(?:read (?:more|next|also)|also read|see also|related\b|most (?:popular|read|viewed|shared)|more (?:from|on|stories|news)\b|"
    r"recommended|you (?:may|might) also like|trending|top stories|latest news)",
    re.IGNORECASE,
)
MAX_FURNITURE_WORDS = 12
MAX_LINK_LINE_WORDS = 16
MIN_REPEAT_WORDS = 8
MIN_SHOUT_WORDS = 4
AUTHOR_NOTE = re.compile(
    r"^[A-Z][\w.'’-]*(?:\s[\w.'’-]+){0,3}\sis an? (?:[\w-]+\s){0,6}?(?:writer|reporter|correspondent|editor|journalist|"
    r"columnist|contributor|producer|critic)\s(?:for|at|with|of|on)\s|^(?i:send (?:news )?tips|contact (?:the )?(?:author|reporter))\b"
)
SENTENCE_END = re.compile(r"[.!?;:…\"”’)\]]$")
TITLE_SEPARATOR = re.compile(r"\s*[|·•»]\s*|\s+[-–—]\s+|\s*[–—]\s*|:\s+")
# A page date trafilatura gives without a time of day or time zone: the page shows only the day (in its own time zone).
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}(?:T00:00:00)?")
GENERIC_HOST_LABELS = {"www", "com", "org", "net", "gov", "edu", "info", "int", "co", "uk", "amp", "news", "edition", "m"}


@dataclass(frozen=True, kw_only=True)
class CleanOptions:
    """How documents are cleaned; built once from the CLI or config."""

    languages: tuple[str, ...] | None = ("en",)  # ISO 639-1 codes kept, others rejected; None keeps all
    favor_precision: bool = False  # trafilatura: leave out doubtful blocks (lower F1 on extraction-dev with our line filters)
    include_tables: bool = False  # trafilatura: keep table text in the main text
    fast: bool = False  # trafilatura: skip the fallback extractors (faster, a little less recall)
    max_html_chars: int = 5_000_000  # larger pages are rejected before parsing
    max_tree_size: int = 30_000  # pages with more HTML elements are rejected before extraction
    max_depth: int = 200  # pages nested deeper are rejected (the parser silently truncates past 255)
    min_words: int = 25  # shorter main texts count as empty


@dataclass(frozen=True, kw_only=True)
class Extracted:
    """What an extractor found in one document."""

    title: str | None
    text: str
    authors: list[str]
    published_at_text: str | None
    source_name: str | None
    declared_url: str | None
    extractor: str
    extractor_version: str


def clean_document(doc: RawDocument, *, options: CleanOptions = CleanOptions()) -> dict | Rejection:
    """The article row for a document (all ARTICLES fields but duplicate_of, ingested_at, run_id, pipeline_version), or its rejection."""
    doc = with_given_title(doc)
    extracted = extract_html(doc, options) if doc.is_html else extract_plaintext(doc)
    if isinstance(extracted, Rejection):
        return extracted
    text = extracted.text
    word_count = len(WORD.findall(text))
    if word_count < options.min_words:
        return reject(doc, Reason.EXTRACT_EMPTY, f"main text has {word_count} words, fewer than {options.min_words}")
    language = detect_language(text)
    if options.languages is not None and language not in options.languages:
        return reject(doc, Reason.NOT_ENGLISH, f"text is in {language!r}, not in {', '.join(options.languages)}")
    canonical, ignored = canonical_urls(doc.url, extracted.declared_url)
    domain = source_domain(canonical)
    source_name = extracted.source_name or doc.source_name
    title = doc.title or extracted.title
    return {
        "article_id": stable_id(canonical or doc.location),
        "url": doc.location,
        "canonical_url": canonical,
        "source_domain": domain,
        "source_name": source_name,
        "title": strip_site_name(normalise_line(title), [source_name, domain]) if title else None,
        "authors": extracted.authors,
        "published_at": publication_time(extracted.published_at_text, doc.published_at),
        "language": language,
        "text": text,
        "text_sha256": text_sha256(text),
        "word_count": word_count,
        "tone": tone(text),
        "extractor": extracted.extractor,
        "extractor_version": extracted.extractor_version,
        "input_format": doc.input_format,
        "raw_sha256": sha256_hex(doc.raw),
        "http_content_type": doc.content_type,
        "given_title": doc.title,
        "ignored_canonical_url": ignored,
    }


def with_given_title(doc: RawDocument) -> RawDocument:
    """The document with the title given with it as one normalised line (no control characters), None when blank."""
    return replace(doc, title=normalise_line(doc.title) or None) if doc.title else doc


def reject(doc: RawDocument, reason: Reason, detail: str) -> Rejection:
    """The clean stage's quarantine record for a document."""
    return Rejection(stage=STAGE, reason=reason, url=doc.location, detail=detail, payload=doc.raw)


def extract_html(doc: RawDocument, options: CleanOptions) -> Extracted | Rejection:
    """Main text and metadata of a page with trafilatura, after bounding the page's size, element count and depth."""
    if len(doc.content) > options.max_html_chars:
        return reject(doc, Reason.TOO_LARGE, f"page has {len(doc.content)} characters, over the cap of {options.max_html_chars}")
    try:
        tree = load_html(doc.content)
        if tree is None:  # trafilatura takes a fragment of one element for no page
            tree = load_html(f"<html><body>{doc.content}</body></html>")
    except Exception as e:  # lxml raises many kinds of errors on broken markup
        return reject(doc, Reason.EXTRACT_FAILED, f"HTML does not parse: {e}")
    if tree is None:
        return reject(doc, Reason.EXTRACT_FAILED, "input does not parse as HTML")
    etree.strip_elements(tree, "svg", with_tail=False)  # icon drawings: thousands of elements, no text
    elements = int(tree.xpath("count(//*)"))
    if elements > options.max_tree_size:
        return reject(doc, Reason.TOO_LARGE, f"page has {elements} HTML elements, over the cap of {options.max_tree_size}")
    if tree.xpath("boolean(" + "/*" * (options.max_depth + 1) + ")"):
        return reject(doc, Reason.EXTRACT_FAILED, f"page nests elements more than {options.max_depth} levels deep")
    page_url = doc.url if is_http(doc.url) else None
    declared = declared_canonical(tree, page_url)
    try:
        result = trafilatura.bare_extraction(
            tree, url=page_url, with_metadata=True, include_comments=False,
            include_tables=options.include_tables, favor_precision=options.favor_precision, fast=options.fast,
            date_extraction_params={"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True,
                                    # guesses from page text only when the input brings no date of its own
                                    "extensive_search": doc.published_at is None},
        )
    except Exception as e:  # the extractor's failure on one page must not stop the run
        return reject(doc, Reason.EXTRACT_FAILED, f"trafilatura failed: {type(e).__name__}: {e}"[:300])
    if not isinstance(result, Document) or not result.text:
        return reject(doc, Reason.EXTRACT_EMPTY, "trafilatura found no main text")
    site_names = [result.sitename, doc.source_name, source_domain(canonical_urls(doc.url, declared)[0])]
    title = strip_site_name(normalise_line(result.title), site_names) if result.title else None
    return Extracted(
        title=title,
        text="\n\n".join(filter(None, remove_furniture(result.text.splitlines(), title=doc.title or title))),  # lines come normalised
        authors=[a.strip() for a in (result.author or "").split(";") if a.strip()],
        published_at_text=result.date,
        source_name=result.sitename or None,
        declared_url=declared,
        extractor="trafilatura",
        extractor_version=extractor_version("trafilatura"),
    )


def extract_plaintext(doc: RawDocument) -> Extracted:
    """Title and body of a plain text, without page furniture; a file's or page's first non-empty line is its title unless it
    has one (a JSONL record's title is its `title` field or none: its `text` is all body)."""
    lines = [normalise_line(line) for line in doc.content.splitlines()]
    title = doc.title
    if title is None and doc.input_format != "jsonl":
        first = next((i for i, line in enumerate(lines) if line), None)
        if first is not None:
            title, lines = lines[first], lines[first + 1:]
    kept = remove_furniture(lines, title=title)
    return Extracted(title=title, text=normalise_text("\n\n".join(join_paragraphs(kept))), authors=[],
                     published_at_text=None, source_name=None, declared_url=None,
                     extractor="plaintext", extractor_version=extractor_version("newsevents"))


def remove_furniture(lines: list[str], *, title: str | None = None) -> list[str]:
    """Lines without captions, credits, repeats and furniture; blank lines ('') are kept as paragraph breaks."""
    title_key = normalise_line(title).casefold() if title else None
    seen: set[str] = set()
    kept: list[str] = []
    for line in cut_page_end([normalise_line(line) for line in lines]):
        key = line.casefold()
        if not line:
            kept.append("")
        elif key == title_key or is_repeat(key, seen) or is_caption(line) or is_furniture(line):
            continue
        else:
            seen.add(key)
            kept.append(line)
    return kept


def is_repeat(key: str, seen: set[str]) -> bool:
    """True for a sentence-long line seen before (a doubled caption or pull quote); short list items may recur."""
    return key in seen and len(key.split()) >= MIN_REPEAT_WORDS


def is_caption(line: str) -> bool:
    """True for a picture caption or credit line."""
    return bool(CAPTION_START.match(line) or CREDIT_END.search(line))


def is_furniture(line: str) -> bool:
    """True for page furniture: "Advertisement", "Share this", a link in capitals, a teaser title shown twice, "___"."""
    words = line.split()
    if not LETTER_OR_DIGIT.search(line) or is_doubled(words):
        return True
    if len(words) >= MIN_SHOUT_WORDS and line.isupper() and not line.endswith((".", "!", "?", ":")):
        return True  # a headline link in capitals between paragraphs ("2ND SUSPECT ARRESTED IN ...")
    return len(words) <= MAX_FURNITURE_WORDS and bool(FURNITURE.match(line))


def is_doubled(words: list[str]) -> bool:
    """True for a line that is one phrase twice over (a teaser card's title and its link text)."""
    half = len(words) // 2
    return half >= 2 and len(words) % 2 == 0 and words[:half] == words[half:]


def is_author_note(line: str) -> bool:
    """True for a closing note about the author ("Jane Roe is a reporter for The Ledger. Send tips to ...")."""
    return bool(AUTHOR_NOTE.match(line))


def cut_page_end(lines: list[str]) -> list[str]:
    """Lines without what pages put after the article: a list of links under "Related" or "Read more", a note on the author."""
    cut = len(lines)
    for i in range(cut - 1, -1, -1):
        line = lines[i]
        if line and (len(line.split()) > MAX_LINK_LINE_WORDS or line.endswith((".", "!", "?"))):
            break  # a sentence: the article is still going on here
        if SECTION_MARKER.match(line):
            cut = i
    while cut and (not LETTER_OR_DIGIT.search(lines[cut - 1]) or is_author_note(lines[cut - 1])):
        cut -= 1
    return lines[:cut]


def join_paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs from lines: a blank line ends one; a line without closing punctuation followed by a lower-case line is wrapped text."""
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            paragraphs.append(current)
            current = ""
        elif current and not SENTENCE_END.search(current) and line[0].islower():
            current = f"{current} {line}"
        else:
            paragraphs.append(current)
            current = line
    paragraphs.append(current)
    return [p for p in paragraphs if p]


def normalise_line(line: str) -> str:
    """A line with runs of white space as one space, no space at the ends, no invisible soft hyphens or zero-width spaces."""
    return SPACE.sub(" ", INVISIBLE.sub("", line)).strip()


def normalise_text(text: str) -> str:
    """Text as paragraphs separated by one blank line, white space inside lines collapsed; idempotent."""
    return "\n\n".join(p for p in (normalise_line(line) for line in text.splitlines()) if p)


def text_sha256(text: str) -> str:
    """SHA-256 of the text with case and white space folded: equal hashes mean the same text."""
    return sha256_hex(SPACE.sub(" ", text.casefold()).strip())


def strip_site_name(title: str, names: list[str | None]) -> str:
    """The headline without a site-name suffix or prefix ("… | CNN", "… - The Post", "Site: …")."""
    keys = site_keys(names)
    while (parts := split_title(title)) is not None:
        head, separator, tail = parts
        if is_site_name(tail, keys) or (separator.strip() == "|" and len(tail.split()) <= 4):
            title = head
        else:
            break
    match = TITLE_SEPARATOR.search(title)
    if match and is_site_name(title[: match.start()], keys) and len(title[match.end():].split()) >= 2:
        title = title[match.end():]
    return title


def split_title(title: str) -> tuple[str, str, str] | None:
    """Title split at its last separator, when the part before it is a headline of at least two words."""
    matches = list(TITLE_SEPARATOR.finditer(title))
    if not matches:
        return None
    last = matches[-1]
    head, tail = title[: last.start()], title[last.end():]
    if len(head.split()) < 2 or not tail:
        return None
    return head, last.group(), tail


def site_keys(names: list[str | None]) -> set[str]:
    """Comparable keys for a site's names and host labels ("The Washington Post", "washingtonpost.com")."""
    keys = set()
    for name in filter(None, names):
        keys.add(site_key(name))
        if "." in name and " " not in name:  # a host name: its distinctive labels count too
            keys.update(site_key(label) for label in name.lower().split(".") if label not in GENERIC_HOST_LABELS)
    return {k for k in keys if len(k) >= 2}


def site_key(name: str) -> str:
    """Letters and digits of a name, lower case, without a leading "the"."""
    return re.sub(r"[\W_]", "", re.sub(r"^\s*the\s+", "", name.casefold()))


def is_site_name(segment: str, keys: set[str]) -> bool:
    """True when a short title segment names the site ("CNN Politics" for "CNN", "AP" for "apnews")."""
    key = site_key(segment)
    if not key or len(segment.split()) > 6:
        return False
    for site in keys:
        if key == site or (len(site) >= 3 and key.startswith(site)):
            return True
        if site.startswith(key) and (len(key) >= 3 or segment.isupper()):
            return True
    return False


def is_http(url: str | None) -> bool:
    """True for an http(s) URL."""
    return url is not None and url.lower().startswith(("http://", "https://"))


def declared_canonical(tree: HtmlElement, page_url: str | None) -> str | None:
    """The page's own canonical URL (link rel=canonical, else og:url), absolute, when it is a valid http(s) URL."""
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for value in tree.xpath(xpath):
            candidate = absolute_url(value, page_url)
            if candidate is not None and url_problem(candidate) is None:
                return candidate
    return None


def absolute_url(value: str, base: str | None) -> str | None:
    """A link resolved against the page's URL; None when it does not parse ("http://[abc/")."""
    try:
        return urljoin(base or "", value.strip())
    except ValueError:
        return None


def canonical_urls(url: str, declared: str | None) -> tuple[str | None, str | None]:
    """The canonical URL of a page read from url, and the canonical URL it declared when that is ignored (another site's)."""
    # Only a canonical URL on the page's own site counts, else any page could take another site's article (its article_id)
    # and replace its rows. A local file has no site: its canonical is kept, as the user vouches for the files they give.
    own = canonical_url(url)
    if own is None:
        return canonical_url(url, declared), None
    claimed = canonical_url(url, declared) or own
    if claimed == own or same_site(claimed, own):
        return claimed, None
    return own, claimed


def canonical_url(url: str, declared: str | None = None) -> str | None:
    """The declared canonical URL, else the http(s) URL, without tracking parameters and fragment; None for local files."""
    chosen = declared if is_http(declared) else url if is_http(url) else None
    if chosen is None:
        return None
    try:
        cleaned = normalize_url(chosen)
    except ValueError:
        cleaned = chosen
    return cleaned.split("#", 1)[0]


def source_domain(url: str | None) -> str | None:
    """Host of an http(s) URL without "www.", in ASCII (IDNA): a look-alike name shows as what it is (Cyrillic letters
    that read "apple.com" are xn--80ak6aa92e.com)."""
    if url is None or not is_http(url):
        return None
    host = ascii_host(urlsplit(url).hostname or "")
    return host.removeprefix("www.") or None


def publication_time(page_value: str | None, given: datetime | None) -> datetime | None:
    """The more precise of the page's date and the time the input came with (feed, sitemap, JSONL record, --published):
    the page's time when it shows one, else the input's when it has a time of day (not midnight UTC) within a day of the
    page's day, else the page's day, else the input's. A page showing only its local day would otherwise move a feed's
    23:30 -05:00 to the day before; a feed that lists an old story again does not make it new."""
    on_page = page_date(page_value)
    if on_page is None:
        return given
    if DATE_ONLY.fullmatch(page_value.strip()) and given is not None and given.time() != time() \
            and abs(given - on_page) < timedelta(days=2):  # the page's day in any time zone, from UTC-12 to UTC+14
        return given
    return on_page


def page_date(value: str | None) -> datetime | None:
    """A date found on the page as an aware UTC datetime, or None."""
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


@cache
def extractor_version(package: str) -> str:
    """Version of an installed package (read once: importlib.metadata scans the environment each time)."""
    return version(package)
