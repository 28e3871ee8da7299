"""From a clip's source frames to the frame numbers of an image sequence.

Which frame number a source time is (docs/audit.md, "Timelines"):

1. an OTIO ``ImageSequenceReference``: OTIO's own rule, ``start_frame`` at the
   start of its available range;
2. a reference that knows its media's start (FCP XML ``<file><timecode>``,
   AAF, OTIO ``available_range``): the sequence's first frame is that start;
3. otherwise (an EDL): the source timecode counted in frames at the clip's
   rate *is* the frame number, the convention conform EDLs use for frame
   files (``00:00:41:17`` at 24 fps is frame 1001; drop-frame counts as the
   real frame count).

When none of the mapped frames falls inside the sequence, the mapping is
wrong for this media, and the whole sequence counts as used (with a note):
an error in the mapping must never hide AI material.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance.scan.sequences import frame_range_text

from .cut import CutClip
from .resolve import IndexedAsset


@dataclass(frozen=True)
class FrameMap:
    per_record: tuple[int | None, ...]  # sequence frame at each record frame of the clip; None: outside it
    note: str | None = None
    whole: bool = False  # the mapping failed: every record frame may show any frame of the sequence

    def used(self, all_frames: tuple[int, ...] = ()) -> list[int]:
        if self.whole:
            return list(all_frames)
        return sorted({f for f in self.per_record if f is not None})


def map_frames(clip: CutClip, asset: IndexedAsset) -> FrameMap:
    hints = clip.hints
    if hints.sequence is not None:
        offset = hints.sequence[2] - (hints.available_start or 0)
    elif hints.available_start is not None and asset.frames:
        offset = asset.frames[0] - hints.available_start
    else:
        offset = 0
    have = set(asset.frames)
    mapped = [r + offset for r in clip.reads]
    if not any(f in have for f in mapped):
        lo, hi = min(mapped, default=0), max(mapped, default=0)
        note = (f"source frames {lo}-{hi} lie outside the sequence's frames {frame_range_text(asset.frames)}; "
                "the whole sequence counts as used")
        return FrameMap(tuple(None for _ in mapped), note, whole=True)
    outside = sorted({f for f in mapped if f not in have})
    note = f"frames {frame_range_text(outside)} are read but not in the delivery" if outside else None
    return FrameMap(tuple(f if f in have else None for f in mapped), note)
