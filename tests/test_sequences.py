from __future__ import annotations

import random

from provenance.models import AssetKind
from provenance.scan.sequences import group_files
from provenance.scan.walk import FileEntry


def entry(rel: str, size: int = 10) -> FileEntry:
    return FileEntry(rel=rel, abspath="/delivery/" + rel, size=size, mtime_ns=0, inode=0)


def frames(pattern: str, numbers) -> list[FileEntry]:
    return [entry(pattern % n) for n in numbers]


def by_path(groups):
    return {g.path: g for g in groups}


def test_frames_group_into_one_sequence_in_frame_order():
    files = frames("shots/sh010/sh010_comp_v003.%04d.exr", range(1001, 1301))
    random.Random(7).shuffle(files)
    [group] = group_files(files)
    assert group.path == "shots/sh010/sh010_comp_v003.####.exr"
    assert group.kind is AssetKind.SEQUENCE
    assert group.frames == "1001-1300"
    assert group.missing is None
    assert group.frame_numbers == tuple(range(1001, 1301))
    assert [m.rel for m in group.members] == [f"shots/sh010/sh010_comp_v003.{n:04d}.exr" for n in range(1001, 1301)]


def test_gaps_become_missing_frames():
    present = [n for n in range(1001, 1101) if n not in (1040, 1042, 1043, 1044, 1045)]
    [group] = group_files(frames("sh010.%04d.dpx", present))
    assert group.frames == "1001-1039,1041,1046-1100"
    assert group.missing == "1040,1042-1045"
    assert group.frame_numbers == tuple(present)


def test_versions_stay_separate_assets():
    files = frames("sh010_comp_v001.%04d.exr", range(1001, 1011)) + frames("sh010_comp_v002.%04d.exr", range(1001, 1011))
    groups = by_path(group_files(files))
    assert set(groups) == {"sh010_comp_v001.####.exr", "sh010_comp_v002.####.exr"}
    assert all(len(g.members) == 10 for g in groups.values())


def test_stereo_eyes_and_aovs_stay_separate_assets():
    files = []
    for name in ("sh010_L", "sh010_R", "sh010_left", "sh010_right", "sh010_beauty", "sh010_depth", "sh010.diffuse"):
        files += frames(name + ".%04d.exr", range(1, 6))
    groups = group_files(files)
    assert sorted(g.path for g in groups) == sorted([
        "sh010_L.####.exr", "sh010_R.####.exr", "sh010_left.####.exr", "sh010_right.####.exr",
        "sh010_beauty.####.exr", "sh010_depth.####.exr", "sh010.diffuse.####.exr",
    ])
    assert all(g.kind is AssetKind.SEQUENCE and g.frames == "1-5" for g in groups)


def test_lone_numbered_files_stay_files():
    files = [entry("poster_02.png"), entry("clip.0001.mov"), entry("sh020.1001.exr"), entry("readme.txt")]
    groups = group_files(files)
    assert [(g.path, g.kind) for g in groups] == [
        ("clip.0001.mov", AssetKind.FILE),
        ("poster_02.png", AssetKind.FILE),
        ("readme.txt", AssetKind.FILE),
        ("sh020.1001.exr", AssetKind.FILE),
    ]
    assert all(len(g.members) == 1 and g.frames is None for g in groups)


def test_movie_and_audio_containers_never_form_sequences():
    files = frames("A001C%03d.mov", range(1, 5)) + frames("reel.%04d.wav", range(1, 4)) + frames("clip.%04d.mp4", (1, 2))
    groups = group_files(files)
    assert len(groups) == len(files)
    assert all(g.kind is AssetKind.FILE for g in groups)


def test_mixed_extensions_are_separate_sequences():
    files = frames("sh010.%04d.exr", range(1, 4)) + frames("sh010.%04d.png", range(1, 4)) + [entry("sh010.0001.jpg")]
    groups = by_path(group_files(files))
    assert set(groups) == {"sh010.####.exr", "sh010.####.png", "sh010.0001.jpg"}
    assert groups["sh010.0001.jpg"].kind is AssetKind.FILE


def test_extension_case_is_kept_apart():
    files = frames("a.%04d.EXR", (1, 2)) + frames("a.%04d.exr", (1, 2))
    assert sorted(g.path for g in group_files(files)) == ["a.####.EXR", "a.####.exr"]


