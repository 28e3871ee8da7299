"""Scan one file: open it read-only, sniff it and run every scanner that accepts it.

This is the unit of work the executors run (locally or on workers); it must not
import the tree runner or the executors, which import it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence

from provenance.errors import InputError
from provenance.knowledge.registry import ScannerRegistry
from provenance.knowledge.sniff import sniff
from provenance.models import NO_C2PA, C2paState, C2paStatus, Evidence, FileScan, ScanIssue
from provenance.scan.libwarnings import MAX_NOTES, library_warnings
from provenance.source import LOCAL, ByteCount, ByteSource, InputTooLarge, LocalStorage, ScanInput, ScanOptions
from provenance.source.noatime import FALLBACK_NOTE
from provenance.source.remote import FsspecStorage

log = logging.getLogger(__name__)

MAX_SIDECAR_BYTES = 32 * 1024 * 1024
MAX_FILE_ERRORS = 50

# When several scanners report a C2PA state, the most telling one wins.
C2PA_PRECEDENCE = {
    C2paState.INVALID: 0,
    C2paState.ERROR: 1,
    C2paState.REMOTE: 2,
    C2paState.EXPIRED: 3,
    C2paState.TRUSTED: 4,
    C2paState.VALID: 5,
    C2paState.ABSENT: 6,
}


def scan_bytes(
    item: ScanInput,
    registry: ScannerRegistry,
    *,
    propagate_bugs: bool = False,
) -> FileScan:
    """All evidence in one file. A pure function of the bytes, sidecars and options.

    ``InputError`` from a scanner becomes a per-file error. Any other exception
    is a bug: it propagates when ``propagate_bugs`` (tests, ``--debug``), and is
    otherwise recorded as ``scanner-bug`` so one bad reader cannot sink a
    200,000-file audit; the scan then counts as incomplete.
    """
    evidence: list[Evidence] = []
    errors: list[ScanIssue] = []
    c2pa: C2paStatus = NO_C2PA
    notes: list[str] = []
    with library_warnings(notes) as collecting:
        for scanner in registry.for_media_type(item.media_type):
            collecting.start(scanner.id)
            try:
                result = scanner.scan(item)
            except InputError as exc:
                errors.append(ScanIssue(exc.code, exc.message, scanner.id))
                continue
            except Exception as exc:  # noqa: BLE001 - the bug boundary, see docstring
                if propagate_bugs:
                    raise
                log.error("bug in scanner %s on %s: %s\n%s", scanner.id, item.path, exc, traceback.format_exc())
                errors.append(ScanIssue("scanner-bug", f"internal error in the {scanner.id} scanner: {type(exc).__name__}",
                                        scanner.id))
                continue
            finally:
                collecting.done()
            evidence.extend(result.evidence)
            errors.extend(result.errors)
            if result.c2pa is not None and C2PA_PRECEDENCE[result.c2pa.state] < C2PA_PRECEDENCE[c2pa.state]:
                c2pa = result.c2pa
    # Most files have one piece of evidence or none, and no errors or notes.
    unique = tuple(sorted(set(evidence), key=lambda e: e.sort_key)) if len(evidence) > 1 else tuple(evidence)
    return FileScan(item.media_type, unique, c2pa, one_per_problem(errors) if errors else (),
                    tuple(dict.fromkeys(notes))[:MAX_NOTES] if notes else ())


def one_per_problem(errors: Sequence[ScanIssue]) -> tuple[ScanIssue, ...]:
    """One entry per distinct problem, at most ``MAX_FILE_ERRORS`` of them, then a count of the rest.

    Several scanners walk the same container, so a truncated PNG is reported by
    each with the same code and words: the first report stands for all. A hostile
    file can repeat one fault thousands of times (4,096 broken EXIF segments);
    a report needs the first few and the size of the rest, not every copy.
    """
    seen: set[tuple[str, str]] = set()
    distinct: list[ScanIssue] = []
    for issue in errors:
        if (issue.code, issue.message) not in seen:
            seen.add((issue.code, issue.message))
            distinct.append(issue)
    if len(distinct) <= MAX_FILE_ERRORS:
        return tuple(distinct)
    rest = len(distinct) - MAX_FILE_ERRORS
    return (*distinct[:MAX_FILE_ERRORS], ScanIssue("errors-omitted", f"{rest} more errors in this file not listed"))


def scan_path(
    path: str,
    rel: str,
    registry: ScannerRegistry,
    options: ScanOptions,
    sidecars: Sequence[tuple[str, str]] = (),
    *,
    propagate_bugs: bool = False,
    storage: LocalStorage | FsspecStorage = LOCAL,
    size: int = -1,
) -> FileScan:
    """Open one file read-only and scan it; I/O failures become per-file errors."""
    return scan_path_counted(path, rel, registry, options, sidecars, propagate_bugs=propagate_bugs,
                             storage=storage, size=size)[0]


def scan_path_counted(
    path: str,
    rel: str,
    registry: ScannerRegistry,
    options: ScanOptions,
    sidecars: Sequence[tuple[str, str]] = (),
    *,
    propagate_bugs: bool = False,
    storage: LocalStorage | FsspecStorage = LOCAL,
    size: int = -1,
) -> tuple[FileScan, ByteCount]:
    """:func:`scan_path`, and the bytes it read: ``path`` is a local path or an object in ``storage``.

    ``size`` is the size the walk listed; a remote object is opened with it, so
    opening costs no request.
    """
    side: dict[str, bytes] = {}
    side_errors: list[ScanIssue] = []
    counts = ByteCount()
    for kind, side_path in sidecars:
        try:
            side[kind] = storage.read_small(side_path, MAX_SIDECAR_BYTES)
            counts.ranged += len(side[kind])
        except (OSError, InputTooLarge) as exc:
            side_errors.append(ScanIssue("unreadable-sidecar", f"{side_path.rpartition('/')[2]}: {exc}"))
    try:
        source = storage.open(path, size)
    except OSError as exc:
        return FileScan(media_type="application/octet-stream",
                        errors=(ScanIssue("unreadable", f"cannot open: {exc.strerror or exc}"), *side_errors)), counts
    with source:
        try:
            result, read_failed = _scan_source(source, rel, registry, options, side, propagate_bugs)
        finally:
            counts.ranged += source.counts.ranged
            counts.streamed += source.counts.streamed
    if read_failed:
        return result, counts
    if side_errors:
        result = FileScan(result.media_type, result.evidence, result.c2pa, one_per_problem(result.errors + tuple(side_errors)),
                          result.notes)
    if not source.noatime:
        result = FileScan(result.media_type, result.evidence, result.c2pa, result.errors,
                          (*result.notes, FALLBACK_NOTE))
    return result, counts


def _scan_source(source: ByteSource, rel: str, registry: ScannerRegistry, options: ScanOptions,
                 side: dict[str, bytes], propagate_bugs: bool) -> tuple[FileScan, bool]:
    """The scan, and whether reading the file itself failed (then sidecar errors are not added)."""
    try:
        head = source.head
    except OSError as exc:
        return FileScan(media_type="application/octet-stream",
                        errors=(ScanIssue("unreadable", f"cannot read: {exc.strerror or exc}"),)), True
    item = ScanInput(path=rel, media_type=sniff(head), source=source, sidecars=side, options=options)
    try:
        return scan_bytes(item, registry, propagate_bugs=propagate_bugs), False
    except OSError as exc:
        return FileScan(media_type=item.media_type,
                        errors=(ScanIssue("unreadable", f"read failed: {exc.strerror or exc}"),)), True
