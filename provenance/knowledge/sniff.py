"""Media type from the first bytes of a file, never from its name.

Vendors rename files (an A1111 PNG saved as ``.jpeg`` is common), so every
decision downstream keys on what the bytes say.
"""

from __future__ import annotations

OCTET_STREAM = "application/octet-stream"

# ISO-BMFF major/compatible brands -> media type. Checked in order.
_BMFF_BRANDS: tuple[tuple[bytes, str], ...] = (
    (b"qt  ", "video/quicktime"),
    (b"M4A ", "audio/mp4"),
    (b"M4B ", "audio/mp4"),
    (b"M4P ", "audio/mp4"),
    (b"F4A ", "audio/mp4"),
    (b"heic", "image/heic"),
    (b"heix", "image/heic"),
    (b"heif", "image/heif"),
    (b"mif1", "image/heif"),
    (b"msf1", "image/heif"),
    (b"avif", "image/avif"),
    (b"avis", "image/avif"),
    (b"crx ", "image/x-canon-cr3"),
    (b"jxl ", "image/jxl"),
)


def sniff(head: bytes) -> str:
    """The media type of a file whose first bytes are ``head``."""
    if not head:
        return "application/x-empty"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and len(head) >= 12:
        form = head[8:12]
        if form == b"WEBP":
            return "image/webp"
        if form == b"WAVE":
            return "audio/wav"
        if form == b"AVI ":
            return "video/x-msvideo"
        return "application/x-riff"
    if head[:4] in (b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return "image/tiff"  # BigTIFF
    if head[:4] == b"v/1\x01":
        return "image/x-exr"
    if head[:4] in (b"SDPX", b"XPDS"):
        return "image/x-dpx"
    if head[:4] == b"8BPS":
        return "image/vnd.adobe.photoshop"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:5] == b"%PDF-":
        return "application/pdf"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:3] == b"ID3":
        return _sniff_after_id3(head)
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06):
        return "audio/mpeg"  # MPEG audio frame sync, layer bits set
    if head[:4] == b"\x06\x0e\x2b\x34":
        return "application/mxf"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _sniff_bmff(head)
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "video/quicktime"
    if len(head) >= 8 and head[4:8] == b"jumb":
        return "application/c2pa"
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "image/jxl"
    return _sniff_text(head)


def _sniff_after_id3(head: bytes) -> str:
    # An ID3v2 tag is prepended to MP3 and, by c2pa-rs, to FLAC.
    if len(head) < 10:
        return "audio/mpeg"
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    after = 10 + size + (10 if head[5] & 0x10 else 0)
    if head[after : after + 4] == b"fLaC":
        return "audio/flac"
    return "audio/mpeg"


def _sniff_bmff(head: bytes) -> str:
    major = head[8:12]
    box_size = int.from_bytes(head[0:4], "big")
    brands = [major]
    end = min(len(head), box_size if 16 <= box_size <= 4096 else 16)
    brands += [head[i : i + 4] for i in range(16, end - 3, 4)]
    for brand, media_type in _BMFF_BRANDS:
        if brand == major:
            return media_type
    for brand, media_type in _BMFF_BRANDS:
        if brand in brands:
            return media_type
    return "video/mp4"


def _sniff_text(head: bytes) -> str:
    sample = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if sample.startswith((b"<?xpacket", b"<x:xmpmeta", b"<rdf:RDF")):
        return "application/rdf+xml"
    if sample.startswith(b"<?xml") or sample.startswith(b"<"):
        lowered = sample[:2048].lower()
        if b"x:xmpmeta" in lowered or b"rdf:rdf" in lowered:
            return "application/rdf+xml"
        if b"<svg" in lowered:
            return "image/svg+xml"
        return "application/xml"
    if sample.startswith((b"{", b"[")):
        return "application/json"
    if b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            pass
    return OCTET_STREAM


# Media types c2pa-python can read (embedded manifests). Used as a pre-filter.
C2PA_READABLE = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/tiff",
        "image/gif",
        "image/heic",
        "image/heif",
        "image/avif",
        "image/jxl",
        "image/svg+xml",
        "application/pdf",
        "audio/wav",
        "audio/mpeg",
        "audio/flac",
        "audio/mp4",
        "audio/aiff",
        "video/mp4",
        "video/quicktime",
        "video/x-msvideo",
    }
)
