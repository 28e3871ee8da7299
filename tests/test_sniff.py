"""Media types come from the bytes, never from the file name."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from provenance.knowledge.sniff import sniff
from .builders import pcm_wav


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buf, format=fmt)
    return buf.getvalue()


def _wav() -> bytes:
    return pcm_wav(b"\x00\x00" * 10)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_image("PNG"), "image/png"),
        (_image("JPEG"), "image/jpeg"),
        (_image("WEBP"), "image/webp"),
        (_image("TIFF"), "image/tiff"),
        (_image("GIF"), "image/gif"),
        (_wav(), "audio/wav"),
        (b"v/1\x01\x02\x00\x00\x00channels\x00", "image/x-exr"),
        (b"SDPX" + b"\x00" * 60, "image/x-dpx"),
        (b"XPDS" + b"\x00" * 60, "image/x-dpx"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"8BPS\x00\x01", "image/vnd.adobe.photoshop"),
        (b"\x06\x0e\x2b\x34\x02\x05\x01\x01", "application/mxf"),
        (struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomiso2", "video/mp4"),
        (struct.pack(">I", 20) + b"ftypqt  " + b"\x00\x00\x02\x00qt  ", "video/quicktime"),
        (struct.pack(">I", 24) + b"ftypM4A " + b"\x00\x00\x02\x00M4A mp42", "audio/mp4"),
        (b"<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta", "application/rdf+xml"),
        (b"", "application/x-empty"),
        (b"\x00\x01\x02\x03garbage\xff", "application/octet-stream"),
    ],
)
def test_sniff_recognises_container(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


def test_id3_prefixed_flac_is_flac_not_mp3() -> None:
    # c2pa-rs prepends an ID3 tag to FLAC to carry its manifest.
    id3 = b"ID3\x04\x00\x00" + bytes([0, 0, 0, 10]) + b"\x00" * 10
    assert sniff(id3 + b"fLaC\x00\x00\x00\x22") == "audio/flac"
    assert sniff(id3 + b"\xff\xfb\x90\x00") == "audio/mpeg"


def test_png_named_jpeg_is_still_png(tmp_path) -> None:
    path = tmp_path / "render.jpeg"
    path.write_bytes(_image("PNG"))
    assert sniff(path.read_bytes()[:64]) == "image/png"
