"""RIFF/WAV (and AVI) metadata chunks that mutagen does not read.

Locations:

- ``riff:INFO:<id>``  (LIST/INFO: ICMT, ISFT, INAM, IART, ...)
- ``riff:bext:<field>``  (Broadcast Wave: Description, Originator, OriginatorReference, CodingHistory)
- ``riff:iXML``, ``riff:axml``  (XML text as written; matched, never parsed)
- ``riff:C2PA``  (info only: the c2pa scanner validates the manifest)

ID3 tags in an ``id3 `` chunk belong to the id3 scanner.
"""

from __future__ import annotations

from provenance.models import Confidence, Evidence, ScannerResult, Signal
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners import _riff_chunks
from provenance.scanners._riff_chunks import Chunk

# Broadcast Wave 'bext' text fields: (name, offset, length) per EBU Tech 3285.
_BEXT_FIELDS = (
    ("Description", 0, 256),
    ("Originator", 256, 32),
    ("OriginatorReference", 288, 32),
    ("OriginationDate", 320, 10),
    ("OriginationTime", 330, 8),
)
_BEXT_CODING_HISTORY = 602


class RiffScanner:
    id = "riff"
    version = "2"

    def accepts(self, media_type: str) -> bool:
        return media_type in ("audio/wav", "video/x-msvideo")

    def scan(self, item: ScanInput) -> ScannerResult:
        source = item.source
        layout = _riff_chunks.walk(source, self.id)
        fields: list[Field] = []
        info: list[Evidence] = []
        for chunk in layout.chunks:
            if chunk.list_type == b"INFO":
                text = decode_text(_riff_chunks.payload(source, chunk))
                if text:
                    fields.append(Field(f"riff:INFO:{_chunk_name(chunk)}", text))
            elif chunk.list_type is not None:
                continue
            elif chunk.id == b"bext":
                fields.extend(_bext_fields(_riff_chunks.payload(source, chunk)))
            elif chunk.id in (b"iXML", b"axml"):
                text = decode_text(_riff_chunks.payload(source, chunk))
                if text:
                    fields.append(Field(f"riff:{_chunk_name(chunk)}", text))
            elif chunk.id == b"C2PA":
                info.append(Evidence(self.id, "riff:C2PA", f"C2PA manifest store chunk, {chunk.size} bytes",
                                     Signal.INFO, Confidence.HEURISTIC))
        evidence = info + match_fields(self.id, fields)
        return ScannerResult(evidence=tuple(evidence), errors=layout.issues)


def _chunk_name(chunk: Chunk) -> str:
    return chunk.id.decode("latin-1").strip()


def _bext_fields(raw: bytes) -> list[Field]:
    out = []
    for name, offset, length in _BEXT_FIELDS:
        text = decode_text(raw[offset : offset + length])
        if text:
            out.append(Field(f"riff:bext:{name}", text))
    history = decode_text(raw[_BEXT_CODING_HISTORY:])
    if history:
        out.append(Field("riff:bext:CodingHistory", history))
    return out


def decode_text(raw: bytes) -> str:
    """Fixed-width or NUL-terminated text as RIFF writers leave it.

    UTF-8 where it decodes, else Latin-1 (older Windows writers), never an error.
    """
    raw = raw.split(b"\0", 1)[0]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.strip()
