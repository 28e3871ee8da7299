"""Which numbered names are frames (README, "Frame sequences"), and a real VFX layout that keeps grouping."""

from __future__ import annotations

import pytest

from provenance.models import AssetKind
from provenance.scan.sequences import frame_number_at_end, group_files
from provenance.scan.walk import FileEntry


def entry(rel: str) -> FileEntry:
    return FileEntry(rel=rel, abspath="/delivery/" + rel, size=10, mtime_ns=0, inode=0)


def layout(names: list[str]) -> dict[str, tuple[str, ...]]:
    """{asset path: member paths} for a list of files."""
    return {g.path: tuple(m.rel for m in g.members) for g in group_files([entry(n) for n in names])}


@pytest.mark.parametrize("name", [
    "name.1001.exr", "name.1.exr", "name.-001.exr", "name_1001.dpx", "name_001.dpx", "render0001.png",
    "Name0000.tif", "0001.png", "1.png", "sh010_comp_v003.1001.exr", "sh010_beauty.00001001.exr",
])
def test_frame_numbers(name: str) -> None:
    assert frame_number_at_end(name)


@pytest.mark.parametrize("name", [
    "rgb16.bmp", "rgb24.bmp", "photo-1.jpg", "photo-2.jpg", "poster_01.png", "poster_12.png", "img_7.png",
    "render001.png", "IMG_0001.JPG", "DSC_0001.JPG", "DSCF0001.JPG", "_MG_0001.JPG", "IMG_0001.PNG",
    "matte_sky_v004.png", "plate.exr", "name-1001.exr", "name_-001.exr",
])
def test_not_frame_numbers(name: str) -> None:
    assert not frame_number_at_end(name)


@pytest.mark.parametrize("names", [
    ["rgb16.bmp", "rgb24.bmp", "rgb32.bmp"],
    ["photo-1.jpg", "photo-2.jpg"],
    [f"poster_{n:02d}.png" for n in range(1, 13)],
    [f"IMG_{n:04d}.JPG" for n in range(1, 6)],
    [f"DSCF{n:04d}.JPG" for n in range(1, 6)],
    [f"_MG_{n:04d}.JPG" for n in range(1, 6)],
])
def test_numbered_stills_stay_stills(names: list[str]) -> None:
    groups = group_files([entry("stills/" + n) for n in names])
    assert [g.kind for g in groups] == [AssetKind.FILE] * len(names)


@pytest.mark.parametrize(("names", "pattern", "frames"), [
    ([f"render{n:04d}.png" for n in range(1, 4)], "render####.png", "1-3"),
    ([f"Name{n:04d}.tif" for n in range(0, 3)], "Name####.tif", "0-2"),
    ([f"{n:04d}.png" for n in range(1, 4)], "####.png", "1-3"),
    ([f"plate_{n:04d}.dpx" for n in range(1001, 1004)], "plate_####.dpx", "1001-1003"),
    (["neg.-001.exr", "neg.0000.exr", "neg.0001.exr"], "neg.####.exr", "-1-1"),
    (["name.1.exr", "name.2.exr", "name.3.exr"], "name.#.exr", "1-3"),
])
def test_frames_still_group(names: list[str], pattern: str, frames: str) -> None:
    [group] = group_files([entry(n) for n in names])
    assert (group.kind, group.path, group.frames) == (AssetKind.SEQUENCE, pattern, frames)


def test_no_grouping_globs_keep_chosen_paths_as_files() -> None:
    names = [f"stills/render{n:04d}.png" for n in range(1, 4)] + [f"shots/render{n:04d}.png" for n in range(1, 4)]
    groups = group_files([entry(n) for n in names], no_grouping=("stills/**",))
    assert sorted(g.path for g in groups) == ["shots/render####.png", *sorted(n for n in names if n.startswith("stills/"))]


# A shot folder as a VFX vendor delivers it: comp versions, stereo eyes, AOVs/render layers,
# 4- and 8-digit padding, plates with "_" frames, a Cinema 4D render, and the stills beside them.
VFX = {
    "shots/sh010/comp/sh010_comp_v001.{:04d}.exr": range(1001, 1011),
    "shots/sh010/comp/sh010_comp_v002.{:04d}.exr": range(1001, 1011),
    "shots/sh010/comp/sh010_comp_v002_L.{:04d}.exr": range(1001, 1006),
    "shots/sh010/comp/sh010_comp_v002_R.{:04d}.exr": range(1001, 1006),
    "shots/sh010/render/sh010_lgt_v004_beauty.{:08d}.exr": range(1001, 1004),
    "shots/sh010/render/sh010_lgt_v004_diffuse.{:08d}.exr": range(1001, 1004),
    "shots/sh010/render/sh010_lgt_v004.specular.{:04d}.exr": range(1, 4),
    "shots/sh010/plates/A001C003_220101_R1AB_{:07d}.dpx": range(86400, 86403),
    "shots/sh010/plates/sh010_bg01_v001.{:04d}.dpx": [1001, 1002, 1004],
    "shots/sh020/c4d/Cloth{:04d}.tif": range(0, 3),
    "shots/sh020/anim/sh020_anim_v003.{}.jpg": range(998, 1002),
}
VFX_STILLS = ["shots/sh010/comp/sh010_comp_v002.mov", "shots/sh010/comp/sh010_slate.png",
              "shots/sh010/ref/IMG_0001.JPG", "shots/sh010/ref/IMG_0002.JPG", "shots/sh010/ref/poster_01.png",
              "shots/sh010/ref/poster_02.png"]
