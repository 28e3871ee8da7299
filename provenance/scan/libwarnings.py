"""Library warnings during a file's scan become notes on that file, not stderr noise.

Pillow and other readers call ``warnings.warn`` about the file in hand ("Corrupt
EXIF data", "Truncated File Read", a palette image with odd transparency). On a
200,000-file scan those lines flood stderr with no file name attached. While a
scanner runs, its thread's warnings go to a per-file list instead; the ones
about the file become the asset's ``notes``, the ones about code (deprecations)
go to the debug log.

``warnings.catch_warnings`` swaps process-wide state and is not safe with the
thread executor, so one hook is installed once per process and routes each
warning by thread to whoever is collecting there.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from typing import Any

log = logging.getLogger(__name__)

MAX_NOTES = 20  # per file: a broken file can warn once per tag
MAX_NOTE_CHARS = 300
# Warnings about our code or the libraries themselves, not about the file being read.
_ABOUT_CODE = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning, FutureWarning)
# Object addresses in messages would make two scans of one file differ.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")

_local = threading.local()
_lock = threading.Lock()
_previous: Any = None


def _route(message: Warning | str, category: type[Warning], filename: str, lineno: int,
           file: Any = None, line: str | None = None) -> None:
    sink = getattr(_local, "sink", None)
    if sink is None or not sink.scanner:  # not inside a scanner on this thread: behave as before
        if _previous is not None:
            _previous(message, category, filename, lineno, file, line)
        return
    if issubclass(category, _ABOUT_CODE):
        log.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)
        return
    text = " ".join(_ADDRESS.sub("0x…", str(message)).split())
    if len(text) > MAX_NOTE_CHARS:
        text = text[: MAX_NOTE_CHARS - 1] + "…"
    if len(sink.notes) < MAX_NOTES:
        sink.notes.append(f"{sink.scanner}: {text}")


def _install() -> None:
    global _previous
    with _lock:
        if warnings.showwarning is not _route:
            _previous = warnings.showwarning
            warnings.showwarning = _route


class library_warnings:  # lower case: used as a context manager, like contextlib's
    """Collect the warnings this thread raises while a scanner runs into ``notes``.

    One per file (entering it per scanner cost more than some scanners' work):
    call :meth:`start` before each scanner runs, and :meth:`done` after it.
    """

    __slots__ = ("_outer", "notes", "scanner")

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.scanner = ""

    def __enter__(self) -> library_warnings:
        if warnings.showwarning is not _route:
            _install()
        self._outer = getattr(_local, "sink", None)
        _local.sink = self
        return self

    def __exit__(self, *exc: object) -> None:
        _local.sink = self._outer

    def start(self, scanner: str) -> None:
        self.scanner = scanner
        # The default action shows a warning once per code location; bumping the filters'
        # version empties those registries, so the next scanner or file with the same
        # problem gets its note too.
        warnings._filters_mutated()  # type: ignore[attr-defined]

    def done(self) -> None:
        self.scanner = ""
