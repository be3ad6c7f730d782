"""The verb lexicon (resources/verbs.tsv): trigger lemmas and simple patterns -> CAMEO codes, and their matching on a parse."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from spacy.tokens import Token

from transforms.cameo import cameo_info

LEXICON = Path(__file__).parent / "resources" / "verbs.tsv"

PREPOSITIONS = frozenset(
    ["about", "against", "at", "away", "back", "between", "by", "down", "for", "from", "in", "into", "of", "off", "on", "onto", "out", "over", "through", "to", "toward", "towards", "under", "up", "upon", "with"]
)
OBJECT_DEPS = frozenset({"dobj", "nsubjpass", "attr", "oprd", "acomp", "dative", "pobj", "xcomp", "ccomp", "npadvmod"})
LINK_DEPS = frozenset({"prt", "prep", "agent", "dative"})


@dataclass(frozen=True)
class Pattern:
    """One lexicon line: the code, trigger lemmas, and the slots that must also match."""

    code: str
    heads: frozenset[str]
    noun: bool
    particles: tuple[frozenset[str], ...]
    objects: tuple[frozenset[str], ...]
    line: int

    @property
    def size(self) -> int:
        """Number of slots; longer patterns win."""
        return 1 + len(self.particles) + len(self.objects)


@dataclass(frozen=True)
class Match:
    """A pattern matched at a trigger token, with the tokens that make up the trigger words."""

    pattern: Pattern
    tokens: tuple[Token, ...]

    @property
    def code(self) -> str:
        return self.pattern.code


def parse_line(line: str, number: int) -> Pattern:
    """A Pattern from one 'code<TAB>pattern' line; ValueError on a malformed line or unknown code."""
    code, _, text = line.partition("\t")
    code = code.strip()
    cameo_info(code)
    slots = [frozenset(s.split("|")) for s in text.split()]
    if not slots:
        raise ValueError(f"verbs.tsv line {number}: no pattern")
    head = slots[0]
    noun = any(h.startswith("*") for h in head)
    heads = frozenset(h.lstrip("*") for h in head)
    particles = tuple(s for s in slots[1:] if s <= PREPOSITIONS)
    objects = tuple(s for s in slots[1:] if not s <= PREPOSITIONS)
    return Pattern(code, heads, noun, particles, objects, number)


@cache
def lexicon() -> tuple[dict[str, list[Pattern]], dict[str, list[Pattern]]]:
    """Verb patterns and noun patterns keyed by trigger lemma, longest first."""
    verbs: dict[str, list[Pattern]] = {}
    nouns: dict[str, list[Pattern]] = {}
    for number, raw in enumerate(LEXICON.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        pattern = parse_line(raw, number)
        for head in pattern.heads:
            (nouns if pattern.noun else verbs).setdefault(head, []).append(pattern)
    for table in (verbs, nouns):
        for patterns in table.values():
            patterns.sort(key=lambda p: (-p.size, p.line))
    return verbs, nouns


# The small model lemmatises "staged" as "stag", "hopes" as "hop", "lambasted" as "lambast", "slated" as "slat".
LEMMA_SLIPS = {"stag": "stage", "hop": "hope", "lambast": "lambaste", "slat": "slate"}


def key(token: Token) -> str:
    """Lexicon key of a token: its lower-cased lemma, with known lemmatiser slips mended."""
    lemma = (token.lemma_ or token.text).lower()
    return LEMMA_SLIPS.get(lemma, lemma) if token.pos_ == "VERB" else lemma


def _links(token: Token) -> list[Token]:
    return [c for c in token.children if c.dep_ in LINK_DEPS]


def objects_of(token: Token) -> list[Token]:
    """Object nouns of a trigger: direct objects, passive subjects, attributes, objects of its prepositions."""
    out = []
    for child in token.children:
        if child.dep_ in OBJECT_DEPS:
            out.append(child)
            out.extend(c for c in child.children if c.dep_ in ("conj", "compound"))
            if child.dep_ == "dobj":  # "lift a state of emergency"
                out.extend(p for prep in child.children if prep.lower_ == "of" for p in prep.children if p.dep_ == "pobj")
        if child.dep_ in LINK_DEPS:
            out.extend(c for c in child.children if c.dep_ == "pobj")
    return out


def _nouns(token: Token, *, noun: bool) -> list[Token]:
    """The words a pattern's object slots may match at a trigger: its objects, their adjectives, and an event noun's modifiers."""
    nouns = objects_of(token)
    nouns += [m for n in nouns for m in n.children if m.dep_ == "amod"]  # "use chemical weapons"
    if noun:
        nouns += [c for c in token.children if c.dep_ in ("compound", "amod")]
    return nouns


def _match(pattern: Pattern, token: Token, nouns: list[Token]) -> tuple[Token, ...] | None:
    """The tokens the pattern's slots match at the token, given the words its object slots may match, or None."""
    found = [token]
    for slot in pattern.objects:
        hit = next((n for n in nouns if key(n) in slot or n.lower_ in slot), None)
        if hit is None:
            return None
        found.append(hit)
    for slot in pattern.particles:
        anchors = [token, *found[1:]]
        hit = next((c for a in anchors for c in _links(a) if c.lower_ in slot), None)
        if hit is None:
            return None
        found.append(hit)
    return tuple(sorted(found, key=lambda t: t.i))


def match_trigger(token: Token, *, noun: bool) -> Match | None:
    """The longest verb (or event noun) pattern that matches at a token."""
    patterns = lexicon()[noun].get(key(token))
    if not patterns:
        return None
    nouns = _nouns(token, noun=noun)  # the same for every pattern of the token
    for pattern in patterns:
        tokens = _match(pattern, token, nouns)
        if tokens is not None:
            return Match(pattern, tokens)
    return None
