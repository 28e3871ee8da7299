"""Find and replace the XMP packet inside JPEG, PNG, WebP and TIFF bytes.

Each container keeps XMP in the place readers look for it: JPEG APP1 with the
Adobe namespace header, PNG iTXt ``XML:com.adobe.xmp``, WebP ``XMP `` chunk
(plus the VP8X flag), TIFF tag 700. Everything else in the file is copied
byte for byte, so pixel data, EXIF and earlier C2PA chunks survive.
"""

from __future__ import annotations

import struct
import zlib

from provenance.errors import ProvenanceError

from .xmp_packet import strip_padding

XMP_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/tiff"})

_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_MAX_PAYLOAD = 65533  # segment length is 16 bits and counts itself
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_KEY = b"XML:com.adobe.xmp"
_TIFF_XMP_TAG = 700


class ContainerError(ProvenanceError):
    """The file's structure does not allow the XMP packet to be placed."""


def extract(data: bytes, media_type: str) -> bytes | None:
    """The XMP packet in ``data``, or None."""
    return _HANDLERS[media_type][0](data)


def embed(data: bytes, media_type: str, packet: bytes) -> bytes:
    """``data`` with its XMP packet replaced by (or extended with) ``packet``."""
    return _HANDLERS[media_type][1](data, packet)


# --- JPEG --------------------------------------------------------------------

def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each segment before the scan data."""
    if not data.startswith(b"\xff\xd8"):
        raise ContainerError("not a JPEG stream (no SOI marker)")
    out = []
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ContainerError(f"corrupt JPEG marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise ContainerError(f"truncated JPEG segment at byte {pos}")
        out.append((marker, pos, end))
        if marker == 0xDA:  # start of scan: metadata segments come before it
            break
        pos = end
    return out


def _jpeg_extract(data: bytes) -> bytes | None:
    for marker, start, end in _jpeg_segments(data):
        if marker == 0xE1 and data[start + 4 : start + 4 + len(_JPEG_XMP)] == _JPEG_XMP:
            return data[start + 4 + len(_JPEG_XMP) : end]
    return None


def _jpeg_embed(data: bytes, packet: bytes) -> bytes:
    if len(_JPEG_XMP) + len(packet) > _JPEG_MAX_PAYLOAD:
        packet = strip_padding(packet)
    payload = _JPEG_XMP + packet
    if len(payload) > _JPEG_MAX_PAYLOAD:
        raise ContainerError(f"the XMP packet ({len(packet)} bytes) does not fit one JPEG APP1 segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    segments = _jpeg_segments(data)
    for marker, start, end in segments:
        if marker == 0xE1 and data[start + 4 : start + 4 + len(_JPEG_XMP)] == _JPEG_XMP:
            return data[:start] + segment + data[end:]
    # After JFIF (APP0) and EXIF (APP1), where readers expect XMP.
    insert = 2
    for marker, _start, end in segments:
        if marker not in (0xE0, 0xE1):
            break
        insert = end
    return data[:insert] + segment + data[insert:]


# --- PNG ---------------------------------------------------------------------

def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk, end exclusive of nothing (includes CRC)."""
    if not data.startswith(_PNG_SIG):
        raise ContainerError("not a PNG stream (bad signature)")
    out = []
    pos = len(_PNG_SIG)
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ContainerError(f"truncated PNG chunk {ctype!r} at byte {pos}")
        out.append((ctype, pos, end))
        pos = end
        if ctype == b"IEND":
            break
    return out


def _png_itxt_xmp(body: bytes) -> bytes | None:
    key, sep, rest = body.partition(b"\x00")
    if key != _PNG_KEY or not sep or len(rest) < 2:
        return None
    compressed, _method, rest = rest[0], rest[1], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if compressed:
        try:
            return zlib.decompressobj().decompress(text, 16 * 1024 * 1024)
        except zlib.error as exc:
            raise ContainerError(f"the PNG XMP chunk cannot be decompressed ({exc})") from exc
    return text


def _png_extract(data: bytes) -> bytes | None:
    for ctype, start, end in _png_chunks(data):
        if ctype == b"iTXt":
            found = _png_itxt_xmp(data[start + 8 : end - 4])
            if found is not None:
                return found
    return None


def _png_embed(data: bytes, packet: bytes) -> bytes:
    body = _PNG_KEY + b"\x00\x00\x00" + b"\x00" + b"\x00" + packet
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    chunks = _png_chunks(data)
    if not chunks or chunks[-1][0] != b"IEND":
        raise ContainerError("PNG stream has no IEND chunk (truncated file)")
    for ctype, start, end in chunks:
        if ctype == b"iTXt" and _png_itxt_xmp(data[start + 8 : end - 4]) is not None:
            return data[:start] + chunk + data[end:]
    # Before the image data, where exiftool and Adobe look first.
    first_idat = next((start for ctype, start, _ in chunks if ctype == b"IDAT"), chunks[-1][1])
    return data[:first_idat] + chunk + data[first_idat:]


# --- WebP --------------------------------------------------------------------

