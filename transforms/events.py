"""DOCS -> EVENT MENTIONS: dictionary-and-parse coding of who did what to whom, when and where, in CAMEO and PLOVER."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from spacy.tokens import Doc, Span, Token

from transforms.cameo import TABLE as CAMEO_TABLE
from transforms.cameo import cameo_info
from transforms.dates import DAY, resolve_date
from transforms.events_actors import TARGET_PREPS, ActorMention, Actors, can_act, dateline_end
from transforms.events_context import (
    ASSERTED,
    DENIED,
    HYPOTHETICAL,
    INTENDED,
    SPEECH_VERBS,
    THREATENED,
    Context,
    context,
    speech_verb,
)
from transforms.events_lexicon import LEXICON, Match, Pattern, key, match_trigger
from transforms.ids import files_digest, stable_id
from transforms.places import REGIONS, Place, locate, sentence_ents
from transforms.reference import ACTOR_TABLES, Actor

# Every table a coded row depends on: the verb lexicon, CAMEO's values, the actors' and the places' references.
CODER_DICTIONARIES = (LEXICON, CAMEO_TABLE, *ACTOR_TABLES, REGIONS)
CODER_VERSION = "1.4+dict." + files_digest(CODER_DICTIONARIES)[:8]

MAX_TOKENS = 150
FILLER = frozenset({"NUM", "PUNCT", "SYM", "SPACE", "X"})
LEAD_SENTENCES = 3
MAX_TRIGGER_CHARS = 60
LIGHT_VERBS = frozenset(
    ["hold", "stage", "launch", "carry", "conduct", "make", "mount", "begin", "start", "resume", "organize", "organise", "go", "have", "pay", "open", "call", "continue", "wage", "take", "join", "lead", "intensify", "escalate", "announce", "order", "step", "complete", "speed", "accelerate", "finish", "undertake", "renew", "reiterate", "repeat", "issue"]
)
# Passives whose subject is who acts: participles naming its state ("is committed to", "are opposed to") and
# raising verbs of plans, whose subject is that of the verb they govern ("is expected to sign", "is set to").
ACTING_SUBJECT_PARTICIPLES = frozenset(
    ["commit", "oppose", "dedicate", "devote", "resolve", "determine", "expect", "schedule", "set", "slate", "tip"]
)
PERSONAL_PRONOUNS = frozenset({"it", "they", "we", "he", "she", "i"})
CLIMB_DEPS = frozenset({"xcomp", "conj", "advcl", "pcomp", "prep", "dobj", "acomp", "pobj"})
ABSORBING_DEPS = frozenset({"xcomp", "ccomp", "pcomp", "prep", "dobj", "acomp", "advcl"})
# Sub-code of a governing code (appeal, intent, demand, reject, threaten) from the root of the action it governs.
REFINE = {
    "020": {"04": "026", "05": "022", "06": "021", "07": "023", "08": "025"},
    "030": {"04": "036", "05": "032", "06": "031", "07": "033", "08": "035"},
    "100": {"04": "106", "05": "102", "06": "101", "07": "103", "08": "105"},
    "120": {"04": "125", "06": "121", "07": "122", "08": "124"},
    "130": {"14": "133", "16": "131", "17": "132", "18": "138", "19": "138", "20": "138"},
}
THREAT_OF = REFINE["130"] | {"163": "1312", "161": "1313", "172": "132", "173": "132", "191": "1381", "192": "1382"}


@dataclass
class Trigger:
    """A lexicon match in a sentence, the trigger it governs (if any) and the one that governs it."""

    token: Token
    match: Match
    embedded: Trigger | None = None
    governed: bool = False
    implicit: bool = False  # "X said Y must ...": coded only as X's demand


def _skip(sent: Span, text: str) -> bool:
    """Sentences that are too long, shouted, tabular or verbless yield no events; `text` is the sentence's text."""
    if len(sent) > MAX_TOKENS:
        return True
    tags = [t.pos_ for t in sent]
    if "VERB" not in tags and "AUX" not in tags:
        return True
    upper, lower = sum(map(str.isupper, text)), sum(map(str.islower, text))
    if upper + lower > 12 and upper > 4 * lower:
        return True
    return sum(p in FILLER for p in tags) > 0.5 * len(tags)


