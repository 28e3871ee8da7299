"""Warm rescans: a folder whose listing is unchanged reuses its assembled assets (no per-file look-ups)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from provenance.scan.cache import ScanCache
from provenance.scan.render import scan_json_chunks
from provenance.scan.runner import ScanSettings, scan_tree
from provenance.scanners import default_registry
from tests.builders import png_file

REPO = Path(__file__).resolve().parent.parent


def _aged(root: Path) -> None:
    """Files last changed a minute ago, as in a real delivery (the cache distrusts fresh mtimes)."""
    past = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (past, past))


def _scan(root: Path, cache_path: Path) -> tuple[str, ScanCache]:
    with ScanCache(cache_path) as cache:
        report = scan_tree(root, default_registry(), ScanSettings(), cache=cache)
    return "".join(scan_json_chunks(report)), cache


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "ep103"
    shutil.copytree(REPO / "sample_assets", root)
    (root / "provenance-manifest.json").unlink()  # folders are kept only without a package manifest
    shots = root / "final" / "vfx" / "sh020"
    shots.mkdir(parents=True)
    for frame in range(1001, 1031):
        png_file(shots / f"sh020_plate_v001.{frame}.png")
    _aged(root)
    return root


def test_an_unchanged_tree_is_answered_a_folder_at_a_time(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    cold, first = _scan(root, tmp_path / "cache.sqlite3")
    assert first.misses > 0
    warm, second = _scan(root, tmp_path / "cache.sqlite3")
    assert warm == cold
    assert (second.hits, second.misses) == (0, 0)  # every folder came whole: no file was looked up


def test_a_changed_file_invalidates_only_its_folder(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    cold, _ = _scan(root, tmp_path / "cache.sqlite3")
    frame = root / "final" / "vfx" / "sh020" / "sh020_plate_v001.1010.png"
    png_file(frame, {"parameters": "a castle, Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Model: sd15"})
    past = time.time() - 30
    os.utime(frame, (past, past))
    warm, second = _scan(root, tmp_path / "cache.sqlite3")
    assert second.misses == 1 and second.hits == 29  # that folder's files, looked up one by one
    fresh, _ = _scan(root, tmp_path / "other-cache.sqlite3")
    assert warm == fresh != cold


def test_a_folder_with_fresh_files_is_not_kept(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    now = time.time()
    for path in (root / "final" / "vfx" / "sh020").iterdir():
        os.utime(path, (now, now))  # modified just now: may change again within the same mtime tick
    _scan(root, tmp_path / "cache.sqlite3")
    _, second = _scan(root, tmp_path / "cache.sqlite3")
    assert second.misses == 30  # read again, file by file


def test_a_plain_folder_is_found_from_its_raw_listing_under_the_key_a_paired_scan_stored(tmp_path: Path) -> None:
    from provenance.scan import folder_cache
    from provenance.scan.cache import sidecar_signature
    from provenance.scan.walk import TreeWalk

    root = _tree(tmp_path)
    seen: dict[str, tuple[list, tuple[str, ...]]] = {}
    tree = TreeWalk(root)
    tree.reuse = lambda rel, raws, notes: seen.setdefault(rel, (list(raws), notes)) is None
    paired = {batch[0][1].rel.rpartition("/")[0]: [entry for _, entry in batch] for batch in tree.directories()}
    prefix = str(root) + "/"
    assert "final/vfx/sh020" in seen  # 30 frames and nothing else: plain
    for rel, (raws, notes) in seen.items():
        assert folder_cache.plain_listing_key(raws, notes, "v", ("x/**",), prefix) == folder_cache.listing_key(
            paired[rel], "v", ("x/**",), sidecar_signature, prefix)


def test_a_folder_with_a_sidecar_or_clutter_is_never_taken_from_its_raw_listing(tmp_path: Path) -> None:
    from provenance.scan.walk import TreeWalk

    root = tmp_path / "d"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "c").mkdir()
    png_file(root / "a" / "x.png")
    (root / "a" / "x.png.xmp").write_text("<x/>")
    png_file(root / "b" / "y.png")
    (root / "b" / ".DS_Store").write_bytes(b"junk")
    png_file(root / "c" / "z.png")
    offered: list[str] = []
    tree = TreeWalk(root)
    tree.reuse = lambda rel, raws, notes: offered.append(rel) is None and rel == "c"
    rels = [entry.rel for batch in tree.directories() for _, entry in batch]
    assert offered == ["c"]  # and the root is never offered: it holds the policy and the manifest
    assert rels == ["a/x.png", "b/y.png"]  # c was taken whole; the others paired as always
    assert {s.path for s in tree.skipped} == {"a/x.png.xmp", "b/.DS_Store"}


def test_a_touched_frame_in_a_plain_folder_is_read_again(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    cold, _ = _scan(root, tmp_path / "cache.sqlite3")
    frame = root / "final" / "vfx" / "sh020" / "sh020_plate_v001.1020.png"
    stat = frame.stat()
    os.utime(frame, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))  # same bytes, a new mtime
    warm, second = _scan(root, tmp_path / "cache.sqlite3")
    assert warm == cold
    assert second.hits == 29 and second.misses == 1  # the folder's key changed: its frames looked up


def test_a_folder_holding_a_followed_link_to_an_outside_file_is_never_taken_from_its_raw_listing(tmp_path: Path) -> None:
    from provenance.scan.walk import TreeWalk

    outside = tmp_path / "elsewhere.png"
    png_file(outside)
    root = tmp_path / "d"
    (root / "a").mkdir(parents=True)
    png_file(root / "a" / "x.png")
    (root / "a" / "linked.png").symlink_to(outside)
    offered: list[str] = []
    tree = TreeWalk(root, follow_symlinks=True)
    tree.reuse = lambda rel, raws, notes: offered.append(rel) is None
    entries = {entry.rel: entry.abspath for batch in tree.directories() for _, entry in batch}
    assert offered == []  # its files are not all at root + rel: pairing and real paths must run
    assert entries["a/linked.png"] == str(outside)


@pytest.mark.parametrize("names, plain", [
    (["a.png", "b.exr"], True),
    (["a.png", "a.png.XMP"], False),
    (["a.png", "a.c2pa"], False),
    (["a.png", ".DS_Store"], False),
    (["a.png", "._a.png"], False),
    (["a.png", "thumbs.db"], False),  # case-folded: only ever sends a folder down the slow path
    (["a.png", "caf\u00e9.png"], False),
    (["a\\b.png"], False),
    (["x\n.DS_Store"], False),  # a newline only makes a folder look less plain
    (["sidecar.xmp.png", "notes.xmpx"], True),
])
def test_plain_folder_names(names: list[str], plain: bool) -> None:
    from provenance.scan.walk import _plain

    raws = [(f"f/{n}", f"/r/f/{n}", 1, 1, 1, 1) for n in names]
    assert _plain(raws, 2) is plain
