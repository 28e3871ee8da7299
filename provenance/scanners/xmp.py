"""XMP packets wherever they sit, plus an ``.xmp`` sidecar.

Walkable containers are read where the packet really is (JPEG APP1 with
Extended XMP reassembly, PNG iTXt, WebP ``XMP `` chunk, TIFF tag 700, PSD
resource 1060, HEIF/AVIF ``mime`` items, JPEG XL ``xml `` boxes, the metadata boxes
of MP4/MOV/M4A), so a packet several MB into a file is still found. Anything else gets a bounded byte search of the first ``HEAD_SEARCH`` and last
``TAIL_SEARCH`` bytes. Fields are ``xmp:<prefix>:<name>`` (sidecar:
``xmp:sidecar:<prefix>:<name>``).
"""

from __future__ import annotations

import struct

from provenance.errors import InputError
from provenance.models import ScanIssue, ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ByteSource, ScanInput

from provenance.scanners import _bmff, _exr_header
from provenance.scanners._heif import metadata_items
from provenance.scanners._jpeg import iter_app_segments
from provenance.scanners._jxl import metadata_boxes
from provenance.scanners._png_chunks import ChunkStorm, decode_text, iter_chunks, read_chunk
from provenance.scanners._tiff import XMP_TAG, read_tiff
from provenance.scanners._xmp_parse import MAX_PACKET, MAX_PACKETS, find_packets, parse_packet
from provenance.scanners.exif import iter_webp_chunks

HEAD_SEARCH = 4 * 1024 * 1024
HEADER_ONLY = frozenset({"image/x-exr", "image/x-dpx"})
TAIL_SEARCH = 1024 * 1024
_STD_XMP = b"http://ns.adobe.com/xap/1.0/\0"
_EXT_XMP = b"http://ns.adobe.com/xmp/extension/\0"
_PSD_XMP_RESOURCE = 1060
_NOTHING = ScannerResult()
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")  # Adobe's XMP box in ISO BMFF
MAX_PSD_RESOURCES = 4096


class XmpScanner:
    id = "xmp"
    version = "4"

    def accepts(self, media_type: str) -> bool:
        # XMP can ride in any container; the fallback search is bounded.
        return media_type != "application/x-empty"

    def scan(self, item: ScanInput) -> ScannerResult:
        issues: list[ScanIssue] = []
        fields: list[Field] = []
        packets = self._embedded(item, issues)
        sidecar = item.sidecars.get("xmp")
        if not packets and sidecar is None:  # most files: say so without building anything
            if issues:
                raise InputError(issues[0].code, issues[0].message)
            return _NOTHING
        seen: set[bytes] = set()
        for packet in packets[:MAX_PACKETS]:
            if packet in seen:
                continue
            seen.add(packet)
            self._parse(packet, "xmp", fields, issues)
        if sidecar is not None:
            # A sidecar is a whole XML document: parse all of it, prolog included.
            self._parse(sidecar, "xmp:sidecar", fields, issues)
        if issues and not fields and not packets and sidecar is None:
            first = issues[0]
            raise InputError(first.code, first.message)
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)), errors=tuple(issues))

    def _parse(self, packet: bytes, where: str, fields: list[Field], issues: list[ScanIssue]) -> None:
        try:
            props = parse_packet(packet)
        except InputError as exc:
            issues.append(ScanIssue(exc.code, exc.message, self.id))
            return
        fields.extend(Field(f"{where}:{p.prefix}:{p.name}", p.value) for p in props)

    def _embedded(self, item: ScanInput, issues: list[ScanIssue]) -> list[bytes]:
        packets: list[bytes] = []
        walkers = {
            "image/jpeg": _jpeg_packets,
            "image/png": _png_packets,
            "image/webp": _webp_packets,
            "image/tiff": _tiff_packets,
            "image/vnd.adobe.photoshop": _psd_packets,
            "image/heic": _heif_packets,
            "image/heif": _heif_packets,
            "image/avif": _heif_packets,
            "image/jxl": _jxl_packets,
            "video/mp4": _bmff_packets,
            "video/quicktime": _bmff_packets,
            "audio/mp4": _bmff_packets,
        }
        walker = walkers.get(item.media_type)
        if item.media_type in HEADER_ONLY:
            # Frame formats keep metadata in a header; the pixel data after it
            # cannot hold a packet, and reading megabytes per frame of a
            # 200,000-frame delivery on network storage is the cost to avoid.
            return find_packets(_header_bytes(item))
        if walker is None:
            return _search(item.source)
        try:
            walker(item.source, packets)
        except ChunkStorm as exc:
            issues.append(ScanIssue("png-chunk-storm", str(exc), self.id))
        except InputError as exc:
            issues.append(ScanIssue(exc.code, exc.message, self.id))
        else:
            # A clean walk is authoritative: a byte search could pick up packets
            # that belong to something embedded (a thumbnail, an ingredient).
            return packets
        # The container is damaged; the byte search may still find the packet.
        return packets or _search(item.source)


def _header_bytes(item: ScanInput) -> bytes:
    """The part of a frame's head that is header: an EXR's attributes end where its offset
    table starts, and searching the compressed pixels after them was most of an EXR frame's
    scan. A header the parser cannot read is searched whole, as before."""
    head = item.source.head
    if item.media_type == "image/x-exr":
        try:
            return head[: _exr_header.parsed(item.source).end]
        except InputError:
            return head
    return head


