"""An OTIO timeline flattened to what the cut shows: one ``CutClip`` per clip use.

Each clip use knows its track, its record range (including the frames it is
still visible under a transition) and, for every record frame, the source
frame it reads. That last list is what makes handles and retimes exact:

* transitions: OTIO's ``visible_range()`` adds the handle frames a clip shows
  under a dissolve on either side;
* a nested composition (a nested sequence) is flattened into the track it
  sits on, cut to the part its placement shows;
* a ``LinearTimeWarp`` with scalar ``s`` reads source frame
  ``start + floor(k * s)`` at record frame ``k`` (``s`` < 0 reads backwards
  from the end of that window), a ``FreezeFrame`` reads one frame; other
  effects leave timing alone.

Record frames are counted at the timeline's rate from 00:00:00:00 (the
timeline's global start time is added); source frames at the clip's rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .timecode import frames_to_tc, parse_rate

from .readers import read_timeline


@dataclass(frozen=True)
class MediaHints:
    """Everything a clip says about its media, as the timeline wrote it."""

    target_url: str | None = None
    source_file: str | None = None
    reel: str | None = None
    clip_name: str | None = None
    media_name: str | None = None
    # An OTIO ImageSequenceReference: (name_prefix, name_suffix, start_frame, padding).
    sequence: tuple[str, str, int, int] | None = None
    # The media's own start (available range), in source frames, when the timeline knows it.
    available_start: int | None = None


@dataclass(frozen=True)
class CutClip:
    track: str
    kind: str  # "video" | "audio"
    index: int  # position among the track's clips, from 1
    name: str
    record_in: int  # first record frame shown (absolute, timeline rate)
    record_out: int  # exclusive
    source_rate: Fraction
    reads: tuple[int, ...]  # source frame read at each record frame
    hints: MediaHints
    speed: float = 1.0
    line: int | None = None  # the EDL line of the event, when read from an EDL

    @property
    def source_frames(self) -> tuple[int, int]:
        return (min(self.reads), max(self.reads)) if self.reads else (0, -1)


@dataclass(frozen=True)
class Cut:
    """A timeline's identity (name and content hash), its rate and its clip uses."""

    path: str
    name: str
    sha256: str
    rate: Fraction
    drop_frame: bool
    format: str
    clips: tuple[CutClip, ...]
    tracks: tuple[str, ...]
    start: int  # first record frame
    end: int  # exclusive
    warnings: tuple[str, ...] = field(default=())

    def tc(self, frame: int) -> str:
        return frames_to_tc(frame, self.rate, self.drop_frame)


def load_cut(path: Path, rate: Fraction | str = Fraction(24)) -> Cut:
    """Read and flatten one timeline file."""
    rate = parse_rate(rate)
    timeline, digest = read_timeline(path, rate)
    return flatten(timeline, str(path), digest)


def flatten(timeline: Any, path: str, sha256: str) -> Cut:
    import opentimelineio as otio

    meta = dict(timeline.metadata.get("provenance", {}) or {})
    rate = _timeline_rate(timeline)
    start = round(timeline.global_start_time.rescaled_to(float(rate)).value) if timeline.global_start_time else 0
    drop = bool(meta.get("drop_frame", False))
    clips: list[CutClip] = []
    names: list[str] = []
    counts = {"video": 0, "audio": 0}
    for track in timeline.tracks:
        if not isinstance(track, otio.schema.Track):
            continue
        kind = "audio" if track.kind == otio.schema.TrackKind.Audio else "video"
        counts[kind] += 1
        name = track.name or f"{'V' if kind == 'video' else 'A'}{counts[kind]}"
        names.append(name)
        if track.enabled:
            clips.extend(_track_clips(otio, track, name, kind, start, rate))
    if timeline.global_start_time is None and clips:
        start = min(c.record_in for c in clips)  # no start time given: the cut starts at its first clip
    end = max((c.record_out for c in clips), default=start)
    fmt = str(meta.get("format") or Path(path).suffix.lstrip(".").lower())
    return Cut(path, str(timeline.name or Path(path).stem), sha256, rate, drop, fmt,
               tuple(sorted(clips, key=lambda c: (names.index(c.track), c.record_in, c.index))), tuple(names),
               start, end)


def _timeline_rate(timeline: Any) -> Fraction:
    rates = [timeline.global_start_time.rate] if timeline.global_start_time else []
    for clip in timeline.find_clips():
        if clip.source_range is not None:
            rates.append(clip.source_range.duration.rate)
            break
    return parse_rate(rates[0]) if rates else Fraction(24)


