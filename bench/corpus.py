"""A deterministic corpus of realistic HTML news pages for the pipeline benchmark.

Pages are templated but varied: four site layouts (nav, breadcrumbs, share bars, ads, related
links, footer, JSON-LD, inline CSS and scripts), meta tags (og:*, article:published_time, author,
canonical link), and 6-14 paragraphs written from a vocabulary of countries, capitals, officials,
verbs, places and dates, so that the event coder has actors and events to find. The same seed and
index always give the same page.

    uv run python bench/corpus.py FOLDER [--articles N] [--seed S]
"""

from __future__ import annotations

import argparse
import html
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Countries with their adjective and capital (facts from ISO 3166 and atlases).
COUNTRIES = (
    ("the United States", "American", "Washington"), ("China", "Chinese", "Beijing"), ("Russia", "Russian", "Moscow"),
    ("Ukraine", "Ukrainian", "Kyiv"), ("Israel", "Israeli", "Jerusalem"), ("Britain", "British", "London"),
    ("Iran", "Iranian", "Tehran"), ("France", "French", "Paris"), ("Germany", "German", "Berlin"),
    ("India", "Indian", "New Delhi"), ("Turkey", "Turkish", "Ankara"), ("Japan", "Japanese", "Tokyo"),
    ("South Korea", "South Korean", "Seoul"), ("North Korea", "North Korean", "Pyongyang"),
    ("Syria", "Syrian", "Damascus"), ("Pakistan", "Pakistani", "Islamabad"), ("Iraq", "Iraqi", "Baghdad"),
    ("Saudi Arabia", "Saudi", "Riyadh"), ("Egypt", "Egyptian", "Cairo"), ("Canada", "Canadian", "Ottawa"),
    ("Australia", "Australian", "Canberra"), ("Brazil", "Brazilian", "Brasilia"), ("Mexico", "Mexican", "Mexico City"),
    ("Italy", "Italian", "Rome"), ("Spain", "Spanish", "Madrid"), ("Poland", "Polish", "Warsaw"),
    ("Nigeria", "Nigerian", "Abuja"), ("South Africa", "South African", "Pretoria"), ("Kenya", "Kenyan", "Nairobi"),
    ("Ethiopia", "Ethiopian", "Addis Ababa"), ("Venezuela", "Venezuelan", "Caracas"), ("Colombia", "Colombian", "Bogota"),
    ("Indonesia", "Indonesian", "Jakarta"), ("the Philippines", "Philippine", "Manila"), ("Vietnam", "Vietnamese", "Hanoi"),
    ("Qatar", "Qatari", "Doha"), ("Lebanon", "Lebanese", "Beirut"), ("Jordan", "Jordanian", "Amman"),
    ("Sudan", "Sudanese", "Khartoum"), ("Afghanistan", "Afghan", "Kabul"),
)
ORGANISATIONS = ("the United Nations", "NATO", "the European Union", "the African Union", "the World Health Organization",
                 "the International Monetary Fund", "the Red Cross")
SPOKESPEOPLE = ("foreign minister", "defence minister", "prime minister", "president", "opposition leader",
                "trade minister", "ambassador", "army chief")
OFFICIALS = (*SPOKESPEOPLE, "interior ministry", "foreign ministry", "army", "military", "central bank")
GROUPS = ("rebels", "protesters", "police", "troops", "lawmakers", "students", "farmers", "militants", "aid workers")
# Past-tense verb phrases: "{source} {verb} {target}".
VERBS = (
    "met", "held talks with", "accused", "criticised", "condemned", "praised", "thanked", "signed an agreement with",
    "threatened", "warned", "imposed sanctions on", "attacked", "shelled", "expelled diplomats from", "urged",
    "called on", "welcomed", "rejected a proposal from", "promised aid to", "sent troops to", "arrested members of",
    "negotiated with", "apologised to", "demanded an apology from", "hosted", "visited", "blamed", "sued",
    "agreed to cooperate with", "cut ties with", "restored relations with", "invited",
)
TOPICS = ("the border dispute", "grain exports", "the ceasefire", "energy prices", "a new trade deal", "the refugee crisis",
          "nuclear talks", "water rights", "fishing quotas", "the election", "drone strikes", "prisoner exchanges",
          "shipping lanes", "debt relief", "the pipeline", "visa rules")
DAYS = ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday",
        "last week", "earlier this month", "this week", "late on Tuesday", "on Wednesday evening")
SAYERS = ("officials said", "a spokesperson said", "state media reported", "according to a statement",
          "diplomats said", "the ministry said in a statement", "witnesses said", "local media reported")