DEMAND = Pattern("100", frozenset(), False, (), (), 0)


def _obliged(token: Token) -> bool:
    """A reported obligation: "(X said) Y must/should VERB"."""
    return any(c.dep_ == "aux" and c.lower_ in ("must", "should") for c in token.children) and speech_verb(token) is not None


def _background(token: Token) -> bool:
    """Relative clauses and clauses that complete a noun ("an allegation that X attacked") are background, not events."""
    if token.dep_ in ("amod", "compound"):  # "its internationally recognized government"
        return True
    t = token
    while t.head.i != t.i:
        if t.dep_ == "relcl" or (t.dep_ in ("ccomp", "acl") and t.head.pos_ in ("NOUN", "PROPN") and t.tag_ != "VBG"):
            return True
        if t.dep_ not in ("xcomp", "conj", "advcl", "pcomp", "prep", "pobj", "dobj", "ccomp", "acomp", "acl"):
            return False  # an -ing participle ("inspectors probing ...") is background where its noun is
        t = t.head
    return False


def _noun_position(token: Token) -> bool:
    """Event nouns count as triggers as objects of light verbs ('held talks') or as subjects ('clashes erupted')."""
    head = token.head
    if token.dep_ == "dobj" and key(head) in LIGHT_VERBS:
        return True
    if token.dep_ == "pobj" and head.lower_ == "on" and key(head.head) == "go":
        return True
    return token.dep_ in ("nsubj", "nsubjpass", "ROOT")


def _triggers(sent: Span) -> dict[int, Trigger]:
    """Lexicon matches of a sentence, keyed by token index, governed ones linked to their governor."""
    found: dict[int, Trigger] = {}
    for token in sent:
        pos = token.pos_
        match = None
        if pos == "VERB":
            match = match_trigger(token, noun=False)
            if match is None and _obliged(token):
                match = Match(DEMAND, (token,))
        elif pos in ("NOUN", "PROPN") and _noun_position(token):
            match = match_trigger(token, noun=True)
        if match is not None and not _background(token):
            found[token.i] = Trigger(token, match, implicit=match.pattern is DEMAND)
    consumed = {t.i for trig in found.values() for t in trig.match.tokens if t.i != trig.token.i}
    found = {i: trig for i, trig in found.items() if i not in consumed}
    for trig in found.values():
        t = trig.token
        while t.dep_ in ABSORBING_DEPS and t.head.i != t.i:
            if t.dep_ == "advcl" and any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children):
                break
            t = t.head
            governor = found.get(t.i)
            if governor is not None:
                trig.governed = True
                governor.embedded = governor.embedded or trig
                break
    return found


def _subject(token: Token) -> tuple[Token | None, bool]:
    """The subject (or passive agent) of a verb, climbing through control and coordination; and whether it is the agent."""
    t = token
    for _ in range(6):
        passive = _is_passive(t)
        subjects = ("nsubj", "csubj") if passive or not _subject_acts(t) else ("nsubj", "csubj", "nsubjpass")
        for child in t.children:
            if passive and child.dep_ == "agent":
                pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
                return pobj, True
            if child.dep_ in subjects and child.i >= dateline_end(child.sent):
                if t.dep_ == "relcl" and child.lower_ in ("who", "which", "that"):
                    return t.head, False
                return child, False
        if t.dep_ == "acl" and t.tag_ == "VBG":
            if can_act(t.head) and t.head.dep_ not in ("nsubj", "nsubjpass"):  # "arrested students protesting ..."
                return t.head, False
            t = t.head  # "issued a declaration demanding ...": the declaration's issuer demands
            continue
        if passive or t.dep_ not in CLIMB_DEPS or t.head.i == t.i:
            return None, False
        if t.dep_ == "conj" and t.tag_ != "VBN" and _is_passive(t.head):  # "was indicted by a court and will resign"
            return next((c for c in t.head.children if c.dep_ == "nsubjpass"), None), False
        t = t.head
    return None, False


