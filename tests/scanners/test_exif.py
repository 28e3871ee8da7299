"""EXIF scanner on JPEG/WebP/PNG/TIFF files built in the test with Pillow, piexif and struct."""

from __future__ import annotations

import io
import struct

import piexif
import piexif.helper
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from provenance.errors import InputError
from provenance.models import Signal
from provenance.source import ByteSource, ScanInput
from provenance.scanners.exif import ExifScanner

INFOTEXT = "a duck\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8"


def image_bytes(fmt: str, exif: bytes | Image.Exif | None = None, **kw: object) -> bytes:
    buf = io.BytesIO()
    im = Image.new("RGB", (8, 8), "blue")
    if exif is not None:
        kw["exif"] = exif
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def scan(data: bytes, media_type: str):
    return ExifScanner().scan(ScanInput("t", media_type, ByteSource.from_bytes(data)))


def found(result) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


def test_a1111_unicode_usercomment_in_exif_ifd() -> None:
    comment = piexif.helper.UserComment.dump(INFOTEXT, encoding="unicode")
    exif = piexif.dump({"Exif": {piexif.ExifIFD.UserComment: comment}})
    ev = found(scan(image_bytes("JPEG", exif), "image/jpeg"))["exif:ExifIFD:UserComment"]
    assert ev.generator == "AUTOMATIC1111" and ev.signal is Signal.GENERATED


@pytest.mark.parametrize("raw", [
    b"UNICODE\0" + INFOTEXT.encode("utf-16-le"),
    b"UNICODE\0" + INFOTEXT.encode("utf-16-be"),
    b"ASCII\0\0\0" + INFOTEXT.encode(),
    INFOTEXT.encode(),  # no charset prefix at all
])
def test_usercomment_in_ifd0_any_encoding(raw: bytes) -> None:
    exif = Image.Exif()
    exif[piexif.ExifIFD.UserComment] = raw  # Pillow writes it into IFD0, like Fooocus does
    result = scan(image_bytes("JPEG", exif), "image/jpeg")
    assert found(result)["exif:IFD0:UserComment"].generator == "AUTOMATIC1111"


def test_fooocus_software_and_makernote() -> None:
    exif = Image.Exif()
    exif[piexif.ImageIFD.Software] = "Fooocus v2.5.5"
    exif[piexif.ExifIFD.MakerNote] = b"fooocus"
    result = found(scan(image_bytes("JPEG", exif), "image/jpeg"))
    assert result["exif:IFD0:Software"].generator == "Fooocus"
    assert result["exif:IFD0:MakerNote"].generator == "Fooocus"


def test_camera_exif_never_says_generated() -> None:
    exif = Image.Exif()
    exif[piexif.ImageIFD.Make] = "Google"
    exif[piexif.ImageIFD.Model] = "Pixel 8 Pro"
    exif[piexif.ImageIFD.Software] = "HDR+ 1.0.540104024zd"
    exif[piexif.ImageIFD.Artist] = "Sora Tanaka"
    exif[piexif.ExifIFD.MakerNote] = bytes(range(256)) * 4  # binary maker note
    result = scan(image_bytes("JPEG", exif), "image/jpeg")
    assert result.evidence and all(e.signal is Signal.INFO for e in result.evidence)
    assert "exif:IFD0:MakerNote" not in found(result)


def test_comfyui_webp_make_and_model() -> None:
    exif = Image.Exif()
    exif[piexif.ImageIFD.Make] = 'workflow:{"last_node_id": 4, "nodes": []}'
    exif[piexif.ImageIFD.Model] = 'prompt:{"3": {"class_type": "KSampler"}}'
    result = found(scan(image_bytes("WEBP", exif, lossless=True), "image/webp"))
    assert result["exif:IFD0:Make"].generator == "ComfyUI"
    assert result["exif:IFD0:Model"].generator == "ComfyUI"


