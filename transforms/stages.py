"""The CPU-bound stages of a batch as plain functions: a task thread runs them, or hands them to a worker process
(which then needs neither Prefect nor the flows)."""

from __future__ import annotations

import signal
from datetime import date

from transforms.analyse import Analysis, analyse
from transforms.clean import CleanOptions, clean_document
from transforms.errors import Rejection
from transforms.nlp import load_nlp
from transforms.read import RawDocument


def clean_documents(documents: list[RawDocument], options: CleanOptions) -> tuple[list[dict], list[Rejection]]:
    """Clean each document to an article row; what cannot be used is rejected."""
    articles: list[dict] = []
    rejections: list[Rejection] = []
    for document in documents:
        result = clean_document(document, options=options)
        (rejections if isinstance(result, Rejection) else articles).append(result)
    return articles, rejections


def analyse_articles(articles: list[dict], model: str | None, fallback_date: date) -> Analysis:
    """Entities and coded events of new articles (one spaCy pass with the named model)."""
    return analyse(articles, load_nlp(model), fallback_date=fallback_date)


def prepare_worker(model: str | None) -> None:
    """Start a worker process: Ctrl-C is for the command that started it to handle; the model is loaded once, now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_nlp(model)
