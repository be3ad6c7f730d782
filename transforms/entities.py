"""DOCS -> ENTITIES: one row per entity mention, with tight offsets and actor codes from the reference tables and the gazetteer."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from transforms.ids import stable_id
from transforms.places import PLACE_LABELS, resolve_place
from transforms.reference import Actor, find, lookup, normalise, role_sector

RESOLVED_LABELS = frozenset({"GPE", "NORP", "ORG", "FAC", "LOC"})
# Organisations without a country that employ officials ("UN envoy X").
OWNER_SECTORS = frozenset({"IGO", "NGO", "NGM", "IMG"})
# Words a title reads through: "Secretary of State", "Secretary-General", "Russia's envoy".
TITLE_JOINS = frozenset({"of", "for", "-", "'s", "’s"})
FORMER = frozenset({"former", "ex", "ex-", "onetime", "then"})
_EDGE = frozenset("\"'“”‘’,;:!?/\\|-–—*•·<>\u200b\u200c\u200d\u2060\ufeff")  # and any white space
_PAIRS = {"(": ")", "[": "]", "{": "}"}
MENTIONS_KEY = "newsevents.mentions"  # Doc.user_data key of the resolved mentions


def _tighten(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets without surrounding white space, zero-width marks, quotes, dashes or unbalanced brackets."""
    while start < end:
        if text[start] in _EDGE or text[start].isspace():
            start += 1
        elif text[end - 1] in _EDGE or text[end - 1].isspace():
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


def word_sector(token: Token) -> str | None:
    """CAMEO sector of a role word by its lemma, else as written ("troops" -> MIL)."""
    return role_sector(token.lemma_) or role_sector(token.text)


@dataclass
class Mention:
    """An entity of the article: its span, tight offsets and text, its key, and the actor or country it names."""

    ent: Span
    start_char: int
    end_char: int
    text: str
    key: str
    actor: Actor | None
    country: str | None


def _prefix_actor(ent: Span) -> Actor | None:
    """Country of a name that starts with a known one ("Russian Defense Ministry", "Baghdad University").

    The sector is the head noun's ("Ministry" -> GOV), else that of a named actor at the start
    ("Lockheed Martin Space" -> BUS); a demonym or capital at the start gives no sector of its own.
    """
    for cut in range(len(ent) - 1, 0, -1):
        entry = find(ent[:cut].text)
        if entry and entry.actor.country:
            country = entry.actor.country
            sector = word_sector(ent[-1])
            if sector is None and entry.is_name:
                sector = entry.actor.sector
            return Actor(country + (sector or ""), country, sector, entry.actor.name)
    return None


def _official(owner: Actor | None, sector: str | None) -> Actor | None:
    """An official's actor: an organisation without a country stands for its people (IGOUNO), else the
    owner's country with the role's sector, else the role alone (code "": no country)."""
    if owner is not None and owner.country is None:
        return owner
    if owner is None:
        return Actor("", None, sector, "") if sector else None
    return Actor(owner.country + (sector or ""), owner.country, sector, owner.name)


def _owner(span: Span) -> Actor | None:
    """The country or organisation a name stands for, when it can employ officials."""
    found = lookup(span.text) or (_prefix_actor(span) if len(span) > 1 else None)
    return found if found and (found.country or found.sector in OWNER_SECTORS) else None


def _title_actor(ent: Span, ents_at: dict[int, Span]) -> Actor | None:
    """Owner and sector from the title words right before a person ("Turkish Foreign Minister X", "Russia's
    ambassador X", "U.N. Secretary-General X"); the leftmost role word before any "of" is the most telling
    ("opposition leader X" is OPP).

    A former official ("former President X") is an elite (ELI), as the CAMEO actor codebook has it.
    """
    owner: Actor | None = None
    sector = None
    former = beyond_of = False
    i = ent.start - 1
    sent_start = ent.sent.start if ent.doc.has_annotation("SENT_START") else 0
    while i >= sent_start:
        token, other = ent.doc[i], ents_at.get(i)
        words = other if other is not None else ent.doc[i : i + 1]
        if token.text.lower() in FORMER:
            former = True
        elif (
            other is None
            and token.pos_ not in ("PROPN", "NOUN", "ADJ")
            and token.text.lower() not in TITLE_JOINS
        ):
            break
        found = _owner(words)
        if found is not None:
            owner = owner or found
        elif not beyond_of:  # "the military government of President X" is GOV, not MIL
            sector = word_sector(words[-1]) or sector
        beyond_of = beyond_of or token.text.lower() == "of"
        i = words.start - 1
    if former and (owner or sector):  # CAMEO codes former officials as elites
        sector = "ELI"
    return _official(owner, sector)


