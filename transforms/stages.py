"""The CPU-bound stages of a batch as plain functions: a task thread runs them, or hands them to a worker process
(which then needs neither Prefect nor the flows)."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date

from transforms.analyse import Analysis, analyse
from transforms.clean import CleanOptions, clean_document
from transforms.errors import NewseventsError, Rejection, first_line
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


# In a worker process: why it could not load the model, said by each batch it is given (a worker whose start raised
# would break the whole pool, and the command could then only guess that a worker had died).
_LOAD_ERROR: NewseventsError | None = None


def analyse_articles(articles: list[dict], model: str | None, fallback_date: date) -> Analysis:
    """Entities and coded events of new articles (one spaCy pass with the named model)."""
    if _LOAD_ERROR is not None:
        raise _LOAD_ERROR
    return analyse(articles, load_nlp(model), fallback_date=fallback_date)


def prepare_worker(model: str | None, command_pid: int) -> None:
    """Start a worker process: Ctrl-C is for the command that started it to handle (the command blocks it while the
    worker starts), the worker ends when that command ends (even killed), and the model is loaded once, now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=exit_when_orphaned, args=(command_pid,), name="lifeline", daemon=True).start()
    try:
        load_nlp(model)
    except Exception as e:  # a damaged or missing model
        global _LOAD_ERROR
        _LOAD_ERROR = NewseventsError(f"a worker process could not load the spaCy model: {first_line(e)}")


def exit_when_orphaned(command_pid: int) -> None:
    """End this process within a second of its parent, the command, ending."""
    while os.getppid() == command_pid:
        time.sleep(1)
    os._exit(1)
