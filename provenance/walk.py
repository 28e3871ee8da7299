"""Deterministic, read-only traversal of a delivery folder.

Every regular file below the root ends up either as an asset candidate or in
``skipped`` with a reason; sidecars are attached to the file they describe.
Symlinks that leave the root are not followed unless asked, and loops are
detected by (device, inode).
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field

from .models import ScanIssue, Skipped

log = logging.getLogger(__name__)

PACKAGE_MANIFEST_NAME = "provenance-manifest.json"
POLICY_NAME = "provenance.toml"
SIDECAR_SUFFIXES = (".c2pa", ".xmp")
# System clutter that is never a deliverable.
_CLUTTER = {".DS_Store": "macOS folder metadata", "Thumbs.db": "Windows thumbnail cache", "desktop.ini": "Windows folder settings"}
MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One regular file to scan."""

    rel: str  # POSIX path relative to the root
    abspath: str
    size: int
    mtime_ns: int
    inode: int
    sidecars: tuple[tuple[str, str], ...] = ()  # (kind, abspath): kind is "c2pa" or "xmp"
    # ctime cannot be set back by a user (mtime can, with touch -r), so the cache keys on it too.
    ctime_ns: int = 0


@dataclass(frozen=True)
class WalkResult:
    files: tuple[FileEntry, ...]
    skipped: tuple[Skipped, ...]
    problems: tuple[ScanIssue, ...] = ()
    package_manifest: str | None = None  # abspath, when the root has one
    policy_file: str | None = None


