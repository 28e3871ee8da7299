"""Grouping of frame files into sequence assets.

Placeholder grouping: every file is its own asset. Frame-sequence detection
replaces ``group_files`` (issue: frame sequences).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .models import AssetKind
from .walk import FileEntry


@dataclass(frozen=True)
class Group:
    path: str  # file path, or the sequence pattern (``sh010.####.exr``)
    kind: AssetKind
    members: tuple[FileEntry, ...]  # in frame order for sequences
    frame_numbers: tuple[int, ...] = ()
    frames: str | None = None  # "1001-1300"
    missing: str | None = None  # "1040,1042-1045"


def group_files(files: Sequence[FileEntry]) -> list[Group]:
    return [Group(f.rel, AssetKind.FILE, (f,)) for f in files]