def test_png_exif_chunk() -> None:
    exif = Image.Exif()
    exif[piexif.ImageIFD.Software] = "NovelAI"
    data = image_bytes("PNG", exif)
    assert b"eXIf" in data
    assert found(scan(data, "image/png"))["exif:IFD0:Software"].generator == "NovelAI"


def test_tiff_file_tags() -> None:
    data = image_bytes("TIFF", tiffinfo={piexif.ImageIFD.Software: "Draw Things 1.2", piexif.ImageIFD.Make: "Canon"})
    result = found(scan(data, "image/tiff"))
    assert result["exif:IFD0:Software"].generator == "Draw Things"
    assert result["exif:IFD0:Make"].signal is Signal.INFO


def test_jpeg_without_exif_is_clean() -> None:
    result = scan(image_bytes("JPEG"), "image/jpeg")
    assert result.evidence == () and result.errors == ()


def _tiff_blob(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A little-endian TIFF header plus one IFD with the given raw entries."""
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
    return b"II*\0" + struct.pack("<I", 8) + ifd + b"\0\0\0\0"


def _jpeg_with_app1(payload: bytes) -> bytes:
    jpeg = image_bytes("JPEG")
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_lying_counts_and_offsets_are_bounded() -> None:
    blob = _tiff_blob([
        (piexif.ImageIFD.Software, 2, 0xFFFFFFFF, struct.pack("<I", 10)),  # 4 GiB string
        (piexif.ImageIFD.Make, 2, 50, struct.pack("<I", 0xFFFFFF00)),  # offset past the end
        (piexif.ImageIFD.ExifTag, 4, 1, struct.pack("<I", 0xFFFF)),  # Exif IFD outside the data
    ])
    result = scan(_jpeg_with_app1(b"Exif\0\0" + blob), "image/jpeg")
    assert result.evidence == ()
    assert len(result.errors) == 3 and {e.code for e in result.errors} == {"exif-damaged"}


def test_huge_entry_count_is_capped() -> None:
    blob = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 0xFFFF) + b"\0" * 600
    result = scan(_jpeg_with_app1(b"Exif\0\0" + blob), "image/jpeg")
    assert result.errors


def test_not_tiff_inside_app1_is_reported() -> None:
    result = scan(_jpeg_with_app1(b"Exif\0\0garbage!"), "image/jpeg")
    assert [e.code for e in result.errors] == ["tiff-header"]


def test_truncated_jpeg_is_an_input_error() -> None:
    with pytest.raises(InputError):
        scan(image_bytes("JPEG")[:30], "image/jpeg")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_byte_flips_end_in_a_result_or_input_error(data) -> None:  # type: ignore[no-untyped-def]
    comment = piexif.helper.UserComment.dump(INFOTEXT, encoding="unicode")
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"Canon"}, "Exif": {piexif.ExifIFD.UserComment: comment}})
    raw = bytearray(image_bytes("JPEG", exif))
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(2, min(len(raw) - 1, 400)))] = data.draw(st.integers(0, 255))
    try:
        scan(bytes(raw), "image/jpeg")
    except InputError:
        pass


def test_tiff_listing_thousands_of_sub_ifds_is_reported() -> None:
    """The c2pa-rs TIFF proof of concept: a SubIFDs tag (330) with 5,000 offsets."""
    import struct as _struct

    from provenance.source import ByteSource, ScanInput
    from provenance.scanners.exif import ExifScanner

    ifd = _struct.pack("<H", 1) + _struct.pack("<HHII", 330, 4, 5000, 26) + _struct.pack("<I", 0)
    blob = b"II*\x00" + _struct.pack("<I", 8) + ifd + b"\0" * 20_000
    result = ExifScanner().scan(ScanInput("poc.tiff", "image/tiff", ByteSource.from_bytes(blob)))
    assert [i.code for i in result.errors] == ["exif-damaged"]
    assert "sub-IFDs" in result.errors[0].message
