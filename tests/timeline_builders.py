"""Timelines for the timeline tests: OTIO objects built with the API, EDL text by hand (CMX 3600)."""

from __future__ import annotations

from pathlib import Path

from tests.external import unavailable

INFOTEXT = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def need_adapter(name: str, package: str) -> None:
    """Skip (or fail under CI=true) when an OTIO adapter plug-in of the timeline extra is missing."""
    import opentimelineio as otio

    if name not in otio.adapters.available_adapter_names():
        unavailable(f"OTIO adapter {name} missing: install {package} (the timeline extra)")


def rt(value: int, rate: float = 24.0):
    import opentimelineio as otio

    return otio.opentime.RationalTime(value, rate)


def tr(start: int, duration: int, rate: float = 24.0):
    import opentimelineio as otio

    return otio.opentime.TimeRange(rt(start, rate), rt(duration, rate))


def seq_clip(name: str, first_used: int, count: int, *, prefix: str = "sh010_comp.", suffix: str = ".png",
             start_frame: int = 1001, frames: int = 300, rate: float = 24.0):
    """A clip of an image sequence (frames ``start_frame``…) using ``count`` frames from ``first_used``."""
    import opentimelineio as otio

    ref = otio.schema.ImageSequenceReference(
        target_url_base="/mnt/job/shots/", name_prefix=prefix, name_suffix=suffix, start_frame=start_frame,
        frame_zero_padding=4, rate=rate, available_range=tr(0, frames, rate))
    return otio.schema.Clip(name=name, media_reference=ref, source_range=tr(first_used - start_frame, count, rate))


def file_clip(name: str, url: str | None, start: int = 0, count: int = 10, rate: float = 24.0):
    import opentimelineio as otio

    ref = otio.schema.ExternalReference(target_url=url) if url else otio.schema.MissingReference()
    return otio.schema.Clip(name=name, media_reference=ref, source_range=tr(start, count, rate))


def timeline(name: str, *tracks, start: int = 86400, rate: float = 24.0):
    """``tracks``: (track name, [items]) pairs; video unless the name starts with "A"."""
    import opentimelineio as otio

    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = rt(start, rate)
    for track_name, items in tracks:
        kind = otio.schema.TrackKind.Audio if track_name.startswith("A") else otio.schema.TrackKind.Video
        track = otio.schema.Track(name=track_name, kind=kind)
        track.extend(items)
        tl.tracks.append(track)
    return tl


def write_otio(tl, path: Path) -> Path:
    import opentimelineio as otio

    otio.adapters.write_to_file(tl, str(path))
    return path


def edl(path: Path, *lines: str, title: str = "TEST CUT", fcm: str = "NON-DROP FRAME") -> Path:
    path.write_text("\n".join([f"TITLE: {title}", f"FCM: {fcm}", "", *lines]) + "\n", encoding="utf-8")
    return path


def make_sequence(folder: Path, first: int, last: int, ai: range, prefix: str = "sh010_comp.") -> None:
    """PNG frames ``first``…``last``, each with its own pixels (so its own sha256); the frames in ``ai``
    carry Stable Diffusion parameters."""
    from PIL import Image, PngImagePlugin

    folder.mkdir(parents=True, exist_ok=True)
    for frame in range(first, last + 1):
        info = PngImagePlugin.PngInfo()
        if frame in ai:
            info.add_text("parameters", INFOTEXT)
        Image.new("RGB", (8, 8), (frame % 256, frame // 256, 7)).save(folder / f"{prefix}{frame}.png", pnginfo=info)
