"""Tests of transforms/clean.py: RAW DOCUMENTS -> ARTICLES."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.tables import ARTICLES
from transforms.clean import (
    CleanOptions,
    canonical_url,
    clean_document,
    normalise_text,
    source_domain,
    strip_site_name,
    text_sha256,
)
from transforms.errors import Reason, Rejection
from transforms.ids import stable_id
from transforms.read import (
    RawDocument,
    document_from_bytes,
    expand_paths,
    read_files,
    record_to_document,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
ROW_FIELDS = {f.name for f in ARTICLES} - {"duplicate_of", "ingested_at", "run_id", "pipeline_version"}  # set when stored

WIRE_STORY = """Ministers from Ghana and Togo met in Accra on Friday to discuss a dispute over fishing rights in the Gulf of Guinea.

Photo: Fishing boats at the port of Tema on Thursday. (Kofi Mensah/West Coast Wire)
Photo: Fishing boats at the port of Tema on Thursday. (Kofi Mensah/West Coast Wire)

The two governments agreed to set up a joint patrol of their maritime border and to share catch data every month, officials said.
Ghana's fisheries minister said the deal would protect small fishing communities on both sides.

Advertisement

Togo's foreign minister thanked Ghana for hosting the talks and said a formal agreement would be signed in Lomé in June.

Most Popular
read more:
Share this
"""


def document(content: str, *, url: str = "file:///samples/story.txt", is_html: bool = False, **fields) -> RawDocument:
    """A document as the read stage would make it from the given text."""
    doc = document_from_bytes(content.encode("utf-8"), location=url, url=url,
                              input_format="html" if is_html else "txt", is_html=is_html)
    assert isinstance(doc, RawDocument)
    return replace(doc, **fields)


def sample(name: str) -> RawDocument:
    """The document of one sample file (or the JSONL record 'name#line=N')."""
    file, _, line = name.partition("#line=")
    docs = list(read_files([SAMPLES / file]))
    doc = docs[int(line) - 1] if line else docs[0]
    assert isinstance(doc, RawDocument)
    return doc


def clean(doc: RawDocument, **options) -> dict:
    """The article row of a document that must clean."""
    row = clean_document(doc, options=CleanOptions(**options))
    assert isinstance(row, dict), row
    return row


@pytest.mark.parametrize(
    ("title", "names", "expected"),
    [
        ("Talks resume in Geneva | The Daily Ledger", ["The Daily Ledger"], "Talks resume in Geneva"),
        ("Talks resume in Geneva - The Daily Ledger", ["dailyledger.example"], "Talks resume in Geneva"),
        ("Talks resume in Geneva – Daily Ledger World", ["Daily Ledger"], "Talks resume in Geneva"),
        ("Daily Ledger: Talks resume in Geneva", ["Daily Ledger"], "Talks resume in Geneva"),
        ("Talks resume in Geneva | World | The Ledger", [None], "Talks resume in Geneva"),
        ("Russia to start S-400 shipments to Turkey in July — report", [None], "Russia to start S-400 shipments to Turkey in July — report"),
        ("Ukraine war: troops advance near Kharkiv", ["The Daily Ledger"], "Ukraine war: troops advance near Kharkiv"),
        ("Ledger readers vote: the best books of 2026", ["Daily Ledger"], "Ledger readers vote: the best books of 2026"),
    ],
)
def test_title_loses_site_name(title, names, expected):
    assert strip_site_name(title, names) == expected


def test_html_page_becomes_article_without_furniture():
    row = clean(sample("eu-sanctions-belarus.html"))
    assert row["title"] == "EU imposes new sanctions on Belarus over crackdown on opposition"
    assert row["text"].startswith("Asset freezes and travel bans")  # the standfirst is article text, the headline is not
    for kept in ("The European Union imposed sanctions on Belarus on Monday", "We demand the immediate and unconditional release",
                 "Hungary blocked that proposal.", "limit the damage to its economy."):
        assert kept in row["text"]
    for furniture in ("cookies", "Subscribe", "Share on", "Pavel Kuzmin", "Advertisement", "Read more", "Belarus frees two activists",
                      "Sign up", "Related stories", "Inside the prisons", "Comments", "All rights reserved", "Privacy"):
        assert furniture not in row["text"]


LEDGER_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Port strike spreads to Rotterdam | The Harbour Ledger</title><meta property="og:site_name" content="The Harbour Ledger">
<meta name="author" content="Anna de Vries"><meta property="article:published_time" content="2026-09-14T07:00:00+02:00">
<link rel="canonical" href="https://harbourledger.example/europe/port-strike-rotterdam"></head>
<body><header><nav><a href="/">Home</a> <a href="/europe">Europe</a> <a href="/shipping">Shipping</a></nav></header>
<article><h1>Port strike spreads to Rotterdam</h1>
<p>Dock workers in Rotterdam walked out on Monday, joining a strike that has shut the port of Antwerp for a week and left hundreds of ships waiting at sea.</p>
<p>The Dutch union FNV said the strike would last at least 48 hours and demanded that port operators withdraw plans to automate container terminals.</p>
<p><a href="/europe/antwerp-ships-queue"><strong>ANTWERP SHIPPING QUEUE GROWS AS TALKS COLLAPSE</strong></a></p>
<p>Port operators said they were ready to resume talks but accused the union of holding the economy hostage. The Dutch government urged both sides to return to mediation.</p>
<p>Belgian and Dutch ministers will meet in Brussels on Thursday to discuss the disruption, which shipping companies say is costing them millions of euros a day.</p>
<p>___</p>
<p>Anna de Vries is a shipping correspondent for The Harbour Ledger. Send tips to anna@harbourledger.example.</p>
</article><footer>&copy; 2026 The Harbour Ledger</footer></body></html>"""


