"""Several roots in one run: ``scan`` lists them all in one report, paths as given (like exiftool).

Each argument is scanned as its own root (a folder, a prefix, or one file) with
the same settings, cache and executor session (one Dask cluster for all). The
report's asset paths are then the argument followed by the path below it, so
``scan ep101/ ep102/shot.exr`` lists ``ep101/final/...`` and ``ep102/shot.exr``.
Its ``root`` is empty: the paths say where each file is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from provenance.knowledge.registry import ScannerRegistry
from provenance.models import Asset, AssetResult, FrameNames, ScanIssue, ScanReport, Skipped
from provenance.scan.cache import ScanCache
from provenance.scan.executors import Counts, Session
from provenance.scan.roots import DeliveryRoot, parse_argument
from provenance.scan.runner import Progress, ScanSettings, scan_tree


def label_of(text: str, where: DeliveryRoot) -> str:
    """The prefix the report puts before a root's paths: the argument as typed (a file's: its folder)."""
    text = text.rstrip("/")
    if where.only is not None:
        head, sep, _ = text.rpartition("/")
        return head + sep if sep else ""
    return text + "/"


def scan_paths(paths: Sequence[str], registry: ScannerRegistry, settings: ScanSettings, *,
               cache: ScanCache | None = None, progress: Progress | None = None, session: Session | None = None,
               on_counts: Callable[[Counts], None] | None = None) -> ScanReport:
    """One report for several folders, prefixes or files."""
    parts: list[tuple[str, ScanReport]] = []
    for text in paths:
        where = parse_argument(text, dict(settings.storage_options))
        report = scan_tree(where, registry, settings, cache=cache, progress=progress, session=session,
                           on_counts=on_counts)
        parts.append((label_of(text, where), report))
    return merge(parts)


def merge(parts: Sequence[tuple[str, ScanReport]]) -> ScanReport:
    assets: list[AssetResult] = []
    skipped: list[Skipped] = []
    problems: list[ScanIssue] = []
    findings: list[ScanIssue] = []
    real_paths: dict[str, str] = {}
    for label, report in parts:
        assets += [_moved(a, label) for a in report.assets]
        skipped += [Skipped(label + s.path, s.reason) for s in report.skipped]
        problems += [dataclasses.replace(p, message=f"{label}{p.message}") for p in report.problems]
        findings += [dataclasses.replace(f, message=f"{label}{f.message}") for f in report.findings]
        real_paths.update({label + rel: path for rel, path in report.real_paths.items()})
    first = parts[0][1]
    return ScanReport(
        root="",
        assets=tuple(sorted(assets, key=lambda a: a.path)),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        scanners=first.scanners,
        tool_version=first.tool_version,
        problems=tuple(problems),
        findings=tuple(findings),
        trust=first.trust,
        real_paths=real_paths,
    )


def _moved(result: AssetResult, label: str) -> AssetResult:
    if not label:
        return result
    asset = result.asset
    members: Any = asset.members
    if isinstance(members, FrameNames):
        stem, width, ext, frames = members._stem, members._width, members._ext, members._frames  # noqa: SLF001
        members = FrameNames(label + stem, width, ext, frames)
    else:
        members = tuple(label + m for m in members)
    moved = Asset(label + asset.path, asset.kind, asset.size, asset.media_type, asset.frames, asset.missing_frames,
                  members)
    return dataclasses.replace(result, asset=moved)
