"""Generate transforms/resources/cameo.tsv from the CAMEO reference tables in shared/reference/.

Run `uv run python bench/build_cameo.py [REFERENCE_DIR]`; the committed TSV is what the coder reads.
Sources (facts only): GDELT's CAMEO event code list and Goldstein scale table, and the
CAMEO -> PLOVER conversion table of the PLOVER manual (Open Event Data Alliance, 2021).
That table does not map roots 01 and 02: 02 (APPEAL) is given PLOVER REQUEST with the mode and
context of its twin code under 10 (DEMAND); 01 (public statements) has no PLOVER type, written
as STATEMENT, and the coder does not emit it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "transforms" / "resources" / "cameo.tsv"
DEFAULT_REF = Path(__file__).resolve().parents[2] / "shared" / "reference"


def quad_class(root: str) -> int:
    """QuadClass of a root code: 01-05 -> 1, 06-08 -> 2, 09-13 -> 3, 14-20 -> 4."""
    r = int(root)
    return 1 if r <= 5 else 2 if r <= 8 else 3 if r <= 13 else 4


def read_tsv(path: Path) -> dict[str, str]:
    """First column -> second column of a headed TSV."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return {r[0].strip(): r[1].strip() for r in rows[1:] if r and r[0].strip()}


def read_plover(path: Path) -> dict[str, tuple[str, str, str, str]]:
    """CAMEO code -> (PLOVER type, mode, context, description) from the conversion table."""
    out: dict[str, tuple[str, str, str, str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line, _, comment = raw.partition("#")
        line = line.strip()
        if ":" not in line or not line[0].isdigit():
            continue
        code, rest = (p.strip() for p in line.split(":", 1))
        parts = [p.strip() for p in rest.split(",")] + ["", ""]
        if parts[0]:
            out.setdefault(code, (parts[0], parts[1], parts[2], comment.strip()))
    return out


def main(ref: Path) -> None:
    """Write cameo.tsv from the reference directory."""
    names = read_tsv(ref / "cameo-event-codes.tsv")
    goldstein = read_tsv(ref / "cameo-goldstein.tsv")
    plover = read_plover(ref / "cameo-to-plover.txt")
    codes = sorted(set(names) | set(goldstein))
    rows = []
    for code in codes:
        twin = "10" + code[2:] if code.startswith("02") else code
        ptype, mode, context, note = plover.get(twin) or plover.get(twin[:3]) or plover.get(twin[:2]) or ("",) * 4
        if code.startswith("02"):
            ptype = "REQUEST"
        if code.startswith("01"):
            ptype, mode, context = "STATEMENT", "", ""
        rows.append([code, names.get(code) or note, goldstein[code], str(quad_class(code[:2])), ptype, mode, context])
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["code", "description", "goldstein", "quad_class", "plover_type", "plover_mode", "plover_context"])
        w.writerows(rows)
    print(f"wrote {len(rows)} codes to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REF)
