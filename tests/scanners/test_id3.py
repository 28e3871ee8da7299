"""The ID3 scanner on MP3, FLAC, WAV and AIFF files tagged by mutagen in tmp_path."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen.aiff import AIFF
from mutagen.id3 import COMM, GEOB, ID3, TENC, TIT2, TSSE, TXXX, WOAS, WXXX
from mutagen.wave import WAVE

from provenance.errors import InputError
from provenance.models import Confidence, ScannerResult, Signal
from provenance.knowledge.sniff import sniff
from provenance.source import ByteSource, ScanInput
from provenance.scanners.id3 import Id3Scanner
from ..builders import pcm_wav

# MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames.
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\0" * 413


def mp3(path: Path, *frames: object) -> Path:
    path.write_bytes(MP3_FRAME * 4)
    tags = ID3()
    for frame in frames:
        tags.add(frame)
    tags.save(path)
    return path


def wav(path: Path, *frames: object) -> Path:
    path.write_bytes(pcm_wav())
    audio = WAVE(path)
    audio.add_tags()
    for frame in frames:
        audio.tags.add(frame)
    audio.save()
    return path


def aiff(path: Path, *frames: object) -> Path:
    comm = struct.pack(">hIh", 1, 4, 16) + b"\x40\x0b\xfa\x00\x00\x00\x00\x00\x00\x00"  # 8000 Hz, 80-bit float
    ssnd = struct.pack(">II", 0, 0) + b"\0" * 8
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    audio = AIFF(path)
    audio.add_tags()
    for frame in frames:
        audio.tags.add(frame)
    audio.save()
    return path


def flac_bytes() -> bytes:
    # STREAMINFO only, marked as the last metadata block.
    info = struct.pack(">HH", 4096, 4096) + b"\0" * 6 + bytes([0x01, 0xF4, 0x00, 0x70]) + b"\0" * 4 + b"\0" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def scan_path(path: Path) -> ScannerResult:
    with ByteSource.open(path) as source:
        media_type = sniff(source.head)
        scanner = Id3Scanner()
        assert scanner.accepts(media_type), media_type
        return scanner.scan(ScanInput(path.name, media_type, source))


def scan_bytes(blob: bytes, media_type: str) -> ScannerResult:
    return Id3Scanner().scan(ScanInput("t", media_type, ByteSource.from_bytes(blob)))


def by_location(result: ScannerResult) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


SUNO = "made with suno; created=2025-10-08T16:20:02Z; id=116d34f4"


def test_txxx_comment_and_woas(tmp_path: Path) -> None:
    found = by_location(scan_path(mp3(tmp_path / "a.mp3", TXXX(encoding=3, desc="comment", text=[SUNO]),
                                      WOAS(url="https://suno.com/song/116d34f4"), TSSE(encoding=3, text=["Lavf61"]))))
    assert found["id3:TXXX:comment"].generator == "Suno"
    assert found["id3:TXXX:comment"].confidence is Confidence.DECLARATION
    assert found["id3:WOAS"].confidence is Confidence.HEURISTIC
    assert found["id3:TSSE"].signal is Signal.INFO


def test_comfyui_prompt_and_workflow(tmp_path: Path) -> None:
    prompt = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1}}})
    workflow = json.dumps({"last_node_id": 7, "nodes": [{"id": 3}]})
    found = by_location(scan_path(mp3(tmp_path / "c.mp3", TXXX(encoding=3, desc="prompt", text=[prompt]),
                                      TXXX(encoding=3, desc="workflow", text=[workflow]))))
    assert found["id3:TXXX:prompt"].generator == "ComfyUI"
    assert found["id3:TXXX:workflow"].generator == "ComfyUI"


def test_aigc_label(tmp_path: Path) -> None:
    label = json.dumps({"Label": "1", "ContentProducer": "x"})
    found = by_location(scan_path(mp3(tmp_path / "l.mp3", TXXX(encoding=3, desc="AIGC", text=[label]))))
    assert found["id3:TXXX:AIGC"].signal is Signal.GENERATED
    assert found["id3:TXXX:AIGC"].confidence is Confidence.DECLARATION


def test_ordinary_tags_are_not_evidence(tmp_path: Path) -> None:
    result = scan_path(mp3(tmp_path / "p.mp3", TIT2(encoding=3, text=["Song"]),
                           COMM(encoding=3, lang="eng", desc="", text=["My Comments"]),
                           TENC(encoding=3, text=["iTunes"])))
    assert {e.location for e in result.evidence} == {"id3:TENC"}
    assert all(e.signal is Signal.INFO for e in result.evidence)


def test_comm_location_carries_its_description(tmp_path: Path) -> None:
    found = by_location(scan_path(mp3(tmp_path / "m.mp3",
                                      COMM(encoding=3, lang="eng", desc="comment", text=[SUNO]))))
    assert found["id3:COMM:comment"].generator == "Suno"


def test_wxxx_and_generative_encoder(tmp_path: Path) -> None:
    found = by_location(scan_path(mp3(tmp_path / "w.mp3", WXXX(encoding=3, desc="", url="https://suno.com/song/x"),
                                      TSSE(encoding=3, text=["Udio export"]))))
    assert found["id3:WXXX"].generator == "Suno"
    assert found["id3:TSSE"].generator == "Udio"


def test_geob_c2pa_is_info_only(tmp_path: Path) -> None:
    result = scan_path(mp3(tmp_path / "g.mp3", GEOB(encoding=3, mime="application/c2pa", filename="c2pa",
                                                    desc="c2pa manifest store", data=b"\0" * 64),
                           GEOB(encoding=3, mime="image/png", desc="other", data=b"\x89PNG")))
    found = by_location(result)
    assert found["id3:GEOB:c2pa"].signal is Signal.INFO
    assert len(result.evidence) == 1


def test_wav_id3_chunk(tmp_path: Path) -> None:
    found = by_location(scan_path(wav(tmp_path / "a.wav", TXXX(encoding=3, desc="comment", text=[SUNO]))))
    assert found["id3:TXXX:comment"].generator == "Suno"


def test_aiff_id3_chunk(tmp_path: Path) -> None:
    found = by_location(scan_path(aiff(tmp_path / "a.aiff", TXXX(encoding=3, desc="comment", text=[SUNO]))))
    assert found["id3:TXXX:comment"].generator == "Suno"


def test_id3_prepended_to_flac(tmp_path: Path) -> None:
    path = tmp_path / "a.flac"
    path.write_bytes(flac_bytes())
    tags = ID3()
    tags.add(TXXX(encoding=3, desc="comment", text=[SUNO]))
    tags.save(path)
    assert sniff(path.read_bytes()) == "audio/flac"
    assert by_location(scan_path(path))["id3:TXXX:comment"].generator == "Suno"


def test_plain_flac_is_left_to_the_vorbis_scanner() -> None:
    assert scan_bytes(flac_bytes(), "audio/flac") == ScannerResult()


def test_mp3_without_tags() -> None:
    assert scan_bytes(MP3_FRAME * 3, "audio/mpeg") == ScannerResult()


def test_scanning_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = wav(tmp_path / "keep.wav", TXXX(encoding=3, desc="comment", text=[SUNO]))
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    scan_path(path)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_tag_declaring_hundreds_of_megabytes_is_refused() -> None:
    syncsafe = bytes([0x7F, 0x7F, 0x7F, 0x7F])  # 256 MiB - 1
    with pytest.raises(InputError) as err:
        scan_bytes(b"ID3\x04\x00\x00" + syncsafe + b"\0" * 32, "audio/mpeg")
    assert err.value.code == "id3-too-large"


@pytest.mark.parametrize("blob", [b"ID3", b"ID3\x04\x00", b"ID3\x09\x00\x00\x00\x00\x01\x00TXXX"])
def test_broken_tags_are_input_errors(blob: bytes) -> None:
    with pytest.raises(InputError) as err:
        scan_bytes(blob, "audio/mpeg")
    assert err.value.code == "id3-malformed"


def test_truncated_tag(tmp_path: Path) -> None:
    blob = mp3(tmp_path / "t.mp3", TXXX(encoding=3, desc="comment", text=["x" * 500])).read_bytes()
    try:
        result = scan_bytes(blob[:200], "audio/mpeg")
    except InputError as exc:
        assert exc.code == "id3-malformed"
    else:
        assert "id3:TXXX:comment" not in by_location(result)


def test_broken_wav_container_is_left_to_the_riff_scanner() -> None:
    assert scan_bytes(b"RIFF\x10", "audio/wav") == ScannerResult()


def test_broken_aiff_container_is_reported() -> None:
    with pytest.raises(InputError):
        scan_bytes(b"FORM\x00", "audio/aiff")


def test_garbage_in_wav_id3_chunk_is_an_input_error() -> None:
    body = pcm_wav(b"\0" * 8, sample_width=1)[12:] + b"id3 " + struct.pack("<I", 12) + b"ID3\x04\x00\x00\xff\xff\xff\xff\0\0"
    blob = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body
    with pytest.raises(InputError):
        scan_bytes(blob, "audio/wav")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_tag_bodies_never_crash(body: bytes) -> None:
    size = bytes([0, 0, (len(body) >> 7) & 0x7F, len(body) & 0x7F])
    try:
        result = scan_bytes(b"ID3\x04\x00\x00" + size + body + MP3_FRAME, "audio/mpeg")
    except InputError:
        return
    assert isinstance(result, ScannerResult)


def test_compressed_frame_without_its_size_field_is_malformed() -> None:
    """ID3v2.3 compression underflow: a compressed frame shorter than its 4-byte size field."""
    import struct as _struct

    from provenance.errors import InputError
    from provenance.scanners._id3_frames import check_tag

    frame = b"TIT2" + _struct.pack(">I", 3) + b"\x00\x80" + b"\x00\x00\x00"
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
    with pytest.raises(InputError) as caught:
        check_tag(tag)
    assert caught.value.code == "id3-malformed"
