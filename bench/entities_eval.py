"""Score entities from the bare spaCy model and from the project pipeline against hand-annotated news text.

uv run python bench/entities_eval.py [--split dev|test|all] [--gold FILE] [--model NAME]

Both pipelines go through transforms.entities.extract_entities (so both get reference lookups);
the difference measured is what the project's pipeline (entity ruler, sentence breaks) adds.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import spacy

from transforms.entities import extract_entities
from transforms.nlp import load_nlp, model_name

GOLD = Path(__file__).resolve().parents[1] / "tests" / "data" / "entities_gold.jsonl"
PLOVER = Path(__file__).resolve().parents[2] / "shared" / "eval" / "plover-gsr-dev.jsonl"
LABELS = ("PERSON", "ORG", "GPE", "NORP", "LOC")


def read_gold(path: Path) -> list[dict]:
    """The annotated sentences, one JSON object a line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _without_article(text: str, start: int, end: int) -> int:
    """Start offset past a leading 'the ', the annotation convention of the gold set."""
    return start + 4 if text[start:end].lower().startswith("the ") else start


def predict(nlp, gold: list[dict]) -> dict[str, list[dict]]:
    """ENTITIES rows per gold sentence id, with gold's convention for a leading article."""
    out = {}
    for item, doc in zip(gold, nlp.pipe(g["text"] for g in gold), strict=True):
        rows = extract_entities(doc, article_id=item["id"])
        for row in rows:
            row["start_char"] = _without_article(item["text"], row["start_char"], row["end_char"])
        out[item["id"]] = rows
    return out


def score(gold: list[dict], predicted: dict[str, list[dict]]) -> dict:
    """Span+label precision/recall/F1 (overall and per label) and country-code accuracy."""
    tp, fp, fn = Counter(), Counter(), Counter()
    coded = right = wrong = 0
    for item in gold:
        rows = [r for r in predicted[item["id"]] if r["label"] in LABELS]
        pred = {(r["start_char"], r["end_char"], r["label"]) for r in rows}
        true = {(e["start"], e["end"], e["label"]) for e in item["entities"]}
        for _, _, label in pred & true:
            tp[label] += 1
        for _, _, label in pred - true:
            fp[label] += 1
        for _, _, label in true - pred:
            fn[label] += 1
        by_span = {
            (r["start_char"], r["end_char"]): r["country_code"] for r in predicted[item["id"]]
        }
        for e in item["entities"]:
            if e["country"] is None:
                continue
            coded += 1
            got = by_span.get((e["start"], e["end"]))
            right += got == e["country"]
            wrong += got is not None and got != e["country"]

    def prf(t: int, p: int, n: int) -> tuple[float, float, float]:
        precision = t / (t + p) if t + p else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    return {
        "all": prf(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        **{label: prf(tp[label], fp[label], fn[label]) for label in LABELS},
        "country_accuracy": right / coded if coded else 0.0,
        "country_wrong": wrong,
        "country_total": coded,
    }


def actor_codes(nlp, path: Path) -> tuple[int, int]:
    """(gold actors found in their sentence, of which an overlapping entity carries the gold code).

    The actors of the PLOVER gold standard events (text, country or IGO/NGO code) serve as an
    independent check of entity recognition plus reference lookup.
    """
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    found = right = 0
    for record, doc in zip(records, nlp.pipe(r["text"] for r in records), strict=True):
        rows = extract_entities(doc, article_id=record["id"])
        actors = {
            (a["text"], a["code"])
            for e in record["events"]
            for a in e["source"] + e["target"]
            if a["code"]
        }
        for text, code in actors:
            start = record["text"].find(text)
            if start < 0:
                continue
            found += 1
            end = start + len(text)
            codes = {
                (r["country_code"], (r["actor_code"] or "")[:3])
                for r in rows
                if r["start_char"] < end and start < r["end_char"]
            }
            right += any(code in pair for pair in codes)
    return found, right


def main() -> None:
    """Print both pipelines' scores side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--model", default=None)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--plover", type=Path, default=PLOVER, help="PLOVER gold file, if present")
    args = parser.parse_args()
    gold = [g for g in read_gold(args.gold) if args.split in ("all", g["split"])]
    name = args.model or model_name()
    pipelines = {f"bare {name}": spacy.load(name), "newsevents load_nlp()": load_nlp(name)}
    results = {pipeline: score(gold, predict(nlp, gold)) for pipeline, nlp in pipelines.items()}
    n = sum(len(g["entities"]) for g in gold)
    print(f"split {args.split}: {len(gold)} sentences, {n} gold entities ({', '.join(LABELS)})")
    print(f"{'pipeline':<32}{'':>8}{'P':>7}{'R':>7}{'F1':>7}")
    for pipeline, s in results.items():
        for key in ("all", *LABELS):
            p, r, f = s[key]
            print(f"{pipeline:<32}{key:>8}{p:7.3f}{r:7.3f}{f:7.3f}")
        print(
            f"{pipeline:<32} country code accuracy {s['country_accuracy']:.3f} "
            f"({s['country_total']} gold codes, {s['country_wrong']} wrong codes)"
        )
    if args.plover.exists():
        print(
            f"PLOVER gold actors ({args.plover.name}): share whose code an overlapping entity carries"
        )
        for pipeline, nlp in pipelines.items():
            found, right = actor_codes(nlp, args.plover)
            print(f"{pipeline:<32} {right}/{found} = {right / found:.3f}")


if __name__ == "__main__":
    main()
