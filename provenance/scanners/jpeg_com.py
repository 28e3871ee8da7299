"""JPEG comment (COM) segments.

A COM segment holds free text before the image data. Pillow writes one when
``comment=`` is passed, and generators use it: Fooocus and others store their
generation record there, libjpeg's cjpeg and editors their own names. Each
segment becomes the field ``jpeg:COM``; the signature table decides what the
text means (a comment that merely mentions a generator is not a record).
"""

from __future__ import annotations

from provenance.errors import InputError
from provenance.knowledge.signatures import Field, match_fields
from provenance.models import ScanIssue, ScannerResult
from provenance.scanners._jpeg import iter_app_segments
from provenance.source import ScanInput

_COM = 0xFE
MAX_COMMENTS = 64


def decode_comment(data: bytes) -> str:
    # The standard gives COM no encoding: UTF-8 in practice, Latin-1 from older tools.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\0", "").strip()


class JpegCommentScanner:
    id = "jpeg_com"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type == "image/jpeg"

    def scan(self, item: ScanInput) -> ScannerResult:
        fields: list[Field] = []
        issues: list[ScanIssue] = []
        try:
            for seg in iter_app_segments(item.source, frozenset({_COM})):
                text = decode_comment(seg.data)
                if text and len(fields) < MAX_COMMENTS:
                    fields.append(Field("jpeg:COM", text))
        except InputError as exc:
            if not fields:
                raise
            issues.append(ScanIssue(exc.code, exc.message, self.id))
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)), errors=tuple(issues))
