"""Metadata items of a HEIF image (HEIC, AVIF): ``meta``/``iinf``/``iloc``.

HEIF keeps EXIF and XMP as *items*, not as boxes of their own: ``iinf``
names each item's type (``Exif``, or ``mime`` with a content type such as
``application/rdf+xml``), and ``iloc`` says where its bytes are, as extents
in the file or inside the ``idat`` box (ISO/IEC 23008-12, ISO/IEC 14496-12
§8.11). Everything is bounded: item and extent counts, and payload sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.errors import InputError
from provenance.source import ByteSource

from provenance.scanners._bmff import Box, payload, walk

MAX_ITEMS = 4096
MAX_EXTENTS = 64  # kept per item; metadata items have one
MAX_TOTAL_EXTENTS = 65_536  # walked over all items (tiled images list one per tile)
MAX_ITEM_BYTES = 16 * 1024 * 1024
XMP_TYPES = frozenset({"application/rdf+xml", "application/xmp+xml", "text/xml", "application/xml"})


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    type: str  # 'Exif', 'mime', 'hvc1', ...
    content_type: str  # for 'mime' items


class _Cursor:
    """Big-endian field reader over one box payload that fails as bad input, never IndexError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def uint(self, size: int) -> int:
        if size == 0:
            return 0
        if self.pos + size > len(self.data):
            raise InputError("heif-truncated", "item table is cut off")
        value = int.from_bytes(self.data[self.pos : self.pos + size], "big")
        self.pos += size
        return value

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            end = len(self.data)
        text = self.data[self.pos : end].decode("utf-8", "replace")
        self.pos = end + 1
        return text


def _items(data: bytes) -> dict[int, Item]:
    cur = _Cursor(data)
    version = cur.uint(1)
    cur.uint(3)
    count = cur.uint(2 if version == 0 else 4)
    items: dict[int, Item] = {}
    for _ in range(min(count, MAX_ITEMS)):
        start = cur.pos
        size = cur.uint(4)
        kind = cur.data[cur.pos : cur.pos + 4]
        cur.pos += 4
        if size < 12 or start + size > len(data):
            raise InputError("heif-malformed", f"item entry at byte {start} of iinf declares {size} bytes")
        if kind == b"infe":
            entry = _Cursor(data[cur.pos : start + size])
            ver = entry.uint(1)
            entry.uint(3)
            if ver >= 2:
                item_id = entry.uint(2 if ver == 2 else 4)
                entry.uint(2)  # protection index
                item_type = entry.data[entry.pos : entry.pos + 4].decode("latin-1")
                entry.pos += 4
                entry.cstring()  # item name
                content_type = entry.cstring() if item_type == "mime" else ""
            else:  # versions 0 and 1 describe every item by MIME type alone
                item_id = entry.uint(2)
                entry.uint(2)
                entry.cstring()
                item_type, content_type = "mime", entry.cstring()
            # "application/rdf+xml; charset=utf-8" is the same type.
            items[item_id] = Item(item_id, item_type, content_type.split(";")[0].strip().lower())
        cur.pos = start + size
    return items


def _locations(data: bytes) -> dict[int, tuple[int, list[tuple[int, int]]]]:
    """item id -> (construction method, [(offset, length)])."""
    cur = _Cursor(data)
    version = cur.uint(1)
    cur.uint(3)
    sizes = cur.uint(2)
    offset_size, length_size = sizes >> 12, (sizes >> 8) & 0xF
    base_size, index_size = (sizes >> 4) & 0xF, sizes & 0xF if version in (1, 2) else 0
    if any(s not in (0, 4, 8) for s in (offset_size, length_size, base_size)):
        raise InputError("heif-malformed", "iloc field sizes are not 0, 4 or 8 bytes")
    count = cur.uint(2 if version < 2 else 4)
    out: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    total = 0
    for _ in range(min(count, MAX_ITEMS)):
        item_id = cur.uint(2 if version < 2 else 4)
        method = cur.uint(2) & 0xF if version in (1, 2) else 0
        cur.uint(2)  # data reference index: 0 = this file
        base = cur.uint(base_size)
        extent_count = cur.uint(2)
        total += extent_count
        if total > MAX_TOTAL_EXTENTS:
            raise InputError("heif-too-many-extents", f"iloc lists more than {MAX_TOTAL_EXTENTS} extents")
        extents = []
        for _ in range(extent_count):
            cur.uint(index_size)
            offset, length = cur.uint(offset_size), cur.uint(length_size)
            if len(extents) < MAX_EXTENTS:
                extents.append((base + offset, length))
        out[item_id] = (method, extents)
    return out


def metadata_items(source: ByteSource, scanner: str) -> list[tuple[Item, bytes]]:
    """(item, bytes) of every EXIF and XMP item in the file's top-level ``meta`` box."""
    tree = walk(source, scanner)
    metas = tree.find(b"meta")
    if not metas:
        if tree.issues:  # cut off before the item tables: say so rather than "nothing here"
            raise InputError(tree.issues[0].code, tree.issues[0].message)
        return []
    meta = metas[0]
    iinf, iloc, idat = meta.child(b"iinf"), meta.child(b"iloc"), meta.child(b"idat")
    if iinf is None or iloc is None:
        if tree.issues:
            raise InputError(tree.issues[0].code, tree.issues[0].message)
        return []
    items = _items(payload(source, iinf.box))
    wanted = {i: it for i, it in items.items() if it.type == "Exif" or it.content_type in XMP_TYPES}
    if not wanted:
        return []
    locations = _locations(payload(source, iloc.box))
    out = []
    for item_id, item in sorted(wanted.items()):
        method, extents = locations.get(item_id, (0, []))
        data = _read(source, method, extents, idat.box if idat is not None else None)
        if data is not None:
            out.append((item, data))
    return out


def _read(source: ByteSource, method: int, extents: list[tuple[int, int]], idat: Box | None) -> bytes | None:
    if method not in (0, 1) or not extents or (method == 1 and idat is None):
        return None  # item references (method 2) never carry EXIF/XMP in practice
    base, limit = (0, source.size) if method == 0 else (idat.start, idat.end)  # type: ignore[union-attr]
    if sum(length for _, length in extents) > MAX_ITEM_BYTES:
        raise InputError("heif-too-large", "a metadata item claims more than 16 MiB")
    parts = []
    for offset, length in extents:
        start = base + offset
        if length == 0:
            length = limit - start  # "the whole rest of the data"
        if start < base or start + length > limit:
            raise InputError("heif-truncated", f"metadata item extent at {start} runs past its container")
        parts.append(source.read_at(start, length))
    return b"".join(parts)


def exif_tiff(data: bytes) -> bytes:
    """The TIFF structure inside a HEIF ``Exif`` item or a JPEG XL ``Exif`` box.

    Both start with a 4-byte offset from there to the TIFF header; writers
    disagree on whether an ``Exif\\0\\0`` marker sits in between.
    """
    if len(data) < 4:
        return b""
    skip = 4 + int.from_bytes(data[:4], "big")
    body = data[skip:] if skip <= len(data) else b""
    return body[6:] if body.startswith(b"Exif\0\0") else body