def _reported_subject(pronoun: Token, speech: Token) -> bool:
    """True for the subject of the clause a speech verb reports ("rebels said they attacked ..."), not of a clause
    further down ("bombers killed 20 when they blew themselves up, police said")."""
    return pronoun.head.head.i == speech.i


def _speaker_word(ctx: Context) -> Token | None:
    """The subject of the speech verb that reports the event, if any; whom it quotes for "quote" ("the paper quoted
    an official as saying ...", "X was quoted as saying ...")."""
    if ctx.speech is None:
        return None
    quote = next((t for t in (ctx.speech, *list(ctx.speech.ancestors)[:2]) if key(t) == "quote"), None)  # "quoted X as saying"
    quoted = next((c for c in quote.children if c.dep_ in ("dobj", "nsubjpass")), None) if quote is not None else None
    return quoted or _subject(ctx.speech)[0]


def _subject_acts(token: Token) -> bool:
    """A passive whose subject acts ("Kenya is committed to", "is expected to sign"), without a 'by' agent."""
    return key(token) in ACTING_SUBJECT_PARTICIPLES and token.tag_ == "VBN" and all(c.dep_ != "agent" for c in token.children)


def _is_passive(token: Token) -> bool:
    """A passive verb, whose subject is acted upon (not "is committed to", "is expected to sign")."""
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in token.children) and not _subject_acts(token)


