"""The declaration as audio tags: ID3 (MP3, WAV) and Vorbis comments (FLAC, Ogg).

Every function works on a path that is already a temporary copy: mutagen
writes in place, and the atomic promise is kept by the caller. Existing tags
are loaded and kept; only our own keys are replaced.
"""

from __future__ import annotations

from pathlib import Path

import mutagen
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TXXX, ID3NoHeaderError
from mutagen.wave import WAVE

from .spec import Declaration

# TXXX descriptions / Vorbis field names, keyed like xmp_packet.PROPERTIES.
ID3_KEYS = {
    "dst": "DigitalSourceType",
    "ai_system": "AISystemUsed",
    "ai_version": "AISystemVersionUsed",
    "prompt": "AIPromptInformation",
    "approval": "ApprovalRef",
}
VORBIS_KEYS = {key: name.upper() for key, name in ID3_KEYS.items()}


def declaration_values(decl: Declaration) -> dict[str, str]:
    """The declaration as key -> text, the common shape of every writer."""
    return {
        "dst": decl.source_type_uri,
        "ai_system": decl.tool_name,
        "ai_version": decl.tool_version,
        "prompt": decl.prompt_info,
        "approval": decl.approval,
    }


def _apply_id3(tags: ID3, values: dict[str, str]) -> None:
    for key, desc in ID3_KEYS.items():
        tags.delall(f"TXXX:{desc}")
        if values.get(key):
            tags.add(TXXX(encoding=3, desc=desc, text=[values[key]]))


def _read_id3(tags: ID3 | None) -> dict[str, str]:
    if tags is None:
        return {}
    out = {}
    for key, desc in ID3_KEYS.items():
        frame = tags.get(f"TXXX:{desc}")
        if frame is not None and frame.text:
            out[key] = str(frame.text[0])
    return out


def _id3_version(tags: ID3) -> int:
    # Keep an existing v2.3 tag at v2.3: older players and DAWs read only that.
    return 3 if tags.version[:2] == (2, 3) else 4


def write_mp3(path: Path, values: dict[str, str]) -> None:
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    _apply_id3(tags, values)
    tags.save(path, v2_version=_id3_version(tags))


def read_mp3(path: Path) -> dict[str, str]:
    try:
        return _read_id3(ID3(path))
    except ID3NoHeaderError:
        return {}


def write_wav(path: Path, values: dict[str, str]) -> None:
    audio = WAVE(path)
    if audio.tags is None:
        audio.add_tags()
    _apply_id3(audio.tags, values)
    audio.save(v2_version=_id3_version(audio.tags))


def read_wav(path: Path) -> dict[str, str]:
    return _read_id3(WAVE(path).tags)


def _vorbis_file(path: Path) -> mutagen.FileType:
    audio = mutagen.File(path)
    if audio is None:
        raise mutagen.MutagenError("not a FLAC or Ogg file mutagen can read")
    if audio.tags is None:
        audio.add_tags()
    return audio


def write_vorbis(path: Path, values: dict[str, str]) -> None:
    audio = _vorbis_file(path)
    for key, name in VORBIS_KEYS.items():
        if name in audio.tags:
            del audio.tags[name]
        if values.get(key):
            audio.tags[name] = [values[key]]
    if isinstance(audio, FLAC):
        # A FLAC file that c2pa signed earlier starts with an ID3 tag; keep it.
        audio.save(deleteid3=False)
    else:
        audio.save()


def read_vorbis(path: Path) -> dict[str, str]:
    audio = mutagen.File(path)
    if audio is None or audio.tags is None:
        return {}
    out = {}
    for key, name in VORBIS_KEYS.items():
        found = audio.tags.get(name)
        if found:
            out[key] = str(found[0])
    return out
