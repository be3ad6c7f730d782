"""Event actors from the dependency parse: the entities as transforms.entities resolves them, and role nouns with their owner."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from transforms.entities import Mention, resolve_entities, word_sector
from transforms.reference import Actor, lookup, role_sector

ACTOR_LABELS = frozenset({"GPE", "NORP", "ORG", "PERSON", "LOC", "FAC"})
NP_DEPS = frozenset({"compound", "amod", "poss", "nmod", "flat", "npadvmod", "nummod", "det", "case"})
OWNER_PREPS = frozenset({"of", "from"})
SEAT_PREPS = frozenset({"in", "throughout", "across", "inside", "within"})
GROUP_NOUNS = frozenset(
    ["group", "groups", "number", "dozens", "dozen", "hundreds", "thousands", "tens", "scores", "members", "member", "delegation", "team", "some", "many", "most", "all", "part", "majority", "contingent", "deployment", "unit", "units", "batch", "one", "two", "three", "several"]
)
TARGET_PREPS = frozenset({"with", "to", "against", "on", "at", "toward", "towards", "into", "over", "upon", "between", "from"})
CLAUSE_DEPS = frozenset({"relcl", "acl", "advcl", "ccomp", "xcomp", "parataxis", "conj", "cc", "appos", "punct"})
COUNT_LABELS = frozenset({"CARDINAL", "QUANTITY"})  # "more than 1,000", "up to 16", "700 kg"
QUANTIFIERS = frozenset({"several", "many", "few", "numerous", "various", "countless", "some", "most", "all", "both"})
STANCES = frozenset({"pro", "anti"})  # "pro-Iranian", "anti-Syria"
# "Syrian-backed militia", "Israeli-occupied West Bank": the name is who backs or holds, not the owner.
SIDE_PARTICIPLES = frozenset(
    ["backed", "occupied", "controlled", "held", "supported", "sponsored", "funded", "armed", "allied", "aligned", "installed", "trained", "influenced", "dominated"]
)
# Whose ally or proxy a group is says which side it takes, not whose it is ("Iran's proxies in Yemen").
SIDE_NOUNS = frozenset({"ally", "proxy", "partner", "client", "surrogate"})
# Positions any sector has: they take the sector of the role word before them ("rebel leader" REB, "army spokesman" MIL).
POSITIONS = frozenset({"leader", "official", "spokesman", "spokeswoman", "spokesperson", "chief", "head", "representative"})
# Bodies that are no role of their own: they are what the role word before them says ("opposition groups" OPP, "rebel wing" REB).
COLLECTIVES = frozenset({"group", "party", "wing", "faction", "movement", "coalition", "alliance", "bloc", "camp", "organization", "organisation"})
DASHES = frozenset({"-", "--", "–", "—"})
DATELINE_TOKENS = 12  # "NAIROBI, Kenya, May 3 (Reuters) -" and shorter
HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame", "gen", "gen.", "col", "col."})


@dataclass(frozen=True)
class ActorMention:
    """An actor as written in the text: its code and the characters that name it."""

    actor: Actor
    text: str
    start_char: int
    end_char: int


def _with_sector(actor: Actor, sector: str | None) -> Actor:
    """The actor with a sector added to a bare country (TUR + MIL -> TURMIL); IGOs and coded sectors stay."""
    if not sector or actor.sector or not actor.country:
        return actor
    return Actor(actor.country + sector, actor.country, sector, actor.name)


def _mention(actor: Actor, span: Span) -> ActorMention:
    return ActorMention(actor, span.text, span.start_char, span.end_char)


def _is_count(token: Token) -> bool:
    """A count, quantifier or quantity word ("15", "more than 1,000", "several"), not the first part of a
    hyphenated modifier ("30-day")."""
    return bool(token.whitespace_) and (
        token.pos_ == "NUM" or token.lower_ in QUANTIFIERS or token.ent_type_ in COUNT_LABELS
    )


def _not_a_name(token: Token) -> bool:
    """A word that starts a noun phrase but names nothing: determiner, punctuation, count, possessive pronoun."""
    return token.pos_ in ("DET", "PUNCT") or _is_count(token) or (token.pos_ == "PRON" and token.dep_ == "poss")


def dateline_end(sent: Span) -> int:
    """Index of the first token after a wire dateline opening the sentence ("KABUL —", "MOGADISHU, May 3 -",
    "NAIROBI, Kenya (AP) —"), else the sentence's start: a dateline says where the story was filed, not who acted."""
    first = sent[0]
    if not (first.is_upper and first.is_alpha and len(first) > 1):
        return sent.start
    for token in sent[1:DATELINE_TOKENS]:
        if token.text in DASHES and token.nbor(-1).whitespace_:
            return token.i + 1
        if token.pos_ not in ("PROPN", "NUM", "PUNCT"):
            break
    return sent.start