class SentenceCoder:
    """Codes the triggers of one sentence against the document's actor resolver."""

    def __init__(self, actors: Actors, sent: Span, text: str) -> None:
        self.actors = actors
        self.sent = sent
        self.text = text  # the sentence's text

    def sources(self, trig: Trigger, ctx: Context) -> tuple[list[ActorMention], bool, Token | None]:
        """Source actors of a trigger, whether they came from a fallback (speaker, modifier), and the subject word."""
        token = trig.token
        if trig.match.pattern.noun:
            noun_sources = self._noun_sources(token)
            if noun_sources:
                return noun_sources, False, None
            if token.dep_ in ("dobj", "pobj"):
                token = token.head if token.dep_ == "dobj" else token.head.head
            else:
                return [], False, None
        subject, _ = _subject(token)
        if subject is None:
            return [], False, None
        if subject.lower_ in PERSONAL_PRONOUNS:
            addressee = self._addressee(ctx, subject)
            if addressee is not None:
                antecedent = self.actors.resolve(addressee)
            elif ctx.speech is not None:
                antecedent = self.speaker(ctx)
            else:
                antecedent = self._antecedent(subject)
            if antecedent is None and subject.lower_ in ("he", "she"):
                antecedent = self.actors.last_person
            if antecedent is None and ctx.speech is not None and (subject.lower_ in ("he", "she") or _reported_subject(subject, ctx.speech)):
                subject = addressee or _speaker_word(ctx) or subject  # "President X said he would ...": placed as X is
            return ([antecedent] if antecedent else []), True, subject
        members = self.actors.members(subject)
        if members:
            return members, False, subject
        modifier = self.actors.modifier_actor(subject)
        return ([modifier] if modifier else []), True, subject

    def _addressee(self, ctx: Context, pronoun: Token) -> Token | None:
        """'they'/'you' in what X told Y refers to Y ("Putin told Western countries they risked ...")."""
        if ctx.speech is None or pronoun.lower_ not in ("they", "you"):
            return None
        return next((c for c in ctx.speech.children if c.dep_ in ("dobj", "dative")), None)

    def _antecedent(self, pronoun: Token) -> ActorMention | None:
        """The subject of the nearest governing verb ("France denied that it ...")."""
        t = pronoun.head
        while t.head.i != t.i:
            t = t.head
            subject = next((c for c in t.children if c.dep_ == "nsubj" and c.pos_ != "PRON"), None)
            if subject is not None:
                return self.actors.resolve(subject)
        return None

    def placed_role(
        self, word: Token, trig: Trigger, ctx: Context, avoid: set[str], never: frozenset[str] = frozenset()
    ) -> ActorMention | None:
        """A role noun, titled person or minority without a country ("President X", "rebels", "ethnic Turks"),
        placed in its possessor's country ("Kenya thanked its soldiers"), else the speaker's, else the event's place
        (even the other side's: "police arrested Kenyan protesters in Nairobi"), else the dateline's, else the
        first country of the sentence not in `avoid` (the other side's); never in a country of `never`."""
        sector = self.actors.role(word)
        if sector is None and not self.actors.minority(word):
            return None
        possessor = self._possessor(word)
        countries = [possessor.actor.country] if possessor is not None and possessor.actor.country else []
        speaker = self.speaker(ctx)
        if speaker is not None and speaker.actor.country:
            countries.append(speaker.actor.country)
        place = locate(self.sent, trig.token)
        if place is not None and place.country:
            countries.append(place.country)
        filed = self.actors.filed_from(self.sent)
        if filed is not None:
            countries.append(filed)
        countries = [c for c in countries if c not in never]
        named = [a.actor.country for a in self.mentions() if a.actor.country and a.actor.country not in never]
        country = next(iter(countries), None) or next((c for c in named if c not in avoid), next(iter(named), None))
        if country is None:
            return None
        span = self.actors.name(word)
        return ActorMention(Actor(country + (sector or ""), country, sector, country), span.text, span.start_char, span.end_char)

    def _possessor(self, word: Token) -> ActorMention | None:
        """Whose 'its/their' X it is: the subject of the nearest governing verb ("Pakistan urged its citizens")."""
        pronoun = next((c for c in word.children if c.dep_ == "poss" and c.pos_ == "PRON"), None)
        return self._antecedent(pronoun) if pronoun is not None else None

    def placed_targets(
        self, trig: Trigger, source: ActorMention | None, subject: Token | None, ctx: Context
    ) -> list[ActorMention]:
        """The first role noun among the target phrases outside the trigger's words ("lifted a state of emergency"),
        placed as `placed_role` places it away from the source's country ("protesters" -> KENOPP); never where
        the source's phrase puts the source ("ministers, meeting in Luxembourg"), never the source's own code."""
        avoid = {source.actor.country or ""} if source else set()
        doc = self.sent.doc
        never = frozenset(
            m.actor.country for m in self.mentions()
            if m.actor.country and m.actor.country not in avoid and _within(doc, (m.start_char, m.end_char), subject)
        )
        trigger = [trig.token.i, *(t.i for t in trig.match.tokens)]
        for word in self.target_words(trig):
            inside = min(trigger) <= word.i <= max(trigger)
            placed = self.placed_role(word, trig, ctx, avoid, never) if not inside else None
            if placed is not None:
                return [placed] if source is None or placed.actor.code != source.actor.code else []
        return []

    def mentions(self) -> list[ActorMention]:
        """Every actor named in the sentence, in order."""
        out = []
        for token in self.sent:
            ent = self.actors.entity_at(token.i)
            if (ent is not None and ent.root.i != token.i) or token.pos_ not in ("PROPN", "NOUN", "ADJ"):
                continue
            found = self.actors.resolve(token)
            if found is not None:
                out.append(found)
        return out

    def _noun_sources(self, noun: Token) -> list[ActorMention]:
        """Actors of an event noun: 'by X', 'between X and Y', or a nationality modifier ('Israeli raids')."""
        for prep in noun.children:
            if prep.dep_ == "prep" and prep.lower_ in ("by", "between", "among"):
                pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
                if pobj is not None:
                    return self.actors.members(pobj)
        if noun.dep_ in ("nsubj", "nsubjpass", "ROOT"):
            modifier = self.actors.modifier_actor(noun)
            return [modifier] if modifier else []
        return []

    def targets(self, trig: Trigger, exclude: set[str]) -> list[ActorMention]:
        """Target actors: passive subject, objects, objects of target prepositions, subjects of governed clauses."""
        heads = self.target_words(trig)
        for head in heads:
            members = [m for m in self.actors.members(head) if m.actor.code not in exclude]
            if members:
                return members
        for head in heads:
            found = self.actors.first_in(head, exclude)
            if found is not None:
                return [found]
        return []

    def target_words(self, trig: Trigger) -> list[Token]:
        """The heads of the phrases that may name the target, in order of preference."""
        token = trig.token
        heads: list[Token] = []
        anchors = [token, *trig.match.tokens]
        if trig.match.pattern.noun and token.dep_ == "dobj":
            anchors.append(token.head)
        if _is_passive(token):
            heads += [c for c in token.children if c.dep_ == "nsubjpass"]
        heads += [c for c in token.children if c.dep_ in ("dobj", "dative", "iobj")]
        # the object of the action it governs, before the topics of its own ("threatened to break off relations with X
        # over its ties with Y")
        heads += [c for clause in token.children if clause.dep_ == "xcomp" for c in clause.children if c.dep_ == "dobj"]
        for anchor in anchors:
            for prep in anchor.children:
                if prep.dep_ in ("prep", "dative") and prep.lower_ in TARGET_PREPS:
                    heads += [c for c in prep.children if c.dep_ == "pobj"]
        for clause in token.children:
            if clause.dep_ in ("xcomp", "ccomp"):
                heads += [c for c in clause.children if c.dep_ in ("nsubj", "dobj")]
        return heads + [s for noun in [*anchors, *heads] if noun.pos_ == "NOUN" for s in _content_subjects(noun)]

    def speaker(self, ctx: Context) -> ActorMention | None:
        """The actor quoted as saying it (subject of the speech verb)."""
        subject = _speaker_word(ctx)
        return self.actors.resolve(subject) if subject is not None else None

    def speaker_text(self, ctx: Context) -> str | None:
        """The speaker as written (its noun phrase), even when it resolves to no code."""
        subject = _speaker_word(ctx)
        if subject is None or subject.pos_ == "PRON":
            return None
        tokens = [t for t in subject.subtree if t.dep_ not in ("relcl", "punct") and t.i <= subject.i + 12]
        return subject.doc[min(t.i for t in tokens) : max(t.i for t in tokens) + 1].text

    def other_actor(self, clause: Token, exclude: set[str], *, outside: tuple[int, int] = (0, 0)) -> ActorMention | None:
        """The first actor of the trigger's clause that is not excluded nor within the `outside` characters (fallback target)."""
        inside = {t.i for t in clause.subtree}
        for found in self.mentions():
            token = self.sent.doc.char_span(found.start_char, found.end_char, alignment_mode="expand")
            if token is None or token.root.i not in inside or outside[0] <= found.start_char < outside[1]:
                continue
            if found.actor.code not in exclude and (found.actor.country or "") not in exclude:
                return found
        return None


