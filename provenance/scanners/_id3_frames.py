"""A bounded pre-check of ID3v2 frames, run before mutagen parses the tag.

mutagen is fine on honest tags but has no limits of its own: it inflates
compressed frames with no output cap (a 64 KiB frame becomes gigabytes),
splits multi-value text frames by slicing the remaining bytes once per NUL
(a frame of a million NULs is quadratic, hours of copying), and slices the
tag once per frame (a storm of tiny frames is quadratic too). This walk reads
only frame headers and refuses such tags with an ``InputError`` before mutagen
sees them.
"""

from __future__ import annotations

import zlib

from provenance.errors import InputError

MAX_FRAMES = 2048  # real tags hold tens of frames
# mutagen copies the rest of the tag for every frame: frames x tag bytes is the work.
MAX_FRAME_COPY = 1 << 32
MAX_INFLATED = 64 * 1024 * 1024  # over all compressed frames of one tag
MAX_TEXT_VALUES = 1024  # NUL-separated values in one text frame
MAX_UTF16_TEXT = 1024 * 1024  # mutagen decodes UTF-16 one byte per Python call


def check_tag(tag: bytes) -> None:
    """Raise ``InputError`` if mutagen would hang or balloon on ``tag`` (the whole ID3v2 tag)."""
    if len(tag) < 10 or not tag.startswith(b"ID3"):
        return
    version, flags = tag[3], tag[5]
    if version not in (2, 3, 4):
        return  # mutagen refuses unknown versions itself
    end = min(len(tag), 10 + syncsafe(tag[6:10]))
    if version in (3, 4) and flags & 0x80:
        tag = tag[:10] + tag[10:end].replace(b"\xff\x00", b"\xff")  # whole-tag unsynchronisation
        end = len(tag)
    pos = 10 + (extended_size(tag, version) if flags & 0x40 else 0)
    header = 6 if version == 2 else 10
    frames = inflated = 0
    while pos + header <= end and tag[pos] != 0:
        frames += 1
        if frames > MAX_FRAMES or frames * len(tag) > MAX_FRAME_COPY:
            raise InputError("id3-too-many-frames", f"ID3 tag has more than {frames - 1} frames")
        fid = tag[pos : pos + (3 if version == 2 else 4)]
        if version == 2:
            size, fflags = int.from_bytes(tag[pos + 3 : pos + 6], "big"), 0
        elif version == 3:
            size, fflags = int.from_bytes(tag[pos + 4 : pos + 8], "big"), int.from_bytes(tag[pos + 8 : pos + 10], "big")
        else:
            size, fflags = syncsafe(tag[pos + 4 : pos + 8]), int.from_bytes(tag[pos + 8 : pos + 10], "big")
        data = tag[pos + header : pos + header + size]
        pos += header + size
        data, grown = _frame_data(data, version, fflags, MAX_INFLATED - inflated)
        inflated += grown
        if fid[:1] == b"T" or fid in (b"COMM", b"COM", b"IPLS", b"IPL"):
            _check_text(fid, data)


def tag_length(head: bytes) -> int:
    """Bytes of the tag that starts ``head`` (header and declared size)."""
    return 10 + syncsafe(head[6:10]) if len(head) >= 10 else len(head)


def syncsafe(raw: bytes) -> int:
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
    return value


def extended_size(tag: bytes, version: int) -> int:
    raw = tag[10:14]
    if version == 4:
        return syncsafe(raw)
    return 4 + int.from_bytes(raw, "big")  # v2.3 counts the bytes after the size field


def _frame_data(data: bytes, version: int, fflags: int, budget: int) -> tuple[bytes, int]:
    """The frame payload as mutagen will parse it, inflated within ``budget``; and the bytes inflated."""
    if version == 3 and fflags & 0x0080:
        if len(data) < 4:
            # The 4-byte decompressed size is missing: the underflow c2pa-rs guards against.
            raise InputError("id3-malformed", f"compressed ID3 frame of {len(data)} bytes has no size field")
        return _inflate(data[4:], budget)
    if version == 4:
        if fflags & 0x0001:
            if len(data) < 4:
                raise InputError("id3-malformed", f"ID3 frame of {len(data)} bytes has no data-length field")
            data = data[4:]  # data length indicator
        if fflags & 0x0002:
            data = data.replace(b"\xff\x00", b"\xff")
        if fflags & 0x0008:
            return _inflate(data, budget)
    return data, 0


def _inflate(data: bytes, budget: int) -> tuple[bytes, int]:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, max(budget, 0) + 1)
    except zlib.error:
        return b"", 0  # mutagen drops a frame it cannot inflate
    if len(out) > budget:
        raise InputError("id3-frame-bomb", f"compressed ID3 frames inflate past {MAX_INFLATED} bytes")
    return out, len(out)


def _check_text(fid: bytes, data: bytes) -> None:
    name = fid.decode("latin-1")
    encoding = data[:1]
    if encoding in (b"\x01", b"\x02"):
        if len(data) > MAX_UTF16_TEXT:
            raise InputError("id3-frame-too-large", f"UTF-16 {name} frame of {len(data)} bytes is over the limit")
        values = data.count(b"\0\0")
    else:
        values = data.count(b"\0")
    if values > MAX_TEXT_VALUES:
        raise InputError("id3-too-many-values", f"{name} frame holds {values} NUL-separated values")
