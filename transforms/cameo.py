"""CAMEO event codes with their Goldstein value, QuadClass and PLOVER type, read from resources/cameo.tsv."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "resources" / "cameo.tsv"


@dataclass(frozen=True)
class CameoCode:
    """One CAMEO event code and what follows from it."""

    code: str
    base: str
    root: str
    quad_class: int
    goldstein: float
    plover_type: str
    plover_mode: str | None
    plover_context: str | None
    description: str


@cache
def cameo_table() -> dict[str, CameoCode]:
    """Every CAMEO code in the table, keyed by its code string ('036')."""
    with TABLE.open(encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return {
            r["code"]: CameoCode(
                code=r["code"],
                base=r["code"][:3],
                root=r["code"][:2],
                quad_class=int(r["quad_class"]),
                goldstein=float(r["goldstein"]),
                plover_type=r["plover_type"],
                plover_mode=r["plover_mode"] or None,
                plover_context=r["plover_context"] or None,
                description=r["description"],
            )
            for r in rows
        }


def cameo_info(code: str) -> CameoCode:
    """The CameoCode of a code string; KeyError for a code CAMEO does not have."""
    return cameo_table()[code]
