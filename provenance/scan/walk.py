"""Deterministic, read-only traversal of a delivery folder.

Every regular file below the root ends up either as an asset candidate or in
``skipped`` with a reason; sidecars are attached to the file they describe.
Symlinks that leave the root are not followed unless asked, and loops are
detected by (device, inode).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from provenance.models import ScanIssue, Skipped
from provenance.source.noatime import FOLDER_FALLBACK_NOTE, open_folder

log = logging.getLogger(__name__)

PACKAGE_MANIFEST_NAME = "provenance-manifest.json"
POLICY_NAME = "provenance.toml"
SIDECAR_SUFFIXES = (".c2pa", ".xmp")
# System clutter that is never a deliverable.
_CLUTTER = {".DS_Store": "macOS folder metadata", "Thumbs.db": "Windows thumbnail cache", "desktop.ini": "Windows folder settings"}
MAX_DEPTH = 256
_PATH_MAX = 4096  # Linux; longer paths fail every call that takes a path


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
    notes: tuple[str, ...] = ()  # said on the asset: its folder was listed without O_NOATIME
    etag: str = ""  # an object's ETag and version id, as listed (object storage only)


@dataclass(frozen=True)
class WalkResult:
    files: tuple[FileEntry, ...]
    skipped: tuple[Skipped, ...]
    problems: tuple[ScanIssue, ...] = ()
    package_manifest: str | None = None  # abspath, when the root has one
    policy_file: str | None = None


_S_ISREG = stat.S_ISREG
_S_ISDIR = stat.S_ISDIR


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def display_name(name: str) -> str:
    """A printable path: bytes that are not UTF-8 show as escapes, never crash."""
    if name.isascii():
        return name  # nearly every name on a delivery; skips an encode/decode per file
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def walk(root: str | os.PathLike[str], *, follow_symlinks: bool = False) -> WalkResult:
    """The whole tree at once (tests and small tools; :func:`provenance.scan.scan_tree` streams)."""
    tree = TreeWalk(root, follow_symlinks=follow_symlinks)
    files = sorted((pair for batch in tree.directories() for pair in batch), key=lambda p: p[0])
    return WalkResult(
        files=tuple(entry for _, entry in files),
        skipped=tree.skipped,
        problems=tree.problems,
        package_manifest=tree.package_manifest,
        policy_file=tree.policy_file,
    )


_Raw = tuple[str, str, int, int, int, int]  # (rel, abspath, size, mtime_ns, inode, ctime_ns)
_COLLIDES = "name collides with another file's printable name"


def _order(rel: str) -> tuple[str, ...]:
    """Depth-first traversal order of a path (names sorted within each folder)."""
    return tuple(rel.split("/")) if rel else ()


def _may_collide(name: str) -> bool:
    """Whether a name could print like another: only undecodable bytes and literal backslashes can."""
    return not name.isascii() or "\\" in name


class TreeWalk:
    """The walk as a stream: :meth:`directories` yields one folder's files at a time.

    Memory is per folder, not per tree: a folder's files are paired with their
    sidecars, checked for names that print alike and handed on, in depth-first
    pre-order (the root first, so its package manifest and policy are known
    before any other folder). ``skipped``, ``problems``, ``package_manifest``
    and ``policy_file`` are complete once the stream is exhausted.
    """

    def __init__(self, root: str | os.PathLike[str], *, follow_symlinks: bool = False) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.root_real = os.path.realpath(self.root)
        self.follow_symlinks = follow_symlinks
        try:
            st = os.stat(self.root)
        except OSError as exc:
            raise FileNotFoundError(f"cannot read the delivery folder {self.root}: {exc.strerror}") from exc
        self._visited: set[tuple[int, int]] = {(st.st_dev, st.st_ino)}
        self._init_results()

    def _init_results(self) -> None:
        """The state a walk fills in; a listing-based walk (walk_fsspec) starts from here too."""
        self._walk_skipped: list[Skipped] = []
        self._pair_skipped: list[Skipped] = []
        self._problems: list[tuple[tuple[str, ...], ScanIssue]] = []
        self._collisions: list[tuple[tuple[str, ...], ScanIssue]] = []
        self.package_manifest: str | None = None
        self.policy_file: str | None = None
        # Set by a scan with a folder cache: called with (folder rel, its files, their notes) for a
        # folder below the root whose files are all plain assets (no sidecars, clutter, odd names or
        # moved paths); True means the scan took the folder's assets whole, so it is not paired.
        self.reuse: Callable[[str, list[_Raw], tuple[str, ...]], bool] | None = None

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        return tuple(sorted((*self._walk_skipped, *self._pair_skipped), key=lambda s: s.path))

    @property
    def problems(self) -> tuple[ScanIssue, ...]:
        # In traversal order, then the name collisions, as a whole-tree walk reports them.
        return (tuple(p for _, p in sorted(self._problems, key=lambda kp: kp[0]))
                + tuple(p for _, p in sorted(self._collisions, key=lambda kp: kp[0])))

    def directories(self) -> Iterator[list[tuple[str, FileEntry]]]:
        """Per folder, its files as ``(raw rel, FileEntry)`` sorted by raw rel; folders without files yield nothing."""
        return self._walk_dir(self.root, "", 0)

    def _problem(self, rel: str, issue: ScanIssue) -> None:
        self._problems.append((_order(rel), issue))

    def _walk_dir(self, path: str, rel: str, depth: int) -> Iterator[list[tuple[str, FileEntry]]]:
        if depth > MAX_DEPTH:
            self._problem(rel, ScanIssue("tree-too-deep", f"{display_name(rel)}: deeper than {MAX_DEPTH} levels; not entered"))
            return
        # Listed through an O_NOATIME descriptor: a plain scandir(path) moves the folder's atime.
        try:
            dir_fd, quiet = open_folder(path)
        except OSError as exc:
            self._problem(rel, ScanIssue("unreadable-folder", f"{display_name(rel) or '.'}: {exc.strerror or exc}"))
            return
        files: list[_Raw] = []
        folders: list[tuple[str, str]] = []  # (abspath, rel), entered after this folder's files
        self._moved = False  # set when a file is read at a path other than root + rel (a followed link)
        try:
            # The entries stat relative to dir_fd, so it stays open until the loop is done.
            with os.scandir(dir_fd) as it:
                entries = sorted(it, key=_name)
            base = path if path.endswith("/") else path + "/"
            prefix = rel + "/" if rel else ""
            # A name this short cannot make the path too long even at 4 UTF-8 bytes per character.
            short = (_PATH_MAX - len(os.fsencode(base))) // 4 - 1
            for entry in entries:
                name = entry.name
                # The common case inline (a plain file or folder): this loop runs once per file
                # of every rescan, and a warm rescan is little more than this loop.
                if len(name) < short and not entry.is_symlink():
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        pass  # the general path below reports it
                    else:
                        mode = st.st_mode
                        if _S_ISREG(mode):
                            files.append((prefix + name, base + name, st.st_size, st.st_mtime_ns, st.st_ino,
                                          st.st_ctime_ns))
                            continue
                        if _S_ISDIR(mode) and (st.st_dev, st.st_ino) not in self._visited:
                            self._visited.add((st.st_dev, st.st_ino))
                            folders.append((base + name, prefix + name))
                            continue
                self._entry(entry, base + name, rel, files, folders)
            del entries
        except OSError as exc:
            self._problem(rel, ScanIssue("unreadable-folder", f"{display_name(rel) or '.'}: {exc.strerror or exc}"))
            return
        finally:
            os.close(dir_fd)
        notes = () if quiet else (FOLDER_FALLBACK_NOTE,)
        reuse = self.reuse
        if (rel and files and reuse is not None and not self._moved and _plain(files, len(rel) + 1)
                and reuse(rel, files, notes)):
            files = []  # its assets came from the folder cache: nothing to pair or to read
        paired = self._pair(files, root=not rel, notes=notes)
        del files
        if paired:
            yield paired
        del paired
        # Folders whose names print alike hold files whose paths may print alike:
        # those folders are walked together and checked as one.
        alike: dict[str, list[tuple[str, str]]] = {}
        if any(_may_collide(child_rel) for _, child_rel in folders):
            for folder in folders:
                alike.setdefault(display_name(folder[1]), []).append(folder)
        for child_path, child_rel in folders:
            group = alike.get(display_name(child_rel)) if alike else None
            if group is not None and len(group) > 1:
                if group[0][1] == child_rel:
                    yield from self._walk_together(group, depth + 1)
                continue
            yield from self._walk_dir(child_path, child_rel, depth + 1)

    def _walk_together(self, group: list[tuple[str, str]], depth: int) -> Iterator[list[tuple[str, FileEntry]]]:
        batches = [batch for path, rel in group for batch in self._walk_dir(path, rel, depth)]
        raws: dict[str, list[str]] = {}
        for batch in batches:
            for raw, entry in batch:
                raws.setdefault(entry.rel, []).append(raw)
        for printable, names in raws.items():
            if len(names) > 1:
                self._collision(min(names), printable, len(names))
                self._pair_skipped.extend(Skipped(printable, _COLLIDES) for _ in names)
        for batch in batches:
            kept = [(raw, entry) for raw, entry in batch if len(raws[entry.rel]) == 1]
            if kept:
                yield kept

    def _entry(self, entry: os.DirEntry[str], child_path: str, rel: str, files: list[_Raw],
               folders: list[tuple[str, str]]) -> None:
        child_rel = f"{rel}/{entry.name}" if rel else entry.name
        try:
            if len(os.fsencode(child_path)) >= _PATH_MAX:
                # Listed relative to its folder it would stat fine, but no later open by path could reach it.
                raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
            if entry.is_symlink():
                self._follow_link(child_path, child_rel, files, folders)
                return
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            # Whatever sits there went unread, so the scan cannot call itself complete.
            shown = display_name(child_rel)
            self._walk_skipped.append(Skipped(shown, f"cannot stat: {exc.strerror or exc}"))
            self._problem(child_rel, ScanIssue("unreadable-entry", f"{shown}: cannot stat: {exc.strerror or exc}"))
            return
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in self._visited:
                self._walk_skipped.append(Skipped(display_name(child_rel), "folder already visited (loop)"))
                return
            self._visited.add(key)
            folders.append((child_path, child_rel))
        elif stat.S_ISREG(st.st_mode):
            files.append((child_rel, child_path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
        else:
            self._walk_skipped.append(Skipped(display_name(child_rel), "not a regular file (device, socket or pipe)"))

    def _collision(self, raw: str, printable: str, count: int) -> None:
        self._collisions.append((_order(raw), ScanIssue(
            "name-collision", f"{printable}: {count} files print as this name; rename them so their names are UTF-8")))

    def _follow_link(self, link: str, rel: str, files: list[_Raw], folders: list[tuple[str, str]]) -> None:
        shown = display_name(rel)
        try:
            # Resolving a symlink moves the link's own atime (the kernel has no O_NOATIME for
            # readlink); the target's is left alone.
            target = os.path.realpath(link)
            st = os.stat(link)
        except OSError:
            self._walk_skipped.append(Skipped(shown, "broken symlink"))
            return
        except RuntimeError:
            self._walk_skipped.append(Skipped(shown, "symlink loop"))
            return
        inside = target == self.root_real or target.startswith(self.root_real + os.sep)
        if not inside and not self.follow_symlinks:
            self._walk_skipped.append(Skipped(shown, "symlink points outside the delivery (use --follow-symlinks to include it)"))
            return
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in self._visited:
                self._walk_skipped.append(Skipped(shown, "symlink loop"))
                return
            self._visited.add(key)
            folders.append((link, rel))
        elif stat.S_ISREG(st.st_mode):
            if inside:
                self._walk_skipped.append(Skipped(shown, "symlink to a file inside the delivery (scanned at its real path)"))
            else:
                # Open the target itself: ByteSource refuses to open through a symlink.
                files.append((rel, target, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
                self._moved = True
        else:
            self._walk_skipped.append(Skipped(shown, "symlink to something that is not a regular file"))

    def _pair(self, files: list[_Raw], *, root: bool, notes: tuple[str, ...] = ()) -> list[tuple[str, FileEntry]]:
        """One folder's files: sidecars to their owners; the package manifest and policy (root only) aside."""
        by_rel = {raw[0]: raw for raw in files}
        # (stem, lower-cased extension) of every name, split once: this runs per file of every rescan.
        split = {rel: _split(rel) for rel in by_rel}
        stems: dict[str, list[str]] = {}
        for rel, (base, ext) in split.items():
            if ext not in SIDECAR_SUFFIXES:
                stems.setdefault(base, []).append(rel)

        sidecars: dict[str, list[tuple[str, str]]] = {}
        skipped = self._pair_skipped
        assets: list[str] = []
        for rel, raw in by_rel.items():
            name = rel.rpartition("/")[2]
            ext = split[rel][1]
            if root and rel == PACKAGE_MANIFEST_NAME:
                self.package_manifest = raw[1]
                skipped.append(Skipped(display_name(rel), "package manifest (read as evidence)"))
            elif root and rel == POLICY_NAME:
                self.policy_file = raw[1]
                skipped.append(Skipped(display_name(rel), "audit policy"))
            elif name in _CLUTTER or name.startswith("._"):
                skipped.append(Skipped(display_name(rel), _CLUTTER.get(name, "AppleDouble resource fork")))
            elif ext in SIDECAR_SUFFIXES:
                owner = _sidecar_owner(rel, ext, split, stems)
                if owner is None:
                    # An orphan sidecar is still a file in the delivery: scan it.
                    assets.append(rel)
                else:
                    sidecars.setdefault(owner, []).append((ext[1:], raw[1]))
                    skipped.append(Skipped(display_name(rel), f"sidecar of {display_name(owner)}"))
            else:
                assets.append(rel)

        # Two raw names can print the same (b"\xff" and a literal "\\xff"): report both, scan neither.
        if any(_may_collide(rel) for rel in assets):
            shown: dict[str, list[str]] = {}
            for rel in assets:
                shown.setdefault(display_name(rel), []).append(rel)
            for printable, raws in shown.items():
                if len(raws) > 1:
                    self._collision(raws[0], printable, len(raws))
                    skipped.extend(Skipped(printable, _COLLIDES) for _ in raws)
                    assets = [r for r in assets if r not in raws]

        assets.sort()
        out = []
        for rel in assets:
            _, path, size, mtime_ns, inode, ctime_ns = by_rel[rel]
            attached = sidecars.get(rel)
            out.append((rel, FileEntry(display_name(rel), path, size, mtime_ns, inode,
                                       tuple(sorted(attached)) if attached else (), ctime_ns, notes)))
        return out


