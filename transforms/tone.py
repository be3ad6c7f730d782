"""TEXT -> TONE: GDELT-style tone, (positive - negative words) / words x 100, from the project's word list."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from transforms.ids import files_digest

WORDS_FILE = Path(__file__).parent / "resources" / "tone_words.tsv"
WORD = re.compile(r"\w+")
TONE_VERSION = "words." + files_digest([WORDS_FILE])[:8]


@cache
def tone_words() -> dict[str, int]:
    """The lexicon: lower-case word -> +1 (positive) or -1 (negative)."""
    lexicon: dict[str, int] = {}
    for line in WORDS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, polarity = line.split("\t")
            lexicon[word] = int(polarity)
    return lexicon


def tone(text: str) -> float | None:
    """Tone of a text in [-100, 100]; None when it has no words."""
    words = WORD.findall(text.lower())
    if not words:
        return None
    lexicon = tone_words()
    return 100.0 * sum(lexicon.get(w, 0) for w in words) / len(words)
