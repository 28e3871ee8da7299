"""CMX 3600 EDL reader that builds an OpenTimelineIO timeline.

Our own reader rather than the ``cmx_3600`` adapter plug-in, because the
adapter raises on drop-frame timecode unless the rate is passed as an exact
float, and its errors name no line. Every error here is one line naming the
file and the line number.

What is read (CMX 3600, with the common Avid/Resolve/Premiere comments):

* ``TITLE:`` and ``FCM: DROP FRAME`` / ``NON-DROP FRAME`` (``;`` in a timecode
  also means drop-frame);
* event lines ``NNN REEL CHANNELS TRANS [DUR] SRC_IN SRC_OUT REC_IN REC_OUT``,
  transitions ``C`` (cut), ``D`` (dissolve), ``Wnnn`` (wipe), ``K``/``KB``/``KO``
  (key) with their duration in frames;
* ``M2 REEL SPEED SRC_IN`` motion effects (speed in frames per second of the
  source; negative is reverse);
* ``* FROM CLIP NAME:``, ``* TO CLIP NAME:`` and ``* SOURCE FILE:`` comments.

Other comment and note lines (``*``, ``>>>``, ``AUD``, ``SPLIT``…) are ignored.
Channels: ``V`` (and ``B``, both) go to track ``V1``; ``A``, ``A2``…, ``AA``
to ``A1``, ``A2``…

A dissolve is written as two lines with one event number: the outgoing clip
at zero length (its source point at the cut) and the incoming clip with the
``D`` and the duration. The dissolve starts at the cut; the outgoing clip goes
on reading its handle frames under it (OTIO: a Transition with ``out_offset``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from .timecode import TimecodeError, tc_to_frames

from .errors import TimelineError

_EVENT_RE = re.compile(r"^\d{1,6}$")
_TRANS_RE = re.compile(r"^(C|D|W\d{3}|KB?|KO)$", re.IGNORECASE)


@dataclass
class _Event:
    line: int
    number: str
    reel: str
    channels: str
    transition: str
    duration: int
    src_in: int
    src_out: int
    rec_in: int
    rec_out: int
    drop: bool
    clip_name: str | None = None
    to_clip_name: str | None = None
    source_file: str | None = None
    speed: float | None = None  # from an M2 line, in source frames per second
    notes: list[str] = field(default_factory=list)


def read_edl(path: Path, text: str, rate: Fraction) -> otio.schema.Timeline:
    """Parse ``text`` (the content of ``path``) at ``rate``; raise TimelineError naming the line."""
    events, title, drop_any = _parse(path, text, rate)
    if not events:
        raise TimelineError(f"{path}: no edit events found; is this a CMX 3600 EDL?")
    return _build(path, title, events, rate, drop_any)


def _parse(path: Path, text: str, rate: Fraction) -> tuple[list[_Event], str, bool]:
    events: list[_Event] = []
    title = path.stem
    fcm_drop = False
    drop_any = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path} line {number}"
        upper = line.upper()
        if upper.startswith("TITLE:"):
            title = line[6:].strip() or title
        elif upper.startswith("FCM:"):
            mode = upper[4:].strip()
            if mode not in ("DROP FRAME", "NON-DROP FRAME", "NON DROP FRAME"):
                raise TimelineError(f"{where}: FCM {mode!r} is not DROP FRAME or NON-DROP FRAME")
            fcm_drop = mode == "DROP FRAME"
        elif line.startswith("*"):
            if events:
                _comment(events[-1], line[1:].strip())
        elif upper.startswith("M2"):
            _motion(events, line, where, rate)
        elif _EVENT_RE.match(line.split()[0]):
            event = _event(line, number, where, rate, fcm_drop)
            drop_any = drop_any or event.drop
            events.append(event)
        # Anything else (">>> SOURCE", "AUD", "SPLIT:", "EFFECTS NAME IS") carries nothing we read.
    return events, title, drop_any


def _tc(value: str, where: str, what: str, rate: Fraction, drop: bool) -> int:
    try:
        return tc_to_frames(value, rate, drop=(drop or ";" in value))
    except TimecodeError as exc:
        raise TimelineError(f"{where}: {what} {exc}") from None


def _event(line: str, number: int, where: str, rate: Fraction, fcm_drop: bool) -> _Event:
    parts = line.split()
    if len(parts) < 8:
        raise TimelineError(f"{where}: an event needs NUMBER REEL CHANNELS TRANSITION [DURATION] SRC-IN SRC-OUT "
                            f"REC-IN REC-OUT; found {len(parts)} fields")
    num, reel, channels, trans = parts[0], parts[1], parts[2], parts[3]
    if not _TRANS_RE.match(trans):
        raise TimelineError(f"{where}: transition {trans!r} is not C, D, Wnnn or K")
    rest = parts[4:]
    duration = 0
    if trans.upper() != "C":
        if len(rest) != 5 or not rest[0].isdigit():
            raise TimelineError(f"{where}: a {trans} transition needs its duration in frames before the timecodes")
        duration = int(rest[0])
        rest = rest[1:]
    elif len(rest) == 5 and rest[0].isdigit():
        rest = rest[1:]  # some writers put 000 after a cut
    if len(rest) != 4:
        raise TimelineError(f"{where}: expected 4 timecodes (source in/out, record in/out), found {len(rest)}")
    drop = fcm_drop or any(";" in r for r in rest)
    src_in, src_out, rec_in, rec_out = (_tc(v, where, w, rate, drop) for v, w in
                                        zip(rest, ("source in", "source out", "record in", "record out")))
    if rec_out < rec_in:
        raise TimelineError(f"{where}: record out {rest[3]} is before record in {rest[2]}")
    if src_out < src_in:
        raise TimelineError(f"{where}: source out {rest[1]} is before source in {rest[0]}")
    return _Event(number, num, reel, channels.upper(), trans.upper(), duration, src_in, src_out, rec_in, rec_out,
                  drop)


def _comment(event: _Event, body: str) -> None:
    key, _, value = body.partition(":")
    key = key.strip().upper()
    value = value.strip()
    if key == "FROM CLIP NAME":
        event.clip_name = value
    elif key == "TO CLIP NAME":
        event.to_clip_name = value
    elif key == "SOURCE FILE":
        event.source_file = value
    else:
        event.notes.append(body)


def _motion(events: list[_Event], line: str, where: str, rate: Fraction) -> None:
    parts = line.split()
    if len(parts) != 4:
        raise TimelineError(f"{where}: a motion effect needs M2 REEL SPEED SOURCE-IN; found {len(parts)} fields")
    try:
        speed = float(parts[2])
    except ValueError:
        raise TimelineError(f"{where}: speed {parts[2]!r} is not a number of frames per second") from None
    _tc(parts[3], where, "source in", rate, False)
    reel = parts[1]
    # An M2 line follows its event, or the event pair of a dissolve; apply it to the latest event of that reel.
    for event in reversed(events[-2:]):
        if event.reel == reel:
            event.speed = speed
            return
    raise TimelineError(f"{where}: motion effect for reel {reel!r} follows no event of that reel")


def _tracks_of(channels: str) -> list[tuple[str, Any]]:
    video = otio.schema.TrackKind.Video
    audio = otio.schema.TrackKind.Audio
    if channels in ("V", "B"):
        out = [("V1", video)]
        if channels == "B":
            out.append(("A1", audio))
        return out
    if channels in ("AA", "AA/V"):
        out = [("A1", audio), ("A2", audio)]
        return out + ([("V1", video)] if channels.endswith("/V") else [])
    if channels.startswith("A"):
        digits = channels[1:].split("/")[0] or "1"
        out = [(f"A{digits}", audio)]
        return out + ([("V1", video)] if channels.endswith("/V") else [])
    return [(channels, video)]


def _build(path: Path, title: str, events: list[_Event], rate: Fraction, drop: bool) -> otio.schema.Timeline:
    r = float(rate)
    start = min(e.rec_in for e in events)
    timeline = otio.schema.Timeline(name=title)
    timeline.global_start_time = otio.opentime.RationalTime(start, r)
    timeline.metadata["provenance"] = {"format": "cmx_3600", "drop_frame": drop, "rate": str(rate)}
    tracks: dict[str, otio.schema.Track] = {}
    ends: dict[str, int] = {}
    last_clip: dict[str, tuple[_Event, otio.schema.Clip]] = {}
    for event in events:
        for name, kind in _tracks_of(event.channels):
            track = tracks.get(name)
            if track is None:
                track = tracks[name] = otio.schema.Track(name=name, kind=kind)
                ends[name] = start
            if event.rec_out == event.rec_in:
                # The outgoing half of a dissolve pair: it only names where the outgoing source continues.
                continue
            if event.rec_in < ends[name]:
                raise TimelineError(f"{path} line {event.line}: event {event.number} starts at record frame "
                                    f"{event.rec_in}, before the previous event on track {name} ends; "
                                    "overlapping events need a dissolve")
            if event.rec_in > ends[name]:
                track.append(otio.schema.Gap(source_range=_range(0, event.rec_in - ends[name], r)))
            if event.transition != "C" and event.duration:
                if name not in last_clip or event.rec_in != ends[name]:
                    raise TimelineError(f"{path} line {event.line}: {event.transition} transition has no "
                                        f"outgoing clip on track {name} to dissolve from")
                track.append(otio.schema.Transition(
                    name=f"{event.transition} {event.duration}",
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=otio.opentime.RationalTime(0, r),
                    out_offset=otio.opentime.RationalTime(event.duration, r)))
            clip = _clip(path, event, r)
            track.append(clip)
            last_clip[name] = (event, clip)
            ends[name] = event.rec_out
    video = [t for n, t in sorted(tracks.items()) if t.kind == otio.schema.TrackKind.Video]
    audio = [t for n, t in sorted(tracks.items()) if t.kind == otio.schema.TrackKind.Audio]
    timeline.tracks.extend(video + audio)
    return timeline


def _range(start: int, duration: int, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(duration, rate))


def _clip(path: Path, event: _Event, rate: float) -> otio.schema.Clip:
    record = event.rec_out - event.rec_in
    if event.source_file:
        ref: otio.core.MediaReference = otio.schema.ExternalReference(target_url=event.source_file)
    else:
        ref = otio.schema.MissingReference()
    name = event.to_clip_name if event.transition != "C" and event.to_clip_name else event.clip_name
    clip = otio.schema.Clip(name=name or event.reel, media_reference=ref,
                            source_range=_range(event.src_in, record, rate))
    clip.metadata["cmx_3600"] = {"reel": event.reel}
    clip.metadata["provenance"] = {"line": event.line, "file": str(path), "event": event.number,
                                   "clip_name": name, "source_file": event.source_file, "reel": event.reel}
    if event.speed is not None:
        scalar = event.speed / rate
        effect = otio.schema.FreezeFrame() if scalar == 0 else otio.schema.LinearTimeWarp(time_scalar=scalar)
        clip.effects.append(effect)
    return clip