def _jpeg_packets(source: ByteSource, out: list[bytes]) -> None:
    extended: dict[bytes, tuple[int, dict[int, bytes]]] = {}
    for seg in iter_app_segments(source, frozenset({0xE1})):
        if seg.data.startswith(_STD_XMP):
            out.append(seg.data[len(_STD_XMP):])
        elif seg.data.startswith(_EXT_XMP) and len(seg.data) >= len(_EXT_XMP) + 40:
            at = len(_EXT_XMP)
            guid = seg.data[at : at + 32]
            full, offset = struct.unpack(">II", seg.data[at + 32 : at + 40])
            total, parts = extended.setdefault(guid, (full, {}))
            if len(extended) <= MAX_PACKETS and full == total and full <= MAX_PACKET:
                parts[offset] = seg.data[at + 40 :]
    for total, parts in extended.values():
        joined = _reassemble(total, parts)
        if joined is not None:
            out.append(joined)


def _reassemble(total: int, parts: dict[int, bytes]) -> bytes | None:
    """Extended XMP from its pieces; ``None`` when a piece is missing or overlaps."""
    buf = bytearray()
    for offset in sorted(parts):
        if offset != len(buf):
            return None
        buf += parts[offset]
    return bytes(buf) if len(buf) == total else None


def _png_packets(source: ByteSource, out: list[bytes]) -> None:
    for chunk in iter_chunks(source):
        if chunk.type in (b"iTXt", b"tEXt", b"zTXt"):
            body = source.read_at(chunk.offset, min(chunk.length, 80))
            if body.startswith(b"XML:com.adobe.xmp\0"):
                text = decode_text(chunk.type, read_chunk(source, chunk))
                if text is not None:
                    out.append(text.value.encode("utf-8"))


def _webp_packets(source: ByteSource, out: list[bytes]) -> None:
    for chunk in iter_webp_chunks(source):
        if chunk.id == b"XMP " and chunk.length <= MAX_PACKET:
            out.append(source.read_at(chunk.offset, chunk.length))


def _heif_packets(source: ByteSource, out: list[bytes]) -> None:
    out.extend(data for item, data in metadata_items(source, XmpScanner.id) if item.type == "mime")


def _jxl_packets(source: ByteSource, out: list[bytes]) -> None:
    out.extend(data for _, data in metadata_boxes(source, XmpScanner.id, frozenset({b"xml "})))


def _bmff_packets(source: ByteSource, out: list[bytes]) -> None:
    """MP4/MOV/M4A: the packet wherever the metadata boxes keep it (Adobe's XMP ``uuid`` box,
    QuickTime's ``moov/udta/XMP_``, a ``meta`` box), never the media data: a 5 GB camera
    original costs its box headers and metadata, not a 5 MiB search window."""
    budget = HEAD_SEARCH
    for box in _bmff.metadata_boxes(source, XmpScanner.id):
        if box.type == b"uuid" and source.read_at(box.start, 16) == _XMP_UUID:
            length = box.size - box.header - 16
            if 0 < length <= MAX_PACKET:
                out.append(source.read_at(box.start + 16, length))
            continue
        if budget <= 0:
            break
        data = source.read_at(box.offset, min(box.size, budget))
        budget -= len(data)
        out.extend(find_packets(data))


def _tiff_packets(source: ByteSource, out: list[bytes]) -> None:
    for entry in read_tiff(source.read_at, source.size, frozenset({XMP_TAG})).entries:
        out.append(entry.raw)


def _psd_packets(source: ByteSource, out: list[bytes]) -> None:
    header = source.read_at(0, 30)
    if len(header) < 30 or header[:4] != b"8BPS":
        raise InputError("psd-header", "not a Photoshop file")
    color_len = int.from_bytes(header[26:30], "big")
    res_at = 30 + color_len
    res_len = int.from_bytes(source.read_at(res_at, 4).rjust(4, b"\0"), "big")
    at, end = res_at + 4, min(res_at + 4 + res_len, source.size)
    for _ in range(MAX_PSD_RESOURCES):
        if at + 12 > end:
            return
        head = source.read_at(at, 7)
        if head[:4] not in (b"8BIM", b"MeSa", b"AgHg", b"PHUT", b"DCSR"):
            raise InputError("psd-resource", f"bad image resource signature at byte {at}")
        rid = int.from_bytes(head[4:6], "big")
        name_len = head[6] + 1
        name_len += name_len & 1
        size = int.from_bytes(source.read_at(at + 6 + name_len, 4), "big")
        data_at = at + 10 + name_len
        if data_at + size > end:
            raise InputError("psd-truncated", f"image resource {rid} runs past its section")
        if rid == _PSD_XMP_RESOURCE and size <= MAX_PACKET:
            out.append(source.read_at(data_at, size))
        at = data_at + size + (size & 1)


def _search(source: ByteSource) -> list[bytes]:
    """Packets found by scanning the head and tail of any file, in bounded pieces."""
    regions = [(0, min(source.size, HEAD_SEARCH))]
    tail_start = max(0, source.size - TAIL_SEARCH)
    if tail_start > HEAD_SEARCH:
        regions.append((tail_start, source.size))
    elif source.size > HEAD_SEARCH:
        regions[0] = (0, source.size)
    packets: list[bytes] = []
    for start, end in regions:
        packets.extend(find_packets(source.read_at(start, end - start)))
    return packets
