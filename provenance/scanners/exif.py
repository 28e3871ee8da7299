"""EXIF text tags from JPEG (APP1), WebP (``EXIF`` chunk), PNG (``eXIf``), TIFF,
HEIF/AVIF (``Exif`` items) and JPEG XL (``Exif`` boxes, compressed or not).

Fields are located as ``exif:<IFD>:<Tag>`` (``exif:IFD0:Make``,
``exif:ExifIFD:UserComment``) and matched by the signature table. Camera
values (Make, Model, Software) only ever give info evidence there.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from provenance.errors import InputError
from provenance.models import ScanIssue, ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ByteSource, ScanInput

from provenance.scanners._heif import exif_tiff, metadata_items
from provenance.scanners._jpeg import iter_app_segments
from provenance.scanners._jxl import metadata_boxes
from provenance.scanners._png_chunks import MAX_META_CHUNK, ChunkStorm, iter_chunks
from provenance.scanners._tiff import TEXT_TAGS, IfdScan, ReadAt, decode_value, read_tiff

_WANTED = frozenset(TEXT_TAGS)
_EXIF_HEADER = b"Exif\0"
MAX_RIFF_CHUNKS = 4096
MAX_EXIF_BLOCK = MAX_META_CHUNK
HEIF_TYPES = frozenset({"image/heic", "image/heif", "image/avif"})


@dataclass(frozen=True, slots=True)
class RiffChunk:
    id: bytes
    offset: int  # of the payload
    length: int


def iter_webp_chunks(source: ByteSource) -> Iterator[RiffChunk]:
    """Top-level chunks of a RIFF/WEBP file, bounded; shared with the xmp scanner."""
    head = source.read_at(0, 12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise InputError("webp-header", "not a RIFF/WEBP file")
    # The RIFF size may lie; the file size is the real bound.
    end = min(source.size, 8 + int.from_bytes(head[4:8], "little"))
    offset = 12
    for _ in range(MAX_RIFF_CHUNKS):
        if offset + 8 > end:
            return
        cid, length = struct.unpack("<4sI", source.read_at(offset, 8))
        if offset + 8 + length > source.size:
            raise InputError("webp-truncated", f"chunk {cid!r} at byte {offset} runs past the end of the file")
        yield RiffChunk(cid, offset + 8, length)
        offset += 8 + length + (length & 1)
    raise InputError("webp-too-many-chunks", f"more than {MAX_RIFF_CHUNKS} chunks")


def _blob_reader(blob: bytes) -> ReadAt:
    return lambda offset, length: blob[offset : offset + length] if offset >= 0 else b""


def _tiff_of_blob(blob: bytes) -> bytes:
    # Writers disagree on whether the "Exif\0\0" header belongs inside WebP/PNG chunks.
    if blob.startswith(_EXIF_HEADER):
        return blob[6:]
    return blob


class ExifScanner:
    id = "exif"
    version = "3"

    def accepts(self, media_type: str) -> bool:
        return media_type in ("image/jpeg", "image/webp", "image/png", "image/tiff", "image/jxl") or media_type in HEIF_TYPES

    def scan(self, item: ScanInput) -> ScannerResult:
        issues: list[ScanIssue] = []
        scans: list[IfdScan] = []
        source = item.source
        if item.media_type == "image/tiff":
            scans.append(read_tiff(source.read_at, source.size, _WANTED))
        else:
            for blob in self._blocks(item, issues):
                try:
                    scans.append(read_tiff(_blob_reader(blob), len(blob), _WANTED))
                except InputError as exc:
                    issues.append(ScanIssue(exc.code, exc.message, self.id))
        fields: list[Field] = []
        for ifd_scan in scans:
            issues.extend(ScanIssue("exif-damaged", p, self.id) for p in ifd_scan.problems)
            for entry in ifd_scan.entries:
                value = decode_value(entry)
                if value:
                    fields.append(Field(f"exif:{entry.ifd}:{TEXT_TAGS[entry.tag]}", value))
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)), errors=tuple(issues))

    def _blocks(self, item: ScanInput, issues: list[ScanIssue]) -> list[bytes]:
        """Raw TIFF-structured EXIF blocks embedded in the container."""
        blocks: list[bytes] = []
        try:
            if item.media_type == "image/jpeg":
                for seg in iter_app_segments(item.source, frozenset({0xE1})):
                    if seg.data.startswith(_EXIF_HEADER):
                        blocks.append(seg.data[6:])
            elif item.media_type == "image/webp":
                for chunk in iter_webp_chunks(item.source):
                    if chunk.id == b"EXIF" and chunk.length <= MAX_EXIF_BLOCK:
                        blocks.append(_tiff_of_blob(item.source.read_at(chunk.offset, chunk.length)))
            elif item.media_type == "image/png":
                for png_chunk in iter_chunks(item.source):
                    if png_chunk.type == b"eXIf" and png_chunk.length <= MAX_EXIF_BLOCK:
                        blocks.append(_tiff_of_blob(item.source.read_at(png_chunk.offset, png_chunk.length)))
            elif item.media_type in HEIF_TYPES:
                blocks.extend(exif_tiff(data) for heif_item, data in metadata_items(item.source, self.id)
                              if heif_item.type == "Exif")
            elif item.media_type == "image/jxl":
                blocks.extend(exif_tiff(data) for _, data in metadata_boxes(item.source, self.id, frozenset({b"Exif"})))
        except ChunkStorm as exc:
            issues.append(ScanIssue("png-chunk-storm", str(exc), self.id))
        except InputError as exc:
            if not blocks:
                raise
            issues.append(ScanIssue(exc.code, exc.message, self.id))
        return blocks
