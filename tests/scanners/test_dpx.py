"""The DPX scanner on DPX headers built with struct, in both byte orders."""

from __future__ import annotations

import struct

import pytest

from provenance.errors import InputError
from provenance.models import Confidence, ScannerResult, Signal
from provenance.knowledge.sniff import sniff
from provenance.source import ByteSource, ScanInput
from provenance.scanners import _dpx_header
from provenance.scanners.dpx import DpxScanner


def put(buf: bytearray, offset: int, length: int, text: str) -> None:
    raw = text.encode()[:length]
    buf[offset : offset + length] = raw.ljust(length, b"\0")


def dpx(*, big_endian: bool = True, user: bytes | None = None, image_offset: int | None = None,
        user_size: int | None = None, **fields: str) -> bytes:
    order = ">" if big_endian else "<"
    user = user or b""
    header = bytearray(b"\xff" * 2048)  # undefined fields are all-ones in DPX
    header[0:4] = b"SDPX" if big_endian else b"XPDS"
    offset = image_offset if image_offset is not None else 2048 + len(user)
    header[4:8] = struct.pack(order + "I", offset)
    header[8:16] = b"V2.0\0\0\0\0"
    header[32:36] = struct.pack(order + "I", user_size if user_size is not None else len(user))
    layout = {name: (offset, length) for name, offset, length in _dpx_header.TEXT_FIELDS}
    for name, text in fields.items():
        put(header, *layout[name], text)
    return bytes(header) + user + b"\0" * 64  # a token of image data


def user_area(user_id: str, data: bytes) -> bytes:
    return user_id.encode().ljust(32, b"\0") + data


def scan(blob: bytes) -> ScannerResult:
    media_type = sniff(blob) if blob[:4] in (b"SDPX", b"XPDS") else "image/x-dpx"
    scanner = DpxScanner()
    assert scanner.accepts(media_type)
    return scanner.scan(ScanInput("t.dpx", media_type, ByteSource.from_bytes(blob)))


def by_location(result: ScannerResult) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


@pytest.mark.parametrize("big_endian", [True, False])
def test_header_fields_in_both_byte_orders(big_endian: bool) -> None:
    blob = dpx(big_endian=big_endian, creator="Stable Diffusion XL pipeline", project="Show 101",
               copyright="Studio", filename="sh010.1001.dpx", input_device="ARRI ALEXA")
    header = _dpx_header.parse(ByteSource.from_bytes(blob))
    assert header.big_endian is big_endian
    assert dict(header.fields) == {"creator": "Stable Diffusion XL pipeline", "project": "Show 101",
                                   "copyright": "Studio", "filename": "sh010.1001.dpx", "input_device": "ARRI ALEXA"}
    found = by_location(scan(blob))
    assert found["dpx:creator"].generator == "Stable Diffusion"


def test_ordinary_creator_is_info() -> None:
    found = by_location(scan(dpx(creator="DaVinci Resolve", project="Show")))
    assert found["dpx:creator"].signal is Signal.INFO
    assert "dpx:project" not in found


def test_undefined_fields_yield_nothing() -> None:
    assert _dpx_header.parse(ByteSource.from_bytes(dpx())).fields == ()


def test_user_area_text() -> None:
    blob = dpx(user=user_area("GAI-TAG", b"digitalSourceType=trainedAlgorithmicMedia; tool=ComfyUI\0\0"))
    header = dict(_dpx_header.parse(ByteSource.from_bytes(blob)).fields)
    assert header["user_id"] == "GAI-TAG"
    assert header["user_data"] == "digitalSourceType=trainedAlgorithmicMedia; tool=ComfyUI"


def test_user_area_generation_record_is_evidence() -> None:
    infotext = b"a castle\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42"
    found = by_location(scan(dpx(user=user_area("SD", infotext))))
    assert found["dpx:user_data"].generator == "AUTOMATIC1111"
    assert found["dpx:user_data"].confidence is Confidence.TOOL_RECORD


def test_binary_user_data_is_not_passed_off_as_text() -> None:
    header = dict(_dpx_header.parse(ByteSource.from_bytes(dpx(user=user_area("BIN", bytes(range(1, 200)))))).fields)
    assert header["user_id"] == "BIN"
    assert "user_data" not in header


def test_user_size_claiming_gigabytes_is_clamped() -> None:
    blob = dpx(user=user_area("ID", b"x" * 100), user_size=0xFFFFFFF0)
    header = dict(_dpx_header.parse(ByteSource.from_bytes(blob)).fields)
    # Clamped to the image offset: exactly the 100 bytes that are there.
    assert header["user_data"] == "x" * 100


def test_user_data_read_is_capped() -> None:
    big = b"y" * (_dpx_header.MAX_USER_DATA * 4)
    header = dict(_dpx_header.parse(ByteSource.from_bytes(dpx(user=user_area("ID", big)))).fields)
    assert len(header["user_data"]) == _dpx_header.MAX_USER_DATA


def test_user_area_overlapping_image_data_is_ignored() -> None:
    blob = dpx(user=user_area("ID", b"text"), image_offset=2048)
    assert "user_id" not in dict(_dpx_header.parse(ByteSource.from_bytes(blob)).fields)


def test_short_file_with_user_size_set() -> None:
    blob = dpx(creator="x")[:2060]
    header = dpx(user=b"", user_size=5000)[:2048]
    assert _dpx_header.parse(ByteSource.from_bytes(header)).fields == ()
    assert dict(_dpx_header.parse(ByteSource.from_bytes(blob)).fields)["creator"] == "x"


@pytest.mark.parametrize("blob", [b"", b"SDPX", b"SDPX" + b"\0" * 700])
def test_truncated_headers_are_input_errors(blob: bytes) -> None:
    with pytest.raises(InputError) as err:
        scan(blob)
    assert err.value.code in ("dpx-truncated", "dpx-malformed")


def test_wrong_magic_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        scan(b"XXXX" + b"\0" * 3000)
    assert err.value.code == "dpx-malformed"


def test_generic_header_only_is_enough() -> None:
    blob = dpx(creator="Midjourney export")[:768]
    assert by_location(scan(blob))["dpx:creator"].generator == "Midjourney"