def test_page_end_and_link_lines_are_furniture():
    row = clean(document(LEDGER_PAGE, url="file:///samples/ledger.html", is_html=True))
    assert row["title"] == "Port strike spreads to Rotterdam"
    assert row["text"].startswith("Dock workers in Rotterdam walked out on Monday")
    assert row["text"].endswith("costing them millions of euros a day.")
    assert "ANTWERP SHIPPING QUEUE" not in row["text"] and "___" not in row["text"] and "correspondent for" not in row["text"]
    assert "The Dutch government urged both sides to return to mediation." in row["text"]
    assert row["source_domain"] == "harbourledger.example" and row["authors"] == ["Anna de Vries"]


def test_html_metadata_fills_the_row():
    row = clean(sample("russia-jets-algeria.html"))
    assert set(row) == ROW_FIELDS
    assert row["authors"] == ["Karim Haddad", "Olga Petrenko"]
    assert row["source_name"] == "The Meridian Herald"
    assert row["canonical_url"] == "https://www.meridianherald.example/defence/2026/05/18/russia-delivers-su-35-jets-algeria"
    assert row["source_domain"] == "meridianherald.example"
    assert row["article_id"] == stable_id(row["canonical_url"])
    assert row["published_at"].date().isoformat() == "2026-05-18" and row["published_at"].tzinfo is not None
    assert row["extractor"] == "trafilatura" and row["input_format"] == "html" and row["language"] == "en"


def test_page_time_zone_is_converted_to_utc():
    row = clean(sample("qatar-mediates-sudan-ceasefire.html"))
    assert row["published_at"] == datetime(2026, 7, 3, 16, 45, tzinfo=UTC)


DATED_PAGE = ('<html><head><meta property="article:published_time" content="{}"></head><body><article><p>'
              + " ".join(["The council met on Tuesday and voted to approve the new budget for the city."] * 5) + "</p></article></body></html>")


@pytest.mark.parametrize(
    ("on_page", "given", "expected"),
    [
        ("2026-11-03", datetime(2026, 11, 3, 12, tzinfo=UTC), datetime(2026, 11, 3, 12, tzinfo=UTC)),  # a sitemap's exact time stays
        ("2026-11-03", datetime(2026, 11, 4, 4, 30, tzinfo=UTC), datetime(2026, 11, 4, 4, 30, tzinfo=UTC)),  # 23:30 -05:00, not a day back
        ("2026-11-03T18:15:00+01:00", datetime(2026, 11, 3, 12, tzinfo=UTC), datetime(2026, 11, 3, 17, 15, tzinfo=UTC)),  # the page's time
        ("2026-11-03T18:15:00+01:00", datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, 17, 15, tzinfo=UTC)),
        ("2026-11-03", datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),  # two days: the page's
        ("2026-11-03", None, datetime(2026, 11, 3, tzinfo=UTC)),
        ("2024-05-20", datetime(2026, 11, 3, 12, tzinfo=UTC), datetime(2024, 5, 20, tzinfo=UTC)),  # an old story listed again
    ],
)
def test_the_more_precise_of_page_date_and_feed_time_wins(on_page, given, expected):
    page = document(DATED_PAGE.format(on_page), url="https://ledger.example/budget", is_html=True, published_at=given)
    assert clean(page)["published_at"] == expected