def _content_subjects(noun: Token) -> list[Token]:
    """The subject of a that-clause completing a noun ("its demand that Israel ease ...", "reports that X attacked")."""
    clauses = [c for c in noun.children if c.dep_ in ("acl", "ccomp") and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)]
    return [s for clause in clauses for s in clause.children if s.dep_ == "nsubj"]


def _clause(token: Token, speech: Token | None) -> Token:
    """The top of the clause a trigger is in, below the speech verb that reports it."""
    t = token
    while t.dep_ in ABSORBING_DEPS | CLIMB_DEPS and t.head.i != t.i and (speech is None or t.head.i != speech.i):
        t = t.head
    return t


def _code(trig: Trigger) -> str:
    """The CAMEO code of a trigger, refined by the action it governs ('agreed to hold talks' -> 036)."""
    code = trig.match.code
    if trig.embedded is None:
        return code
    inner = trig.embedded.match.code
    if code == "030" and cameo_info(inner).quad_class >= 3:
        return THREAT_OF.get(inner[:3]) or THREAT_OF.get(inner[:2], "130")
    if code == "130":
        return THREAT_OF.get(inner[:3]) or THREAT_OF.get(inner[:2], code)
    return REFINE.get(code, {}).get(inner[:2], code)


def _threat(code: str) -> str:
    return THREAT_OF.get(code[:3]) or THREAT_OF.get(code[:2], "130")


