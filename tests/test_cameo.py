import csv
from pathlib import Path

import pytest

from transforms.cameo import cameo_info, cameo_table

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def test_all_twenty_roots_present_with_quad_class():
    expected = {1: range(1, 6), 2: range(6, 9), 3: range(9, 14), 4: range(14, 21)}
    for quad, roots in expected.items():
        for r in roots:
            info = cameo_info(f"{r:02d}")
            assert info.root == f"{r:02d}"
            assert info.quad_class == quad


def test_leading_zeros_kept():
    info = cameo_info("036")
    assert (info.code, info.base, info.root) == ("036", "036", "03")
    assert cameo_info("0211").base == "021"
    assert all(len(c) in (2, 3, 4) and c.isdigit() for c in cameo_table())


def test_plover_types_follow_the_conversion_table():
    assert cameo_info("163").plover_type == "COERCE"
    assert cameo_info("1712").plover_type == "ASSAULT"
    assert cameo_info("190").plover_type == "ASSAULT"
    assert cameo_info("0841").plover_mode == "release"
    assert cameo_info("062").plover_context == "military"
    assert cameo_info("020").plover_type == "REQUEST"


def test_every_code_except_statements_has_a_plover_type():
    missing = [c for c, i in cameo_table().items() if not i.plover_type]
    assert missing == []


def test_unknown_code_raises():
    with pytest.raises(KeyError):
        cameo_info("999")


def test_goldstein_equals_gdelt_table():
    path = REFERENCE / "cameo-goldstein.tsv"
    if not path.exists():
        pytest.skip("shared reference data absent")
    with path.open(encoding="utf-8") as f:
        gdelt = {r[0]: float(r[1]) for r in list(csv.reader(f, delimiter="\t"))[1:]}
    for code in ("010", "036", "0841", "106", "163", "190", "20", "2042", "057"):
        assert cameo_info(code).goldstein == gdelt[code]
    assert set(gdelt) <= set(cameo_table())
