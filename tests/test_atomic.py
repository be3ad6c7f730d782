"""State files are replaced whole."""

from __future__ import annotations

import json

import pytest

from transforms.atomic import replace_json


def test_a_state_file_is_written_and_replaced(tmp_path):
    path = tmp_path / "state" / "cursors.json"
    replace_json(path, {"b": 1, "a": [1, 2]})
    replace_json(path, {"c": 3})
    assert json.loads(path.read_text()) == {"c": 3}
    assert [p.name for p in path.parent.iterdir()] == ["cursors.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "backlog.json"
    replace_json(path, ["2026-01-01"])
    with pytest.raises(TypeError):
        replace_json(path, ["2026-02-01", object()])  # not JSON: fails halfway through writing
    assert json.loads(path.read_text()) == ["2026-01-01"]
    assert [p.name for p in tmp_path.iterdir()] == ["backlog.json"]
