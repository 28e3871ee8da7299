"""The walker: deterministic, read-only, every file accounted for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance.scan.walk import walk


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_sorted_and_every_file_accounted_for(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "b/2.png": b"x", "b/1.png": b"x", "a.wav": b"x", ".DS_Store": b"x",
        "b/1.png.c2pa": b"m", "c/plate.exr": b"x", "c/plate.exr.xmp": b"<x/>",
        "photo.xmp": b"<x/>", "photo.cr2": b"x", "orphan.c2pa": b"m",
        "provenance-manifest.json": b"{}", "provenance.toml": b"",
    })
    result = walk(tmp_path)
    rels = [f.rel for f in result.files]
    assert rels == sorted(rels)
    assert rels == ["a.wav", "b/1.png", "b/2.png", "c/plate.exr", "orphan.c2pa", "photo.cr2"]
    skipped = {s.path: s.reason for s in result.skipped}
    assert set(rels) | set(skipped) == {
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()
    }
    by_rel = {f.rel: f for f in result.files}
    assert [k for k, _ in by_rel["b/1.png"].sidecars] == ["c2pa"]
    assert [k for k, _ in by_rel["c/plate.exr"].sidecars] == ["xmp"]
    assert [k for k, _ in by_rel["photo.cr2"].sidecars] == ["xmp"]
    assert "sidecar of b/1.png" in skipped["b/1.png.c2pa"]
    assert result.package_manifest and result.package_manifest.endswith("provenance-manifest.json")
    assert result.policy_file and result.policy_file.endswith("provenance.toml")


def test_symlink_out_of_root_is_skipped_unless_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "delivery"
    _tree(outside, {"secret.png": b"x"})
    _tree(root, {"in.png": b"x"})
    os.symlink(outside / "secret.png", root / "link.png")
    os.symlink(outside, root / "linkdir")

    default = walk(root)
    assert [f.rel for f in default.files] == ["in.png"]
    reasons = {s.path: s.reason for s in default.skipped}
    assert "outside the delivery" in reasons["link.png"]
    assert "outside the delivery" in reasons["linkdir"]

    followed = walk(root, follow_symlinks=True)
    assert [f.rel for f in followed.files] == ["in.png", "link.png", "linkdir/secret.png"]


def test_followed_symlink_to_outside_file_is_scanned(tmp_path: Path) -> None:
    from provenance.scan.runner import ScanSettings, scan_tree
    from provenance.scanners import default_registry

    outside = tmp_path / "outside"
    root = tmp_path / "delivery"
    _tree(outside, {"secret.png": b"\x89PNG\r\n\x1a\n"})
    root.mkdir()
    os.symlink(outside / "secret.png", root / "link.png")
    report = scan_tree(root, default_registry(), ScanSettings(follow_symlinks=True, propagate_bugs=True))
    (asset,) = report.assets
    assert asset.path == "link.png"
    assert asset.asset.media_type == "image/png"
    assert all(e.code != "unreadable" for e in asset.errors)


def test_symlink_loop_is_reported_not_fatal(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/x.png": b"x"})
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    os.symlink(tmp_path / "self", tmp_path / "self")
    result = walk(tmp_path, follow_symlinks=True)
    assert [f.rel for f in result.files] == ["a/x.png"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert "loop" in reasons["a/loop"]
    assert "self" in reasons


def test_non_utf8_names_are_listed_printably(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.png"
    with open(raw, "wb") as fh:
        fh.write(b"x")
    result = walk(tmp_path)
    assert len(result.files) == 1
    entry = result.files[0]
    entry.rel.encode("utf-8")  # printable and encodable for reports
    assert "\\xe9" in entry.rel
    assert os.path.exists(entry.abspath)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    _tree(tmp_path, {"ok.png": b"x", "locked/x.png": b"x"})
    (tmp_path / "locked").chmod(0)
    try:
        result = walk(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [f.rel for f in result.files] == ["ok.png"]
    assert [p.code for p in result.problems] == ["unreadable-folder"]


def test_fifo_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    result = walk(tmp_path)
    assert result.files == ()
    assert "not a regular file" in result.skipped[0].reason


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        walk(tmp_path / "nope")


def test_names_that_print_alike_are_both_reported(tmp_path: Path) -> None:
    with open(os.fsencode(tmp_path) + b"/key\xff.png", "wb") as fh:
        fh.write(b"x")
    (tmp_path / "key\\xff.png").write_bytes(b"y")
    result = walk(tmp_path)
    assert result.files == ()
    assert [p.code for p in result.problems] == ["name-collision"]
    assert [s.path for s in result.skipped] == ["key\\xff.png", "key\\xff.png"]


def test_audit_hashes_a_file_whose_name_is_not_utf8(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner
    from PIL import Image, PngImagePlugin

    from provenance.cli import cli

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8")
    raw = os.fsencode(tmp_path / "delivery") + b"/caf\xe9.png"
    os.makedirs(os.path.dirname(raw))
    Image.new("RGB", (8, 8)).save(raw.decode("utf-8", "surrogateescape"), format="PNG", pnginfo=info)
    result = CliRunner().invoke(cli, ["audit", str(tmp_path / "delivery"), "--format", "json", "--no-cache",
                                      "--ledger", str(_empty_ledger(tmp_path / "none.db"))])
    (asset,) = json.loads(result.stdout)["assets"]
    assert asset["path"] == "caf\\xe9.png"
    assert asset["status"] == "unapproved"
    assert len(asset["sha256"]) == 64
    assert not asset["errors"]


def test_folders_that_print_alike_are_checked_together(tmp_path: Path) -> None:
    # The walk streams a folder at a time; two folders whose names print alike are walked as one.
    os.mkdir(os.fsencode(tmp_path) + b"/d\xff")
    (tmp_path / "d\\xff").mkdir()
    with open(os.fsencode(tmp_path) + b"/d\xff/x.png", "wb") as fh:
        fh.write(b"a")
    (tmp_path / "d\\xff" / "x.png").write_bytes(b"b")
    (tmp_path / "d\\xff" / "y.png").write_bytes(b"c")
    result = walk(tmp_path)
    assert [f.rel for f in result.files] == ["d\\xff/y.png"]
    assert [p.code for p in result.problems] == ["name-collision"]
    assert [s.path for s in result.skipped] == ["d\\xff/x.png", "d\\xff/x.png"]


def test_tree_walk_yields_the_root_first_with_its_manifest_known(tmp_path: Path) -> None:
    from provenance.scan.walk import PACKAGE_MANIFEST_NAME, TreeWalk

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.png").write_bytes(b"1")
    (tmp_path / PACKAGE_MANIFEST_NAME).write_text("{}")
    (tmp_path / "z.png").write_bytes(b"2")
    tree = TreeWalk(tmp_path)
    batches = tree.directories()
    first = next(batches)
    assert [e.rel for _, e in first] == ["z.png"]
    assert tree.package_manifest == str(tmp_path / PACKAGE_MANIFEST_NAME)
    assert [[e.rel for _, e in b] for b in batches] == [["a/one.png"]]


def _empty_ledger(path: Path) -> Path:
    from provenance.ledger import open_ledger

    open_ledger(path, create=True).close()
    return path


@given(st.text(alphabet="ab./Xé", max_size=12))
def test_split_is_splitext_with_a_lower_case_extension(rel: str) -> None:
    from provenance.scan.walk import _split

    base, ext = os.path.splitext(rel)
    assert _split(rel) == (base, ext.lower())
