"""Small state files (journals, backlogs, cursors, feed validators) replaced whole: a reader or a crash sees the old
file or the new one, never part of one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def replace_json(path: Path, value: object) -> None:
    """Write value as JSON to a temporary file beside path, flush it to disk, and rename it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