def test_negative_frames():
    files = [entry("neg.-002.exr"), entry("neg.-001.exr"), entry("neg.0000.exr"), entry("neg.0001.exr")]
    [group] = group_files(files)
    assert group.path == "neg.####.exr"
    assert group.frame_numbers == (-2, -1, 0, 1)
    assert [m.rel for m in group.members] == ["neg.-002.exr", "neg.-001.exr", "neg.0000.exr", "neg.0001.exr"]


def test_unpadded_frames_group_across_digit_counts():
    [group] = group_files([entry("render.999.exr"), entry("render.1000.exr"), entry("render.1001.exr")])
    assert group.path == "render.###.exr"
    assert group.frames == "999-1001"
    assert [m.rel for m in group.members] == ["render.999.exr", "render.1000.exr", "render.1001.exr"]


def test_different_padding_is_not_one_sequence():
    files = frames("plate.%04d.exr", (1001, 1002)) + frames("plate.%05d.exr", (1003, 1004))
    groups = by_path(group_files(files))
    assert set(groups) == {"plate.####.exr", "plate.#####.exr"}
    assert groups["plate.####.exr"].frame_numbers == (1001, 1002)


def test_grouping_is_per_directory():
    files = frames("a/sh010.%04d.exr", (1, 2)) + frames("b/sh010.%04d.exr", (3, 4)) + [entry("c/sh010.0005.exr")]
    groups = by_path(group_files(files))
    assert set(groups) == {"a/sh010.####.exr", "b/sh010.####.exr", "c/sh010.0005.exr"}
    assert groups["b/sh010.####.exr"].frames == "3-4"


def test_every_file_lands_in_exactly_one_group_and_output_is_deterministic():
    files = (frames("s/x_v1.%04d.exr", range(1, 50)) + frames("s/x_v1.%04d.tif", (7, 9))
             + [entry("s/x_v1.0001.mov"), entry("s/notes.pdf"), entry("t/frame7.png"), entry("t/frame8.png")])
    shuffled = list(files)
    random.Random(3).shuffle(shuffled)
    groups = group_files(files)
    assert group_files(shuffled) == groups
    members = [m.rel for g in groups for m in g.members]
    assert sorted(members) == sorted(f.rel for f in files)
    assert len(members) == len(set(members))
    assert [g.path for g in groups] == sorted(g.path for g in groups)
    assert by_path(groups)["s/x_v1.####.tif"].missing == "8"
    # One digit glued to a word is part of the name (README, "Frame sequences"): two stills.
    assert by_path(groups)["t/frame7.png"].kind is AssetKind.FILE


def test_frame_names_equal_the_member_paths() -> None:
    from provenance.models import FrameNames

    names = FrameNames("shots/neg.", 4, ".exr", (-2, -1, 0, 3))
    assert names == ("shots/neg.-002.exr", "shots/neg.-001.exr", "shots/neg.0000.exr", "shots/neg.0003.exr")
    assert len(names) == 4 and names[-1] == "shots/neg.0003.exr" and names[1:2] == ("shots/neg.-001.exr",)
    assert hash(FrameNames("a.", 3, ".dpx", range(1, 4))) == hash(("a.001.dpx", "a.002.dpx", "a.003.dpx"))


def test_frames_millions_apart_group_without_enumerating_the_gap():
    # fileseq lists missing frames one by one: 1.7 s and 500 MB here, and an exception past ten million.
    from provenance.scan.sequences import group_files

    entries = [FileEntry(f"d/{n}.png", f"/r/d/{n}.png", 1, 1, i, ctime_ns=1)
               for i, n in enumerate((1, 5, 6, 20_000_000))]
    (group,) = group_files(entries)
    assert group.frames == "1,5-6,20000000"
    assert group.missing == "2-4,7-19999999"


def test_missing_frames_notation_is_fileseqs_below_the_limit():
    import fileseq

    from provenance.scan.sequences import _missing_text

    for frames in ([1, 3, 5, 7], [1, 2, 10, 11, 12, 40], [1001, 1003], [5, 9]):
        frame_set = fileseq.FrameSet(frames)
        assert _missing_text(frame_set, frames) == frame_set.invertedFrameRange()
