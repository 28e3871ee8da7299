"""DPX header text fields, both byte orders.

Locations: ``dpx:filename``, ``dpx:creation_time``, ``dpx:creator``,
``dpx:project``, ``dpx:copyright``, ``dpx:input_device``, ``dpx:user_id``,
``dpx:user_data``. The signature table decides what a creator name means.
"""

from __future__ import annotations

from provenance.models import ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners import _dpx_header


class DpxScanner:
    id = "dpx"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type == "image/x-dpx"

    def scan(self, item: ScanInput) -> ScannerResult:
        header = _dpx_header.parse(item.source)
        fields = [Field(f"dpx:{name}", text) for name, text in header.fields]
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)))
