"""PLACEHOLDER: replaced by the real stealth scanner."""

from __future__ import annotations

from provenance.models import ScannerResult
from provenance.source import ScanInput


class StealthScanner:
    id = "stealth"
    version = "0"

    def accepts(self, media_type: str) -> bool:
        return False

    def scan(self, item: ScanInput) -> ScannerResult:
        return ScannerResult()
