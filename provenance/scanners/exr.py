"""OpenEXR header attributes: every text-valued attribute of every part.

Locations: ``exr:<name>`` for part 0 and ``exr:part<N>:<name>`` for further
parts of a multipart file (``exr:nuke/version``, ``exr:software``,
``exr:gai/digitalSourceType``...). What a name or value means is the
signature table's business: a vendor tag whose name contains
``digitalSourceType`` becomes a declaration there.
"""

from __future__ import annotations

from provenance.models import ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners import _exr_header


class ExrScanner:
    id = "exr"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type == "image/x-exr"

    def scan(self, item: ScanInput) -> ScannerResult:
        header = _exr_header.parsed(item.source)
        fields = [
            Field(f"exr:{a.name}" if a.part == 0 else f"exr:part{a.part}:{a.name}", a.text)
            for a in header.attributes
            if a.text
        ]
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)))
