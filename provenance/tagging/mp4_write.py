"""The declaration as MP4/MOV/M4A ``ilst`` atoms: freeform ``----`` plus ``©cmt``.

Freeform atoms (``----:com.provenance:DigitalSourceType``) are the iTunes
convention for custom keys that mutagen, ffprobe and exiftool all list; the
``©cmt`` line is what editors and players actually show a human. Works in
place on a temporary copy, like ``audio_write``.
"""

from __future__ import annotations

from pathlib import Path

from mutagen.mp4 import MP4, MP4FreeForm

from .audio_write import ID3_KEYS

MEAN = "com.provenance"
FREEFORM_KEYS = {key: f"----:{MEAN}:{name}" for key, name in ID3_KEYS.items()}
COMMENT = "\xa9cmt"
# Our comment line starts with this, so a re-tag replaces it instead of piling up.
COMMENT_PREFIX = "AI: "


def write_mp4(path: Path, values: dict[str, str], comment: str) -> None:
    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    for key, atom in FREEFORM_KEYS.items():
        tags.pop(atom, None)
        if values.get(key):
            tags[atom] = [MP4FreeForm(values[key].encode("utf-8"))]
    # Keep the editor's own comments; replace only a line we wrote before.
    kept = [c for c in tags.get(COMMENT, []) if not str(c).startswith(COMMENT_PREFIX)]
    tags[COMMENT] = [*kept, comment]
    audio.save()


def read_mp4(path: Path) -> dict[str, str]:
    tags = MP4(path).tags
    if tags is None:
        return {}
    out = {}
    for key, atom in FREEFORM_KEYS.items():
        found = tags.get(atom)
        if found:
            out[key] = bytes(found[0]).decode("utf-8", "replace")
    return out
