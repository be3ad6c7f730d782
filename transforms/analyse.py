"""ARTICLES -> ENTITIES + EVENT MENTIONS: one spaCy pass per batch feeds both extractors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version

from spacy.language import Language
from spacy.tokens import Doc

from transforms.entities import extract_entities
from transforms.errors import Reason, Rejection
from transforms.events import CODER_VERSION, code_events
from transforms.tone import TONE_VERSION


@dataclass
class Analysis:
    """Rows per article id, and the articles the NLP stage could not handle."""

    entities: dict[str, list[dict]] = field(default_factory=dict)
    event_mentions: dict[str, list[dict]] = field(default_factory=dict)
    rejections: dict[str, Rejection] = field(default_factory=dict)  # article_id -> why it failed


def analyse(articles: list[dict], nlp: Language, *, fallback_date: date, batch_size: int = 32) -> Analysis:
    """Parse each article's text once and extract its entities and coded events."""
    out = Analysis()
    try:
        docs: list[Doc | Exception] = list(nlp.pipe((a["text"] for a in articles), batch_size=batch_size))
    except Exception:  # one bad text broke the batch: parse one by one to find it
        docs = [parse_one(nlp, a["text"]) for a in articles]
    for article, doc in zip(articles, docs, strict=True):
        article_id = article["article_id"]
        published = article["published_at"].date() if article["published_at"] else fallback_date
        try:
            if isinstance(doc, Exception):
                raise doc
            entities = extract_entities(doc, article_id=article_id)
            mentions = code_events(doc, article_id=article_id, published=published)
        except Exception as e:  # the world's fault (a text our code cannot handle): quarantine, go on
            out.rejections[article_id] = Rejection(stage="nlp", reason=Reason.NLP_FAILED, url=article["url"],
                                                   detail=f"{type(e).__name__}: {e}"[:300])
            continue
        out.entities[article_id] = entities
        out.event_mentions[article_id] = mentions
    return out


def parse_one(nlp: Language, text: str) -> Doc | Exception:
    """The parse of one text, or the exception it raised."""
    try:
        return nlp(text)
    except Exception as e:
        return e


def pipeline_versions(meta: dict) -> dict[str, str]:
    """The versions an article's rows depend on: newsevents, trafilatura, spaCy, the model (its meta), the event coder and
    the tone words (both with a hash of their tables)."""
    return {"newsevents": version("newsevents"), "trafilatura": version("trafilatura"), "spacy": version("spacy"),
            "model": f"{meta['lang']}_{meta['name']}-{meta['version']}", "coder": CODER_VERSION, "tone": TONE_VERSION}


def pipeline_version(meta: dict) -> str:
    """The pipeline versions as one string, stored with each article (`articles.pipeline_version`)."""
    return "; ".join(f"{name} {value}" for name, value in pipeline_versions(meta).items())