def _shift(code: str, ctx: Context, governs: bool) -> tuple[str, str]:
    """CAMEO's reading of modality: promised cooperation is an intent (03), refused cooperation a rejection (12),
    announced force, or force that may follow a condition, a threat (13). Scheduled actions ("will start delivering") keep their code."""
    root, modality, quad = code[:2], ctx.modality, cameo_info(code).quad_class
    cooperative = quad <= 2 and root not in ("01", "02", "03")
    if ctx.negated:
        if ctx.refusal and quad <= 2 and root not in ("01", "02"):
            return REFINE["120"].get(root, "120"), ASSERTED
        return code, DENIED
    if root == "13":
        return code, THREATENED
    if root == "03" and governs and modality not in (HYPOTHETICAL, THREATENED):
        return code, INTENDED
    if modality == INTENDED and ctx.conditional and root not in ("02", "03", "10"):  # "... unless Y does Z"
        return _threat(code), THREATENED
    if quad == 4 and (modality in (INTENDED, THREATENED) or (modality == HYPOTHETICAL and ctx.consequence)):
        return _threat(code), THREATENED  # "will attack", "may impose sanctions if ..."
    if modality == INTENDED and cooperative and not ctx.scheduled:
        return REFINE["030"].get(root, "030"), INTENDED
    return code, modality


def _trigger_span(doc: Doc, match: Match) -> tuple[int, int]:
    start, end = match.tokens[0].idx, match.tokens[-1].idx + len(match.tokens[-1])
    if end - start > MAX_TRIGGER_CHARS:
        head = next(t for t in match.tokens if t.i == min(t.i for t in match.tokens))
        return head.idx, head.idx + len(head)
    return start, end


def _event_date(sent: Span, token: Token, published: date, future: bool) -> tuple[date, str]:
    """The date of the event: a DATE entity in the trigger's clause, else in the sentence, else the publication date.

    A date that opens or closes a span of time ("frozen since 2021", "until March") is not the event's date."""
    dates = [e for e in sentence_ents(sent) if e.label_ == "DATE" and not _bounds_a_span(e) and not _in_what_was_said(e, token)]
    if len(dates) > 1:  # the trigger's subtree is only needed to order them
        subtree = {t.i for t in token.subtree}
        dates.sort(key=lambda e: e.root.i not in subtree)
    for ent in dates:
        resolved = resolve_date(ent.text, published, future=future and not _told_in_past_tense(ent))
        if resolved is not None:
            return resolved
    return published, DAY


def _told_in_past_tense(ent: Span) -> bool:
    """True when the verb a date hangs on is past ("agreed on Monday to ...", "warned on Monday that ..."): the date is
    behind the publication date though the event is an intent or a threat."""
    verb = next((t for t in ent.root.ancestors if t.pos_ in ("VERB", "AUX")), None)
    if verb is None:
        return False
    return verb.tag_ == "VBD" or (verb.tag_ == "VBN" and any(c.dep_ == "aux" and c.lemma_ == "have" for c in verb.children))


