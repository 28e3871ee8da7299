"""The scanner protocol and the explicit registry that holds scanners.

The registry is an object that callers build and pass in (``scan_tree(...,
registry=...)``), never a module global, so tests can run a registry with a
single scanner and a site can add its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from provenance.models import ScannerInfo, ScannerResult
from provenance.source import ScanInput


@runtime_checkable
class Scanner(Protocol):
    """One evidence source.

    ``id`` is stable (it is written into reports and caches); bump ``version``
    whenever what the scanner concludes changes, so cached results are redone.
    """

    id: str
    version: str

    def accepts(self, media_type: str) -> bool:
        """Cheap pre-filter on the sniffed media type; no parsing."""
        ...

    def scan(self, item: ScanInput) -> ScannerResult:
        """Read evidence. Raise ``InputError`` for a broken file."""
        ...


class DuplicateScannerError(ValueError):
    pass


class ScannerRegistry:
    def __init__(self, scanners: Iterable[Scanner] = ()) -> None:
        self._scanners: dict[str, Scanner] = {}
        for scanner in scanners:
            self.register(scanner)

    def register(self, scanner: Scanner) -> None:
        if scanner.id in self._scanners:
            raise DuplicateScannerError(f"scanner id {scanner.id!r} is registered twice")
        self._scanners[scanner.id] = scanner

    def get(self, scanner_id: str) -> Scanner:
        try:
            return self._scanners[scanner_id]
        except KeyError:
            known = ", ".join(self.ids())
            raise KeyError(f"no scanner {scanner_id!r}; known scanners: {known}") from None

    def ids(self) -> list[str]:
        return list(self._scanners)

    def for_media_type(self, media_type: str) -> list[Scanner]:
        return [s for s in self._scanners.values() if s.accepts(media_type)]

    def info(self) -> tuple[ScannerInfo, ...]:
        return tuple(ScannerInfo(s.id, s.version) for s in self._scanners.values())

    def __iter__(self) -> Iterator[Scanner]:
        return iter(self._scanners.values())

    def __len__(self) -> int:
        return len(self._scanners)
