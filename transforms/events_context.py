"""Context of an event trigger: negation, modality (asserted, intended, threatened, hypothetical, denied) and attribution."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Token

from transforms.events_lexicon import key

ASSERTED, INTENDED, THREATENED, HYPOTHETICAL, DENIED = "asserted", "intended", "threatened", "hypothetical", "denied"

SPEECH_VERBS = frozenset(
    ["say", "tell", "announce", "report", "state", "add", "claim", "insist", "confirm", "stress", "note", "explain", "write", "declare", "assert", "reiterate", "disclose", "reveal", "quote", "indicate", "believe", "think", "told"]
)
INTENT_VERBS = frozenset(
    ["plan", "intend", "aim", "seek", "want", "prepare", "expect", "hope", "mean", "prepared", "committed", "decide", "wish", "schedule", "slate", "set", "due", "go", "ready", "poised", "determined", "keen", "eager", "willing", "likely"]
)
THREAT_VERBS = frozenset({"threaten", "warn"})
ASPECT_VERBS = frozenset({"start", "begin", "resume", "continue", "keep"})
DENY_VERBS = frozenset({"deny", "fail", "refrain", "avoid", "unable"})
REFUSAL_WORDS = frozenset({"unwilling", "reluctant", "loath", "loth"})  # "is unwilling to send troops": a refusal
# "is unlikely to attack", "considers sending troops": not said to happen, nor intended
UNDECIDED_WORDS = frozenset({"unlikely", "doubtful", "consider", "contemplate", "mull", "weigh", "debate"})
FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo"})
HYPOTHETICAL_AUX = frozenset({"could", "might", "may", "should", "can", "would", "must"})
CONDITION_MARKS = frozenset({"if", "unless", "whether"})
CHAIN_DEPS = frozenset({"xcomp", "ccomp", "conj", "advcl", "pcomp", "acomp", "prep", "dobj"})


@dataclass(frozen=True)
class Context:
    """What the sentence says about an event: negated, its modality, and the speech verb it is reported by."""

    negated: bool
    modality: str
    speech: Token | None
    refusal: bool = False  # negated future or modal ("will not accept"): a rejection
    conditional: bool = False  # governs an unless clause ("will withdraw unless ...")
    consequence: bool = False  # governs an if clause ("may impose sanctions if ...")
    scheduled: bool = False  # an aspectual verb governs it ("will start delivering")
    obligation: bool = False  # "must"/"should" ("Sudan must return ...")


def speech_verb(token: Token) -> Token | None:
    """The speech verb ('said', 'told') whose reported clause contains the token, or None."""
    t = token
    while t.head.i != t.i:
        head = t.head
        if head.lemma_.lower() in SPEECH_VERBS and t.dep_ in ("ccomp", "xcomp", "conj", "advcl", "parataxis"):
            return head
        t = head
    for child in t.children:
        if child.dep_ in ("parataxis", "advcl", "ccomp") and child.lemma_.lower() in SPEECH_VERBS:
            return child
    return None


def _yet_to(token: Token) -> bool:
    """'has yet to' / 'is yet to': what it governs has not happened."""
    return token.lemma_.lower() in ("have", "be") and any(c.dep_ == "advmod" and c.lower_ == "yet" for c in token.children)


def context(trigger: Token, governors: tuple[Token, ...] = ()) -> Context:
    """Negation and modality from the trigger's own auxiliaries and the verbs that govern it, up to a speech verb."""
    speech = speech_verb(trigger)
    chain = [trigger, *governors]
    coordinate: set[int] = set()  # verbs the chain reached as the head of a conjunct: a sibling action, not a governor
    t = chain[-1]
    while t.dep_ in CHAIN_DEPS and t.head.i != t.i and (speech is None or t.head.i != speech.i):
        if t.dep_ == "conj":
            coordinate.add(t.head.i)
        t = t.head
        if t.pos_ in ("VERB", "AUX", "ADJ"):
            chain.append(t)
    negated = threatened = hypothetical = intended = modal = conditional = consequence = scheduled = obligation = False
    refusal = False
    for i, token in enumerate(chain):
        lemma = key(token)
        if i and token.i not in coordinate:  # the verbs that govern the trigger ("threatened to attack", not "threatened X and called on Y")
            threatened |= lemma in THREAT_VERBS
            negated |= lemma in DENY_VERBS | REFUSAL_WORDS or _yet_to(token)
            refusal |= lemma in REFUSAL_WORDS
            hypothetical |= lemma in UNDECIDED_WORDS
            intended |= lemma in INTENT_VERBS
            scheduled |= lemma in ASPECT_VERBS
        for child in token.children:
            word = child.lower_
            if child.dep_ == "neg" or (child.dep_ == "dobj" and any(d.lower_ == "no" for d in child.children)):
                negated = True  # "did not reach", "reached no agreement"
            elif child.dep_ in ("aux", "auxpass") and word in FUTURE_AUX:
                intended = modal = True
            elif child.dep_ == "aux" and word in HYPOTHETICAL_AUX:
                modal = True
                obligation = obligation or word in ("must", "should")
                if word == "would" and speech is not None:
                    intended = True
                else:
                    hypothetical = True
            elif child.dep_ == "mark" and word in CONDITION_MARKS:
                hypothetical = True
            elif child.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ == "unless" for m in child.children):
                conditional = True
            elif child.dep_ == "advcl" and child not in chain and any(m.dep_ == "mark" and m.lower_ == "if" for m in child.children):
                consequence = True  # not the if clause the trigger is in
            elif (child.dep_ == "aux" and word == "to" and (token.dep_ in ("ROOT", "acl") or any(c.dep_ == "nsubj" for c in token.children))) or (child.dep_ == "acomp" and child.lemma_.lower() in INTENT_VERBS):
                intended = True
        if any(c.dep_ == "mark" and c.lower_ in CONDITION_MARKS for c in token.children):
            break  # a condition ("... unless Baghdad accepts"): what the verbs above it threaten or intend is not it
    if negated:
        return Context(True, DENIED, speech, refusal=modal or intended or refusal)
    modality = THREATENED if threatened else HYPOTHETICAL if hypothetical else INTENDED if intended else ASSERTED
    return Context(
        False, modality, speech, conditional=conditional, consequence=consequence, scheduled=scheduled, obligation=obligation
    )
