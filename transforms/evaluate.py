"""Evaluation of the event coder: code JSONL records, and score them against a gold file (precision, recall, F1)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from spacy.language import Language

from transforms.entities import extract_entities
from transforms.errors import NewseventsError
from transforms.events import code_events

BATCH_SIZE = 64
EVENT_KEYS = (
    "cameo_code", "plover_type", "plover_mode", "actor1_code", "actor1_country", "actor1_sector", "actor1_text",
    "actor2_code", "actor2_country", "actor2_sector", "actor2_text", "modality", "negated", "trigger",
    "event_date", "date_precision", "location_name", "location_country", "attribution", "confidence", "sentence_index",
)
ENTITY_KEYS = ("start_char", "end_char", "label", "text", "country_code", "actor_code", "sector")
UNSCORED_TYPES = frozenset({"STATEMENT"})  # CAMEO 01 has no PLOVER type
EXAMPLES = 3


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def read_jsonl_records(lines: Iterable[str]) -> Iterator[dict]:
    """Records of a JSONL stream; a malformed line is an error naming its number."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise NewseventsError(f"line {number} is not valid JSON: {e}") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise NewseventsError(f"line {number} is not an object with a string 'text'")
        yield record


def extract_records(records: Iterable[dict], nlp: Language, *, batch_size: int = BATCH_SIZE) -> Iterator[dict]:
    """{"id", "text", "date"} records -> {"id", "events": [...], "entities": [...]}, streaming through nlp.pipe."""
    pairs = ((r.get("text") or "", r) for r in records)
    for doc, record in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        rid = str(record.get("id", ""))
        events = code_events(doc, article_id=rid, published=_date(record.get("date")))
        yield {
            "id": rid,
            "events": [{k: (str(e[k]) if k == "event_date" else e[k]) for k in EVENT_KEYS} for e in events],
            "entities": [{k: e[k] for k in ENTITY_KEYS} for e in extract_entities(doc, article_id=rid)],
        }


def _codes(event: dict, n: int) -> set[str]:
    """The codes a predicted actor answers to: its country, its full code, its non-state sector (IGO, NGO)."""
    codes = {event.get(f"actor{n}_country"), event.get(f"actor{n}_code")}
    sector = event.get(f"actor{n}_sector")
    if not event.get(f"actor{n}_country") and sector:
        codes.add(sector)
    return {c for c in codes if c}


def _type_ok(gold: dict, pred: dict) -> bool:
    if gold.get("plover"):
        return gold["plover"] == pred["plover_type"]
    return str(gold.get("cameo", ""))[:2] == pred["cameo_code"][:2]


def _dyad_ok(gold: dict, pred: dict) -> bool:
    for role, n in (("source", 1), ("target", 2)):
        wanted = {a["code"] for a in gold.get(role) or []}
        if wanted and not wanted & _codes(pred, n):
            return False
    return True


def _match(golds: list[dict], preds: list[dict], dyad: bool) -> tuple[list[bool], list[bool]]:
    """Greedy one-to-one matching: which gold events and which predictions found a partner."""
    gold_hit, pred_hit = [False] * len(golds), [False] * len(preds)
    for i, gold in enumerate(golds):
        for j, pred in enumerate(preds):
            if not pred_hit[j] and _type_ok(gold, pred) and (not dyad or _dyad_ok(gold, pred)):
                gold_hit[i] = pred_hit[j] = True
                break
    return gold_hit, pred_hit