FILLERS = (
    "The talks lasted more than three hours and ended without a joint statement.",
    "Analysts said the move could reshape relations in the region for years to come.",
    "Markets were little changed after the announcement.",
    "Neither side gave details of what had been agreed.",
    "The meeting had been postponed twice since the spring.",
    "Officials declined to comment on the record.",
    "Residents described long queues at petrol stations and closed schools.",
    "The decision is expected to be reviewed by parliament next month.",
    "Aid agencies have warned that food stocks are running low.",
    "It was the first such visit in more than a decade.",
    "Critics said the plan did not go far enough.",
    "Details of the deal are expected to be published later.",
)
FIRST_NAMES = ("Anna", "James", "Maria", "Chen", "Olga", "Ahmed", "Priya", "Lucas", "Fatima", "David", "Sofia", "Kenji",
               "Amara", "Tomasz", "Elena", "Omar", "Grace", "Ivan", "Leila", "Marco")
LAST_NAMES = ("Novak", "Okafor", "Schmidt", "Haddad", "Kim", "Moreau", "Silva", "Petrov", "Rahman", "Walsh", "Tanaka",
              "Mensah", "Kowalski", "Rossi", "Ibrahim", "Larsen", "Costa", "Singh", "Hughes", "Duarte")
SECTIONS = ("World", "Politics", "Business", "Middle East", "Europe", "Asia", "Africa", "Americas", "Opinion", "Video",
            "Climate", "Technology", "Health", "Sport", "Culture", "Science")
SITES = (
    ("The Daily Ledger", "dailyledger.example.com", "article"),
    ("Global Wire", "globalwire.example.net", "story"),
    ("Morning Courier", "morningcourier.example.org", "main"),
    ("The Capital Observer", "capitalobserver.example.com", "legacy"),
    ("Evening Chronicle", "eveningchronicle.example.co.uk", "article"),
    ("Metro Tribune", "metrotribune.example.com", "story"),
)
FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)


def actor(rng: random.Random) -> str:
    """A source or target actor as a reporter writes it."""
    name, adjective, capital = rng.choice(COUNTRIES)
    kind = rng.random()
    if kind < 0.3:
        return name
    if kind < 0.55:
        return f"the {adjective} {rng.choice(OFFICIALS)}"
    if kind < 0.7:
        return capital
    if kind < 0.85:
        return f"{adjective} {rng.choice(GROUPS)}"
    return rng.choice(ORGANISATIONS)


def capitalise(text: str) -> str:
    return text[0].upper() + text[1:]


def event_sentence(rng: random.Random) -> str:
    """One sentence reporting who did what to whom, when, sometimes where and why, and who says so."""
    source, target = actor(rng), actor(rng)
    while target == source:
        target = actor(rng)
    parts = [capitalise(source), rng.choice(VERBS), target]
    if rng.random() < 0.5:
        parts.append(f"over {rng.choice(TOPICS)}")
    if rng.random() < 0.3:
        parts.append(f"in {rng.choice(COUNTRIES)[2]}")
    parts.append(rng.choice(DAYS))
    sentence = " ".join(parts)
    return f"{sentence}, {rng.choice(SAYERS)}." if rng.random() < 0.6 else f"{sentence}."


def quote_sentence(rng: random.Random) -> str:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    adjective = rng.choice(COUNTRIES)[1]
    return (f"\u201cWe will not accept {rng.choice(TOPICS)} being decided without us,\u201d said {name}, "
            f"the {adjective} {rng.choice(SPOKESPEOPLE)}.")


def paragraphs(rng: random.Random) -> list[str]:
    """6-14 paragraphs of two to four sentences, mostly events, some context and quotes."""
    out = []
    for _ in range(rng.randint(6, 14)):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            kind = rng.random()
            sentences.append(event_sentence(rng) if kind < 0.6 else quote_sentence(rng) if kind < 0.75 else rng.choice(FILLERS))
        out.append(" ".join(sentences))
    return out


def headline(rng: random.Random) -> str:
    return capitalise(f"{actor(rng)} {rng.choice(VERBS)} {actor(rng)} over {rng.choice(TOPICS)}")


def links(rng: random.Random, domain: str, count: int) -> list[tuple[str, str]]:
    """(href, text) pairs of other stories on the site."""
    out = []
    for _ in range(count):
        title = headline(rng)
        slug = "-".join(title.lower().split()[:8]).replace(",", "")
        out.append((f"https://{domain}/{rng.choice(SECTIONS).lower().replace(' ', '-')}/{slug}-{rng.randint(1000, 99999)}", title))
    return out


def link_list(items: list[tuple[str, str]], css: str) -> str:
    entries = "".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>' for h, t in items)
    return f'<ul class="{css}">{entries}</ul>'


