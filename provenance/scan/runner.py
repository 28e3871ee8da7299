"""Scanning: one file's bytes to evidence (pure), and a whole tree to a report."""

from __future__ import annotations

import logging
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.scan import folder_cache
from provenance.scan.cache import RACY_NS, ScanCache, cacheable, scan_version, sidecar_signature
from provenance.scan.executors import Counts, Session, TaskStream, WorkerConfig
from provenance.scan.roots import DeliveryRoot, parse_root
from provenance.models import (
    NO_C2PA,
    Asset,
    AssetKind,
    AssetResult,
    Confidence,
    Evidence,
    FileScan,
    FrameNames,
    ScanIssue,
    ScanReport,
    Segment,
)
from provenance.knowledge.registry import ScannerRegistry
from provenance.scan.sequences import Group, frame_range_text, group_files
from provenance.scan.file_scan import C2PA_PRECEDENCE
from provenance.source import ScanOptions
from provenance.knowledge.trust import in_use as trust_in_use
from provenance.knowledge.verdict import decide
from provenance.scan.walk import FileEntry, TreeWalk

if TYPE_CHECKING:
    from provenance.scan.manifest import ManifestChecker

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class ScanSettings:
    options: ScanOptions = field(default_factory=ScanOptions)
    follow_symlinks: bool = False
    jobs: int = 1  # worker count; the CLI defaults it to the usable cores
    executor: str = "process"  # "process" for CPU (local disks), "thread" for latency-bound network storage, "dask"
    propagate_bugs: bool = False
    # Globs of files never grouped into sequences (the policy's sequences.no_grouping, scan --no-grouping).
    no_grouping: tuple[str, ...] = ()
    scheduler: str | None = None  # a Dask scheduler address for executor "dask"; None starts a LocalCluster
    storage_options: tuple[tuple[str, Any], ...] = ()  # fsspec options for URL roots (endpoint_url, ...)


FileScanner = Callable[[FileEntry], FileScan]
# (files done, files in total); the total is -1 while the walk is still finding files.
# A progress object may also have ``phase(name, where)``: see note_phase.
Progress = Callable[[int, int], None]


def note_phase(progress: object, name: str, where: str = "") -> None:
    """Tell a progress display the phase (scanning, hashing, …) and the folder being worked on."""
    hook = getattr(progress, "phase", None)
    if hook is not None:
        hook(name, where)

# Cache lookups go in batches of about this many files (whole folders).
_BATCH = 2000
# Equal scans share one object; this bounds the table that finds them.
_SHARED_MAX = 10_000


@dataclass(slots=True)
class _Folder:
    """One folder's files on their way through the scan."""

    files: list[FileEntry]
    scans: dict[str, FileScan]
    to_read: list[FileEntry]
    key: str | None = None  # its listing key, when its assets may be kept (see folder_cache)
    filled: int = 0


