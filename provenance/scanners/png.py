"""PNG text chunks (tEXt, zTXt, iTXt), private ``key\\0value`` chunks and ``caBX`` presence.

Chunks are walked by hand so text placed after IDAT (ComfyUI, A1111 after
Extras) and private chunks (ComfyUI's APNG ``comf``) are seen; Pillow's
``info`` drops the latter. EXIF (``eXIf``) and XMP (iTXt ``XML:com.adobe.xmp``)
belong to the exif and xmp scanners, which reuse the same walker.
"""

from __future__ import annotations

from provenance.errors import InputError
from provenance.models import ScanIssue, ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners._png_chunks import Chunk, ChunkStorm, decode_private, decode_text, iter_chunks, read_chunk

XMP_KEY = "XML:com.adobe.xmp"
_TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")
# Registered ancillary chunks: binary, never key\0value text.
_REGISTERED = frozenset(
    b"cHRM gAMA iCCP sBIT sRGB bKGD hIST tRNS pHYs sPLT tIME acTL fcTL fdAT eXIf cICP mDCv cLLi "
    b"oFFs pCAL sCAL sTER gIFg gIFx gIFt dSIG iDOT vpAg orNT caBX".split()
)
# Each private chunk costs a read; a file with thousands of them is hostile.
MAX_PRIVATE_READS = 64
MAX_FIELDS = 4096


class PngScanner:
    id = "png"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type == "image/png"

    def scan(self, item: ScanInput) -> ScannerResult:
        fields: list[Field] = []
        issues: list[ScanIssue] = []
        private_reads = 0
        try:
            for chunk in iter_chunks(item.source):
                if len(fields) >= MAX_FIELDS:
                    issues.append(ScanIssue("png-too-many-fields", f"more than {MAX_FIELDS} text fields", self.id))
                    break
                if chunk.type == b"caBX":
                    fields.append(Field("png:caBX", f"C2PA manifest store, {chunk.length} bytes"))
                elif chunk.type in _TEXT_TYPES:
                    self._text(item, chunk, fields, issues)
                elif _is_private(chunk.type) and private_reads < MAX_PRIVATE_READS:
                    private_reads += 1
                    self._private(item, chunk, fields, issues)
        except ChunkStorm as exc:
            issues.append(ScanIssue("png-chunk-storm", str(exc), self.id))
        except InputError as exc:
            if not fields:
                raise
            issues.append(ScanIssue(exc.code, exc.message, self.id))
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)), errors=tuple(issues))

    def _text(self, item: ScanInput, chunk: Chunk, fields: list[Field], issues: list[ScanIssue]) -> None:
        # One bad text chunk (a zTXt bomb) must not hide the others.
        try:
            text = decode_text(chunk.type, read_chunk(item.source, chunk))
        except InputError as exc:
            issues.append(ScanIssue(exc.code, exc.message, self.id))
            return
        if text is not None and text.key != XMP_KEY:
            fields.append(Field(f"png:{text.kind}:{text.key}", text.value))

    def _private(self, item: ScanInput, chunk: Chunk, fields: list[Field], issues: list[ScanIssue]) -> None:
        try:
            body = read_chunk(item.source, chunk)
        except InputError as exc:
            issues.append(ScanIssue(exc.code, exc.message, self.id))
            return
        text = decode_private(chunk.type, body)
        if text is not None:
            fields.append(Field(f"png:{text.kind}:{text.key}", text.value))


def _is_private(ctype: bytes) -> bool:
    # Ancillary (lowercase first letter) and not one the PNG spec registers.
    return 97 <= ctype[0] <= 122 and ctype not in _REGISTERED