def page(index: int, seed: int = 0) -> tuple[str, str]:
    """The file name and HTML of the corpus page at index (deterministic in seed and index)."""
    rng = random.Random(f"{seed}:{index}")
    site, domain, layout = rng.choice(SITES)
    title = headline(rng)
    published = FIRST_DAY + timedelta(minutes=rng.randint(0, 364 * 24 * 60))
    section = rng.choice(SECTIONS[:8])
    slug = "-".join(title.lower().replace(",", "").split()[:9])
    url = f"https://{domain}/{published:%Y/%m/%d}/{section.lower().replace(' ', '-')}/{slug}-{index}"
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    body = paragraphs(rng)
    standfirst = event_sentence(rng)
    e = html.escape
    meta = (f'<meta charset="utf-8"><title>{e(title)} | {e(site)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="description" content="{e(standfirst)}">'
            f'<meta property="og:title" content="{e(title)}"><meta property="og:type" content="article">'
            f'<meta property="og:url" content="{url}"><meta property="og:site_name" content="{e(site)}">'
            f'<meta property="article:published_time" content="{published.isoformat()}">'
            f'<meta property="article:section" content="{section}"><meta name="author" content="{e(author)}">'
            f'<link rel="canonical" href="{url}">')
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": published.isoformat(), "author": {"@type": "Person", "name": author},
                     "publisher": {"@type": "Organization", "name": site}})
    style = "<style>" + "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;color:#{i * 99991 % 0xFFFFFF:06x}}}"
                                for i in range(rng.randint(80, 240))) + "</style>"
    script = ("<script>window.dataLayer=window.dataLayer||[];" + "".join(
        f"dataLayer.push({{event:'slot{i}',id:'{rng.getrandbits(48):x}'}});" for i in range(rng.randint(40, 120))) + "</script>")
    nav = link_list([(f"https://{domain}/{s.lower().replace(' ', '-')}", s) for s in SECTIONS], "nav-menu")
    share = ('<div class="share-bar"><a href="#">Share</a> <a href="#">Tweet</a> <a href="#">Email</a> '
             '<a href="#">Print</a></div>')
    related = f'<aside class="related"><h2>Related</h2>{link_list(links(rng, domain, rng.randint(4, 8)), "related-list")}</aside>'
    popular = f'<aside class="popular"><h2>Most Popular</h2>{link_list(links(rng, domain, rng.randint(5, 10)), "popular-list")}</aside>'
    footer = (f'<footer class="site-footer">{link_list(links(rng, domain, 12), "footer-links")}'
              f'<p>About us · Contact · Terms of use · Privacy policy · Cookie settings</p>'
              f'<p>© {published.year} {e(site)}. All rights reserved.</p></footer>')
    ad = '<div class="ad-slot"><span>Advertisement</span></div>'
    paras = [f"<p>{e(p)}</p>" for p in body]
    paras.insert(min(3, len(paras)), ad)
    if rng.random() < 0.5:
        paras.insert(min(6, len(paras)), f'<div class="inline-more"><strong>Read more:</strong> '
                                         f'<a href="{links(rng, domain, 1)[0][0]}">{e(headline(rng))}</a></div>')
    byline = (f'<div class="byline">By <a rel="author" href="https://{domain}/authors/{author.lower().replace(" ", "-")}">'
              f'{e(author)}</a> · <time datetime="{published.isoformat()}">{published:%d %B %Y, %H:%M} UTC</time></div>')
    figure = (f'<figure><img src="https://{domain}/img/{index}.jpg" alt="{e(title)}">'
              f'<figcaption>Photo: {e(standfirst[:80])} (Reuters)</figcaption></figure>')
    crumbs = f'<nav class="breadcrumbs"><a href="https://{domain}/">Home</a> › <a href="https://{domain}/{section.lower()}">{section}</a></nav>'
    content = f'<h1>{e(title)}</h1><p class="standfirst">{e(standfirst)}</p>{byline}{figure}{"".join(paras)}'
    if layout == "article":
        main = f'<main>{crumbs}<article class="story">{content}{share}</article>{related}{popular}</main>'
    elif layout == "story":
        main = f'<div id="content"><div class="story-body">{crumbs}{content}</div>{share}{related}<div class="sidebar">{popular}</div></div>'
    elif layout == "main":
        main = f'<main id="main-content"><section class="article-section">{content}</section>{share}{popular}{related}</main>'
    else:
        main = (f'<table class="layout"><tr><td class="left">{nav}</td><td class="center"><div class="text">{content}</div>'
                f'{related}</td><td class="right">{popular}</td></tr></table>')
    header = f'<header class="masthead"><a class="logo" href="https://{domain}/">{e(site)}</a>{nav}<form><input name="q"></form></header>'
    document = (f'<!DOCTYPE html><html lang="en"><head>{meta}<script type="application/ld+json">{ld}</script>{style}</head>'
                f'<body>{header}{main}{footer}{script}</body></html>')
    return f"{index:06d}-{slug[:40]}.html", document


def write_corpus(folder: Path, articles: int, seed: int = 0) -> list[Path]:
    """Write the first `articles` pages into folder (reusing pages already there); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(articles):
        name, document = page(index, seed)
        path = folder / name
        if not path.exists():
            path.write_text(document, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = write_corpus(args.folder, args.articles, args.seed)
    print(f"{len(paths)} pages in {args.folder}, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