def _in_what_was_said(ent: Span, trigger: Token) -> bool:
    """True for a date inside a clause reported by a speech verb below the trigger ("X praised Y and said construction
    would start in January"): the date of what was said, not of the event."""
    verb = next((t for t in ent.root.ancestors if t.pos_ in ("VERB", "AUX")), None)
    for t in ent.root.ancestors:
        if t.i == trigger.i:
            return False
        if t.lemma_.lower() in SPEECH_VERBS and t is not verb:
            return any(a.i == trigger.i for a in t.ancestors)
    return False


SPAN_BOUNDS = {"since", "until", "till"}


def _bounds_a_span(ent: Span) -> bool:
    """True for a date that starts with, or follows, a word bounding a span of time."""
    before = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
    return before in SPAN_BOUNDS or ent[0].lower_ in SPAN_BOUNDS


def _actor_fields(prefix: str, mention: ActorMention | None) -> dict:
    actor: Actor | None = mention.actor if mention else None
    if mention is not None and not mention.text:  # an implied actor: coded, but not written
        mention = None
    return {
        f"{prefix}_text": mention.text if mention else None,
        f"{prefix}_start_char": mention.start_char if mention else None,
        f"{prefix}_end_char": mention.end_char if mention else None,
        f"{prefix}_code": actor.code if actor else None,
        f"{prefix}_country": actor.country if actor else None,
        f"{prefix}_sector": actor.sector if actor else None,
    }


def code_events(doc: Doc, *, article_id: str, published: date | None) -> list[dict]:
    """One EVENT_MENTIONS row (without run_id) per event coded in the parsed article."""
    if not doc.has_annotation("DEP"):  # a pipeline without a parser codes nothing
        return []
    published = published or date.today()
    actors = Actors(doc)
    text = doc.text  # Doc.text and Span.text join their tokens anew on every call
    rows: list[dict] = []
    for index, sent in enumerate(doc.sents):
        sent_text = text[sent.start_char : sent.end_char]
        if _skip(sent, sent_text):
            continue
        coder = SentenceCoder(actors, sent, sent_text)
        seen: set[tuple] = set()
        for trig in _triggers(sent).values():
            if not trig.governed:
                row = _code_trigger(coder, trig, article_id, index, published)
                if row is None:
                    continue
                dyad = (row["cameo_root"], row["actor1_code"], row["actor2_code"])
                if dyad not in seen:  # "began a hunger strike to protest": one protest
                    seen.add(dyad)
                    rows.append(row)
    return rows


