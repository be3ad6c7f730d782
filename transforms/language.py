"""TEXT -> LANGUAGE: ISO 639-1 code of a text, detected with py3langid."""

from __future__ import annotations

import py3langid

SAMPLE_CHARS = 2000


def detect_language(text: str) -> str:
    """The most likely ISO 639-1 language code of the text (judged on its first few thousand characters)."""
    language, _score = py3langid.classify(text[:SAMPLE_CHARS])
    return language
