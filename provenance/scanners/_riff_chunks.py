"""A bounded chunk walker for RIFF/RF64/BW64 (little-endian) and AIFF (big-endian IFF).

Only chunk headers are read while walking; payloads are fetched on demand and
capped. Sizes are never trusted: a chunk that claims more bytes than its
parent holds is clamped and reported.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from provenance.errors import InputError
from provenance.models import ScanIssue
from provenance.source import ByteSource

MAX_CHUNKS = 10_000  # top level; a WAV has a handful, a long AVI a few thousand
MAX_LIST_CHUNKS = 1_000  # inside one LIST
METADATA_LISTS = frozenset({b"INFO", b"adtl", b"exif"})
MAX_PAYLOAD = 16 * 1024 * 1024  # metadata chunks; audio data is never read
_UNKNOWN_SIZE = 0xFFFFFFFF  # RF64 placeholder, and what streaming writers leave


@dataclass(frozen=True, slots=True)
class Chunk:
    id: bytes
    start: int  # of the payload
    size: int  # payload bytes actually inside the file
    list_type: bytes | None = None  # for chunks inside a LIST: its form type (b"INFO")


@dataclass(frozen=True, slots=True)
class Layout:
    form: bytes  # b"WAVE", b"AVI ", b"AIFF", ...
    chunks: tuple[Chunk, ...]
    issues: tuple[ScanIssue, ...]

    def find(self, *ids: bytes) -> list[Chunk]:
        return [c for c in self.chunks if c.id in ids]


def walk(source: ByteSource, scanner: str) -> Layout:
    """Every top-level chunk, plus the sub-chunks of each LIST."""
    head = source.read_at(0, 12)
    if len(head) < 12:
        raise InputError("riff-malformed", f"{len(head)} bytes: too short for a RIFF/IFF header")
    magic, form = head[:4], head[8:12]
    if magic in (b"RIFF", b"RF64", b"BW64"):
        endian = "<"
    elif magic == b"FORM":
        endian = ">"
    else:
        raise InputError("riff-malformed", f"no RIFF/IFF header (starts with {magic!r})")
    declared = struct.unpack(endian + "I", head[4:8])[0]
    issues: list[ScanIssue] = []
    data_size: int | None = None
    if magic != b"FORM" and declared == _UNKNOWN_SIZE:
        # RF64/BW64 (or a streamed RIFF): the real sizes, if anywhere, are in ds64.
        declared, data_size = _ds64(source)
    soft_end = source.size
    if declared not in (0, None, _UNKNOWN_SIZE):
        soft_end = 8 + declared
        if soft_end > source.size:
            issues.append(ScanIssue("riff-malformed", f"{magic.decode('latin-1')} header declares {declared} bytes, "
                                    f"the file holds {source.size - 8}: truncated or corrupt", scanner))
    chunks: list[Chunk] = []
    _walk_level(source, 12, source.size, endian, None, data_size, chunks, issues, scanner, soft_end)
    return Layout(form, tuple(chunks), tuple(issues))


def _ds64(source: ByteSource) -> tuple[int | None, int | None]:
    head = source.read_at(12, 36)
    if len(head) < 28 or head[:4] != b"ds64":
        return None, None
    riff_size, data_size = struct.unpack("<QQ", head[8:24])
    return riff_size, data_size


def _walk_level(source: ByteSource, pos: int, end: int, endian: str, list_type: bytes | None,
                data_size: int | None, out: list[Chunk], issues: list[ScanIssue], scanner: str,
                soft_end: int | None = None) -> None:
    limit = MAX_CHUNKS if list_type is None else MAX_LIST_CHUNKS
    count = 0
    while pos + 8 <= end:
        count += 1
        if count > limit:
            raise InputError("riff-too-many-chunks", f"more than {limit} chunks: not a plausible file")
        header = source.read_at(pos, 8)
        chunk_id = header[:4]
        size = struct.unpack(endian + "I", header[4:8])[0]
        if size == _UNKNOWN_SIZE and chunk_id == b"data" and data_size is not None:
            size = data_size
        available = end - pos - 8
        if soft_end is not None and pos >= soft_end and not (_plausible_id(chunk_id) and size <= available):
            # Writers often leave the RIFF size stale (the Pentax voice memo in the corpus
            # under-declares by 16 bytes), so real chunks past it are read; junk ends the walk.
            return
        if size > available:
            # A streamed recording leaves its data size unknown; any other overrun is a lie
            # or a truncation, and the walk never follows it past the parent.
            if not (chunk_id == b"data" and size == _UNKNOWN_SIZE):
                issues.append(ScanIssue("riff-malformed", f"chunk {chunk_id!r} at offset {pos} declares {size} "
                                        f"bytes, {available} remain", scanner))
            size = available
        if chunk_id == b"LIST" and list_type in METADATA_LISTS:
            # INFO/adtl/exif lists hold flat text chunks; a LIST inside one is the
            # nesting pattern of a RIFF bomb, not metadata.
            raise InputError("riff-nested-list", f"LIST nested inside LIST {list_type!r} at offset {pos}")
        if chunk_id == b"LIST" and list_type is None and size >= 4:
            sub_type = source.read_at(pos + 8, 4)
            out.append(Chunk(chunk_id, pos + 8, size, None))
            # One level only, and only into metadata lists: AVI's movi holds a chunk per frame.
            if sub_type in METADATA_LISTS:
                _walk_level(source, pos + 12, pos + 8 + size, endian, sub_type, data_size, out, issues, scanner)
        else:
            out.append(Chunk(chunk_id, pos + 8, size, list_type))
        pos += 8 + size + (size & 1)  # chunks are padded to even sizes


def _plausible_id(chunk_id: bytes) -> bool:
    return len(chunk_id) == 4 and all(0x20 <= b < 0x7F for b in chunk_id)


def payload(source: ByteSource, chunk: Chunk) -> bytes:
    if chunk.size > MAX_PAYLOAD:
        raise InputError("riff-too-large", f"chunk {chunk.id!r} claims {chunk.size} bytes of metadata")
    return source.read_at(chunk.start, chunk.size)
