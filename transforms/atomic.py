"""Small state files (journals, backlogs, cursors, feed validators) replaced whole, and folders swapped whole: a reader
or a crash sees the old file or folder or the new one, never part of one."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

RENAME_EXCHANGE = 2
AT_FDCWD = -100


def replace_json(path: Path, value: object) -> None:
    """Write value as JSON to a temporary file beside path, flush it to disk, and rename it over path."""
    with replaced(path) as f:
        json.dump(value, f, indent=1, sort_keys=True)


@contextmanager
def replaced(path: Path) -> Iterator[TextIO]:
    """A text file to write that takes path's place, flushed to disk, only when the block ends without an error;
    until then, and after an error, path holds what it held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2); False where the system cannot (or they are on two file
    systems), so the caller falls back."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))
