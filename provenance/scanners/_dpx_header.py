"""DPX (SMPTE 268M) header text fields, pure struct.

Every field sits at a fixed offset, so nothing here follows a pointer except
the user-defined area, whose declared size is clamped to the image offset, the
file size and a cap.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from provenance.errors import InputError
from provenance.source import ByteSource

GENERIC_HEADER = 768  # file information header; the text fields all live in it
INDUSTRY_END = 2048  # end of the orientation, film and TV headers
USER_AREA = 2048
USER_ID_BYTES = 32
# The standard allows ~1 MB of user data; text a vendor stamps there is short.
MAX_USER_DATA = 64 * 1024
_UNDEFINED_U32 = 0xFFFFFFFF

# (name, offset, length): fixed-width ASCII, NUL- or 0xFF-padded.
TEXT_FIELDS = (
    ("filename", 36, 100),
    ("creation_time", 136, 24),
    ("creator", 160, 100),
    ("project", 260, 200),
    ("copyright", 460, 200),
    ("input_device", 1556, 32),
)


@dataclass(frozen=True, slots=True)
class DpxHeader:
    big_endian: bool
    version: str
    fields: tuple[tuple[str, str], ...]  # (name, text) for non-empty fields, user area included


def parse(source: ByteSource) -> DpxHeader:
    head = source.read_at(0, INDUSTRY_END)
    if len(head) < 4 or head[:4] not in (b"SDPX", b"XPDS"):
        raise InputError("dpx-malformed", "not a DPX file (bad magic)")
    if len(head) < GENERIC_HEADER:
        raise InputError("dpx-truncated", f"{len(head)} bytes: the generic header alone is {GENERIC_HEADER}")
    order = ">" if head[:4] == b"SDPX" else "<"
    image_offset, = struct.unpack(order + "I", head[4:8])
    user_size, = struct.unpack(order + "I", head[32:36])
    fields: list[tuple[str, str]] = []
    for name, offset, length in TEXT_FIELDS:
        text = printable(head[offset : offset + length])
        if text:
            fields.append((name, text))
    fields.extend(_user_area(source, image_offset, user_size))
    return DpxHeader(order == ">", printable(head[8:16]), tuple(fields))


def _user_area(source: ByteSource, image_offset: int, user_size: int) -> list[tuple[str, str]]:
    if user_size in (0, _UNDEFINED_U32) or user_size <= USER_ID_BYTES:
        return []
    # The declared size is a claim: the area can only run up to the image data and the end of file.
    end = USER_AREA + user_size
    if image_offset != _UNDEFINED_U32:
        if image_offset <= USER_AREA + USER_ID_BYTES:
            return []  # image data starts where user data would: the size field is wrong
        end = min(end, image_offset)
    end = min(end, source.size, USER_AREA + USER_ID_BYTES + MAX_USER_DATA)
    raw = source.read_at(USER_AREA, end - USER_AREA) if end > USER_AREA else b""
    out = []
    user_id = printable(raw[:USER_ID_BYTES])
    if user_id:
        out.append(("user_id", user_id))
    data = printable(raw[USER_ID_BYTES:], strict=True)
    if data:
        out.append(("user_data", data))
    return out


def printable(raw: bytes, *, strict: bool = False) -> str:
    """The text in a fixed-width field: up to the first NUL or 0xFF fill byte.

    With ``strict``, binary content (less than 90% printable) yields nothing, so
    a vendor's binary blob in the user area is not passed off as text.
    """
    cut = len(raw)
    for stop in (b"\0", b"\xff"):
        index = raw.find(stop)
        if 0 <= index < cut:
            cut = index
    text = raw[:cut].decode("utf-8", "replace") if _is_utf8(raw[:cut]) else raw[:cut].decode("latin-1")
    if strict and text:
        ok = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
        if ok < 0.9 * len(text):
            return ""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
