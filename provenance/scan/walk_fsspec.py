"""The walk of a delivery in object storage (any fsspec protocol), shaped like the local one.

:class:`FsspecTreeWalk` yields the same per-folder batches as
:class:`~provenance.scan.walk.TreeWalk`, in the same depth-first order, and
pairs sidecars, sets the manifest and policy aside and checks names with the
same code: a tree on disk and the same tree in a bucket give the same report.
Each folder (prefix) is one listing call that carries every object's size,
ETag or version and last-modified time: there is no request per object.

Object keys may hold what no local path can: ``.`` or ``..`` segments, empty
segments (``a//b``) and a trailing ``/``. Those objects are not read and are
named under ``skipped`` (and as problems, so the scan is not called complete).
An empty ``name/`` object is a folder marker written by consoles, and ignored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from provenance.models import ScanIssue, Skipped
from provenance.scan.walk import MAX_DEPTH, SIDECAR_SUFFIXES, FileEntry, TreeWalk, display_name

_MTIME_KEYS = ("LastModified", "last_modified", "mtime", "updated", "modified", "created")
_TAG_KEYS = ("ETag", "etag", "md5Hash", "VersionId", "version_id", "generation", "content_md5")


def object_tag(info: dict[str, Any]) -> str:
    """What identifies an object's bytes beyond its size: ETag and version id, as listed."""
    parts = [f"{key}={info[key]}" for key in _TAG_KEYS if info.get(key) not in (None, "")]
    return ";".join(parts)


def object_mtime_ns(info: dict[str, Any]) -> int:
    for key in _MTIME_KEYS:
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, datetime):
            return int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000
        if isinstance(value, (int, float)):
            return int(value * 1_000_000_000)
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            continue
        return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1000
    return 0


class FsspecTreeWalk(TreeWalk):
    """:class:`TreeWalk` over ``fs.ls(..., detail=True)`` of one prefix per folder."""

    def __init__(self, fs: Any, root_path: str, display_root: str) -> None:
        # TreeWalk.__init__ stats a local path; this sets the same state for a listing.
        self.root = display_root
        self.root_real = display_root
        self.follow_symlinks = False
        self._fs = fs
        self._root_path = root_path.rstrip("/")
        self._visited: set[tuple[int, int]] = set()
        self._init_results()
        # Sidecar identities from the listing, for the cache key (no request per sidecar).
        self.sidecar_info: dict[str, tuple[int, int, str]] = {}
        self._first_listing: list[dict[str, Any]] | None = None

    def check_root(self) -> None:
        """List the root once, so a bad URL or credentials fail before any work (raises)."""
        listing = self._fs.ls(self._root_path, detail=True, refresh=True)
        if not listing:
            raise FileNotFoundError(f"no objects under {self.root}")
        self._first_listing = listing

    def directories(self) -> Iterator[list[tuple[str, FileEntry]]]:
        return self._walk_dir(self._root_path, "", 0)

    def _walk_dir(self, path: str, rel: str, depth: int) -> Iterator[list[tuple[str, FileEntry]]]:
        if depth > MAX_DEPTH:
            self._problem(rel, ScanIssue("tree-too-deep", f"{display_name(rel)}: deeper than {MAX_DEPTH} levels; not entered"))
            return
        try:
            if not rel and self._first_listing is not None:
                listing, self._first_listing = self._first_listing, None
            else:
                listing = self._fs.ls(path, detail=True, refresh=True)
        except OSError as exc:
            self._problem(rel, ScanIssue("unreadable-folder", f"{display_name(rel) or '.'}: {exc.strerror or exc}"))
            return
        prefix = path + "/"
        files: list[tuple[str, str, int, int, int, int]] = []
        tags: dict[str, str] = {}
        folders: list[tuple[str, str]] = []
        for info in sorted(listing, key=lambda i: i["name"]):
            full = info["name"]
            if not full.startswith(prefix) and full != path:
                continue  # not below this prefix (some stores list the prefix itself)
            name = full[len(prefix):]
            is_dir = info.get("type") == "directory"
            if not is_dir and (name == "" or full == path):
                # The object "prefix/" itself: a folder marker, unless it holds data.
                if int(info.get("size") or 0) > 0:
                    self._unsafe(f"{rel}/" if rel else "/", "object key ends with '/' and holds data")
                continue
            child_rel = f"{rel}/{name}" if rel else name
            if name == "":
                # A common prefix ending in "//": keys below it have an empty path segment.
                self._unsafe(f"{rel}//" if rel else "/", "object key has an empty path segment ('//')")
                continue
            if name in (".", "..") or "/" in name:
                self._unsafe(child_rel, "object key has a '.', '..' or empty path segment")
                continue
            if is_dir:
                folders.append((full, child_rel))
            else:
                size = int(info.get("size") or 0)
                files.append((child_rel, full, size, object_mtime_ns(info), 0, 0))
                tags[full] = object_tag(info)
                if any(name.lower().endswith(s) for s in SIDECAR_SUFFIXES):
                    self.sidecar_info[full] = (size, object_mtime_ns(info), tags[full])
        del listing
        paired = self._pair(files, root=not rel)
        if paired:
            yield [(raw, dataclasses.replace(entry, etag=tags.get(entry.abspath, ""))) for raw, entry in paired]
        del paired
        for child_path, child_rel in folders:
            yield from self._walk_dir(child_path, child_rel, depth + 1)

    def sidecar_signature(self, entry: FileEntry) -> str:
        """The cache's identity of an entry's sidecars, from the listing (no request per sidecar)."""
        if not entry.sidecars:
            return "[]"
        items = [[kind, *self.sidecar_info.get(path, (-1, -1, ""))] for kind, path in entry.sidecars]
        return json.dumps(items, separators=(",", ":"))

    def _unsafe(self, rel: str, reason: str) -> None:
        shown = display_name(rel)
        self._walk_skipped.append(Skipped(shown, f"{reason}; rename the object to read it"))
        self._problem(rel, ScanIssue("unsafe-key", f"{shown}: {reason}; not read"))