def scan_tree(
    root: str | os.PathLike[str] | DeliveryRoot,
    registry: ScannerRegistry,
    settings: ScanSettings | None = None,
    *,
    file_scanner: FileScanner | None = None,
    extra_evidence: Callable[[Sequence[FileEntry], str], Mapping[str, Iterable[Evidence]]] | None = None,
    cache: ScanCache | None = None,
    progress: Progress | None = None,
    session: Session | None = None,
    on_counts: Callable[[Counts], None] | None = None,
) -> ScanReport:
    """Walk ``root``, scan every file, group frame sequences, decide verdicts.

    The tree streams through a folder at a time (see :class:`provenance.walk.TreeWalk`):
    a folder's files are looked up in the ``cache``, the rest read, and the
    folder's assets assembled, after which only the assets are kept. Memory
    therefore grows with the assets, not with the files.

    Files are read by ``settings.jobs`` workers (see :mod:`provenance.parallel`);
    ``file_scanner`` replaces :func:`scan_path` for callers that bring their own
    reader, and then runs in this process. With a ``cache``, unchanged files
    are not read at all. ``extra_evidence`` attaches further evidence by
    relative path; it is called once per folder, with that folder's files.
    The package manifest at the root is always read: its declarations join
    the files' evidence before grouping, its integrity results land in
    ``findings`` and its read failures in ``problems``.

    ``root`` is a folder or an fsspec URL (see :mod:`provenance.scan.roots`).
    ``session`` is an executor session shared with the caller's other scans
    (one Dask cluster for several roots); ``on_counts`` receives the bytes each
    file read cost, (ranged, whole-object), for files actually read.
    """
    settings = settings or ScanSettings()
    where = root if isinstance(root, DeliveryRoot) else parse_root(root, dict(settings.storage_options))
    root_abs = where.display
    root_key = where.key
    tree = where.walk(settings.follow_symlinks)
    report = progress or (lambda done, total: None)
    version = scan_version(registry, settings.options) if cache is not None else ""
    config = WorkerConfig(registry, settings.options, settings.propagate_bugs, where.storage)
    reader = None if file_scanner is None else (lambda task: file_scanner(task[4]))
    if cache is not None:
        # Objects' sidecars are identified from the listing; files' by a stat.
        cache.sidecar_signature = getattr(tree, "sidecar_signature", sidecar_signature)

    manifest: ManifestChecker | None = None
    manifest_loaded = False
    assets: list[AssetResult] = []
    real_paths: dict[str, str] = {}
    shared: dict[FileScan, FileScan] = {}
    waiting: deque[_Folder] = deque()  # folders with files in flight, in task order
    counts = [0, 0]  # files done, files found

    unmoved = where.path_of("")  # + rel: where a file sits that nothing moved

    def _note_real_paths(files: Sequence[FileEntry]) -> None:
        for entry in files:
            if entry.abspath != unmoved + entry.rel:
                real_paths[entry.rel] = entry.abspath

    def finish_folder(folder: _Folder) -> None:
        nonlocal manifest, manifest_loaded
        if not manifest_loaded:  # the root comes first, so its manifest is known by now
            manifest_loaded = True
            if tree.package_manifest is not None:
                manifest = _load_manifest(tree.package_manifest, where)
        scans = folder.scans
        # Per-file declarations are merged before grouping, so a declaration on
        # frames 1040-1060 becomes its own segment of the sequence.
        if manifest is not None:
            _merge_evidence(scans, manifest.check(folder.files))
        if extra_evidence is not None:
            _merge_evidence(scans, extra_evidence(folder.files, where.path))
        if folder.files:
            note_phase(progress, "scanning", os.path.dirname(folder.files[0].rel) or ".")
        start = len(assets)
        assets.extend(assemble(g, scans) for g in group_files(folder.files, settings.no_grouping))
        if folder.key is not None and cache is not None and all(cacheable(s) for s in scans.values()):
            cache.store_folder(root_key, _folder_of(folder.files), folder.key, folder_cache.encode(assets[start:]))
        _note_real_paths(folder.files)

    def deliver(results: list[FileScan]) -> None:
        for result in results:
            folder = waiting[0]
            entry = folder.to_read[folder.filled]
            same = shared.get(result)
            if same is not None:
                result = same
            elif len(shared) < _SHARED_MAX:
                shared[result] = result
            folder.scans[entry.rel] = result
            if cache is not None:
                cache.store(root_key, entry, result, version)
            folder.filled += 1
            counts[0] += 1
            report(counts[0], -1)  # per file: the display throttles itself
            if folder.filled == len(folder.to_read):
                waiting.popleft()
                finish_folder(folder)

    def look_up(folders: list[list[FileEntry]], stream: TaskStream) -> None:
        keys = _listing_keys(folders) if whole_folders() else {}
        kept = cache.folders(root_key, keys) if cache is not None and keys else {}
        if kept:
            folders = [files for files in folders if not _take_folder(files, kept)]
        batch = [e for files in folders for e in files]
        hits = cache.lookup(root_key, batch, version) if cache is not None else {}
        for files in folders:
            to_read = [e for e in files if e.rel not in hits]
            folder = _Folder(files, {e.rel: hits[e.rel] for e in files if e.rel in hits}, to_read,
                             keys.get(_folder_of(files)))
            counts[0] += len(files) - len(to_read)
            if not to_read:
                finish_folder(folder)
                continue
            waiting.append(folder)
            deliver(stream.put([(e.abspath, e.rel, e.sidecars, e.size, e) if reader else (e.abspath, e.rel, e.sidecars, e.size)
                                for e in to_read]))
        report(counts[0], -1)

    def whole_folders() -> bool:
        # The root's listing has been seen by the first look-up, so the manifest is known.
        return (cache is not None and extra_evidence is None and file_scanner is None
                and tree.package_manifest is None)

    def _listing_keys(folders: list[list[FileEntry]]) -> dict[str, str]:
        assert cache is not None
        keys = {}
        for files in folders:
            if files and folder_cache.still(files, cache.started_ns, RACY_NS):
                folder = _folder_of(files)
                keys[folder] = known_keys.pop(folder, None) or folder_cache.listing_key(
                    files, version, settings.no_grouping, cache.sidecar_signature, unmoved)
        return keys

    known_keys: dict[str, str] = {}  # keys reuse() computed for folders it did not find

    def reuse(folder: str, raws: list[tuple[str, str, int, int, int, int]], notes: tuple[str, ...]) -> bool:
        """A plain folder's assets straight from the folder cache, before the walk pairs its files."""
        if cache is None or not whole_folders() or not raws or raws[0][1] != unmoved + raws[0][0]:
            return False
        if not all(raw[3] < cache.started_ns - RACY_NS for raw in raws):
            return False
        key = folder_cache.plain_listing_key(raws, notes, version, settings.no_grouping, unmoved)
        text = cache.folder(root_key, folder, key)
        if text is None:
            known_keys[folder] = key
            return False
        assets.extend(folder_cache.decode(text))
        counts[0] += len(raws)
        counts[1] += len(raws)
        report(counts[0], -1)
        return True

    def _take_folder(files: list[FileEntry], kept: dict[str, str]) -> bool:
        text = kept.get(_folder_of(files))
        if text is None:
            return False
        assets.extend(folder_cache.decode(text))
        counts[0] += len(files)
        _note_real_paths(files)
        return True

    if hasattr(tree, "reuse"):
        tree.reuse = reuse
    report(0, -1)
    with TaskStream(config, settings.jobs, settings.executor, reader, session=session,
                    scheduler=settings.scheduler, on_counts=on_counts) as stream:
        pending: list[list[FileEntry]] = []
        pending_files = 0
        for batch in tree.directories():
            files = [entry for _, entry in batch]
            del batch
            counts[1] += len(files)
            pending.append(files)
            pending_files += len(files)
            if pending_files >= _BATCH:
                look_up(pending, stream)
                pending, pending_files = [], 0
        look_up(pending, stream)
        del pending
        report(counts[0], counts[1])
        deliver(stream.finish())
    assert not waiting, "every file read comes back"
    if cache is not None:
        cache.flush()
    report(counts[1], counts[1])
    if not manifest_loaded and tree.package_manifest is not None:
        manifest = _load_manifest(tree.package_manifest, where)
    skipped = tree.skipped
    if manifest is not None:
        check = manifest.finish({s.path: s.reason for s in skipped})
        problems, findings = check.problems, check.findings
    else:
        problems, findings = (), ()
    assets.sort(key=lambda a: a.path)
    return ScanReport(
        # Absolute, so `provenance report` finds the files again from any working directory.
        root=root_abs,
        assets=tuple(assets),
        skipped=skipped,
        scanners=registry.info(),
        tool_version=__version__,
        problems=tree.problems + tuple(problems),
        findings=tuple(findings),
        trust=trust_in_use(settings.options.default_trust, settings.options.trust_anchors_pem),
        real_paths=real_paths,
    )