VFX_EXPECTED = {
    "shots/sh010/comp/sh010_comp_v001.####.exr": "1001-1010",
    "shots/sh010/comp/sh010_comp_v002.####.exr": "1001-1010",
    "shots/sh010/comp/sh010_comp_v002_L.####.exr": "1001-1005",
    "shots/sh010/comp/sh010_comp_v002_R.####.exr": "1001-1005",
    "shots/sh010/render/sh010_lgt_v004_beauty.########.exr": "1001-1003",
    "shots/sh010/render/sh010_lgt_v004_diffuse.########.exr": "1001-1003",
    "shots/sh010/render/sh010_lgt_v004.specular.####.exr": "1-3",
    "shots/sh010/plates/A001C003_220101_R1AB_#######.dpx": "86400-86402",
    "shots/sh010/plates/sh010_bg01_v001.####.dpx": "1001-1002,1004",
    "shots/sh020/c4d/Cloth####.tif": "0-2",
    "shots/sh020/anim/sh020_anim_v003.###.jpg": "998-1001",
}


def test_a_real_vfx_layout_groups_exactly_as_before() -> None:
    names = [pattern.format(n) for pattern, frames in VFX.items() for n in frames] + VFX_STILLS
    groups = group_files([entry(n) for n in names])
    sequences = {g.path: g.frames for g in groups if g.kind is AssetKind.SEQUENCE}
    assert sequences == VFX_EXPECTED
    assert sorted(g.path for g in groups if g.kind is AssetKind.FILE) == sorted(VFX_STILLS)


def test_scan_option_and_policy_key_switch_grouping_off_alike(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from provenance.cli import cli
    from tests.builders import png_file

    root = tmp_path / "delivery"
    for folder in ("stills", "shots"):
        for n in range(1, 4):
            png_file(root / folder / f"render{n:04d}.png")
    (root / "provenance.toml").write_text('schema = 1\n[sequences]\nno_grouping = ["stills/**"]\n', encoding="utf-8")
    from provenance.ledger import open_ledger

    open_ledger(tmp_path / "none.db", create=True).close()  # an empty ledger: no approvals
    runner = CliRunner()
    scan = runner.invoke(cli, ["scan", str(root), "--format", "json", "--no-cache", "-j", "1", "-q",
                               "--no-grouping", "stills/**"], catch_exceptions=False)
    audit = runner.invoke(cli, ["audit", str(root), "--format", "json", "--no-cache", "-j", "1", "-q",
                                "--ledger", str(tmp_path / "none.db")], catch_exceptions=False)
    expected = ["shots/render####.png", "stills/render0001.png", "stills/render0002.png", "stills/render0003.png"]
    assert [a["path"] for a in json.loads(scan.stdout)["assets"]] == expected
    assert [a["path"] for a in json.loads(audit.stdout)["assets"]] == expected
    plain = runner.invoke(cli, ["scan", str(root), "--format", "json", "--no-cache", "-j", "1", "-q"])
    assert [a["path"] for a in json.loads(plain.stdout)["assets"]] == ["shots/render####.png", "stills/render####.png"]

    (root / "provenance.toml").write_text('schema = 1\n[sequences]\nno_grouping = ["/abs/**"]\n', encoding="utf-8")
    bad = runner.invoke(cli, ["audit", str(root), "--ledger", str(tmp_path / "none.db"), "-q"])
    assert bad.exit_code == 2 and "sequences.no_grouping" in bad.output


def test_a_change_of_the_grouping_rules_invalidates_cached_folders(monkeypatch) -> None:
    # A warm rescan reuses a folder's assembled assets by listing key; assets grouped by
    # yesterday's rules must not come back after the rules change.
    from provenance.scan import folder_cache

    files = [entry(f"shots/a.{n}.exr") for n in (1001, 1002)]

    def key() -> str:
        return folder_cache.listing_key(files, "scan-version", (), lambda e: "", "/delivery/")

    before = key()
    assert key() == before
    monkeypatch.setattr(folder_cache, "RULES_VERSION", "next")
    assert key() != before