def _appositive_actor(ent: Span, ents: tuple[Span, ...]) -> Actor | None:
    """Owner and sector from an apposition ("X, the head of Russian arms exporter Rosoboronexport"); `ents` are the document's."""
    for appos in (c for c in ent.root.children if c.dep_ == "appos"):
        first, last = appos.left_edge.i, appos.right_edge.i + 1
        role = word_sector(appos)
        owner = org_sector = None
        for other in ents:
            if first <= other.start and other.end <= last and other.label_ in RESOLVED_LABELS:
                found = _owner(other)
                if found is not None:
                    owner = owner or found
                    if other.label_ == "ORG" and found.country and found.sector:
                        org_sector = org_sector or found.sector
        sector = org_sector or role
        if owner is not None and (sector or owner.country is None):
            return _official(owner, sector)
    return None


def _sentence_starts(doc: Doc) -> list[int]:
    if not doc.has_annotation("SENT_START"):
        return [0]
    return [sent.start for sent in doc.sents]


def resolve_entities(doc: Doc) -> list[Mention]:
    """Every entity of the parsed article with what it names, resolved once per document (the entity and event coders both ask)."""
    mentions = doc.user_data.get(MENTIONS_KEY)
    if mentions is None:
        mentions = doc.user_data[MENTIONS_KEY] = _resolve_entities(doc)
    return mentions


def _resolve_entities(doc: Doc) -> list[Mention]:
    """Every entity of the parsed article with what it names; all mentions of a person share the titled one's codes."""
    text = doc.text
    ents = doc.ents  # Doc.ents builds its spans anew on every call
    ents_at = {t.i: ent for ent in ents for t in ent}
    mentions = []
    for ent in ents:
        start, end = _tighten(text, ent.start_char, ent.end_char)
        if start >= end:
            continue
        surface = text[start:end]
        key = normalise(surface) or surface.casefold()
        actor = place = None
        if ent.label_ in RESOLVED_LABELS:
            entry = find(surface)
            if entry:
                actor = entry.actor
                if entry.is_name:
                    key = entry.actor.name.casefold()
            elif ent.label_ in PLACE_LABELS:
                place = resolve_place(surface)
            else:
                actor = _prefix_actor(ent)
        elif ent.label_ == "PERSON":
            actor = _title_actor(ent, ents_at) or _appositive_actor(ent, ents)
        country = actor.country if actor else place.country if place else None
        mentions.append(Mention(ent, start, end, surface, key, actor, country))
    _link_people(mentions)
    return mentions


def extract_entities(doc: Doc, *, article_id: str) -> list[dict]:
    """One ENTITIES row (without run_id) per entity mention in the parsed article."""
    starts = _sentence_starts(doc)
    return [
        {
            "entity_id": stable_id(article_id, m.start_char, m.end_char),
            "article_id": article_id,
            "sentence_index": bisect_right(starts, m.ent.start) - 1,
            "start_char": m.start_char,
            "end_char": m.end_char,
            "text": m.text,
            "label": m.ent.label_,
            "entity_key": m.key,
            "actor_code": (m.actor.code or None) if m.actor else None,
            "country_code": m.country,
            "sector": m.actor.sector if m.actor else None,
            "source": "pattern" if m.ent.ent_id_ else "model",
        }
        for m in resolve_entities(doc)
    ]


def _link_people(mentions: list[Mention]) -> None:
    """Give every mention of a person in the article one key and the actor its titled mention got.

    "Mevlut Cavusoglu" and a later bare "Cavusoglu" share the key "mevlut cavusoglu" when exactly
    one full name in the article ends with that word.
    """
    people = [m for m in mentions if m.ent.label_ == "PERSON"]
    full_names: dict[str, set[str]] = {}
    for m in people:
        words = m.key.split()
        if len(words) > 1:
            full_names.setdefault(words[-1], set()).add(m.key)
    for m in people:
        names = full_names.get(m.key, set())
        if len(names) == 1:
            m.key = next(iter(names))
    coded: dict[str, Mention] = {}
    for m in people:
        if m.actor is not None and m.actor.sector is not None:
            coded.setdefault(m.key, m)
    for m in people:
        source = coded.get(m.key)
        if source is not None and (m.actor is None or m.actor.sector is None):
            m.actor, m.country = source.actor, source.country
