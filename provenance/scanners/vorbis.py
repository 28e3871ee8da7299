"""Vorbis comments, read with mutagen: FLAC (also behind a prepended ID3 tag),
and Ogg Vorbis, Opus, FLAC, Speex and Theora streams.

Locations: ``vorbis:<KEY>`` with the key upper-cased (Vorbis keys are
case-insensitive, so ``prompt`` and ``PROMPT`` are one field), and
``vorbis:vendor`` for the encoder's vendor string.
"""

from __future__ import annotations

import struct

import mutagen
from mutagen.flac import FLAC
from mutagen.ogg import OggFileType
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis

from provenance.errors import InputError
from provenance.models import ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ByteSource, ScanInput

# Pictures are base64 blobs of no evidential value, and can be megabytes.
_SKIPPED_KEYS = frozenset({"METADATA_BLOCK_PICTURE", "COVERART", "COVERARTMIME"})
MAX_COMMENTS = 10_000
MAX_FLAC_BLOCKS = 1024

# The first Ogg packet says which codec the stream carries (RFC 3533 page header is 27 bytes
# plus the segment table; the packet follows).
_OGG_CODECS: tuple[tuple[bytes, type[OggFileType]], ...] = (
    (b"\x01vorbis", OggVorbis),
    (b"OpusHead", OggOpus),
    (b"\x7fFLAC", OggFLAC),
    (b"Speex   ", OggSpeex),
    (b"\x80theora", OggTheora),
)


class VorbisScanner:
    id = "vorbis"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type in ("audio/flac", "audio/ogg")

    def scan(self, item: ScanInput) -> ScannerResult:
        if item.media_type == "audio/flac":
            _check_flac_blocks(item.source)
            loader: type[FLAC] | type[OggFileType] | None = FLAC
        else:
            loader = _ogg_codec(item.source.head)
            for magic in (b"\x03vorbis", b"OpusTags", b"\x03theora"):
                at = item.source.head.find(magic)
                if at >= 0:
                    _check_comment_count(item.source.head[at + len(magic):])
                    break
        if loader is None:
            return ScannerResult()  # an Ogg codec without Vorbis comments
        try:
            audio = loader(item.source.stream())
        # mutagen 1.48 raises IndexError on a Vorbis comment packet that lacks its framing byte.
        except (mutagen.MutagenError, struct.error, ValueError, EOFError, OverflowError, IndexError) as exc:
            raise InputError("vorbis-malformed", f"unreadable {loader.__name__} stream: {exc}") from None
        tags = audio.tags
        if tags is None:
            return ScannerResult()
        fields: list[Field] = []
        vendor = getattr(tags, "vendor", "")
        if vendor:
            fields.append(Field("vorbis:vendor", str(vendor)))
        for key, value in list(tags)[:MAX_COMMENTS]:
            key = str(key).upper()
            if key not in _SKIPPED_KEYS:
                fields.append(Field(f"vorbis:{key}", str(value)))
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)))


def _ogg_codec(head: bytes) -> type[OggFileType] | None:
    if len(head) < 27 or head[:4] != b"OggS":
        return None
    segments = head[26]
    packet = head[27 + segments : 27 + segments + 9]
    for magic, cls in _OGG_CODECS:
        if packet.startswith(magic):
            return cls
    return None


def _check_flac_blocks(source: ByteSource) -> None:
    """Refuse FLAC metadata blocks that run past the end of the file.

    mutagen reads such a block short and silently drops the comments, which
    would make a corrupt file look merely untagged.
    """
    pos = 0
    head = source.read_at(0, 10)
    if head[:3] == b"ID3" and len(head) == 10:
        size = 0
        for byte in head[6:10]:
            size = (size << 7) | (byte & 0x7F)
        pos = 10 + size + (10 if head[5] & 0x10 else 0)
    if source.read_at(pos, 4) != b"fLaC":
        raise InputError("vorbis-malformed", f"no FLAC stream marker at offset {pos}")
    pos += 4
    for _ in range(MAX_FLAC_BLOCKS):
        header = source.read_at(pos, 4)
        if len(header) < 4:
            raise InputError("vorbis-malformed", f"FLAC metadata cut off at offset {pos}")
        length = int.from_bytes(header[1:4], "big")
        if pos + 4 + length > source.size:
            raise InputError("vorbis-malformed", f"FLAC metadata block at offset {pos} declares {length} bytes, "
                             f"{source.size - pos - 4} remain")
        if header[0] & 0x7F == 4:  # VORBIS_COMMENT
            _check_comment_count(source.read_at(pos + 4, min(length, 64 * 1024)))
        pos += 4 + length
        if header[0] & 0x80:
            return
    raise InputError("vorbis-malformed", f"more than {MAX_FLAC_BLOCKS} FLAC metadata blocks")


def _check_comment_count(block: bytes) -> None:
    """Refuse a comment list that claims more than ``MAX_COMMENTS`` entries.

    mutagen builds every comment before we see any: a 16 MiB FLAC block of
    empty comments costs seconds and hundreds of MB, an Ogg packet more.
    """
    if len(block) < 4:
        return
    vendor = int.from_bytes(block[:4], "little")
    count = block[4 + vendor : 8 + vendor]
    if len(count) == 4 and int.from_bytes(count, "little") > MAX_COMMENTS:
        raise InputError("vorbis-too-many-comments",
                         f"comment list claims {int.from_bytes(count, 'little')} entries (limit {MAX_COMMENTS})")
