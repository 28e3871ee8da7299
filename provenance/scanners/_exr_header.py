"""OpenEXR header attributes, pure struct (layout per the OpenEXR file-format spec).

Layout: magic ``76 2f 31 01``, a 4-byte version/flags word, then per part a
list of ``name\\0 type\\0 int32 size value`` attributes ending in an empty
name; a multipart file ends its list of headers with one more empty header.
Only text-valued attributes are decoded; the rest are skipped by size.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import NamedTuple

from provenance.errors import InputError
from provenance.source import ByteSource

MAGIC = b"v/1\x01"
FLAG_TILED = 0x200
FLAG_LONG_NAMES = 0x400
FLAG_DEEP = 0x800
FLAG_MULTIPART = 0x1000

FIRST_READ = 64 * 1024
# Nuke and Blender headers with full metadata run to tens of KiB; 8 MiB is generous.
MAX_HEADER_BYTES = 8 * 1024 * 1024
MAX_NAME = 255  # long-names limit; without the flag names should be <= 31, but writers vary
MAX_ATTRIBUTES = 4096  # over all parts
MAX_PARTS = 1024
MAX_STRINGVECTOR = 1024


class Attribute(NamedTuple):
    """A named tuple, not a dataclass: a frame builds a dozen, a sequence millions."""

    part: int
    name: str
    type: str
    text: str | None  # decoded for string/stringvector, else None


@dataclass(frozen=True, slots=True)
class Header:
    version: int
    flags: int
    attributes: tuple[Attribute, ...]
    end: int = 0  # the offset just past the header(s): the offset tables and pixel data follow


_MEMO = "exr-header"


def parsed(source: ByteSource) -> Header:
    """:func:`parse`, once per file: the EXR scanner reads the attributes, the XMP scanner the end."""
    known = source.memo.get(_MEMO)
    if known is None:
        try:
            known = source.memo[_MEMO] = (parse(source), None)
        except InputError as exc:
            known = source.memo[_MEMO] = (None, exc)
    header, error = known
    if error is not None:
        raise error
    return header


class _Buffer:
    """The file's prefix, grown on demand up to the cap; never past the end of file."""

    def __init__(self, source: ByteSource) -> None:
        self.source = source
        self.data = source.read_at(0, FIRST_READ)

    def fill(self, end: int) -> None:
        """Read up to ``end`` (or the end of file), refusing to go past the cap."""
        target = min(end, self.source.size)
        if target <= len(self.data):
            return
        if target > MAX_HEADER_BYTES:
            raise InputError("exr-header-too-large", f"header runs past {MAX_HEADER_BYTES} bytes")
        # Grow geometrically so a long header costs a few reads, not one per attribute.
        target = min(self.source.size, MAX_HEADER_BYTES, max(target, 2 * len(self.data)))
        self.data += self.source.read_at(len(self.data), target - len(self.data))

    def need(self, end: int) -> None:
        self.fill(end)
        if len(self.data) < end:
            raise InputError("exr-truncated", f"header needs {end} bytes, the file has {self.source.size}")

    def cstring(self, pos: int, limit: int) -> tuple[bytes, int]:
        """A NUL-terminated string at ``pos`` of at most ``limit`` bytes, and the position after it."""
        end = pos + limit + 1
        self.fill(end)
        nul = self.data.find(b"\0", pos, end)
        if nul < 0:
            if len(self.data) < end:
                raise InputError("exr-truncated", f"header cut off at offset {len(self.data)}")
            raise InputError("exr-malformed", f"unterminated name longer than {limit} bytes at offset {pos}")
        return self.data[pos:nul], nul + 1


def parse(source: ByteSource) -> Header:
    buf = _Buffer(source)
    if len(buf.data) < 8 or buf.data[:4] != MAGIC:
        raise InputError("exr-malformed", "not an OpenEXR file (bad magic)")
    word = struct.unpack("<I", buf.data[4:8])[0]
    version, flags = word & 0xFF, word & ~0xFF
    if version != 2:
        raise InputError("exr-malformed", f"unsupported OpenEXR version {version}")
    multipart = bool(flags & FLAG_MULTIPART)
    attributes: list[Attribute] = []
    pos = 8
    part = 0
    while True:
        pos, count = _parse_part(buf, pos, part, attributes)
        if not multipart:
            break
        if count == 0:
            break  # the empty header that ends a multipart list (its NUL is consumed)
        part += 1
        if part >= MAX_PARTS:
            raise InputError("exr-too-many-parts", f"more than {MAX_PARTS} parts")
    return Header(version, flags, tuple(attributes), pos)


def _parse_part(buf: _Buffer, pos: int, part: int, out: list[Attribute]) -> tuple[int, int]:
    # The head almost always holds the whole header, so an attribute's name, type and
    # size are read with one regex match on it; the _Buffer methods, which grow the
    # buffer and raise the truncation errors, run only when the match cannot answer.
    # (~40 method calls per frame were most of the time an EXR sequence took to scan.)
    count = 0
    data = buf.data
    whole = len(data) >= buf.source.size  # then fill() never reads
    while True:
        # Within _FAST_SPAN of the buffer's end the slow path reads on exactly as before.
        match = _ATTRIBUTE.match(data, pos) if whole or pos + _FAST_SPAN <= len(data) else None
        if match is not None:
            name, kind, size_bytes = match.groups()
            pos = match.end()
            size = _INT32.unpack(size_bytes)[0]
        else:
            name, pos = buf.cstring(pos, MAX_NAME)
            if not name:
                return pos, count
            kind, pos = buf.cstring(pos, MAX_NAME)
            buf.need(pos + 4)
            data = buf.data
            whole = len(data) >= buf.source.size
            size = _INT32.unpack_from(data, pos)[0]
            pos += 4
        if size < 0:
            raise InputError("exr-malformed", f"attribute {name!r} declares a negative size")
        if pos + size > len(data):
            buf.need(pos + size)  # a lying size fails here, against the cap or the file size
            data = buf.data
            whole = len(data) >= buf.source.size
        count += 1
        if len(out) >= MAX_ATTRIBUTES:
            raise InputError("exr-too-many-attributes", f"more than {MAX_ATTRIBUTES} header attributes")
        type_name = kind.decode("latin-1")
        text = _text(type_name, data[pos : pos + size]) if type_name in _TEXT_TYPES else None
        pos += size
        out.append(Attribute(part, name.decode("utf-8", "replace"), type_name, text))


# name NUL type NUL int32 size: the same bounds as cstring(pos, MAX_NAME) twice and need(pos + 4).
_ATTRIBUTE = re.compile(rb"([^\0]{1,%d})\0([^\0]{0,%d})\0(.{4})" % (MAX_NAME, MAX_NAME), re.DOTALL)
_FAST_SPAN = 2 * (MAX_NAME + 1) + 4
_INT32 = struct.Struct("<i")
_TEXT_TYPES = frozenset({"string", "stringvector"})


def _text(type_name: str, value: bytes) -> str | None:
    if type_name == "string":
        return value.decode("utf-8", "replace")
    if type_name == "stringvector":
        items = []
        pos = 0
        while pos + 4 <= len(value) and len(items) < MAX_STRINGVECTOR:
            length = struct.unpack("<i", value[pos : pos + 4])[0]
            if length < 0 or pos + 4 + length > len(value):
                break
            items.append(value[pos + 4 : pos + 4 + length].decode("utf-8", "replace"))
            pos += 4 + length
        return "\n".join(items)
    return None
