"""COMPRESSED BYTES -> BYTES: gzip, deflate and brotli decoded with a hard cap on the output (no decompression bomb)."""

from __future__ import annotations

import zlib
from typing import Any

import brotli

GZIP_MAGIC = b"\x1f\x8b"
MAX_CODINGS = 3  # stacked codings undone at most: each holds a window of up to 16 MiB (brotli), and 2 are already odd
ENCODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br", "identity": "identity", "": "identity"}


class DecodedTooLarge(Exception):
    """The decoded output went over the cap."""


class BadEncoding(Exception):
    """The content encoding is unknown or the compressed bytes are corrupt."""


class BoundedDecoder:
    """Feed compressed chunks, get decoded chunks, for a Content-Encoding of up to MAX_CODINGS codings ("gzip, br" is
    undone br first): raises DecodedTooLarge as soon as any coding's output passes `cap` bytes, or with `cut` gives
    the first `cap` bytes, sets `full` and decodes no more."""

    def __init__(self, content_encoding: str | None, cap: int, *, cut: bool = False):
        names = [name.strip().lower() for name in (content_encoding or "").split(",")]
        unknown = [name for name in names if name not in ENCODINGS]
        if unknown:
            raise BadEncoding(f"content encoding {unknown[0][:40]!r} is not supported")
        kinds = [ENCODINGS[name] for name in names if ENCODINGS[name] != "identity"]
        if len(kinds) > MAX_CODINGS:
            raise BadEncoding(f"more than {MAX_CODINGS} content encodings: {(content_encoding or '')[:80]!r}")
        self.cut = cut
        self.stages = [Coding(kind, cap, cut=cut) for kind in reversed(kinds)] or [Coding("identity", cap, cut=cut)]

    @property
    def full(self) -> bool:
        """True once a coding reached the cap with `cut`: no more output will come."""
        return any(stage.full for stage in self.stages)

    def feed(self, chunk: bytes) -> bytes:
        """Decoded bytes for one compressed chunk."""
        for stage in self.stages:
            chunk = stage.feed(chunk)
        return chunk


class Coding:
    """One content coding undone with a hard cap on its output."""

    def __init__(self, kind: str, cap: int, *, cut: bool = False):
        self.kind = kind
        self.cap = cap
        self.cut = cut
        self.full = False
        self.total = 0
        self._zlib: Any = self._new_zlib() if self.kind == "gzip" else None  # deflate decides on its first bytes
        self._head = b""
        self._brotli: Any = brotli.Decompressor() if self.kind == "br" else None

    def _new_zlib(self, raw_deflate: bool = False):
        wbits = 16 + zlib.MAX_WBITS if self.kind == "gzip" else (-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)
        return zlib.decompressobj(wbits)

    def _count(self, out: bytes) -> bytes:
        room = self.cap - self.total
        self.total += len(out)
        if self.total > self.cap:
            if not self.cut:
                raise DecodedTooLarge(f"decoded body is over the cap of {self.cap} bytes")
            self.full = True
            return out[:room]
        return out

    def feed(self, chunk: bytes) -> bytes:
        """Decoded bytes for one compressed chunk."""
        if self.full:
            return b""
        try:
            if self.kind == "identity":
                return self._count(chunk)
            if self._brotli is not None:
                return self._feed_brotli(chunk)
            return self._feed_zlib(chunk)
        except (zlib.error, brotli.error) as e:
            raise BadEncoding(f"corrupt {self.kind} stream: {e}") from e

    def _feed_zlib(self, chunk: bytes) -> bytes:
        if self._zlib is None:  # deflate: zlib-wrapped or raw, told apart by the zlib header once 2 bytes are in
            self._head += chunk
            if len(self._head) < 2:
                return b""
            cmf, flg = self._head[0], self._head[1]
            wrapped = cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
            self._zlib = self._new_zlib(raw_deflate=not wrapped)
            chunk, self._head = self._head, b""
        parts: list[bytes] = []
        data = chunk
        while data and not self.full:
            parts.append(self._count(self._zlib.decompress(data, self.cap - self.total + 1)))
            if self._zlib.eof:  # a gzip file may hold several members
                data = self._zlib.unused_data
                if data and self.kind == "gzip" and data.startswith(GZIP_MAGIC):
                    self._zlib = self._new_zlib()
                    continue
                break
            data = self._zlib.unconsumed_tail
        return b"".join(parts)

    def _feed_brotli(self, chunk: bytes) -> bytes:
        parts = [self._count(self._brotli.process(chunk, output_buffer_limit=self.cap - self.total + 1))]
        while not self.full and not self._brotli.can_accept_more_data():
            parts.append(self._count(self._brotli.process(b"", output_buffer_limit=self.cap - self.total + 1)))
        return b"".join(parts)


def decode_all(data: bytes, content_encoding: str | None, cap: int) -> bytes:
    """Decode a whole body at once, within the cap."""
    return BoundedDecoder(content_encoding, cap).feed(data)
