"""Grouping of frame files into sequence assets, with fileseq.

A sequence is what post calls one shot render: ``sh010_comp_v003.1001.exr`` …
``sh010_comp_v003.1300.exr``. It is reported as one asset so a 300-frame
render is one line, not 300, while evidence stays per frame range.

Rules (docs/scanning.md, "Frame sequences"):

* The frame number is the number just before the extension, and only where
  post and renderers put one (:func:`frame_number_at_end`: after ``.``, three or
  more digits after ``_``, four or more glued to the name, an all-digit name;
  never camera names such as ``IMG_0001.JPG``), so numbered stills
  (``poster_01.png``, ``rgb16.bmp``, ``photo-1.jpg``) stay stills. Paths matching
  a ``no_grouping`` glob are never grouped. Everything else in the name, including version tokens
  (``_v003``), stereo eyes (``_L``/``_R``, ``left``/``right``) and AOV or layer
  names, is part of the basename, so those stay separate assets. This is the
  conservative choice: merging two versions would let one approval cover both.
* Only image formats that are written one file per frame are grouped, decided
  by extension (grouping is about naming; the scan still sniffs the bytes).
  Movie and audio containers never form sequences.
* A sequence needs at least two frames; a lone numbered file stays a file.
* Files are grouped per directory only.

Pattern notation: fileseq's ``PAD_STYLE_HASH1``, the Nuke convention: one
``#`` per digit of padding, so 4-padded frames read ``name.####.exr`` and
unpadded frames 999…1000 read ``name.###.exr`` (at least three digits, like
``%03d``). A negative frame counts its sign in the width (``-001`` is ``####``).
Frame ranges and missing frames use fileseq's FrameSet notation
(``1001-1039,1041,1046-1300``; ``1-99x2`` for every second frame).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from provenance.models import AssetKind
from provenance.scan.globs import glob_regex
from provenance.scan.walk import FileEntry

# Formats delivered one file per frame. CinemaDNG and ARRIRAW are camera
# originals but frame-per-file too.
FRAME_EXTENSIONS = frozenset({
    ".exr", ".sxr", ".dpx", ".cin", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".tga", ".hdr",
    ".webp", ".bmp", ".sgi", ".rgb", ".jp2", ".j2c", ".dng", ".ari",
})
MIN_FRAMES = 2
# Part of the folder cache's listing key: bump it whenever the grouping rules change, or a
# warm rescan would hand back folders grouped by the old rules.
RULES_VERSION = "2"


@dataclass(frozen=True)
class Group:
    path: str  # file path, or the sequence pattern (``sh010.####.exr``)
    kind: AssetKind
    members: tuple[FileEntry, ...]  # in frame order for sequences
    frame_numbers: tuple[int, ...] = ()
    frames: str | None = None  # "1001-1300"
    missing: str | None = None  # "1040,1042-1045"
    # (stem, width, ext): member ``i`` is ``stem + f"{frame_numbers[i]:0{width}d}" + ext``
    name_parts: tuple[str, int, str] | None = None


def is_frame_like(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in FRAME_EXTENSIONS


# DCF (Design rule for Camera File system): four free characters (A-Z, 0-9, "_"), then a
# four-digit file number: IMG_0001.JPG, DSC_0001.JPG, DSCF0001.JPG, _MG_0001.JPG.
_DCF_STEM = re.compile(r"[A-Z0-9_]{4}[0-9]{4}")
_DCF_EXTENSIONS = frozenset({".jpg", ".jpeg", ".tif", ".tiff", ".dng", ".png"})
_TRAILING_DIGITS = re.compile(r"[0-9]+$")


def frame_number_at_end(name: str) -> bool:
    """Whether the digits just before the extension are a frame number (README, "Frame sequences").

    * after ``.``: any width is a frame (``name.1001.exr``, ``name.1.exr``); a ``-`` right after
      the ``.`` is a sign (``name.-001.exr``);
    * after ``_``: three or more digits (``name_1001.dpx``), so ``poster_01.png`` stays a still;
    * an all-digit name (``0001.png``), or four or more digits glued to the name
      (``render0001.png``, Cinema 4D's ``Name0000.tif``), as renderers write them;
    * fewer digits glued to the name (``rgb16``) or digits after a hyphen (``photo-1``) are
      part of the name;
    * camera file names (DCF: ``IMG_0001.JPG``, ``DSCF0001.JPG``) stay stills.
    """
    dot = name.rfind(".")
    stem, ext = name[:dot], name[dot:].lower()
    match = _TRAILING_DIGITS.search(stem)
    if match is None:
        return False
    start, digits = match.start(), len(match.group())
    if start == 0:
        return True
    before = stem[start - 1]
    if before == ".":
        return True
    if before == "-":
        return start >= 2 and stem[start - 2] == "."
    if ext in _DCF_EXTENSIONS and _DCF_STEM.fullmatch(stem):
        return False
    if before == "_":
        return digits >= 3
    return digits >= 4


def frame_range_text(frames: Iterable[int]) -> str:
    """Frames in fileseq notation: ``1001-1039,1041``; empty text for none."""
    frames = list(frames)
    if not frames:
        return ""
    # The common case, one unbroken run, without FrameSet's parsing (it was a
    # fifth of a warm rescan); gaps and steps keep fileseq's notation.
    first, last = frames[0], frames[-1]
    if last - first + 1 == len(frames) and all(b == a + 1 for a, b in zip(frames, frames[1:])):
        return str(first) if first == last else f"{first}-{last}"
    import fileseq  # here, not at the top: a warm rescan groups nothing and skips its ~20 ms import

    return fileseq.FrameSet(frames).frameRange()


# fileseq lists missing frames by enumerating every one (1.7 s and 500 MB for "1.png",
# "5.png" and "9000000.png") and raises past ten million; above this many the gaps are
# written out here instead, in the same notation without steps.
MAX_MISSING_BY_FILESEQ = 100_000


def _missing_text(frame_set: Any, frames: Sequence[int]) -> str | None:
    """The missing frames between the first and the last, in fileseq notation; ``None`` for none."""
    missing = frames[-1] - frames[0] + 1 - len(frames)
    if missing <= 0:
        return None
    if missing <= MAX_MISSING_BY_FILESEQ:
        return frame_set.invertedFrameRange() or None
    gaps = [str(a + 1) if b - a == 2 else f"{a + 1}-{b - 1}" for a, b in zip(frames, frames[1:]) if b - a > 1]
    return ",".join(gaps)


def group_files(files: Sequence[FileEntry], no_grouping: Sequence[str] = ()) -> list[Group]:
    """Files to assets: frame sequences grouped per directory, everything else alone.

    ``no_grouping``: globs (``stills/**``) of files that stay single files whatever their names.
    Deterministic: the result is sorted by asset path whatever the input order.
    """
    by_dir: dict[str, list[FileEntry]] = {}
    for entry in files:
        directory, _, _ = entry.rel.rpartition("/")
        by_dir.setdefault(directory, []).append(entry)
    patterns = [glob_regex(g) for g in no_grouping]
    groups: list[Group] = []
    for directory in sorted(by_dir):
        groups.extend(_group_directory(directory, by_dir[directory], patterns))
    groups.sort(key=lambda g: g.path)
    return groups


# A frame name simple enough to split without fileseq: ASCII, a head that ends in a character
# that cannot belong to a frame number, the frame's digits, one plain extension.
_SIMPLE_FRAME = re.compile(r"([^\\\n]*[^0-9\-\\\n])([0-9]+)(\.[A-Za-z][A-Za-z0-9]{0,7})")


def _simple_runs(candidates: Sequence[str]) -> list[tuple[str, int, str, list[int]]] | None:
    """``(head, width, ext, frames)`` per name pattern, when every pattern is one unbroken run of
    equal-width frames of simple names; ``None`` for anything else, which fileseq then groups.

    For such names fileseq finds exactly these runs (``tests/test_sequence_fast_path.py`` holds
    the two equal on generated folders); asking it costs a fifth of a cold scan's parent time.
    """
    runs: dict[tuple[str, str], list[str]] = {}
    for name in candidates:
        match = _SIMPLE_FRAME.fullmatch(name) if name.isascii() else None
        if match is None:
            return None
        runs.setdefault((match[1], match[3]), []).append(match[2])
    out = []
    for (head, ext), digits in runs.items():
        width = len(digits[0])
        if any(len(d) != width for d in digits):
            return None
        frames = sorted(int(d) for d in digits)
        if frames[-1] - frames[0] + 1 != len(frames):
            return None
        out.append((head, width, ext, frames))
    return out


def _group_directory(directory: str, entries: list[FileEntry], no_grouping: Sequence[re.Pattern[str]] = (),
                     *, fast: bool = True) -> list[Group]:
    by_name = {e.rel.rpartition("/")[2]: e for e in entries}
    candidates = sorted(name for name, e in by_name.items()
                        if is_frame_like(name) and frame_number_at_end(name)
                        and not any(p.fullmatch(e.rel) for p in no_grouping))
    grouped: set[str] = set()
    groups: list[Group] = []
    prefix = f"{directory}/" if directory else ""
    runs = _simple_runs(candidates) if fast else None
    if runs is not None:
        for head, width, ext, frames in runs:
            if len(frames) < MIN_FRAMES:
                continue
            names = [f"{head}{f:0{width}d}{ext}" for f in frames]
            grouped.update(names)
            groups.append(Group(
                path=f"{prefix}{head}{'#' * width}{ext}",
                kind=AssetKind.SEQUENCE,
                members=tuple(by_name[n] for n in names),
                frame_numbers=tuple(frames),
                frames=f"{frames[0]}-{frames[-1]}",
                missing=None,
                name_parts=(prefix + head, width, ext),
            ))
        groups.extend(Group(e.rel, AssetKind.FILE, (e,)) for name, e in by_name.items() if name not in grouped)
        return groups

    import fileseq  # see frame_range_text

    for seq in fileseq.findSequencesInList(candidates, pad_style=fileseq.PAD_STYLE_HASH1):
        frame_set = seq.frameSet()
        if frame_set is None or len(frame_set) < MIN_FRAMES:
            continue
        frame_numbers = tuple(int(f) for f in frame_set)
        # printf-style padding, as fileseq pads (``-001`` for -1 at width 4);
        # 4x cheaper than seq.frame(). The membership check below makes any
        # disagreement with fileseq harmless: such files stay single files.
        head, width, ext = seq.basename(), seq.zfill(), seq.extension()
        names = [f"{head}{f:0{width}d}{ext}" for f in frame_numbers]
        if any(n not in by_name or n in grouped for n in names):
            continue
        grouped.update(names)
        groups.append(Group(
            path=prefix + seq.format("{basename}{padding}{extension}"),
            kind=AssetKind.SEQUENCE,
            members=tuple(by_name[n] for n in names),
            frame_numbers=frame_numbers,
            frames=frame_set.frameRange(),
            missing=_missing_text(frame_set, frame_numbers),
            name_parts=(prefix + head, width, ext),
        ))
    groups.extend(Group(e.rel, AssetKind.FILE, (e,)) for name, e in by_name.items() if name not in grouped)
    return groups