@dataclass
class _State:
    root_real: str
    follow_symlinks: bool
    # (rel, abspath, size, mtime_ns, inode, ctime_ns): a stat_result per file is ~10x larger, and 200k add up.
    files: list[tuple[str, str, int, int, int, int]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[ScanIssue] = field(default_factory=list)
    visited: set[tuple[int, int]] = field(default_factory=set)


def display_name(name: str) -> str:
    """A printable path: bytes that are not UTF-8 show as escapes, never crash."""
    if name.isascii():
        return name  # nearly every name on a delivery; skips an encode/decode per file
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def walk(root: str | os.PathLike[str], *, follow_symlinks: bool = False) -> WalkResult:
    root_path = os.path.abspath(os.fspath(root))
    state = _State(root_real=os.path.realpath(root_path), follow_symlinks=follow_symlinks)
    try:
        st = os.stat(root_path)
    except OSError as exc:
        raise FileNotFoundError(f"cannot read the delivery folder {root_path}: {exc.strerror}") from exc
    state.visited.add((st.st_dev, st.st_ino))
    _walk_dir(root_path, "", state, depth=0)
    return _pair(state, root_path)


def _walk_dir(path: str, rel: str, state: _State, depth: int) -> None:
    if depth > MAX_DEPTH:
        state.problems.append(ScanIssue("tree-too-deep", f"{display_name(rel)}: deeper than {MAX_DEPTH} levels; not entered"))
        return
    try:
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        state.problems.append(ScanIssue("unreadable-folder", f"{display_name(rel) or '.'}: {exc.strerror or exc}"))
        return
    for entry in entries:
        child_rel = f"{rel}/{entry.name}" if rel else entry.name
        shown = display_name(child_rel)
        try:
            if entry.is_symlink():
                _follow_link(entry, child_rel, state, depth)
                continue
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            # Whatever sits there went unread, so the scan cannot call itself complete.
            state.skipped.append(Skipped(shown, f"cannot stat: {exc.strerror or exc}"))
            state.problems.append(ScanIssue("unreadable-entry", f"{shown}: cannot stat: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in state.visited:
                state.skipped.append(Skipped(shown, "folder already visited (loop)"))
                continue
            state.visited.add(key)
            _walk_dir(entry.path, child_rel, state, depth + 1)
        elif stat.S_ISREG(st.st_mode):
            state.files.append((child_rel, entry.path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
        else:
            state.skipped.append(Skipped(shown, "not a regular file (device, socket or pipe)"))


def _follow_link(entry: os.DirEntry[str], rel: str, state: _State, depth: int) -> None:
    shown = display_name(rel)
    try:
        target = os.path.realpath(entry.path)
        st = os.stat(entry.path)
    except OSError:
        state.skipped.append(Skipped(shown, "broken symlink"))
        return
    except RuntimeError:
        state.skipped.append(Skipped(shown, "symlink loop"))
        return
    inside = target == state.root_real or target.startswith(state.root_real + os.sep)
    if not inside and not state.follow_symlinks:
        state.skipped.append(Skipped(shown, "symlink points outside the delivery (use --follow-symlinks to include it)"))
        return
    if stat.S_ISDIR(st.st_mode):
        key = (st.st_dev, st.st_ino)
        if key in state.visited:
            state.skipped.append(Skipped(shown, "symlink loop"))
            return
        state.visited.add(key)
        _walk_dir(entry.path, rel, state, depth + 1)
    elif stat.S_ISREG(st.st_mode):
        if inside:
            state.skipped.append(Skipped(shown, "symlink to a file inside the delivery (scanned at its real path)"))
        else:
            # Open the target itself: ByteSource refuses to open through a symlink.
            state.files.append((rel, target, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
    else:
        state.skipped.append(Skipped(shown, "symlink to something that is not a regular file"))


def _pair(state: _State, root_path: str) -> WalkResult:
    by_rel = {rel: tuple(rest) for rel, *rest in state.files}
    stems: dict[str, list[str]] = {}
    for rel in by_rel:
        base, ext = os.path.splitext(rel)
        if ext.lower() not in SIDECAR_SUFFIXES:
            stems.setdefault(base, []).append(rel)

    sidecars: dict[str, list[tuple[str, str]]] = {}
    skipped = list(state.skipped)
    manifest = policy = None
    assets: list[str] = []
    for rel, (path, *_stat) in by_rel.items():
        name = rel.rsplit("/", 1)[-1]
        ext = os.path.splitext(rel)[1].lower()
        if rel == PACKAGE_MANIFEST_NAME:
            manifest = path
            skipped.append(Skipped(display_name(rel), "package manifest (read as evidence)"))
        elif rel == POLICY_NAME:
            policy = path
            skipped.append(Skipped(display_name(rel), "audit policy"))
        elif name in _CLUTTER or name.startswith("._"):
            skipped.append(Skipped(display_name(rel), _CLUTTER.get(name, "AppleDouble resource fork")))
        elif ext in SIDECAR_SUFFIXES:
            owner = _sidecar_owner(rel, ext, by_rel, stems)
            if owner is None:
                # An orphan sidecar is still a file in the delivery: scan it.
                assets.append(rel)
            else:
                sidecars.setdefault(owner, []).append((ext[1:], path))
                skipped.append(Skipped(display_name(rel), f"sidecar of {display_name(owner)}"))
        else:
            assets.append(rel)

    # Two raw names can print the same (b"\xff" and a literal "\\xff"): report both, scan neither.
    shown: dict[str, list[str]] = {}
    for rel in assets:
        shown.setdefault(display_name(rel), []).append(rel)
    problems = list(state.problems)
    for printable, raws in shown.items():
        if len(raws) > 1:
            problems.append(ScanIssue("name-collision", f"{printable}: {len(raws)} files print as this name; "
                                      "rename them so their names are UTF-8"))
            skipped += [Skipped(printable, "name collides with another file's printable name") for _ in raws]
            assets = [r for r in assets if r not in raws]

    files = tuple(
        FileEntry(
            rel=display_name(rel),
            abspath=by_rel[rel][0],
            size=by_rel[rel][1],
            mtime_ns=by_rel[rel][2],
            inode=by_rel[rel][3],
            sidecars=tuple(sorted(sidecars.get(rel, ()))),
            ctime_ns=by_rel[rel][4],
        )
        for rel in sorted(assets)
    )
    return WalkResult(
        files=files,
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        problems=tuple(problems),
        package_manifest=manifest,
        policy_file=policy,
    )


def _sidecar_owner(rel: str, ext: str, by_rel: dict[str, object], stems: dict[str, list[str]]) -> str | None:
    base = rel[: -len(ext)]
    if base in by_rel and os.path.splitext(base)[1].lower() not in SIDECAR_SUFFIXES:
        return base  # NAME.ext.c2pa / NAME.ext.xmp
    if ext == ".xmp":
        candidates = stems.get(base, [])
        if len(candidates) == 1:
            return candidates[0]  # NAME.xmp beside NAME.cr2 (Adobe convention)
    return None

