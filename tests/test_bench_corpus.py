"""The benchmark corpus generator: deterministic, varied pages that the clean stage accepts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.clean import clean_document
from transforms.read import document_from_bytes

CORPUS_PY = Path(__file__).resolve().parent.parent / "bench" / "corpus.py"
_spec = importlib.util.spec_from_file_location("bench_corpus", CORPUS_PY)
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def meta(tree: lxml.html.HtmlElement, prop: str) -> str:
    return tree.xpath(f"string(//meta[@property='{prop}']/@content)")


def test_same_seed_and_index_give_the_same_page():
    assert corpus.page(7, seed=3) == corpus.page(7, seed=3)
    assert corpus.page(7, seed=3) != corpus.page(7, seed=4)
    assert corpus.page(7, seed=3) != corpus.page(8, seed=3)


def test_pages_vary_in_layout_headline_and_length():
    pages = [corpus.page(i)[1] for i in range(60)]
    trees = [lxml.html.fromstring(p) for p in pages]
    headlines = {t.xpath("string(//h1)") for t in trees}
    layouts = {next(c for c in ("story", "story-body", "article-section", "layout") if t.xpath(f"//*[@class='{c}']"))
               for t in trees}
    paragraph_counts = {len(t.xpath("//p[not(@class)]")) for t in trees}
    assert len(headlines) == 60
    assert len(layouts) == 4
    assert len(paragraph_counts) >= 5


@settings(max_examples=30, deadline=None)
@given(index=st.integers(min_value=0, max_value=10**6), seed=st.integers(min_value=0, max_value=1000))
def test_every_page_parses_with_its_metadata(index, seed):
    name, page = corpus.page(index, seed)
    tree = lxml.html.fromstring(page)
    assert name.startswith(f"{index:06d}-") and name.endswith(".html")
    assert tree.xpath("string(//link[@rel='canonical']/@href)") == meta(tree, "og:url")
    assert tree.xpath("string(//h1)") == meta(tree, "og:title")
    assert meta(tree, "article:published_time").startswith("2025-")
    assert len(tree.xpath("//article//p | //div[@class='story-body']//p | //section//p | //div[@class='text']//p")) >= 7


def test_clean_stage_keeps_the_story_and_drops_the_furniture():
    for index in range(6):
        name, page = corpus.page(index)
        tree = lxml.html.fromstring(page)
        location = f"file:///corpus/{name}"
        doc = document_from_bytes(page.encode(), location=location, url=location, input_format="html", is_html=True)
        article = clean_document(doc)
        assert isinstance(article, dict), article
        assert article["title"] == meta(tree, "og:title")
        assert article["canonical_url"] == meta(tree, "og:url")
        assert article["published_at"].date().isoformat() == meta(tree, "article:published_time")[:10]
        assert article["word_count"] >= 100
        first_paragraph = tree.xpath("string(//p[not(@class)][1])")
        assert first_paragraph in article["text"]
        for furniture in ("Advertisement", "Most Popular", "All rights reserved", "Cookie settings"):
            assert furniture not in article["text"]


def test_write_corpus_reuses_the_pages_already_written(tmp_path):
    first = corpus.write_corpus(tmp_path, 3, seed=1)
    stamps = [p.stat().st_mtime_ns for p in first]
    again = corpus.write_corpus(tmp_path, 4, seed=1)
    assert again[:3] == first
    assert [p.stat().st_mtime_ns for p in first] == stamps
    assert again[3].read_text(encoding="utf-8") == corpus.page(3, seed=1)[1]
