"""The RIFF scanner on WAV files written with the stdlib ``wave`` module plus hand-built chunks."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.models import Confidence, ScannerResult, Signal
from provenance.knowledge.sniff import sniff
from provenance.source import ByteSource, ScanInput
from provenance.scanners.riff import RiffScanner

from ..builders import pcm_wav


def chunk(cid: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return struct.pack("<4sI", cid, len(payload)) + payload + pad


def info_list(**items: str) -> bytes:
    body = b"".join(chunk(k.encode(), v.encode() + b"\0") for k, v in items.items())
    return chunk(b"LIST", b"INFO" + body)


def with_chunks(*extra: bytes, magic: bytes = b"RIFF") -> bytes:
    """The stdlib WAV with extra chunks appended and the RIFF size fixed up."""
    body = pcm_wav()[12:] + b"".join(extra)
    return magic + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def bext(description: str = "", originator: str = "", reference: str = "", history: str = "") -> bytes:
    fixed = (description.encode().ljust(256, b"\0") + originator.encode().ljust(32, b"\0")
             + reference.encode().ljust(32, b"\0") + b"2024-01-01" + b"12:00:00" + b"\0" * 8
             + struct.pack("<H", 1) + b"\0" * 64 + b"\0" * 10 + b"\0" * 180)
    assert len(fixed) == 602
    return chunk(b"bext", fixed + history.encode())


def scan(blob: bytes, media_type: str | None = None) -> ScannerResult:
    media_type = media_type or sniff(blob)
    scanner = RiffScanner()
    assert scanner.accepts(media_type)
    return scanner.scan(ScanInput("t.wav", media_type, ByteSource.from_bytes(blob)))


def by_location(result: ScannerResult) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


def test_info_comment_and_software() -> None:
    result = scan(with_chunks(info_list(ICMT="made with suno; id=1", ISFT="Lavf61.1.100", INAM="Song")))
    found = by_location(result)
    assert found["riff:INFO:ICMT"].generator == "Suno"
    assert found["riff:INFO:ICMT"].confidence is Confidence.DECLARATION
    assert found["riff:INFO:ISFT"].signal is Signal.INFO
    assert "riff:INFO:INAM" not in found
    assert result.errors == ()


def test_plain_wav_yields_nothing() -> None:
    assert scan(pcm_wav()) == ScannerResult()


def test_generative_software_in_info() -> None:
    found = by_location(scan(with_chunks(info_list(ISFT="ElevenLabs"))))
    assert found["riff:INFO:ISFT"].generator == "ElevenLabs"
    assert found["riff:INFO:ISFT"].signal is Signal.GENERATED


def test_bext_fields() -> None:
    found = by_location(scan(with_chunks(bext("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 1",
                                              "Pro Tools", "REF123", "A=PCM,F=48000,W=24,M=mono"))))
    assert found["riff:bext:Description"].generator == "AUTOMATIC1111"
    assert found["riff:bext:Originator"].signal is Signal.INFO  # software field, not generative
    assert "riff:bext:CodingHistory" not in found


def test_bext_originator_naming_a_generator() -> None:
    found = by_location(scan(with_chunks(bext(originator="Suno"))))
    assert found["riff:bext:Originator"].generator == "Suno"


def test_ixml_text_is_matched() -> None:
    xml = '<?xml version="1.0"?><BWFXML><NOTE>{"nodes": [{"id": 4, "type": "x"}]}</NOTE></BWFXML>'
    found = by_location(scan(with_chunks(chunk(b"iXML", xml.encode()))))
    assert found["riff:iXML"].generator == "ComfyUI"


def test_c2pa_chunk_is_info_only() -> None:
    found = by_location(scan(with_chunks(chunk(b"C2PA", b"\0\0\0\x20jumb" + b"\0" * 24))))
    assert found["riff:C2PA"].signal is Signal.INFO


def test_rf64_with_placeholder_sizes() -> None:
    base = pcm_wav()
    fmt_and_data = base[12:]
    ds64 = chunk(b"ds64", struct.pack("<QQQI", 0, 160, 80, 0))
    data_at = fmt_and_data.index(b"data")
    # RF64 writers put 0xFFFFFFFF in the RIFF and data size fields; the ds64 chunk holds the truth.
    body = (ds64 + fmt_and_data[:data_at] + b"data" + struct.pack("<I", 0xFFFFFFFF)
            + fmt_and_data[data_at + 8 :] + info_list(ICMT="made with suno"))
    riff_size = 4 + len(body)
    body = body.replace(struct.pack("<QQ", 0, 160), struct.pack("<QQ", riff_size, 160), 1)
    blob = b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + body
    result = scan(blob)
    assert by_location(result)["riff:INFO:ICMT"].generator == "Suno"
    assert result.errors == ()


def test_streamed_wav_with_unknown_data_size() -> None:
    base = pcm_wav()
    blob = base[:4] + struct.pack("<I", 0xFFFFFFFF) + base[8:]
    at = blob.index(b"data")
    blob = blob[: at + 4] + struct.pack("<I", 0xFFFFFFFF) + blob[at + 8 :]
    assert scan(blob).errors == ()


def test_riff_size_beyond_end_of_file_is_reported() -> None:
    blob = with_chunks(info_list(ICMT="made with suno"))
    lying = blob[:4] + struct.pack("<I", len(blob) + 1_000_000) + blob[8:]
    result = scan(lying)
    assert [i.code for i in result.errors] == ["riff-malformed"]
    assert "riff:INFO:ICMT" in by_location(result)  # evidence before the lie is kept


def test_chunk_claiming_gigabytes_is_clamped() -> None:
    blob = with_chunks(chunk(b"iXML", b"<x/>"))
    at = blob.index(b"iXML")
    lying = blob[: at + 4] + struct.pack("<I", 0xFFFFFFF0) + blob[at + 8 :]
    result = scan(lying)
    assert any(i.code == "riff-malformed" for i in result.errors)


def test_stale_riff_size_still_reads_trailing_chunks() -> None:
    # Writers often leave the RIFF size short; real chunks after it are still read, junk is not.
    blob = with_chunks(info_list(ICMT="made with suno"))
    short = blob[:4] + struct.pack("<I", len(pcm_wav()) - 8) + blob[8:]
    result = scan(short + b"\x01\x02garbage")
    assert "riff:INFO:ICMT" in by_location(result)
    assert result.errors == ()


def test_too_many_chunks_is_refused() -> None:
    with pytest.raises(InputError) as err:
        scan(with_chunks(chunk(b"junk", b"") * 10_001))
    assert err.value.code == "riff-too-many-chunks"


def test_list_with_too_many_entries_is_refused() -> None:
    with pytest.raises(InputError) as err:
        scan(with_chunks(chunk(b"LIST", b"INFO" + chunk(b"IKEY", b"") * 1_001)))
    assert err.value.code == "riff-too-many-chunks"


@pytest.mark.parametrize("blob", [b"", b"RIFF", b"RIFF\0\0\0\0WAV", b"RIFX\x04\0\0\0WAVE"])
def test_broken_headers_are_input_errors(blob: bytes) -> None:
    with pytest.raises(InputError) as err:
        scan(blob, "audio/wav")
    assert err.value.code == "riff-malformed"


def test_magic_only_file() -> None:
    assert scan(b"RIFF\x04\0\0\0WAVE").evidence == ()


@pytest.mark.parametrize("cut", [20, 40, 50])
def test_truncated_wav_is_reported(cut: int) -> None:
    blob = with_chunks(info_list(ICMT="x" * 40))
    assert scan(blob[:cut]).errors


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_chunks_never_crash(tail: bytes) -> None:
    try:
        result = scan(b"RIFF" + struct.pack("<I", 4 + len(tail)) + b"WAVE" + tail, "audio/wav")
    except InputError:
        return
    assert isinstance(result, ScannerResult)


def test_list_nested_inside_info_is_a_riff_bomb() -> None:
    inner = chunk(b"LIST", b"INFO" + chunk(b"ICMT", b"x\0"))
    for _ in range(50):
        inner = chunk(b"LIST", b"INFO" + inner)
    with pytest.raises(InputError) as caught:
        scan(with_chunks(inner))
    assert caught.value.code == "riff-nested-list"


def test_avi_with_thousands_of_frame_chunks_is_not_an_error() -> None:
    frames = b"".join(chunk(b"00dc", b"\0" * 8) for _ in range(3000))
    body = b"AVI " + chunk(b"LIST", b"hdrl" + chunk(b"avih", b"\0" * 56)) + chunk(b"LIST", b"INFO" + chunk(
        b"ISFT", b"Lavf61\0")) + chunk(b"LIST", b"movi" + frames)
    blob = b"RIFF" + struct.pack("<I", len(body)) + body
    result = scan(blob, "video/x-msvideo")
    assert not result.errors
    assert by_location(result)["riff:INFO:ISFT"].signal is Signal.INFO
