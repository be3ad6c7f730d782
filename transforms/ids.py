"""Content hashes used as ids, so that re-runs produce the same ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes or of a string's UTF-8 encoding."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def files_digest(paths: Iterable[Path]) -> str:
    """Hex SHA-256 of files' names and contents, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def stable_id(*parts: object) -> str:
    """A 16-hex-digit id from the parts; equal parts give equal ids in every run."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return sha256_hex(joined)[:16]
