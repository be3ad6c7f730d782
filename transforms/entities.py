"""DOCS -> ENTITIES: one row per entity mention, with tight offsets and actor codes from the reference tables."""

from __future__ import annotations

from bisect import bisect_right

from spacy.tokens import Doc, Span

from transforms.ids import stable_id
from transforms.reference import Actor, find, lookup, normalise, place_country, role_sector

RESOLVED_LABELS = frozenset({"GPE", "NORP", "ORG", "FAC", "LOC"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
FORMER = frozenset({"former", "ex", "ex-", "onetime", "then"})
_EDGE = frozenset(" \t\r\n\u00a0\"'“”‘’,;:!?/\\|-–—*•·<>")
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _tighten(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets without surrounding white space, quotes, dashes or unbalanced brackets."""
    while start < end:
        if text[start] in _EDGE:
            start += 1
        elif text[end - 1] in _EDGE:
            end -= 1
        elif text[start] in _PAIRS and _PAIRS[text[start]] not in text[start:end]:
            start += 1
        elif text[end - 1] in _PAIRS.values() and not any(
            o in text[start:end] for o, c in _PAIRS.items() if c == text[end - 1]
        ):
            end -= 1
        else:
            break
    for opening, closing in _PAIRS.items():  # "Umma (Nation" -> "Umma (Nation)"
        if (
            end < len(text)
            and text[end] == closing
            and text.count(opening, start, end) > text.count(closing, start, end)
        ):
            end += 1
    return start, end


def _prefix_actor(ent: Span) -> Actor | None:
    """Country of a name that starts with a known one ("Russian Defense Ministry", "Baghdad University").

    The sector is the head noun's ("Ministry" -> GOV), else that of a named actor at the start
    ("Lockheed Martin Space" -> BUS); a demonym or capital at the start gives no sector of its own.
    """
    for cut in range(len(ent) - 1, 0, -1):
        entry = find(ent[:cut].text)
        if entry and entry.actor.country:
            country = entry.actor.country
            sector = role_sector(ent[-1].lemma_ or ent[-1].text)
            if sector is None and entry.is_name:
                sector = entry.actor.sector
            return Actor(country + (sector or ""), country, sector, entry.actor.name)
    return None


def _title_actor(ent: Span) -> Actor | None:
    """Country and sector from the title words right before a person ("Turkish Foreign Minister X").

    A former official ("former President X") is an elite (ELI), as the CAMEO actor codebook has it.
    """
    country = sector = None
    former = False
    i = ent.start - 1
    sent_start = ent.sent.start if ent.doc.has_annotation("SENT_START") else 0
    while i >= sent_start:
        token = ent.doc[i]
        if token.text.lower() in FORMER:
            former = True
        elif token.pos_ not in ("PROPN", "NOUN", "ADJ") and not token.ent_type_:
            break
        found = lookup(token.text)
        if found and found.country:
            country = country or found.country
        elif sector is None:
            sector = role_sector(token.lemma_ or token.text)
        i -= 1
    if sector is None:
        return None
    if former:  # CAMEO codes former officials as elites
        sector = "ELI"
    code = country + sector if country else ""
    return Actor(code, country, sector, "")


def _appositive_actor(ent: Span) -> Actor | None:
    """Country and sector from an apposition ("X, the head of Russian arms exporter Rosoboronexport")."""
    for appos in (c for c in ent.root.children if c.dep_ == "appos"):
        first, last = appos.left_edge.i, appos.right_edge.i + 1
        role = role_sector(appos.lemma_ or appos.text)
        country = org_sector = None
        for other in ent.doc.ents:
            if first <= other.start and other.end <= last and other.label_ in RESOLVED_LABELS:
                found = lookup(other.text)
                if found and found.country:
                    country = country or found.country
                    if other.label_ == "ORG" and found.sector:
                        org_sector = org_sector or found.sector
        sector = org_sector or role
        if country and sector:
            return Actor(country + sector, country, sector, "")
    return None


def _sentence_starts(doc: Doc) -> list[int]:
    if not doc.has_annotation("SENT_START"):
        return [0]
    return [sent.start for sent in doc.sents]


def extract_entities(doc: Doc, *, article_id: str) -> list[dict]:
    """One ENTITIES row (without run_id) per entity mention in the parsed article."""
    text = doc.text
    starts = _sentence_starts(doc)
    rows: list[dict] = []
    for ent in doc.ents:
        start, end = _tighten(text, ent.start_char, ent.end_char)
        if start >= end:
            continue
        surface = text[start:end]
        key = normalise(surface) or surface.casefold()
        actor = None
        country = None
        if ent.label_ in RESOLVED_LABELS:
            entry = find(surface)
            if entry:
                actor = entry.actor
                if entry.is_name:
                    key = entry.actor.name.casefold()
            elif ent.label_ in PLACE_LABELS:
                country = place_country(surface)
            else:
                actor = _prefix_actor(ent)
        elif ent.label_ == "PERSON":
            actor = _title_actor(ent) or _appositive_actor(ent)
        if actor:
            country = actor.country
        rows.append(
            {
                "entity_id": stable_id(article_id, start, end),
                "article_id": article_id,
                "sentence_index": bisect_right(starts, ent.start) - 1,
                "start_char": start,
                "end_char": end,
                "text": surface,
                "label": ent.label_,
                "entity_key": key,
                "actor_code": (actor.code or None) if actor else None,
                "country_code": country,
                "sector": actor.sector if actor else None,
                "source": "pattern" if ent.ent_id_ else "model",
            }
        )
    _link_people(rows)
    return rows


def _link_people(rows: list[dict]) -> None:
    """Give every mention of a person in the article one key and the codes its titled mention got.

    "Mevlut Cavusoglu" and a later bare "Cavusoglu" share the key "mevlut cavusoglu" when exactly
    one full name in the article ends with that word.
    """
    people = [r for r in rows if r["label"] == "PERSON"]
    full_names: dict[str, set[str]] = {}
    for row in people:
        words = row["entity_key"].split()
        if len(words) > 1:
            full_names.setdefault(words[-1], set()).add(row["entity_key"])
    for row in people:
        names = full_names.get(row["entity_key"], set())
        if len(names) == 1:
            row["entity_key"] = next(iter(names))
    coded: dict[str, dict] = {}
    for row in people:
        if row["sector"] is not None:
            coded.setdefault(row["entity_key"], row)
    for row in people:
        source = coded.get(row["entity_key"])
        if source is not None and row["sector"] is None:
            for field in ("actor_code", "country_code", "sector"):
                row[field] = source[field]