def _folder_of(files: Sequence[FileEntry]) -> str:
    return files[0].rel.rpartition("/")[0] if files else ""


def _load_manifest(path: str, where: DeliveryRoot) -> ManifestChecker:
    # Imported here: most deliveries have no package manifest, and a warm rescan skips its import.
    from provenance.scan.manifest import ManifestChecker, load_manifest

    if not where.remote:
        return ManifestChecker(load_manifest(path))
    return ManifestChecker(load_manifest(path, read=where.storage.read_small), hasher=where.storage.sha256)


def _merge_evidence(scans: dict[str, FileScan], extra: Mapping[str, Iterable[Evidence]]) -> None:
    for rel, items in extra.items():
        if rel in scans:
            base = scans[rel]
            merged = sorted(set(base.evidence) | set(items), key=lambda e: e.sort_key)
            scans[rel] = FileScan(base.media_type, tuple(merged), base.c2pa, base.errors)


def assemble(group: Group, scans: Mapping[str, FileScan]) -> AssetResult:
    """One asset from one file or one sequence of frames."""
    if group.kind is AssetKind.FILE:
        entry = group.members[0]
        scan = scans[entry.rel]
        asset = Asset(entry.rel, AssetKind.FILE, entry.size, scan.media_type)
        notes = tuple(dict.fromkeys((*scan.notes, *entry.notes)))
        return AssetResult(asset, decide(scan.evidence), scan.evidence, scan.c2pa, scan.errors, notes=notes)

    member_scans = [scans[m.rel] for m in group.members]
    segments = _segments(group, member_scans)
    # Frames with equal evidence share one FileScan (see scan_tree): visit each once.
    distinct = {id(s): s for s in member_scans}.values()
    all_evidence = tuple(sorted({e for s in distinct for e in s.evidence}, key=lambda e: e.sort_key))
    errors = tuple(
        ScanIssue(err.code, f"frame {frame}: {err.message}", err.scanner)
        for frame, s in zip(group.frame_numbers, member_scans, strict=True)
        for err in s.errors
    )
    states = [s.c2pa for s in member_scans]
    c2pa = min(states, key=lambda st: C2PA_PRECEDENCE[st.state]) if states else NO_C2PA
    media_type = member_scans[0].media_type if member_scans else "application/octet-stream"
    asset = Asset(
        path=group.path,
        kind=AssetKind.SEQUENCE,
        size=sum(m.size for m in group.members),
        media_type=media_type,
        frames=group.frames,
        missing_frames=group.missing,
        members=(FrameNames(*group.name_parts, group.frame_numbers) if group.name_parts is not None
                 else tuple(m.rel for m in group.members)),
    )
    verdict = decide(all_evidence)
    if len(segments) > 1:
        flagged = [s.frames for s in segments if s.verdict.kind.is_ai]
        if flagged:
            verdict = type(verdict)(verdict.kind, f"{verdict.reason}; frames {', '.join(flagged)}", verdict.generators)
    return AssetResult(asset, verdict, all_evidence, c2pa, errors, tuple(segments),
                       notes=_frame_notes(group, member_scans))


