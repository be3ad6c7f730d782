"""BYTES -> TEXT: charset from the HTTP header, the HTML meta tag, a BOM or detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
CONTROL_BYTES = bytes(range(0, 9)) + bytes(range(14, 32)) + b"\x7f"
MAX_CONTROL_SHARE = 0.01
NOT_CHARSETS = frozenset({"punycode", "idna", "undefined"})  # Python codecs, no character set: they raise UnicodeError, and
# punycode takes quadratic time (1 MB: 12 s), so a page declaring one is decoded as if it declared none


class DecodeError(ValueError):
    """No charset decodes the bytes to sensible text."""


def looks_binary(raw: bytes, sample: int = 8192) -> bool:
    """True when the start of the bytes holds NUL or many control bytes (images, archives, executables)."""
    head = raw[:sample]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # judge UTF-16 text by its characters
        head = head[: len(head) // 2 * 2].decode("utf-16", "replace").encode("utf-8")
    if b"\x00" in head:
        return True
    controls = sum(head.count(bytes([b])) for b in CONTROL_BYTES)
    return controls > MAX_CONTROL_SHARE * max(len(head), 1)


def declared_charsets(raw: bytes, *, is_html: bool, content_type: str | None) -> list[str]:
    """Charsets the input declares, most authoritative first: BOM, HTTP header, meta tag."""
    found: list[str] = []
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            found.append(name)
    if content_type and (m := HEADER_CHARSET.search(content_type)):
        found.append(m.group(1))
    if is_html and (m := META_CHARSET.search(raw[:4096])):
        found.append(m.group(1).decode("ascii", "ignore"))
    return [name for name in found if known_codec(name)]


def known_codec(name: str) -> bool:
    """True when Python knows the codec and it is a character set."""
    try:
        return codecs.lookup(name).name not in NOT_CHARSETS
    except LookupError:
        return False


def decode_bytes(raw: bytes, *, is_html: bool = False, content_type: str | None = None) -> str:
    """Decode with the declared charset when it fits, else UTF-8, else the detected charset."""
    for name in [*declared_charsets(raw, is_html=is_html, content_type=content_type), "utf-8"]:
        try:
            return raw.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue  # a wrong declaration is common on the web: fall through to detection
    best = from_bytes(raw[: 1024 * 1024]).best()
    if best is None or best.encoding is None:
        raise DecodeError("no charset decodes the input to text")
    text = raw.decode(best.encoding, errors="replace")
    if text.count("\ufffd") > 0.01 * max(len(text), 1):
        raise DecodeError(f"input does not decode cleanly as {best.encoding}")
    return text