BAD_CANONICAL = '<link rel="canonical" href="http://[abc/">'


@pytest.mark.parametrize(
    ("url", "input_format", "canonical"),
    [
        ("https://harbourledger.example/strike?utm_source=rss", "web", "https://harbourledger.example/strike"),  # a fetched page
        ("file:///samples/ledger.html", "html", None),  # a local file
        ("https://archive.example/strike", "warc", "https://archive.example/strike"),  # a WARC record's target
    ],
)
def test_an_invalid_declared_canonical_is_ignored(url, input_format, canonical):
    page = LEDGER_PAGE.replace('<link rel="canonical" href="https://harbourledger.example/europe/port-strike-rotterdam">', BAD_CANONICAL)
    row = clean(replace(document(page, url=url, is_html=True), input_format=input_format))
    assert row["url"] == url and row["canonical_url"] == canonical
    assert row["article_id"] == stable_id(canonical or url)
    og_url = page.replace(BAD_CANONICAL, BAD_CANONICAL + '<meta property="og:url" content="/europe/strike">')
    assert clean(document(og_url, url=url, is_html=True))["canonical_url"] == (canonical and urljoin(canonical, "/europe/strike"))


VICTIM = "https://www.bbc.co.uk/news/world-12345"


def claiming(canonical: str) -> str:
    """LEDGER_PAGE declaring another canonical URL."""
    return LEDGER_PAGE.replace("https://harbourledger.example/europe/port-strike-rotterdam", canonical)


@pytest.mark.parametrize(
    ("url", "input_format"),
    [
        ("http://127.0.0.7:8080/spoof.html", "web"),  # another address
        ("https://bbc.co.uk.evil.example/news/world-12345", "web"),  # a name ending in the victim's
        ("https://evil-bbc.co.uk/news/world-12345", "warc"),  # a WARC record's target on a sibling under the same suffix
        ("https://evil.example/story", "jsonl"),  # a JSONL record's url
    ],
)
def test_a_page_cannot_claim_another_sites_canonical_url(url, input_format):
    row = clean(replace(document(claiming(VICTIM), url=url, is_html=True), input_format=input_format))
    assert (row["url"], row["canonical_url"]) == (url, canonical_url(url))
    assert row["article_id"] == stable_id(canonical_url(url)) != stable_id(VICTIM)
    assert row["source_domain"] == source_domain(url) != "bbc.co.uk"
    assert row["ignored_canonical_url"] == VICTIM


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://a.github.io/story", "https://b.github.io/story"),  # sites under a private suffix of the list
        ("https://news.ledger.example/story", "https://ledger.example/story"),  # a suffix the list lacks: hosts must match
        ("http://127.0.0.2/story", "http://127.0.0.3/story"),
        ("http://[::1]/story", "http://127.0.0.1/story"),
    ],
)
def test_sites_are_told_apart_by_the_public_suffix_list_else_by_host(url, canonical):
    row = clean(document(claiming(canonical), url=url, is_html=True))
    assert row["canonical_url"] == url and row["article_id"] == stable_id(url)
    assert row["ignored_canonical_url"] == canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://m.bbc.co.uk/news/world-12345?utm_source=x", VICTIM),  # another host of the same registrable domain
        ("http://bbc.co.uk/amp/world-12345", VICTIM),  # http and no www.
        ("https://www.bücher.example/a", "https://www.xn--bcher-kva.example/a"),  # the same host in Unicode and IDNA
        ("http://127.0.0.2:18081/good/50.html?page=2", "http://127.0.0.2:18081/good/50.html"),
    ],
)
def test_a_page_names_its_canonical_url_on_its_own_site(url, canonical):
    row = clean(document(claiming(canonical), url=url, is_html=True))
    assert row["canonical_url"] == canonical_url(canonical) and row["ignored_canonical_url"] is None
    assert row["article_id"] == stable_id(row["canonical_url"])


