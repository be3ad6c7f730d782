"""Time spaCy's parse and the event coder on the same documents: the coder should add at most 20%.

Run `uv run python bench/coder_speed.py [JSONL] [--repeat N]`; without a file it uses the PLOVER dev set in
../shared/eval when present, else a few sentences written here.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

from transforms.events import code_events
from transforms.nlp import load_nlp

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "plover-gsr-dev.jsonl"
FALLBACK = [
    "Kenyan police arrested dozens of opposition supporters in Nairobi on Tuesday, officials said.",
    "The European Union will impose new sanctions on Belarus next month, its foreign ministers agreed.",
    "Chilean President Gabriel Boric met Argentine officials in Santiago to discuss a gas pipeline.",
]


def main() -> None:
    """Print the parse time, the coding time and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.jsonl.exists():
        texts = [json.loads(line)["text"] for line in args.jsonl.open(encoding="utf-8") if line.strip()]
    else:
        texts = FALLBACK * 50
    texts *= args.repeat
    nlp = load_nlp()
    code_events(nlp("Kenyan police arrested protesters in Nairobi."), article_id="", published=None)  # load the tables once
    start = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=64))
    parse = time.perf_counter() - start
    start = time.perf_counter()
    events = sum(len(code_events(d, article_id=str(i), published=datetime.date(2020, 1, 1))) for i, d in enumerate(docs))
    code = time.perf_counter() - start
    tokens = sum(len(d) for d in docs)
    print(f"documents {len(docs)}, tokens {tokens}, events {events}")
    print(f"parse  {parse:.2f} s ({tokens / parse:,.0f} tokens/s)")
    print(f"coder  {code:.2f} s ({tokens / code:,.0f} tokens/s)")
    print(f"coder / parse = {code / parse:.1%}")


if __name__ == "__main__":
    main()