def _code_trigger(coder: SentenceCoder, trig: Trigger, article_id: str, index: int, published: date) -> dict | None:
    """The event mention row of one governing trigger, or None without a source actor."""
    sent, doc = coder.sent, coder.sent.doc
    inner = trig.embedded
    ctx = context(trig.token)
    code = _code(trig)
    sources, weak_source, subject = coder.sources(trig, ctx)
    exclude = {sources[0].actor.code} if sources else set()
    targets = coder.targets(trig, exclude) or (coder.targets(inner, exclude) if inner else [])
    if not sources and subject is not None:
        fallback = coder.placed_role(subject, trig, ctx, {t.actor.country or "" for t in targets})
        if fallback is not None:
            sources, weak_source = [fallback], True
            targets = [t for t in targets if t.actor.code != fallback.actor.code]
    weak_target = False
    if not targets:  # "killed two journalists in Beirut": a role noun without a country, placed as a source is
        targets = coder.placed_targets(trig, sources[0] if sources else None, subject, ctx)
        weak_target = bool(targets)
    unnamed_cause = subject is not None and coder.actors.role(subject) is None  # "a roadside bomb killed ..."
    passive_harm = cameo_info(code).quad_class == 4 and (_is_passive(trig.token) or trig.match.pattern.noun or unnamed_cause)
    if not sources and not (passive_harm and targets):
        return None
    source = sources[0] if sources else None
    speaker = coder.speaker(ctx)
    if ctx.obligation and speaker is not None and source is not None and speaker.actor.code != source.actor.code:
        # "X said Y must do Z": X demands that Y does Z
        code, modality = REFINE["100"].get(code[:2], "100"), ASSERTED
        sources, targets, source, weak_source = [speaker], [source], speaker, True
    elif trig.implicit:
        return None
    else:
        code, modality = _shift(code, ctx, inner is not None)
    place: Place | None = locate(sent, trig.token)
    if not targets and len(sources) > 1:
        targets = sources[1:]
    skip = {source.actor.code if source else "", source.actor.country or "" if source else "", speaker.actor.code if speaker else ""}
    source_place = (0, 0)  # "ministers, meeting in Brussels, banned ...": where the source is, not whom it acts on
    if not targets and place is not None and place.country and place.country != (speaker.actor.country if speaker else None):
        offsets = _place_offsets(sent, place)
        if _within(doc, offsets, subject):
            source_place = offsets
        else:
            targets, weak_target = [ActorMention(Actor(place.country, place.country, None, place.name), place.name, *offsets)], True
    if not targets:
        other = coder.other_actor(_clause(trig.token, ctx.speech), skip, outside=source_place)
        if other is not None:
            targets, weak_target = [other], True
    if not targets and code[:2] == "14" and source is not None and source.actor.country:
        # dissent without a named target is dissent against the protesters' own government
        country = source.actor.country
        targets, weak_target = [ActorMention(Actor(country + "GOV", country, "GOV", country), "", source.start_char, source.start_char)], True
    target = targets[0] if targets else None
    info = cameo_info(code)
    event_date, precision = _event_date(sent, trig.token, published, modality in (INTENDED, THREATENED))
    start, end = _trigger_span(doc, trig.match)
    confidence = 0.9 - 0.2 * weak_target - 0.2 * weak_source - 0.1 * (target is None) - 0.1 * trig.match.pattern.noun - 0.3 * (source is None)
    return {
        "event_mention_id": stable_id(article_id, index, start, end, code),
        "event_id": stable_id(
            source.actor.code if source else None,
            target.actor.code if target else None,
            info.base,
            event_date,
            place.country if place else None,
        ),
        "article_id": article_id,
        "sentence_index": index,
        "sentence_start_char": sent.start_char,
        "sentence_end_char": sent.end_char,
        "sentence": coder.text,
        "is_lead": index < LEAD_SENTENCES,
        "trigger": coder.text[start - sent.start_char:end - sent.start_char],
        "trigger_start_char": start,
        "trigger_end_char": end,
        "cameo_code": code,
        "cameo_base": info.base,
        "cameo_root": info.root,
        "quad_class": info.quad_class,
        "goldstein": info.goldstein,
        "plover_type": info.plover_type,
        "plover_mode": info.plover_mode,
        "plover_context": info.plover_context,
        **_actor_fields("actor1", source),
        **_actor_fields("actor2", target),
        "event_date": event_date,
        "date_precision": precision,
        "location_name": place.name if place else None,
        "location_country": place.country if place else None,
        "location_lat": place.lat if place else None,
        "location_lon": place.lon if place else None,
        "negated": modality == DENIED,  # a refusal ("will not accept") is coded as the rejection it is, which happened
        "modality": modality,
        "attribution": coder.speaker_text(ctx),
        "attribution_code": speaker.actor.code if speaker else None,
        "confidence": round(max(confidence, 0.1), 2),
        "coder_version": CODER_VERSION,
    }


def _within(doc: Doc, offsets: tuple[int, int], phrase: Token | None) -> bool:
    """True when the characters lie in the phrase a token heads."""
    span = doc.char_span(*offsets, alignment_mode="expand") if offsets[0] < offsets[1] else None
    return phrase is not None and span is not None and span.root in phrase.subtree


def _place_offsets(sent: Span, place: Place) -> tuple[int, int]:
    """Offsets of the place name in the sentence (as found by the place resolver)."""
    at = sent.text.find(place.name)
    return (sent.start_char + at, sent.start_char + at + len(place.name)) if at >= 0 else (sent.start_char, sent.start_char)
