"""The sources file: the shipped example loads, and every mistake is one clear error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from transforms.errors import NewseventsError
from transforms.sources import (
    MAX_SOURCES_BYTES,
    Source,
    command_line_sources,
    cron_problem,
    load_sources,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "sources.example.toml"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_loads():
    sources = load_sources(EXAMPLE)
    assert {s.kind for s in sources} == {"feed", "sitemap", "urls"}
    bbc = sources[0]
    assert bbc == Source(name="bbc-world", kind="feed", urls=("https://feeds.bbci.co.uk/news/world/rss.xml",),
                         schedule="*/30 * * * *", max_articles=50, language="en")


@pytest.mark.parametrize(("body", "message"), [
    ('[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://x.org/f"', "'kind' must be one of feed, sitemap, urls"),
    ('[[sources]]\nname = "a"\nkind = "feed"', "give exactly one of 'url'"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "file:///etc/passwd"', "scheme 'file' is not http or https"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://u:p@x.org/"', "URL carries credentials"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://x.org/"\nschedule = "every hour"', "is not a cron expression"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://x.org/"\nschedule = "61 * * * *"', "61 is outside 0-59"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://x.org/"\nmax_articles = 0', "positive integer"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://x.org/"\nlanguage = "English"', "two-letter"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://x.org/"\nschedul = "@daily"', "unknown key 'schedul'"),
    ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://x.org/"\n[[sources]]\nname = "a"\nkind = "urls"\nurls = ["https://y.org/"]', "used more than once"),
    ('sources = 3', "expected at least one [[sources]] table"),
    ('[[sources]\nname=', "not valid TOML"),
])
def test_mistakes_are_one_line_errors(tmp_path, body, message):
    with pytest.raises(NewseventsError) as error:
        load_sources(write(tmp_path, body))
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(tmp_path / "sources.toml") in str(error.value)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(NewseventsError, match="no such sources file"):
        load_sources(tmp_path / "absent.toml")


@pytest.mark.parametrize(("make", "message"), [
    (os.mkfifo, "must be a regular file"),  # opened as is, reading it would wait for a writer for ever
    (os.mkdir, "must be a regular file"),
    (lambda path: path.symlink_to("/dev/zero"), "must be a regular file"),  # would never end
    (lambda path: path.write_bytes(b"#" * (MAX_SOURCES_BYTES + 1)), "too large for a sources file"),
], ids=["fifo", "folder", "device", "huge"])
def test_a_sources_file_that_is_no_regular_file_or_too_large_is_refused_before_reading(tmp_path, make, message):
    path = tmp_path / "sources.toml"
    make(path)
    with pytest.raises(NewseventsError, match=message) as error:
        load_sources(path)
    assert str(error.value).startswith(f"{path}: ")


@pytest.mark.parametrize("expression", ["*/15 * * * *", "0 6,18 * * mon-fri", "30 2 1 jan,jul *", "@hourly", "0 0 * * 7"])
def test_valid_cron_expressions(expression):
    assert cron_problem(expression) is None


@pytest.mark.parametrize("expression", ["* * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "*/0 * * * *",
                                        "10-5 * * * *", "@sometimes", "0 0 * foo *"])
def test_invalid_cron_expressions(expression):
    assert cron_problem(expression)


def test_command_line_sources():
    sources = command_line_sources(urls=["https://a.org/1", "https://a.org/2"], feeds=["https://a.org/rss"],
                                   sitemaps=["https://a.org/news.xml"])
    assert [(s.name, s.kind, s.urls) for s in sources] == [
        ("https://a.org/rss", "feed", ("https://a.org/rss",)),
        ("https://a.org/news.xml", "sitemap", ("https://a.org/news.xml",)),
        ("command line", "urls", ("https://a.org/1", "https://a.org/2"))]
    assert command_line_sources() == []


def test_a_command_line_feed_or_sitemap_that_does_not_parse_is_an_error():
    with pytest.raises(NewseventsError, match="bad feed or sitemap URL 'http://\\[abc/'"):
        command_line_sources(feeds=["http://[abc/"])
    with pytest.raises(NewseventsError, match="scheme 'ftp' is not http or https"):
        command_line_sources(sitemaps=["ftp://news.example/sitemap.xml"])
