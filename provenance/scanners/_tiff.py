"""A bounded TIFF/EXIF IFD reader for the few tags that carry tool names and prompts.

Why not ``piexif.load`` alone: it builds a struct format of ``count`` letters
from the entry's count field (a hostile 0xFFFFFFFF costs gigabytes) and drops
tags outside its table, such as the UserComment and MakerNote that Pillow and
ComfyUI nodes write into IFD0. This reader only follows IFD0 and the Exif
sub-IFD (no chains, so no loops), caps entry counts, and reads each value at
most ``MAX_VALUE`` bytes after checking it lies inside the data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from piexif import ExifIFD, ImageIFD

from provenance.errors import InputError

ReadAt = Callable[[int, int], bytes]

MAX_ENTRIES = 1024  # per IFD; real files have < 100
MAX_VALUE = 4 * 1024 * 1024  # a ComfyUI workflow in Make is at most a few hundred KiB
XP_COMMENT = 0x9C9C
XP_TITLE = 0x9C9B
XP_SUBJECT = 0x9C9F
USER_COMMENT = ExifIFD.UserComment
MAKER_NOTE = ExifIFD.MakerNote
EXIF_POINTER = ImageIFD.ExifTag
XMP_TAG = ImageIFD.XMLPacket  # 700
PHOTOSHOP_TAG = 34377

# tag -> name used in locations (exiftool's names, so reports read familiar).
TEXT_TAGS: dict[int, str] = {
    ImageIFD.ImageDescription: "ImageDescription",
    ImageIFD.Make: "Make",
    ImageIFD.Model: "Model",
    ImageIFD.Software: "Software",
    ImageIFD.Artist: "Artist",
    ImageIFD.Copyright: "Copyright",
    ImageIFD.HostComputer: "HostComputer",
    USER_COMMENT: "UserComment",
    MAKER_NOTE: "MakerNote",
    XP_COMMENT: "XPComment",
    XP_TITLE: "XPTitle",
    XP_SUBJECT: "XPSubject",
}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


@dataclass(frozen=True, slots=True)
class Entry:
    ifd: str  # "IFD0" or "ExifIFD"
    tag: int
    type: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class IfdScan:
    entries: tuple[Entry, ...]
    problems: tuple[str, ...] = ()


# Tag 330 (SubIFDs): DNG previews, multi-resolution TIFF. The same cap as c2pa-rs.
SUBIFDS = 330
MAX_SUBFILES = 1000


def read_tiff(read: ReadAt, size: int, wanted: frozenset[int]) -> IfdScan:
    """Raw values of ``wanted`` tags from IFD0 and the Exif IFD of a TIFF structure.

    ``read(offset, length)`` reads relative to the TIFF header. A header that is
    not TIFF raises ``InputError``; damage further in is reported in ``problems``.
    """
    header = read(0, 8)
    if len(header) < 8 or header[:2] not in (b"II", b"MM"):
        raise InputError("tiff-header", "EXIF/TIFF data has no valid byte-order mark")
    order = "<" if header[:2] == b"II" else ">"
    magic, ifd0 = struct.unpack(order + "HI", header[2:8])
    if magic == 43:
        raise InputError("tiff-bigtiff", "BigTIFF is not read for metadata")
    if magic != 42:
        raise InputError("tiff-header", "EXIF/TIFF data has a bad magic number")
    entries: list[Entry] = []
    problems: list[str] = []
    exif_at = _read_ifd(read, size, order, ifd0, "IFD0", wanted | {EXIF_POINTER}, entries, problems)
    if exif_at is not None:
        _read_ifd(read, size, order, exif_at, "ExifIFD", wanted, entries, problems)
    return IfdScan(tuple(e for e in entries if e.tag in wanted), tuple(problems))


def _read_ifd(read: ReadAt, size: int, order: str, at: int, name: str, wanted: frozenset[int],
              entries: list[Entry], problems: list[str]) -> int | None:
    """Appends wanted entries; returns the Exif IFD offset when this IFD points to one."""
    count_raw = read(at, 2)
    if at < 8 or len(count_raw) < 2:
        problems.append(f"{name} offset {at} is outside the data")
        return None
    (count,) = struct.unpack(order + "H", count_raw)
    if count > MAX_ENTRIES:
        problems.append(f"{name} declares {count} entries; read the first {MAX_ENTRIES}")
        count = MAX_ENTRIES
    table = read(at + 2, 12 * count)
    if len(table) < 12 * count:
        problems.append(f"{name} entry table is cut off")
        count = len(table) // 12
    exif_at = None
    for i in range(count):
        tag, typ, n = struct.unpack(order + "HHI", table[12 * i : 12 * i + 8])
        inline = table[12 * i + 8 : 12 * i + 12]
        if tag == SUBIFDS and n > MAX_SUBFILES:
            # A reader that follows SubIFDs would allocate for every one (the c2pa-rs TIFF PoC).
            problems.append(f"{name} lists {n} sub-IFDs, over the {MAX_SUBFILES} a real file needs")
        if tag not in wanted or typ not in _TYPE_SIZES:
            continue
        length = n * _TYPE_SIZES[typ]
        if tag == EXIF_POINTER:
            if typ in (4, 13) and n >= 1:
                exif_at = struct.unpack(order + "I", inline)[0]
            continue
        if length <= 4:
            raw = inline[:length]
        else:
            (offset,) = struct.unpack(order + "I", inline)
            if offset + length > size:
                problems.append(f"{name} tag 0x{tag:04X} points past the end of the data")
                continue
            raw = read(offset, min(length, MAX_VALUE))
        entries.append(Entry(name, tag, typ, raw))
    return exif_at


def decode_user_comment(raw: bytes) -> str:
    """EXIF UserComment with or without its 8-byte character-code prefix."""
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\0":
        return _utf16(body)
    if prefix == b"ASCII\0\0\0":
        return _clean(body.decode("utf-8", "replace"))
    if prefix == b"JIS\0\0\0\0\0":
        return _clean(body.decode("shift_jis", "replace"))
    if prefix == b"\0" * 8:
        return _clean(body.decode("utf-8", "replace"))
    # No prefix (Fooocus, some ComfyUI nodes): UTF-8, or UTF-16 if it is mostly NULs.
    if raw.count(0) * 3 > len(raw):
        return _utf16(raw)
    return _clean(raw.decode("utf-8", "replace"))


def _utf16(body: bytes) -> str:
    if body[:2] == b"\xff\xfe":
        return _clean(body[2:].decode("utf-16-le", "replace"))
    if body[:2] == b"\xfe\xff":
        return _clean(body[2:].decode("utf-16-be", "replace"))
    body = body[: len(body) - len(body) % 2]
    # ASCII-range text has its zero bytes first in big-endian, second in little-endian.
    big = body[0::2].count(0) >= body[1::2].count(0)
    return _clean(body.decode("utf-16-be" if big else "utf-16-le", "replace"))


def decode_value(entry: Entry) -> str | None:
    """Text of a tag value, or ``None`` when it is binary (a real MakerNote)."""
    if entry.tag == USER_COMMENT:
        return decode_user_comment(entry.raw)
    if entry.tag in (XP_COMMENT, XP_TITLE, XP_SUBJECT):
        return _clean(entry.raw[: len(entry.raw) - len(entry.raw) % 2].decode("utf-16-le", "replace"))
    text = entry.raw.split(b"\0", 1)[0] if entry.type == 2 else entry.raw.rstrip(b"\0")
    if entry.tag == MAKER_NOTE:
        # Camera maker notes are binary structures; only short text says anything.
        if len(text) > 256 or not _printable(text):
            return None
    return _clean(text.decode("utf-8", "replace"))


def _printable(raw: bytes) -> bool:
    return bool(raw) and all(32 <= b < 127 or b in (9, 10, 13) for b in raw)


def _clean(text: str) -> str:
    return text.rstrip("\0").strip()
