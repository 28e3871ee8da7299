"""The sequence grouping's fast path gives exactly fileseq's grouping, on generated folders."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.scan.sequences import _group_directory
from provenance.scan.walk import FileEntry

HEADS = ("sh010_comp_v003.", "render", "plate_", "a.", "x-", "A.b.", "v2.", "shot.v1_", "\u00e9t\u00e9.",
         "a\\b.", "n_", "beauty.", "", "-", "img_", "CAM_", "x.1.", "r9.")
EXTS = (".exr", ".png", ".EXR", ".dpx", ".jpg", ".tif", ".jpeg", ".tga", ".dng")


@st.composite
def runs(draw: st.DrawFn) -> list[str]:
    head = draw(st.sampled_from(HEADS) | st.text(alphabet="ab_.-19\u00e9", max_size=6))
    ext = draw(st.sampled_from(EXTS))
    start = draw(st.sampled_from((0, 1, 7, 9, 98, 999, 1001, 86400)))
    count = draw(st.integers(1, 7))
    frames = list(range(start, start + count))
    if count > 2 and draw(st.booleans()):
        frames.pop(draw(st.integers(1, count - 2)))  # a gap
    width = draw(st.integers(0, 6))
    mixed = draw(st.booleans())  # some frames padded differently
    names = []
    for i, frame in enumerate(frames):
        w = width + 1 if mixed and i % 2 else width
        names.append(f"{head}{frame:0{w}d}{ext}")
    return names


@settings(max_examples=400, deadline=None)
@given(st.lists(runs(), min_size=1, max_size=4),
       st.lists(st.text(alphabet="ab_.-0123456789", min_size=1, max_size=10).map(lambda s: s + ".png"), max_size=4))
def test_fast_path_groups_exactly_as_fileseq(patterns: list[list[str]], others: list[str]) -> None:
    names = sorted({n for p in patterns for n in p} | set(others))
    entries = [FileEntry(f"shots/{n}", f"/d/shots/{n}", 1, 1, i, ctime_ns=1) for i, n in enumerate(names)]
    assert _group_directory("shots", entries, fast=True) == _group_directory("shots", entries, fast=False)


def test_a_plain_unbroken_run_takes_the_fast_path_and_keeps_fileseqs_notation() -> None:
    names = [f"sh010_comp_v003.{f:04d}.exr" for f in range(1001, 1011)] + ["notes.png"]
    entries = [FileEntry(f"v/{n}", f"/d/v/{n}", 1, 1, i, ctime_ns=1) for i, n in enumerate(names)]
    (sequence, still) = _group_directory("v", entries)
    assert (sequence.path, sequence.frames, sequence.missing) == ("v/sh010_comp_v003.####.exr", "1001-1010", None)
    assert still.path == "v/notes.png"
    assert _group_directory("v", entries, fast=False) == [sequence, still]