@dataclass
class Score:
    """True positives, false positives and false negatives, with P/R/F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return f"{name:<14} P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


@dataclass
class EvalReport:
    """Scores for type alone and type + source + target, overall and per PLOVER type, with example misses."""

    records: int = 0
    type_only: Score = field(default_factory=Score)
    dyad: Score = field(default_factory=Score)
    per_type: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    per_type_dyad: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    missed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    false: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)  # every record with a miss: its gold events and predictions

    def format(self, *, misses: bool = False) -> str:
        """A plain-text report; with `misses`, every record that has a miss, gold against predicted."""
        out = [f"records: {self.records}", self.type_only.line("type"), self.dyad.line("type+src+tgt"), "", "per PLOVER type (type alone | type+src+tgt F1):"]
        for name in sorted(self.per_type, key=lambda n: -(self.per_type[n].tp + self.per_type[n].fn)):
            s = self.per_type[name]
            out.append(f"  {s.line(name)} | {self.per_type_dyad[name].f1:.3f}")
        worst = Counter({n: s.fn + s.fp for n, s in self.per_type.items()})
        out.append("")
        out.append("worst misses:")
        for name, _ in worst.most_common(5):
            for sentence in self.missed.get(name, [])[:EXAMPLES]:
                out.append(f"  missed {name}: {sentence}")
            for sentence in self.false.get(name, [])[:EXAMPLES]:
                out.append(f"  false  {name}: {sentence}")
        if misses:
            out += ["", "records with a miss (type / type+src+tgt matched: T/-, D/-):", *self.errors]
        return "\n".join(out)


def scored(events: list[dict]) -> list[dict]:
    """The predictions that count: asserted or not, but not negated, and with a PLOVER type."""
    return [e for e in events if not e["negated"] and e["plover_type"] not in UNSCORED_TYPES]


def _marks(typed: bool, dyad: bool) -> str:
    """What an event matched: T (type), D (type + source + target), or - for each it did not."""
    return ("T" if typed else "-") + ("D" if dyad else "-")


def _gold_line(gold: dict, typed: bool, dyad: bool) -> str:
    codes = {role: ",".join(a["code"] for a in gold.get(role) or []) or "-" for role in ("source", "target")}
    name = gold.get("plover") or gold.get("cameo")
    return f"  gold {_marks(typed, dyad)} {name} {codes['source']} -> {codes['target']}"


def _pred_line(pred: dict, typed: bool, dyad: bool) -> str:
    actors = f"{pred['actor1_code'] or '-'} ({pred['actor1_text']}) -> {pred['actor2_code'] or '-'} ({pred['actor2_text']})"
    return f"  pred {_marks(typed, dyad)} {pred['plover_type']} {pred['cameo_code']} '{pred['trigger']}' {actors} {pred['modality']}"


def score(gold_path: Path, nlp: Language) -> EvalReport:
    """Code every record of a gold JSONL file and score the predictions against its events."""
    with Path(gold_path).open(encoding="utf-8") as f:
        gold = list(read_jsonl_records(f))
    report = EvalReport()
    for record, out in zip(gold, extract_records(gold, nlp), strict=True):
        report.records += 1
        golds, preds = record.get("events") or [], scored(out["events"])
        text = record["text"][:160]
        hits = {}
        for dyad, total, per in ((False, report.type_only, report.per_type), (True, report.dyad, report.per_type_dyad)):
            gold_hit, pred_hit = hits[dyad] = _match(golds, preds, dyad)
            for g, hit in zip(golds, gold_hit, strict=True):
                name = g.get("plover") or str(g.get("cameo", ""))[:2]
                total.tp += hit
                total.fn += not hit
                per[name].tp += hit
                per[name].fn += not hit
                if not hit and not dyad:
                    report.missed[name].append(text)
            for p, hit in zip(preds, pred_hit, strict=True):
                if not hit:
                    total.fp += 1
                    per[p["plover_type"]].fp += 1
                    if not dyad:
                        report.false[p["plover_type"]].append(text)
        (typed_golds, typed_preds), (dyad_golds, dyad_preds) = hits[False], hits[True]
        if not all(dyad_golds) or not all(dyad_preds):
            report.errors.append(f"{record.get('id', '')}: {record['text']}")
            report.errors += [_gold_line(*row) for row in zip(golds, typed_golds, dyad_golds, strict=True)]
            report.errors += [_pred_line(*row) for row in zip(preds, typed_preds, dyad_preds, strict=True)]
    return report