def can_act(noun: Token) -> bool:
    """A noun that names who can act: a person, a group or country by name, a role or a body ("students", "rebels")."""
    return noun.ent_type_ in ("GPE", "NORP", "ORG", "PERSON") or word_sector(noun) is not None or noun.lemma_.lower() in COLLECTIVES


def _takes_sides(token: Token) -> bool:
    """A name marked as a side ("pro-Iranian group", "anti-American protesters", "Syrian-backed militia",
    "Israeli-occupied West Bank", "Israel's militia allies"): whom the phrase supports, opposes or is held by, not its
    owner."""
    doc = token.doc
    before = token.i >= 2 and doc[token.i - 1].text == "-" and doc[token.i - 2].lower_ in STANCES
    after = token.i + 2 < len(doc) and doc[token.i + 1].text == "-" and doc[token.i + 2].lower_ in SIDE_PARTICIPLES
    return before or after or (token.dep_ == "poss" and token.head.lemma_.lower() in SIDE_NOUNS)


def _is_title(token: Token) -> bool:
    """A word of a person's title: an honorific, a role, or the country or organisation it serves ("U.S.")."""
    return token.lower_ in HONORIFICS or role_sector(token.text) is not None or lookup(token.text) is not None


def _untitled(ent: Span) -> Span:
    """A person's name without the title words inside the entity ("President Erdogan" -> "Erdogan")."""
    start = ent.start
    while start < ent.end - 1 and _is_title(ent.doc[start]):
        start += 1
    return ent.doc[start : ent.end]


