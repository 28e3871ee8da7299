"""ID3v2 tags, read with mutagen: MP3, an ID3 tag prepended to FLAC, and the
``id3 ``/``ID3 `` chunk of WAV and AIFF files.

Locations:

- ``id3:TXXX:<desc>``, ``id3:COMM:<desc>`` (``id3:COMM`` when the description is empty)
- ``id3:WOAS``, ``id3:WXXX:<desc>`` (``id3:WXXX`` when empty)
- ``id3:TSSE``, ``id3:TENC``  (encoder names; the signature table decides what they mean)
- ``id3:GEOB:c2pa``  (info only: the c2pa scanner validates the manifest)
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

import mutagen
import mutagen.id3
from mutagen.id3 import ID3

from provenance.errors import InputError
from provenance.models import Confidence, Evidence, ScanIssue, ScannerResult, Signal
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners import _id3_frames, _riff_chunks

# Cover art makes tags of a few MB; the format allows 256 MB, which nobody needs.
MAX_TAG_BYTES = 64 * 1024 * 1024
C2PA_MIME_TYPES = frozenset({"application/c2pa", "application/x-c2pa-manifest-store"})
_CHUNK_IDS = (b"id3 ", b"ID3 ")


class Id3Scanner:
    id = "id3"
    version = "2"

    def accepts(self, media_type: str) -> bool:
        return media_type in ("audio/mpeg", "audio/flac", "audio/wav", "audio/aiff")

    def scan(self, item: ScanInput) -> ScannerResult:
        if item.media_type in ("audio/wav", "audio/aiff"):
            return self._scan_chunks(item)
        head = item.source.head
        if item.media_type == "audio/flac" and not head.startswith(b"ID3"):
            return ScannerResult()  # plain FLAC: Vorbis comments are the vorbis scanner's
        _check_declared_size(head)
        if head.startswith(b"ID3"):
            _id3_frames.check_tag(item.source.read_at(0, _id3_frames.tag_length(head)))
        tags = _load(item.source.stream(), required=head.startswith(b"ID3"))
        return ScannerResult(evidence=tuple(self._evidence(tags)) if tags is not None else ())

    def _scan_chunks(self, item: ScanInput) -> ScannerResult:
        try:
            layout = _riff_chunks.walk(item.source, self.id)
        except InputError:
            if item.media_type == "audio/wav":
                return ScannerResult()  # the riff scanner reports the broken container
            raise
        # For WAV the riff scanner reports container problems; AIFF has no other reader.
        issues: tuple[ScanIssue, ...] = layout.issues if item.media_type == "audio/aiff" else ()
        evidence: list[Evidence] = []
        for chunk in layout.find(*_CHUNK_IDS):
            raw = _riff_chunks.payload(item.source, chunk)
            _check_declared_size(raw)
            _id3_frames.check_tag(raw)
            tags = _load(io.BytesIO(raw), required=True)
            if tags is not None:
                evidence.extend(self._evidence(tags))
        return ScannerResult(evidence=tuple(evidence), errors=issues)

    def _evidence(self, tags: ID3) -> list[Evidence]:
        fields: list[Field] = []
        info: list[Evidence] = []
        for frame in tags.values():
            fid = frame.FrameID
            if fid in ("TXXX", "COMM"):
                fields.append(Field(_located(fid, frame.desc), _joined(frame.text)))
            elif fid in ("TSSE", "TENC"):
                fields.append(Field(f"id3:{fid}", _joined(frame.text)))
            elif fid == "WOAS":
                fields.append(Field("id3:WOAS", str(frame.url)))
            elif fid == "WXXX":
                fields.append(Field(_located(fid, frame.desc), str(frame.url)))
            elif fid == "GEOB" and str(frame.mime).strip().lower() in C2PA_MIME_TYPES:
                info.append(Evidence(self.id, "id3:GEOB:c2pa",
                                     f"C2PA manifest store ({frame.mime}), {len(frame.data)} bytes",
                                     Signal.INFO, Confidence.HEURISTIC))
        return info + match_fields(self.id, fields)


def _located(frame_id: str, desc: str) -> str:
    return f"id3:{frame_id}:{desc}" if desc else f"id3:{frame_id}"


def _joined(values: object) -> str:
    # ID3v2.4 text frames hold several NUL-separated values; mutagen gives a list.
    if isinstance(values, list):
        return "\n".join(str(v) for v in values)
    return str(values)


def _check_declared_size(head: bytes) -> None:
    if len(head) < 10 or not head.startswith(b"ID3"):
        return
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    if size > MAX_TAG_BYTES:
        raise InputError("id3-too-large", f"ID3 tag declares {size} bytes")


def _load(fileobj: BinaryIO, *, required: bool) -> ID3 | None:
    """The tag, or None where there is none; a broken tag is an InputError."""
    try:
        return ID3(fileobj)
    except mutagen.id3.ID3NoHeaderError:
        if required:
            raise InputError("id3-malformed", "ID3 header expected but not readable") from None
        return None
    except (mutagen.MutagenError, struct.error, ValueError, EOFError, OverflowError) as exc:
        raise InputError("id3-malformed", f"unreadable ID3 tag: {exc}") from None
