"""Small media files built in memory for tests, shared so each lives once."""

from __future__ import annotations

import io
import wave
from pathlib import Path


def pcm_wav(frames: bytes = b"\0\0" * 80, *, sample_width: int = 2, rate: int = 8000) -> bytes:
    """A mono PCM WAV holding ``frames``, exactly as the stdlib ``wave`` module writes it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(sample_width)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def png_file(path: Path, text: dict[str, str] | None = None) -> None:
    """An 8x8 PNG at ``path`` (folders made) with the given tEXt chunks."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (1, 2, 3)).save(path, pnginfo=info)