def _webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ContainerError("not a WebP stream (bad RIFF header)")
    out = []
    pos = 12
    limit = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while pos + 8 <= limit:
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(data):
            raise ContainerError(f"truncated WebP chunk at byte {pos}")
        out.append((data[pos : pos + 4], pos, min(end, len(data))))
        pos = end
    return out


def _webp_extract(data: bytes) -> bytes | None:
    for fourcc, start, _end in _webp_chunks(data):
        if fourcc == b"XMP ":
            size = struct.unpack("<I", data[start + 4 : start + 8])[0]
            return data[start + 8 : start + 8 + size]
    return None


def _riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


def _webp_vp8x_for(data: bytes, fourcc: bytes, start: int) -> bytes:
    """A VP8X header for a simple-format WebP (needed to carry metadata)."""
    payload = data[start + 8 :]
    alpha = False
    if fourcc == b"VP8 " and payload[3:6] == b"\x9d\x01\x2a":
        width = struct.unpack("<H", payload[6:8])[0] & 0x3FFF
        height = struct.unpack("<H", payload[8:10])[0] & 0x3FFF
    elif fourcc == b"VP8L" and payload[:1] == b"\x2f":
        bits = struct.unpack("<I", payload[1:5])[0]
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        alpha = bool((bits >> 28) & 1)
    else:
        raise ContainerError("WebP image chunk has an unknown bitstream header")
    flags = 0x10 if alpha else 0
    return _riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little")
                       + (height - 1).to_bytes(3, "little"))


def _webp_embed(data: bytes, packet: bytes) -> bytes:
    chunks = _webp_chunks(data)
    if not chunks:
        raise ContainerError("WebP stream has no chunks")
    parts: list[bytes] = []
    first, first_start, _ = chunks[0]
    if first != b"VP8X":
        parts.append(_webp_vp8x_for(data, first, first_start))
    for fourcc, start, end in chunks:
        if fourcc == b"XMP ":
            continue
        parts.append(data[start:end])
    parts[0] = parts[0][:8] + bytes([parts[0][8] | 0x04]) + parts[0][9:]  # VP8X "XMP present" flag
    parts.append(_riff_chunk(b"XMP ", packet))
    body = b"WEBP" + b"".join(parts)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- TIFF --------------------------------------------------------------------

def _tiff_ifd0(data: bytes) -> tuple[str, int, list[bytes], int]:
    """(struct byte order, IFD0 offset, raw 12-byte entries, next-IFD offset)."""
    if data[:4] in (b"II+\x00", b"MM\x00+"):
        raise ContainerError("BigTIFF is not supported for embedded XMP; use an XMP sidecar")
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        raise ContainerError("not a TIFF stream (bad header)")
    bo = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack(bo + "I", data[4:8])[0]
    if offset + 2 > len(data):
        raise ContainerError("TIFF IFD0 offset points past the end of the file")
    count = struct.unpack(bo + "H", data[offset : offset + 2])[0]
    end = offset + 2 + 12 * count
    if end + 4 > len(data):
        raise ContainerError("truncated TIFF IFD0")
    entries = [data[offset + 2 + 12 * i : offset + 14 + 12 * i] for i in range(count)]
    next_ifd = struct.unpack(bo + "I", data[end : end + 4])[0]
    return bo, offset, entries, next_ifd


def _tiff_extract(data: bytes) -> bytes | None:
    bo, _offset, entries, _next = _tiff_ifd0(data)
    for entry in entries:
        tag, typ, count = struct.unpack(bo + "HHI", entry[:8])
        if tag == _TIFF_XMP_TAG and typ in (1, 2, 7):
            if count <= 4:
                return entry[8 : 8 + count]
            at = struct.unpack(bo + "I", entry[8:12])[0]
            if at + count > len(data):
                raise ContainerError("TIFF XMP tag points past the end of the file")
            return data[at : at + count]
    return None


def _tiff_embed(data: bytes, packet: bytes) -> bytes:
    # Append the packet and a rewritten IFD0, then point the header at it: all
    # other offsets in the file are absolute and stay valid.
    bo, _offset, entries, next_ifd = _tiff_ifd0(data)
    out = bytearray(data)
    if len(out) & 1:
        out += b"\x00"
    packet_at = len(out)
    out += packet
    if len(out) & 1:
        out += b"\x00"
    kept = [e for e in entries if struct.unpack(bo + "H", e[:2])[0] != _TIFF_XMP_TAG]
    new_entry = struct.pack(bo + "HHII", _TIFF_XMP_TAG, 1, len(packet), packet_at)
    ordered = sorted([*kept, new_entry], key=lambda e: struct.unpack(bo + "H", e[:2])[0])
    ifd_at = len(out)
    if ifd_at > 0xFFFFFFFF - 4096:
        raise ContainerError("TIFF file too large for 32-bit offsets")
    out += struct.pack(bo + "H", len(ordered)) + b"".join(ordered) + struct.pack(bo + "I", next_ifd)
    out[4:8] = struct.pack(bo + "I", ifd_at)
    return bytes(out)


_HANDLERS = {
    "image/jpeg": (_jpeg_extract, _jpeg_embed),
    "image/png": (_png_extract, _png_embed),
    "image/webp": (_webp_extract, _webp_embed),
    "image/tiff": (_tiff_extract, _tiff_embed),
}