def test_a_local_files_declared_canonical_is_kept():
    row = clean(document(claiming(VICTIM), url="file:///saved/story.html", is_html=True))
    assert (row["canonical_url"], row["source_domain"], row["ignored_canonical_url"]) == (VICTIM, "bbc.co.uk", None)


ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[1;31mFAKE ALERT\x1b[0m"  # sets the window title, clears the screen, in red
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1


def test_control_characters_are_not_stored():
    text = clean(document(ESCAPES + "\n\n" + WIRE_STORY.replace("Accra", "Accra\x1b[8m")))  # a .txt: its first line is the title
    record = json.dumps({"text": WIRE_STORY, "title": "Ghana\x9b2J and Togo\x1b[0m talk\x07 fish"}).encode()
    jsonl = clean(record_to_document(record, "file:///samples/wire.jsonl#line=1", published=None))
    given = clean(document(LEDGER_PAGE, is_html=True, title=ESCAPES))  # a feed or sitemap item's title
    for row in (text, jsonl, given):
        assert not [v for v in (row["title"], row["text"], row["given_title"]) if v and CONTROL.search(v)], row
    assert text["title"] == "]0;owned[2J[1;31mFAKE ALERT[0m" and "Accra[8m on Friday" in text["text"]
    assert jsonl["title"] == jsonl["given_title"] == "Ghana2J and Togo[0m talk fish"
    assert given["title"] == given["given_title"] == "]0;owned[2J[1;31mFAKE ALERT[0m"


def test_title_prefix_and_tracking_parameters_go():
    row = clean(sample("kenya-ethiopia-water-agreement.html"))
    assert row["title"] == "Kenya and Ethiopia sign water-sharing agreement on the Omo river"
    # rel=canonical is relative and the page was read from a file, so og:url is used, without its utm_* parameters
    assert row["canonical_url"] == "https://coastlinetimes.example/africa/kenya-ethiopia-sign-omo-water-agreement"
    assert "READ ALSO" not in row["text"] and "ADVERTISEMENT" not in row["text"] and "Most Read" not in row["text"]


def test_canonical_url_drops_tracking_parameters_and_fragment():
    url = "https://www.Ledger.example/world/talks?utm_source=tw&id=7&fbclid=abc&gclid=x#comments"
    assert canonical_url(url) == "https://www.ledger.example/world/talks?id=7"
    assert canonical_url("file:///tmp/a.html", None) is None
    assert canonical_url("file:///tmp/a.html", "https://ledger.example/a?utm_medium=x") == "https://ledger.example/a"
    assert source_domain("https://www.ledger.example/a") == "ledger.example"
    assert source_domain(None) is None


@pytest.mark.parametrize(("url", "domain"), [("http://xn--80ak6aa92e.com/a", "xn--80ak6aa92e.com"),
                                             ("http://\u0430\u0440\u0440\u04cf\u0435.com/a", "xn--80ak6aa92e.com"),
                                             ("https://www.münchen.example/a", "xn--mnchen-3ya.example")])
def test_a_look_alike_host_is_stored_in_ascii_not_as_another_sites_name(url, domain):
    """courlan decodes IDNA, so a page of xn--80ak6aa92e.com was stored with the source_domain "\u0430\u0440\u0440\u04cf\u0435.com",
    Cyrillic letters that show as apple.com."""
    row = clean(document(WIRE_STORY, url=url, is_html=False))
    assert row["source_domain"] == domain


def test_article_id_is_the_location_hash_without_a_url():
    doc = document(WIRE_STORY, url="file:///samples/ghana-togo.txt")
    row = clean(doc)
    assert row["article_id"] == stable_id("file:///samples/ghana-togo.txt")
    assert row["canonical_url"] is None and row["source_domain"] is None
    assert row["url"] == "file:///samples/ghana-togo.txt"


def test_plain_text_loses_captions_repeats_and_trailing_boilerplate():
    row = clean(document(WIRE_STORY))
    assert row["title"] == "Ministers from Ghana and Togo met in Accra on Friday to discuss a dispute over fishing rights in the Gulf of Guinea."
    text = row["text"]
    for furniture in ("Photo:", "Kofi Mensah", "Advertisement", "Most Popular", "read more", "Share this"):
        assert furniture not in text
    assert text.startswith("The two governments agreed to set up a joint patrol")
    assert "officials said.\n\nGhana's fisheries minister" in text  # one paragraph per line
    assert text.endswith("would be signed in Lomé in June.")
    assert row["extractor"] == "plaintext" and row["extractor_version"] == "0.1.0"


def test_given_title_keeps_the_first_line_in_the_body():
    row = clean(document(WIRE_STORY, title="Ghana and Togo talk fish"))
    assert row["title"] == "Ghana and Togo talk fish"
    assert row["text"].startswith("Ministers from Ghana and Togo met in Accra")


def test_a_jsonl_record_without_a_title_keeps_all_its_text_as_body():
    record = '{"url": "https://news.example/1", "text": "Ministers from Ghana and Togo met in Accra on Friday to discuss a dispute over fishing rights in the Gulf of Guinea, and agreed to meet again in June in Lomé to sign a deal."}'.encode()
    row = clean(record_to_document(record, "file:///in/wire.jsonl#line=1", published=None))
    assert row["title"] is None
    assert row["text"].startswith("Ministers from Ghana and Togo met in Accra")


def test_an_html_fragment_of_one_element_is_read_as_a_page():
    paragraph = ("Ministers from Ghana and Togo met in Accra on Friday to discuss a dispute over fishing rights in the Gulf of "
                 "Guinea, and agreed to meet again in June in Lomé to sign a deal.")
    record = json.dumps({"url": "https://news.example/2", "title": "Fishing talks", "html": f"<p>{paragraph}</p>"}).encode()
    row = clean(record_to_document(record, "file:///in/wire.jsonl#line=2", published=None))
    assert row["text"] == paragraph


def test_hard_wrapped_lines_join_into_one_paragraph():
    wrapped = ("Fishing talks end\n\nMinisters from Ghana and Togo met in Accra on Friday to discuss\n"
               "a dispute over fishing rights in the Gulf of Guinea, and agreed\nto meet again in June in Lomé.\n")
    row = clean(document(wrapped), min_words=5)
    assert row["text"] == ("Ministers from Ghana and Togo met in Accra on Friday to discuss a dispute over fishing "
                           "rights in the Gulf of Guinea, and agreed to meet again in June in Lomé.")


def test_seed_article_keeps_every_sentence(shared):
    seed = shared / "seeds" / "s400-turkey.txt"
    row = clean(next(iter(read_files([seed]))))
    lines = [line.strip() for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
    captions = [line for line in lines if line.startswith("Illustrative:")]
    assert len(captions) == 2
    assert row["title"] == lines[0]
    for line in lines[1:]:
        if line in captions or line in ("Most Popular", "read more:"):
            assert line not in row["text"]
        else:
            assert line in row["text"]
    assert row["text"].endswith("citizens in Turkish custody.")


def test_other_languages_are_rejected_unless_kept():
    doc = sample("mexico-eeuu-acuerdo-migratorio-es.txt")
    rejection = clean_document(doc)
    assert isinstance(rejection, Rejection)
    assert rejection.reason == Reason.NOT_ENGLISH and rejection.stage == "clean"
    assert "'es'" in rejection.detail and rejection.url == doc.location and rejection.payload == doc.raw
    assert clean(doc, languages=("en", "es"))["language"] == "es"
    assert clean(doc, languages=None)["language"] == "es"


@pytest.mark.parametrize(
    ("content", "is_html"),
    [
        ("Ceasefire holds\n\nCalm returned on Sunday.\n", False),
        ("<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
         "<footer>Contact us</footer></body></html>", True),
    ],
)
def test_too_little_text_is_extract_empty(content, is_html):
    rejection = clean_document(document(content, is_html=is_html))
    assert isinstance(rejection, Rejection) and rejection.reason == Reason.EXTRACT_EMPTY


def test_deeply_nested_page_is_rejected_quickly():
    depth = 100_000
    page = "<html><body>" + "<div>" * depth + "<p>" + "Deep text here. " * 50 + "</p>" + "</div>" * depth + "</body></html>"
    started = time.perf_counter()
    rejection = clean_document(document(page, url="file:///samples/deep.html", is_html=True))
    assert time.perf_counter() - started < 5
    assert isinstance(rejection, Rejection) and rejection.reason == Reason.EXTRACT_FAILED
    assert "levels deep" in rejection.detail


def test_pages_over_the_element_cap_are_rejected_before_extraction():
    page = "<html><body>" + "<div><p>A sentence about talks in Geneva.</p></div>" * 600 + "</body></html>"
    rejection = clean_document(document(page, is_html=True), options=CleanOptions(max_tree_size=1000))
    assert isinstance(rejection, Rejection) and rejection.reason == Reason.TOO_LARGE
    rejection = clean_document(document(page, is_html=True), options=CleanOptions(max_html_chars=1000))
    assert isinstance(rejection, Rejection) and rejection.reason == Reason.TOO_LARGE


def test_icon_drawings_do_not_count_towards_the_element_cap():
    icons = '<svg viewBox="0 0 8 8">' + '<path d="M0 0L8 8"></path>' * 2000 + "</svg>"
    story = " ".join(f"Negotiators met in Geneva for round {n} of the ceasefire talks." for n in range(1, 8))
    page = f"<html><body><nav>{icons}</nav><article><p>{story}</p></article></body></html>"
    row = clean(document(page, is_html=True), max_tree_size=1000)
    assert row["text"] == story


def test_jsonl_html_record_uses_its_title_and_date():
    row = clean(sample("wire-feed.jsonl#line=3"))
    assert row["title"] == "Istanbul police detain six journalists in dawn raids"
    assert row["published_at"] == datetime(2026, 10, 20, 3, 30, tzinfo=UTC)  # the page has no date: the record's
    assert row["input_format"] == "jsonl" and row["extractor"] == "trafilatura"
    assert "Most popular" not in row["text"] and "Advertisement" not in row["text"]


def test_samples_clean_as_documented():
    outcomes = []
    for doc in read_files(expand_paths([SAMPLES])[0]):
        row = clean_document(doc) if isinstance(doc, RawDocument) else doc
        outcomes.append(row if isinstance(row, dict) else str(row.reason))
    rows = [o for o in outcomes if isinstance(o, dict)]
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["EMPTY", "NOT_ENGLISH", "UNSUPPORTED_TYPE"]
    assert len(rows) == 13
    assert all(150 <= r["word_count"] <= 400 for r in rows)
    assert len({r["article_id"] for r in rows}) == 13
    assert len({r["text_sha256"] for r in rows}) == 12  # india-china-border-talks-copy.txt is an exact duplicate
    assert all(r["published_at"] is None or r["published_at"].year == 2026 for r in rows)


@pytest.mark.parametrize("name", ["india-china-border-talks.txt", "japan-aid-philippines-typhoon.txt", "congo-army-rebels-clash.txt",
                                  "wire-feed.jsonl#line=1", "eu-sanctions-belarus.html"])
def test_cleaning_clean_text_changes_nothing(name):
    row = clean(sample(name))
    again = clean(document(f"{row['title']}\n\n{row['text']}"))
    assert again["text"] == row["text"] and again["title"] == row["title"]


def test_text_hash_folds_case_and_white_space():
    assert text_sha256("Talks resumed.\n\nBoth sides  agreed.") == text_sha256("talks resumed. both sides agreed.")
    assert text_sha256("Talks resumed.") != text_sha256("Talks failed.")


def test_tone_follows_the_words():
    calm = clean(document("Peace talks\n\n" + "Leaders welcomed the agreement and praised the peaceful cooperation. " * 5))
    grim = clean(document("Attack\n\n" + "Rebels attacked the town, killing civilians and wounding soldiers in violent clashes. " * 5))
    assert calm["tone"] > 0 > grim["tone"]


@given(st.text(alphabet=st.sampled_from("ab \t\n\u00a0\r.\u2028\u200b\u00ad"), max_size=60))
def test_normalise_text_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert "\n\n\n" not in once and once == once.strip() and "\u200b" not in once and "\u00ad" not in once


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.booleans())
def test_bad_content_never_raises(content, is_html):
    doc = RawDocument(location="file:///x", url="file:///x", input_format="html" if is_html else "txt",
                      raw=content.encode("utf-8", "surrogatepass"), content=content, is_html=is_html)
    result = clean_document(doc)
    assert isinstance(result, dict | Rejection)
