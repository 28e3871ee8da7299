"""PLACEHOLDER: replaced by the real png scanner."""

from __future__ import annotations

from provenance.models import ScannerResult
from provenance.source import ScanInput


class PngScanner:
    id = "png"
    version = "0"

    def accepts(self, media_type: str) -> bool:
        return False

    def scan(self, item: ScanInput) -> ScannerResult:
        return ScannerResult()
