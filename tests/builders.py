"""Small media files built in memory for tests, shared so each lives once."""

from __future__ import annotations

import io
import wave


def pcm_wav(frames: bytes = b"\0\0" * 80, *, sample_width: int = 2, rate: int = 8000) -> bytes:
    """A mono PCM WAV holding ``frames``, exactly as the stdlib ``wave`` module writes it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(sample_width)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()