class Actors:
    """Resolves noun phrases of one parsed document to coded actors."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.named: dict[int, Mention] = {
            t.i: m for m in resolve_entities(doc) if m.ent.label_ in ACTOR_LABELS for t in m.ent
        }
        self.last_person: ActorMention | None = None  # for "he"/"she" in later sentences
        self.dateline = {i for sent in doc.sents for i in range(sent.start, dateline_end(sent))}

    def entity_at(self, i: int) -> Span | None:
        """The actor-like entity (name, place, person) that token i is part of."""
        named = self.named.get(i)
        return named.ent if named is not None else None

    def _name_actor(self, token: Token) -> Actor | None:
        """Actor named by the entity at a token (a person only with a country or organisation), else by the word."""
        named = self.named.get(token.i)
        if named is not None:
            return named.actor if named.actor is not None and named.actor.code else None
        leader, dash, led = token.text.rpartition("-")
        if dash and led.lower() == "led":  # "U.S.-led" is one token, "French-led" three
            return lookup(leader)
        return lookup(token.text) if token.pos_ in ("PROPN", "ADJ") else None

    def np_tokens(self, head: Token) -> list[Token]:
        """The head and its modifiers (compounds, adjectives, possessives, 'of' phrases), in text order."""
        out, todo = [], [head]
        while todo:
            token = todo.pop()
            out.append(token)
            for child in token.children:
                if child.dep_ in NP_DEPS:
                    todo.append(child)
                elif child.dep_ == "prep" and child.lower_ in OWNER_PREPS:
                    todo.extend(c for c in child.children if c.dep_ == "pobj")
        return sorted(out, key=lambda t: t.i)

    def _modifiers(self, head: Token) -> list[Token]:
        """The words that modify a noun and could name its owner (no determiners, pronouns, numbers or sides taken)."""
        return [
            t for t in self.np_tokens(head) if t.i != head.i and t.pos_ not in ("DET", "PRON", "NUM") and not _takes_sides(t)
        ]

    def _owner(self, head: Token) -> Actor | None:
        """The country, IGO or organisation a role noun belongs to: its modifiers, else 'in X' ("rebels in Ivory Coast")."""
        for token in self._modifiers(head):
            actor = self._name_actor(token)
            if actor is not None:
                return actor
        for prep in head.children:
            if prep.dep_ == "prep" and prep.lower_ in SEAT_PREPS:
                for pobj in prep.children:
                    actor = self._name_actor(pobj) if pobj.dep_ == "pobj" else None
                    if actor is not None and actor.country:
                        return Actor(actor.country, actor.country, None, actor.name)
        return None

    def _group_of(self, head: Token) -> Token | None:
        """What a quantity head counts ("thousands of students", "a group of diplomats" -> the students, the diplomats)."""
        if head.lower_ not in GROUP_NOUNS and head.lemma_.lower() not in GROUP_NOUNS:
            return None
        prep = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        return next((c for c in prep.children if c.dep_ == "pobj"), None) if prep is not None else None

    def _seat(self, head: Token, people: Actor) -> Actor | None:
        """The country a people lives in when the phrase names another ("Bosnian Serbs", "Albanians of southern
        Serbia", "ethnic Albanians in Macedonia"): CAMEO codes a people by where it is, not by its kin state."""
        owner = self._owner(head)
        if owner is None or not owner.country or owner.country == people.country:
            return None
        return Actor(owner.country, owner.country, None, owner.name)

    def filed_from(self, sent: Span) -> str | None:
        """The country of the sentence's dateline ("NAIROBI, Kenya (AP) —" -> KEN), if it has one."""
        for token in sent[: dateline_end(sent) - sent.start]:
            actor = self._name_actor(token)
            if actor is not None and actor.country:
                return actor.country
        return None

    def minority(self, head: Token) -> bool:
        """A people without a state of its own ("Kurds", "Tamils") or marked as a minority ("ethnic Albanians"): it is
        placed where it lives, never in its kin state."""
        named = self.named.get(head.i)
        if named is None or named.ent.label_ != "NORP" or head.pos_ not in ("NOUN", "PROPN"):
            return False
        return named.actor is None or any(c.dep_ == "amod" and c.lower_ == "ethnic" for c in head.children)

    def sector(self, head: Token) -> str | None:
        """The sector of a role noun; a position or a body takes that of a role word before it ("opposition leaders",
        "opposition groups" OPP)."""
        sector, lemma = word_sector(head), head.lemma_.lower()
        if lemma not in POSITIONS and (sector is not None or lemma not in COLLECTIVES):
            return sector
        return next((s for t in self._modifiers(head) if t.i < head.i and (s := word_sector(t))), sector)

    def role(self, head: Token) -> str | None:
        """The sector of a role noun or a titled person that names no country ("President X", "rebels")."""
        named = self.named.get(head.i)
        if named is not None and named.ent.label_ == "PERSON":
            if named.actor is not None and named.actor.sector:
                return named.actor.sector
            return next((s for t in named.ent if (s := role_sector(t.text))), None)  # "President Erdogan" as one name
        if named is not None:
            return None
        counted = self._group_of(head)
        if counted is not None:
            return self.role(counted)
        return self.sector(head)

    def _span(self, head: Token) -> Span:
        """The words of a noun phrase from its first word that names something, after any count before the head
        ("15 al-Shabaab fighters", "Nigeria's 36 governors" -> "al-Shabaab fighters", "governors")."""
        tokens = self.np_tokens(head)
        start, end = min(t.i for t in tokens), max(t.i for t in tokens) + 1
        start = max((t.i + 1 for t in self.doc[start : head.i] if _is_count(t)), default=start)
        while start < end - 1 and _not_a_name(self.doc[start]):
            start += 1
        return self.doc[start:end]

    def name(self, head: Token) -> Span:
        """The words that name the actor of a noun phrase, so that names group: a person without titles, a counted
        group without its count ("thousands of protesters" -> "protesters"), any phrase without determiners."""
        ent = self.entity_at(head.i)
        if ent is not None and ent.label_ == "PERSON":
            return _untitled(ent)
        counted = self._group_of(head)
        return self.name(counted) if counted is not None else self._span(head)

    def resolve(self, head: Token, depth: int = 0) -> ActorMention | None:
        """The coded actor a noun phrase headed by `head` names, or None."""
        if head.pos_ == "PRON" or depth > 3 or _takes_sides(head) or head.i in self.dateline:
            return None
        ent = self.entity_at(head.i)
        if ent is not None and ent.label_ == "PERSON":
            return self._person(ent, head)
        if ent is not None:
            actor = self._name_actor(head)
            seat = self._seat(head, actor) if actor is not None and ent.label_ == "NORP" else None
            if seat is not None:
                return _mention(seat, self.name(head))
            if actor is not None and not self.minority(head):
                span = ent if not ent.text.lower().startswith("the ") else ent[1:]
                return _mention(actor, span)
        counted = self._group_of(head)
        if counted is not None:
            return self.resolve(counted, depth + 1)
        sector = self.sector(head)
        if sector is None:
            return None
        owner = self._owner(head)
        if owner is None:
            return None
        return _mention(_with_sector(owner, sector), self.name(head))

    def _person(self, ent: Span, head: Token) -> ActorMention | None:
        """A named person coded by the entity stage (title, apposition, or another mention of the same person)."""
        actor = self._name_actor(head)
        if actor is None:
            return None
        self.last_person = _mention(actor, _untitled(ent))
        return self.last_person

    def modifier_actor(self, head: Token) -> ActorMention | None:
        """An actor named as a modifier of a non-actor noun ("Israeli air strikes", "Haiti's efforts")."""
        for token in self._modifiers(head):
            found = self.resolve(token, 1) if token.i in self.named else None
            if found is None:
                actor = self._name_actor(token)
                if actor is not None:
                    found = _mention(actor, self.doc[token.i : token.i + 1])
            if found is not None:
                return found
        return None

    def members(self, head: Token) -> list[ActorMention]:
        """The actors of a possibly compound phrase ("Hungarian and Romanian officials", "X and Y"), in order."""
        first = self.resolve(head)
        out = [first] if first else []
        for conj in head.children:
            if conj.dep_ == "conj":
                other = self.resolve(conj)
                if other:
                    out.append(other)
        if first is not None:
            sector = self.sector(head)
            for mod in self.np_tokens(head):
                for conj in mod.children:
                    if conj.dep_ == "conj" and conj.i < head.i:
                        actor = self._name_actor(conj)
                        if actor is not None:
                            out.append(_mention(_with_sector(actor, sector), self.doc[conj.i : conj.i + 1]))
        return out

    def first_in(self, head: Token, exclude: set[str]) -> ActorMention | None:
        """The first actor inside a phrase (not crossing clauses) whose code is not excluded."""
        tokens, todo = [], [head]
        while todo:
            token = todo.pop()
            tokens.append(token)
            todo.extend(c for c in token.children if c.dep_ not in CLAUSE_DEPS)
        for token in sorted(tokens, key=lambda t: t.i):
            if token.pos_ in ("PRON", "DET"):
                continue
            found = self.resolve(token)
            if found is not None and found.actor.code not in exclude:
                return found
        return None
