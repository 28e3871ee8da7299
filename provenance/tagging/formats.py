"""Which plain tags go into which container: a table plus one reader/writer per family.

Every writer works in place on a temporary copy (see ``atomic``). Formats that
no plain-tag convention covers (EXR, DPX, MXF, ...) get an XMP sidecar instead
and their bytes are never touched.
"""

from __future__ import annotations

import enum
from pathlib import Path

from . import audio_write, mp4_write, xmp_containers, xmp_packet


class Family(enum.StrEnum):
    XMP = "xmp"
    ID3 = "id3"
    WAV = "wav"
    VORBIS = "vorbis"
    MP4 = "mp4"
    SIDECAR = "sidecar"  # XMP sidecar NAME.ext.xmp, asset untouched


FAMILY_BY_TYPE: dict[str, Family] = {
    "image/jpeg": Family.XMP,
    "image/png": Family.XMP,
    "image/webp": Family.XMP,
    "image/tiff": Family.XMP,
    "audio/mpeg": Family.ID3,
    "audio/wav": Family.WAV,
    "audio/flac": Family.VORBIS,
    "audio/ogg": Family.VORBIS,
    "video/mp4": Family.MP4,
    "video/quicktime": Family.MP4,
    "audio/mp4": Family.MP4,
}

WHERE = {
    Family.XMP: "XMP packet ({container}): Iptc4xmpExt:DigitalSourceType, AISystemUsed, AISystemVersionUsed, "
                "AIPromptInformation, provenance:ApprovalRef",
    Family.ID3: "ID3 TXXX frames: DigitalSourceType, AISystemUsed, AISystemVersionUsed, AIPromptInformation, ApprovalRef",
    Family.WAV: "ID3 chunk in the RIFF file, TXXX frames: DigitalSourceType, AISystemUsed, AISystemVersionUsed, "
                "AIPromptInformation, ApprovalRef",
    Family.VORBIS: "Vorbis comments: DIGITALSOURCETYPE, AISYSTEMUSED, AISYSTEMVERSIONUSED, AIPROMPTINFORMATION, "
                   "APPROVALREF",
    Family.MP4: "ilst atoms: ----:com.provenance:DigitalSourceType (and AISystemUsed, AISystemVersionUsed, "
                "AIPromptInformation, ApprovalRef) plus a \u00a9cmt line",
    Family.SIDECAR: "XMP sidecar {name}.xmp (asset bytes untouched)",
}
_CONTAINER = {"image/jpeg": "JPEG APP1", "image/png": "PNG iTXt XML:com.adobe.xmp", "image/webp": "WebP XMP chunk",
              "image/tiff": "TIFF tag 700"}


def family_for(media_type: str) -> Family:
    return FAMILY_BY_TYPE.get(media_type, Family.SIDECAR)


def describe(family: Family, media_type: str, path: Path) -> str:
    return WHERE[family].format(container=_CONTAINER.get(media_type, ""), name=path.name)


def xmp_sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".xmp")


def c2pa_sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".c2pa")


def read_plain(path: Path, family: Family, media_type: str) -> dict[str, str]:
    """Our declaration keys as the file (or its XMP sidecar) holds them now."""
    if family is Family.XMP:
        return xmp_packet.read_values(xmp_containers.extract(path.read_bytes(), media_type))
    if family is Family.SIDECAR:
        side = xmp_sidecar_path(path)
        return xmp_packet.read_values(side.read_bytes()) if side.is_file() else {}
    if family is Family.ID3:
        return audio_write.read_mp3(path)
    if family is Family.WAV:
        return audio_write.read_wav(path)
    if family is Family.VORBIS:
        return audio_write.read_vorbis(path)
    return mp4_write.read_mp4(path)


def write_plain(temp: Path, family: Family, media_type: str, values: dict[str, str], comment: str) -> None:
    """Write ``values`` into ``temp`` in place (not for ``Family.SIDECAR``)."""
    if family is Family.XMP:
        data = temp.read_bytes()
        packet = xmp_packet.merge(xmp_containers.extract(data, media_type), values)
        temp.write_bytes(xmp_containers.embed(data, media_type, packet))
    elif family is Family.ID3:
        audio_write.write_mp3(temp, values)
    elif family is Family.WAV:
        audio_write.write_wav(temp, values)
    elif family is Family.VORBIS:
        audio_write.write_vorbis(temp, values)
    elif family is Family.MP4:
        mp4_write.write_mp4(temp, values, comment)
    else:
        raise ValueError("sidecar formats are not written in place")


def sidecar_xmp(path: Path, values: dict[str, str]) -> bytes:
    """The XMP sidecar for ``path``, merged into an existing one if present."""
    side = xmp_sidecar_path(path)
    return xmp_packet.merge(side.read_bytes() if side.is_file() else None, values)
