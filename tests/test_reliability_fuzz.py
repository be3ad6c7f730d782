"""Property tests on the stages that meet untrusted text: the cleaner, feed and sitemap parsers, dates, offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from transforms.analyse import analyse
from transforms.clean import (
    WORD,
    clean_document,
    normalise_line,
    normalise_text,
    remove_furniture,
    strip_site_name,
    text_sha256,
)
from transforms.dates import DAY, MONTH, YEAR, resolve_date
from transforms.errors import Reason, Rejection
from transforms.feeds import Listing, feed_targets, sitemap_entries
from transforms.fetch import Target
from transforms.read import RawDocument
from transforms.urls import url_problem

# Characters that break naive code: NUL and controls, NBSP, zero-width and direction marks, combining accents,
# surrogate-free astral emoji with a skin-tone modifier, CJK, line and paragraph separators, XML/HTML specials.
NASTY = st.sampled_from(["\x00", "\x07", "\x1b", "\u00a0", "\u200b", "\u200d", "\u202e", "\u0301", "👍🏽", "中文", "\u2028",
                         "\u2029", "\r", "\t", "&", "<", ">", '"', "'", "&amp;", "&#0;", "]]>", "é", "ﬁ", "İ"])
WORDS = st.sampled_from(["Kenya", "Ethiopia", "ministers", "met", "in", "Nairobi", "on", "Tuesday", "said", "talks",
                         "the", "water", "agreement", "Advertisement", "Read more", "Photo:", "©"])
PHRASE = st.lists(st.one_of(WORDS, NASTY, st.text(max_size=8)), max_size=30).map(" ".join)
PUBLISHED = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))
HTML_TAGS = ["p", "div", "article", "h1", "h2", "span", "a", "li", "ul", "table", "td", "tr", "script", "style", "nav",
             "footer", "header", "figure", "figcaption", "blockquote", "pre", "b", "i", "svg", "noscript", "iframe"]


def html_tree(leaves) -> st.SearchStrategy[str]:
    """Random, often invalid HTML: nested tags, stray closers, comments, CDATA, entities around the leaves."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(HTML_TAGS), st.lists(inner, max_size=4)).map(
                lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"),
            st.tuples(st.sampled_from(HTML_TAGS), inner).map(lambda t: f"<{t[0]} class='x'>{t[1]}"),  # never closed
            inner.map(lambda s: f"</div>{s}<!-- {s} -->"),
            inner.map(lambda s: f"<![CDATA[{s}]]>{s}"),
        ),
        max_leaves=25,
    )


def document(content: str, *, is_html: bool, url: str = "https://news.example.org/a") -> RawDocument:
    return RawDocument(location=url, url=url, input_format="html" if is_html else "txt", raw=content.encode("utf-8", "replace"),
                       content=content, is_html=is_html, published_at=datetime(2026, 1, 15, tzinfo=UTC))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_tree(PHRASE), st.booleans())
def test_cleaned_text_is_normalised_or_the_page_is_rejected_with_a_clean_stage_reason(body, is_html):
    content = f"<html><head><title>{body[:80]}</title></head><body>{body}</body></html>" if is_html else body
    result = clean_document(document(content, is_html=is_html))
    if isinstance(result, Rejection):
        assert result.stage == "clean"
        assert result.reason in {Reason.EXTRACT_EMPTY, Reason.EXTRACT_FAILED, Reason.NOT_ENGLISH, Reason.TOO_LARGE}
        return
    text = result["text"]
    assert text and normalise_text(text) == text
    assert result["word_count"] == len(WORD.findall(text)) >= 25
    assert result["text_sha256"] == text_sha256(text)
    assert result["title"] is None or ("\n" not in result["title"] and result["title"] == result["title"].strip())


@given(st.lists(st.one_of(PHRASE, st.just("")), max_size=30), st.one_of(st.none(), PHRASE))
def test_furniture_removal_keeps_a_subsequence_of_the_lines(lines, title):
    kept = remove_furniture(lines, title=title)
    normalised = iter(normalise_line(line) for line in lines)
    assert all(any(line == candidate for candidate in normalised) for line in kept)  # in order, each line unchanged


@given(PHRASE, st.lists(st.one_of(st.none(), WORDS, st.text(max_size=12)), max_size=3))
def test_site_name_stripping_keeps_a_part_of_the_title(title, names):
    title = normalise_line(title)
    stripped = strip_site_name(title, names)
    assert stripped in title
    assert stripped.strip() or not title.strip() or not stripped  # never only white space


def feed_document(raw: bytes) -> RawDocument:
    url = "https://news.example.org/feed.xml"
    return RawDocument(location=url, url=url, input_format="web", raw=raw, content="", is_html=False)


def xml_char(c: str) -> bool:
    """True for a character XML 1.0 allows."""
    return c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"


def check_targets(targets: list[Target]) -> None:
    for target in targets:
        assert isinstance(target, Target) and isinstance(target.url, str)
        assert target.published_at is None or target.published_at.tzinfo is not None


@given(st.binary(max_size=3000))
def test_feed_and_sitemap_parsers_never_raise_on_bytes(raw):
    for result in (feed_targets(feed_document(raw), "s"), sitemap_entries(feed_document(raw), "s")):
        if isinstance(result, Rejection):
            assert result.reason == Reason.FEED_MALFORMED
        elif isinstance(result, Listing):
            check_targets(result.targets)
        else:
            check_targets(result)


FIELD = st.one_of(PHRASE, st.sampled_from(["https://news.example.org/a?utm_source=x#f", "/relative/path", "javascript:alert(1)",
                                           "file:///etc/passwd", "http://user:pw@host/", "Tue, 24 Nov 2026 10:00:00 GMT",
                                           "2026-11-24T08:00:00Z", "2026-13-45", "not a date", "9999-12-31T23:59:59+14:00"]))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(FIELD, FIELD, FIELD), max_size=6), st.sampled_from(["rss", "atom", "urlset", "sitemapindex"]),
       st.booleans())
