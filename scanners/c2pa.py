"""PLACEHOLDER: replaced by the real c2pa scanner."""

from __future__ import annotations

from provenance.models import ScannerResult
from provenance.source import ScanInput


class C2paScanner:
    id = "c2pa"
    version = "0"

    def accepts(self, media_type: str) -> bool:
        return False

    def scan(self, item: ScanInput) -> ScannerResult:
        return ScannerResult()
