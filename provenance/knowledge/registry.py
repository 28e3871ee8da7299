"""The scanner protocol and the explicit registry that holds scanners.

The registry is an object that callers build and pass in (``scan_tree(...,
registry=...)``), never a module global, so tests can run a registry with a
single scanner and a site can add its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ScannerRef:
    """A scanner known by id and version, imported when it is first needed.

    A warm rescan reads no file, so it needs the scanners' versions (the cache
    key) but none of their code or libraries; importing every reader and its
    libraries was a third of such a rescan. ``target`` is ``"module:Class"``.
    """

    id: str
    version: str
    target: str

    def load(self) -> Scanner:
        module, _, name = self.target.partition(":")
        scanner = getattr(importlib.import_module(module), name)()
        if (scanner.id, scanner.version) != (self.id, self.version):
            # A bug in the table, not an input error: cached results would be keyed on the wrong version.
            raise RuntimeError(f"scanner table says {self.id} version {self.version} for {self.target}, "
                               f"the class says {scanner.id} version {scanner.version}; fix the table")
        return scanner


class ScannerRegistry:
    def __init__(self, scanners: Iterable[Scanner | ScannerRef] = ()) -> None:
        self._scanners: dict[str, Scanner | ScannerRef] = {}
        self._loaded = True
        # accepts() is a pure function of the media type: ask each scanner once per type.
        self._by_type: dict[str, tuple[Scanner, ...]] = {}
        for scanner in scanners:
            self.register(scanner)

    def register(self, scanner: Scanner | ScannerRef) -> None:
        if scanner.id in self._scanners:
            raise DuplicateScannerError(f"scanner id {scanner.id!r} is registered twice")
        self._scanners[scanner.id] = scanner
        self._by_type = {}
        if isinstance(scanner, ScannerRef):
            self._loaded = False

    def _load(self) -> dict[str, Scanner]:
        if not self._loaded:
            self._scanners = {sid: s.load() if isinstance(s, ScannerRef) else s for sid, s in self._scanners.items()}
            self._loaded = True
        return self._scanners  # type: ignore[return-value]  # every entry is loaded now

    def get(self, scanner_id: str) -> Scanner:
        try:
            return self._load()[scanner_id]
        except KeyError:
            known = ", ".join(self.ids())
            raise KeyError(f"no scanner {scanner_id!r}; known scanners: {known}") from None

    def ids(self) -> list[str]:
        return list(self._scanners)

    def for_media_type(self, media_type: str) -> tuple[Scanner, ...]:
        found = self._by_type.get(media_type)
        if found is None:
            found = self._by_type[media_type] = tuple(s for s in self._load().values() if s.accepts(media_type))
        return found

    def modules(self) -> list[str]:
        """Where the scanners' code lives, without importing it (for a worker pool to preload)."""
        return [s.target.partition(":")[0] if isinstance(s, ScannerRef) else type(s).__module__
                for s in self._scanners.values()]

    def info(self) -> tuple[ScannerInfo, ...]:
        return tuple(ScannerInfo(s.id, s.version) for s in self._scanners.values())

    def __iter__(self) -> Iterator[Scanner]:
        return iter(self._load().values())

    def __len__(self) -> int:
        return len(self._scanners)