def test_feeds_and_sitemaps_with_arbitrary_fields_parse_or_are_malformed(entries, kind, escaped):
    def text(value: str) -> str:
        return escape(value) if escaped else value

    if kind == "rss":
        items = "".join(f"<item><title>{text(t)}</title><link>{text(u)}</link><pubDate>{text(d)}</pubDate></item>" for u, t, d in entries)
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
    elif kind == "atom":
        items = "".join(f'<entry><title>{text(t)}</title><link href="{escape(u, {chr(34): "&quot;"})}"/><updated>{text(d)}</updated></entry>'
                        for u, t, d in entries)
        xml = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>{items}</feed>'
    else:
        node = "url" if kind == "urlset" else "sitemap"
        items = "".join(f"<{node}><loc>{text(u)}</loc><news:news><news:publication_date>{text(d)}</news:publication_date>"
                        f"<news:title>{text(t)}</news:title></news:news></{node}>" for u, t, d in entries)
        xml = (f'<?xml version="1.0"?><{kind} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
               f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{items}</{kind}>')
    raw = xml.encode("utf-8", "surrogatepass")
    if kind in ("rss", "atom"):
        result = feed_targets(feed_document(raw), "s")
        if not isinstance(result, Rejection):
            check_targets(result)
            assert len(result) <= len(entries)
        return
    result = sitemap_entries(feed_document(raw), "s")
    if isinstance(result, Rejection):
        assert result.reason == Reason.FEED_MALFORMED
        assert not escaped or any(not xml_char(c) for c in xml)  # escaped XML of legal characters parses
        return
    targets, nested = result.targets, result.nested
    check_targets(targets)
    assert all(url_problem(u) is None for _, u in nested)  # only fetchable sitemap URLs are followed
    assert len(targets) + len(nested) <= len(entries)


@given(st.text(max_size=80), PUBLISHED, st.booleans())
def test_any_text_resolves_to_a_calendar_date_or_none(text, published, future):
    resolved = resolve_date(text, published, future=future)
    if resolved is not None:
        day, precision = resolved
        assert isinstance(day, date) and precision in (DAY, MONTH, YEAR)


UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}
TWO_YEARS = 2 * 366  # "last year" from 31 December is 1 January of the year before: a year-precision date
RELATIVE = st.one_of(  # (expression, how many days from the publication date it may land at most)
    st.sampled_from(["today", "yesterday", "tomorrow", "last night", "this morning", "last week", "next week", "this week",
                     "last month", "next month", "this month", "earlier this month", "last year", "next year", "this year",
                     "on Monday", "last Friday", "next Sunday", "Wednesday", "in July", "in December", "this past week"]
                    ).map(lambda e: (e, TWO_YEARS)),
    st.tuples(st.integers(1, 10), st.sampled_from(list(UNIT_DAYS))).map(
        lambda t: (f"{t[0]} {t[1]}s ago", t[0] * UNIT_DAYS[t[1]] + 366)),
)


@given(RELATIVE, PHRASE.filter(lambda s: not any(c.isdigit() for c in s)), PUBLISHED, st.booleans())
def test_relative_expressions_resolve_near_the_publication_date(relative, noise, published, future):
    expression, bound = relative
    assume(resolve_date(noise, published) is None)  # the surrounding words name no date of their own
    resolved = resolve_date(f"{expression} {noise}", published, future=future)
    assert resolved is not None
    day, precision = resolved
    assert abs(day - published) <= timedelta(days=bound)
    if precision == DAY and "ago" not in expression:
        assert abs(day - published) <= timedelta(days=7)


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(list(UNIT_DAYS)), PUBLISHED)
def test_huge_spans_ago_never_raise(n, unit, published):
    resolved = resolve_date(f"{n} {unit}s ago", published)
    assert resolved is None or resolved[0] <= published


SENTENCES = ["Kenya and Ethiopia signed a water agreement in Nairobi on Tuesday.",
             "The Turkish foreign minister criticised Greece.", "“We will not accept this,” said Abiy Ahmed.",
             "France sent troops to Mali last week.", "NATO condemned the attack on Ukraine."]


@pytest.mark.model
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(SENTENCES), st.lists(NASTY, max_size=3).map("".join)), min_size=1, max_size=5))
@example(parts=[(SENTENCES[0], "\u200d\u2028"), (SENTENCES[4], "")])  # CI found "Tuesday.\u200d\u2028" as an entity
def test_entity_and_event_offsets_slice_the_stored_text_whatever_characters_surround_them(nlp, parts):
    text = " ".join(noise + sentence + noise for sentence, noise in parts)
    article = {"article_id": "fuzz", "text": text, "url": "file:///fuzz.txt", "published_at": None}
    analysis = analyse([article], nlp, fallback_date=date(2026, 1, 15))
    assert analysis.rejections == {}  # whether the model still finds entities next to odd characters is its business
    for row in analysis.entities["fuzz"]:
        assert text[row["start_char"]:row["end_char"]] == row["text"] and row["text"].strip() == row["text"]
    for row in analysis.event_mentions["fuzz"]:
        assert text[row["sentence_start_char"]:row["sentence_end_char"]] == row["sentence"]
        assert text[row["trigger_start_char"]:row["trigger_end_char"]] == row["trigger"]
        for n in (1, 2):
            if row[f"actor{n}_text"] is not None:
                assert text[row[f"actor{n}_start_char"]:row[f"actor{n}_end_char"]] == row[f"actor{n}_text"]
