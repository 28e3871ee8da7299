"""The Vorbis-comment scanner on FLAC, Ogg Vorbis and Opus files built in the test and tagged by mutagen."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen.flac import FLAC
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from provenance.errors import InputError
from provenance.models import Confidence, ScannerResult, Signal
from provenance.knowledge.sniff import sniff
from provenance.source import ByteSource, ScanInput
from provenance.scanners.vorbis import VorbisScanner


def flac_bytes() -> bytes:
    # STREAMINFO only (8000 Hz, mono, 16 bit), marked as the last metadata block.
    info = struct.pack(">HH", 4096, 4096) + b"\0" * 6 + bytes([0x01, 0xF4, 0x00, 0xF0]) + b"\0" * 4 + b"\0" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def ogg(packets: list[bytes]) -> bytes:
    """One packet per page, the mutagen way (it computes the CRCs)."""
    out = b""
    for seq, packet in enumerate(packets):
        page = OggPage()
        page.serial = 1
        page.sequence = seq
        page.first = seq == 0
        page.last = seq == len(packets) - 1
        page.position = 0 if seq < 2 else 48000
        page.packets = [packet]
        out += page.write()
    return out


def empty_vorbis_comment(magic: bytes, framing: bool) -> bytes:
    vendor = b"test"
    return magic + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0) + (b"\x01" if framing else b"")


def opus_bytes() -> bytes:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    return ogg([head, empty_vorbis_comment(b"OpusTags", False), b"\xf8\xff\xfe"])


def vorbis_bytes() -> bytes:
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 8000, 0, 16000, 0, 0xB8, 1)
    setup = b"\x05vorbis" + b"\0" * 8
    return ogg([ident, empty_vorbis_comment(b"\x03vorbis", True), setup])


def tagged(path: Path, blob: bytes, cls: type, **tags: str) -> Path:
    path.write_bytes(blob)
    audio = cls(path)
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio.tags[key] = value
    audio.save()
    return path


def scan_path(path: Path) -> ScannerResult:
    with ByteSource.open(path) as source:
        media_type = sniff(source.head)
        scanner = VorbisScanner()
        assert scanner.accepts(media_type)
        return scanner.scan(ScanInput(path.name, media_type, source))


def scan_bytes(blob: bytes, media_type: str) -> ScannerResult:
    return VorbisScanner().scan(ScanInput("t", media_type, ByteSource.from_bytes(blob)))


def by_location(result: ScannerResult) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1}}})
WORKFLOW = json.dumps({"last_node_id": 7, "nodes": [{"id": 3}]})


def test_flac_comfyui_comments(tmp_path: Path) -> None:
    found = by_location(scan_path(tagged(tmp_path / "a.flac", flac_bytes(), FLAC,
                                         prompt=PROMPT, workflow=WORKFLOW, ENCODER="Lavf61")))
    # Keys are upper-cased: Vorbis keys are case-insensitive.
    assert found["vorbis:PROMPT"].generator == "ComfyUI"
    assert found["vorbis:WORKFLOW"].generator == "ComfyUI"
    assert found["vorbis:ENCODER"].signal is Signal.INFO


def test_plain_comments_are_not_evidence(tmp_path: Path) -> None:
    result = scan_path(tagged(tmp_path / "p.flac", flac_bytes(), FLAC, TITLE="Song", COMMENT="a nice comment"))
    # Only the encoder's vendor string is shown, as information; the comments say nothing.
    assert [(e.location, e.signal) for e in result.evidence] == [("vorbis:vendor", Signal.INFO)]


def test_suno_description(tmp_path: Path) -> None:
    found = by_location(scan_path(tagged(tmp_path / "s.flac", flac_bytes(), FLAC,
                                         DESCRIPTION="made with suno; id=1")))
    assert found["vorbis:DESCRIPTION"].confidence is Confidence.DECLARATION


def test_ogg_opus(tmp_path: Path) -> None:
    found = by_location(scan_path(tagged(tmp_path / "a.opus", opus_bytes(), OggOpus, prompt=PROMPT, workflow=WORKFLOW)))
    assert found["vorbis:PROMPT"].generator == "ComfyUI"


def test_ogg_vorbis(tmp_path: Path) -> None:
    found = by_location(scan_path(tagged(tmp_path / "a.ogg", vorbis_bytes(), OggVorbis, ENCODER="Stable Audio")))
    assert found["vorbis:ENCODER"].signal is Signal.INFO
    found = by_location(scan_path(tagged(tmp_path / "b.ogg", vorbis_bytes(), OggVorbis, ENCODER="ElevenLabs")))
    assert found["vorbis:ENCODER"].generator == "ElevenLabs"


def test_flac_without_comments() -> None:
    assert scan_bytes(flac_bytes(), "audio/flac") == ScannerResult()


def test_unknown_ogg_codec_is_skipped() -> None:
    assert scan_bytes(ogg([b"\x00unknown codec", b"x"]), "audio/ogg") == ScannerResult()


@pytest.mark.parametrize("blob", [b"fLaC", b"fLaC\x00\x00\x00\x22", flac_bytes()[:20]])
def test_truncated_flac_is_an_input_error(blob: bytes) -> None:
    with pytest.raises(InputError) as err:
        scan_bytes(blob, "audio/flac")
    assert err.value.code == "vorbis-malformed"


def test_flac_block_claiming_megabytes(tmp_path: Path) -> None:
    blob = tagged(tmp_path / "x.flac", flac_bytes(), FLAC, TITLE="x").read_bytes()
    # The second metadata block (the comments) claims 16 MiB in a file of a few hundred bytes.
    at = 4 + 4 + 34
    lying = blob[:at] + bytes([blob[at]]) + b"\xff\xff\xff" + blob[at + 4 :]
    with pytest.raises(InputError):
        scan_bytes(lying, "audio/flac")


def test_vorbis_comment_without_framing_byte_is_an_input_error() -> None:
    # mutagen raises IndexError here, which the scanner must turn into an input error.
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 8000, 0, 16000, 0, 0xB8, 1)
    blob = ogg([ident, empty_vorbis_comment(b"\x03vorbis", False), b"\x05vorbis" + b"\0" * 8])
    with pytest.raises(InputError) as err:
        scan_bytes(blob, "audio/ogg")
    assert err.value.code == "vorbis-malformed"


def test_truncated_ogg_is_an_input_error(tmp_path: Path) -> None:
    blob = tagged(tmp_path / "t.opus", opus_bytes(), OggOpus, prompt=PROMPT).read_bytes()
    with pytest.raises(InputError):
        scan_bytes(blob[:60], "audio/ogg")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_flac_metadata_never_crashes(body: bytes) -> None:
    try:
        result = scan_bytes(flac_bytes()[:4] + body, "audio/flac")
    except InputError:
        return
    assert isinstance(result, ScannerResult)