def _frame_notes(group: Group, scans: Sequence[FileScan]) -> tuple[str, ...]:
    """Each distinct note once, with the frames it was said about."""
    frames: dict[str, list[int]] = {}
    for frame, entry, scan in zip(group.frame_numbers, group.members, scans, strict=True):
        for note in (*scan.notes, *entry.notes):
            frames.setdefault(note, []).append(frame)
    return tuple(f"frames {frame_range_text(sorted(set(f)))}: {note}" for note, f in frames.items())


def _segments(group: Group, scans: Sequence[FileScan]) -> list[Segment]:
    """Consecutive frames with the same evidence, compressed into ranges."""
    segments: list[Segment] = []
    by_id: dict[int, tuple[object, ...]] = {}
    prints = [by_id.get(id(s)) or by_id.setdefault(id(s), _fingerprint(s)) for s in scans]
    run_start = 0
    for i in range(1, len(scans) + 1):
        if i < len(scans) and prints[i] == prints[run_start]:
            continue
        frames = group.frame_numbers[run_start:i]
        scan = scans[run_start]
        # Locations carry frame-specific values; the evidence of the first frame stands for the run.
        segments.append(Segment(
            frames=frame_range_text(frames),
            verdict=decide(scan.evidence),
            evidence=scan.evidence,
            c2pa_states=tuple(sorted({str(s.c2pa.state) for s in scans[run_start:i]})),
        ))
        run_start = i
    return segments


def _fingerprint(scan: FileScan) -> tuple[object, ...]:
    """What must be equal for two frames to share a segment.

    Most values are frame-specific (capture dates, frame numbers, per-frame
    file names in DPX headers) and must not split a run. A declaration's value
    is the claim itself: two approval references or two declared source types
    are different segments. Read errors split too, so a segment never hides an
    unreadable frame inside a run of clean ones.
    """
    return (
        decide(scan.evidence).kind,
        tuple(sorted(
            (e.scanner, _UUID.sub("<uuid>", e.location), e.signal, e.confidence, e.generator,
             e.value if e.confidence in _CLAIM_CONFIDENCE else "")
            for e in scan.evidence
        )),
        scan.c2pa.state,
        tuple(sorted({err.code for err in scan.errors})),
    )


_CLAIM_CONFIDENCE = frozenset({Confidence.SIGNED_DECLARATION, Confidence.DECLARATION})
# Every signed frame has its own C2PA manifest label (a fresh urn:uuid), like a capture
# date: it must not split a run of frames that declare the same thing.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