def _plain(files: list[_Raw], cut: int) -> bool:
    """Every file of one folder an asset as it is: pairing would attach, skip or rename nothing.

    ``cut`` is where each name starts in its rel. One pass over the joined names
    rather than a check per file: a warm rescan runs this for every folder. A
    newline in a name can only make a folder look less plain, never more.
    """
    names = "\n".join([raw[0][cut:] for raw in files])
    return names.isascii() and "\\" not in names and _NOT_PLAIN.search(names) is None


# Names pairing treats specially: system clutter, AppleDouble files, sidecars.
_NOT_PLAIN = re.compile("^(?:" + "|".join(re.escape(n) for n in _CLUTTER) + r"|\._.*)$|"
                        + "|".join(re.escape(s) + "$" for s in SIDECAR_SUFFIXES), re.MULTILINE | re.IGNORECASE)


def _split(rel: str) -> tuple[str, str]:
    """``os.path.splitext`` with the extension lower-cased, for POSIX paths, in fewer steps."""
    dot = rel.rfind(".")
    start = rel.rfind("/") + 1
    # A name's leading dots (".profile", "..x") start no extension, as in splitext.
    if dot <= start or not rel[start:dot].lstrip("."):
        return rel, ""
    return rel[:dot], rel[dot:].lower()


def _sidecar_owner(rel: str, ext: str, split: dict[str, tuple[str, str]], stems: dict[str, list[str]]) -> str | None:
    base = rel[: -len(ext)]
    if base in split and split[base][1] not in SIDECAR_SUFFIXES:
        return base  # NAME.ext.c2pa / NAME.ext.xmp
    if ext == ".xmp":
        candidates = stems.get(base, [])
        if len(candidates) == 1:
            return candidates[0]  # NAME.xmp beside NAME.cr2 (Adobe convention)
    return None