def _track_clips(otio: Any, track: Any, name: str, kind: str, start: int, rate: Fraction,
                 window: tuple[int, int] | None = None, counter: list[int] | None = None) -> list[CutClip]:
    """The clip uses of ``track``. ``start``: the record frame of the track's time 0.

    A nested composition (a Stack or Track placed in the track, as a nested
    sequence) is flattened into the track it sits on: only the part of it its
    placement shows counts (``window``, in the nested track's own frames).
    """
    out = []
    r = float(rate)
    children = list(track)
    counter = counter if counter is not None else [0]
    for pos, item in enumerate(children):
        if not getattr(item, "enabled", True):  # a Transition has no switch
            continue
        if isinstance(item, (otio.schema.Stack, otio.schema.Track)):
            placed = item.range_in_parent()
            trimmed = item.trimmed_range()
            inner_lo = round(trimmed.start_time.rescaled_to(r).value)
            inner = (inner_lo, inner_lo + round(trimmed.duration.rescaled_to(r).value))
            offset = start + round(placed.start_time.rescaled_to(r).value) - inner_lo
            tracks = [item] if isinstance(item, otio.schema.Track) else \
                [t for t in item if isinstance(t, otio.schema.Track)]
            for nested in tracks:
                out.extend(_track_clips(otio, nested, name, kind, offset, rate, inner, counter))
            continue
        if not isinstance(item, otio.schema.Clip):
            continue
        counter[0] += 1
        before = children[pos - 1] if pos > 0 else None
        lead = before.in_offset if isinstance(before, otio.schema.Transition) else None
        placed = item.range_in_parent()
        visible = item.visible_range()
        handles_before = round(lead.rescaled_to(r).value) if lead else 0
        local_in = round(placed.start_time.rescaled_to(r).value) - handles_before
        length = round(visible.duration.rescaled_to(r).value)
        src_rate = parse_rate(visible.start_time.rate)
        first = round(visible.start_time.value)
        scalar = _time_scalar(otio, item)
        reads = _reads(first, length, scalar, src_rate / rate)
        if window is not None:  # inside a nested composition: keep what its placement shows
            lo, hi = max(local_in, window[0]), min(local_in + length, window[1])
            if hi <= lo:
                continue
            reads = reads[lo - local_in:hi - local_in]
            local_in, length = lo, hi - lo
        rec_in = start + local_in
        meta = item.metadata.get("provenance", {}) or {}
        out.append(CutClip(name, kind, counter[0], item.name or "", rec_in, rec_in + length, src_rate, reads,
                           _hints(otio, item), scalar, meta.get("line")))
    return out


def _time_scalar(otio: Any, clip: Any) -> float:
    scalar = 1.0
    for effect in clip.effects:
        if isinstance(effect, otio.schema.FreezeFrame):
            return 0.0
        if isinstance(effect, otio.schema.LinearTimeWarp):
            scalar *= effect.time_scalar
    return scalar


def _reads(first: int, count: int, scalar: float, ratio: Fraction) -> tuple[int, ...]:
    """Source frame per record frame. ``ratio``: source frames per record frame at normal speed."""
    if scalar == 1.0 and ratio == 1:
        return tuple(range(first, first + count))
    step = abs(scalar) * float(ratio)
    if scalar == 0:
        return (first,) * count
    frames = [first + math.floor(k * step + 1e-9) for k in range(count)]
    return tuple(reversed(frames)) if scalar < 0 else tuple(frames)


def _hints(otio: Any, clip: Any) -> MediaHints:
    ref = clip.media_reference
    meta = clip.metadata.get("provenance", {}) or {}
    reel = meta.get("reel") or (clip.metadata.get("cmx_3600", {}) or {}).get("reel")
    available = None
    if getattr(ref, "available_range", None) is not None:
        available = round(ref.available_range.start_time.value)
    if isinstance(ref, otio.schema.ImageSequenceReference):
        url = ref.target_url_base.rstrip("/") + "/" + ref.name_prefix + "#" * max(ref.frame_zero_padding, 1) \
            + ref.name_suffix if ref.target_url_base else ref.name_prefix + "#" + ref.name_suffix
        return MediaHints(target_url=url, reel=reel, clip_name=meta.get("clip_name"), media_name=ref.name or None,
                          sequence=(ref.name_prefix, ref.name_suffix, ref.start_frame, ref.frame_zero_padding),
                          available_start=available)
    url = getattr(ref, "target_url", None) or None
    return MediaHints(target_url=url, source_file=meta.get("source_file"), reel=reel,
                      clip_name=meta.get("clip_name") or clip.name or None, media_name=ref.name or None,
                      available_start=available)
