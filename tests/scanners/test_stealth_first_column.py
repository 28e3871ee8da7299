"""The first-column shortcut in the stealth scanner agrees with a full decode.

Images here are taller than the 120 rows the magic needs, so the shortcut is
what runs; the small images in test_stealth.py take the full-decode path.
"""

from __future__ import annotations

import gzip

import pytest
from PIL import Image

from provenance.models import Signal
from provenance.source import ScanInput
from provenance.scanners.stealth import _png_first_column_clear

from .test_stealth import INFOTEXT, embed, png, scan


def _noisy(mode: str, size: tuple[int, int]) -> Image.Image:
    # Varied pixels make the encoder pick every filter type (Sub, Up, Average, Paeth) somewhere.
    return Image.frombytes(mode, size, bytes((i * 7919 + (i >> 5) * 31) & 0xFF for i in range(size[0] * size[1] * len(mode))))


@pytest.mark.parametrize("optimize", [False, True])
def test_alpha_payload_in_a_tall_png_is_found(optimize: bool) -> None:
    im = embed(_noisy("RGBA", (48, 200)), b"stealth_pngcomp", gzip.compress(INFOTEXT.encode()))
    result = scan(png(im, optimize=optimize))
    assert [e.generator for e in result.evidence] == ["AUTOMATIC1111"]
    assert result.evidence[0].signal is Signal.GENERATED


def test_rgb_payload_in_a_tall_png_is_found() -> None:
    im = embed(_noisy("RGB", (48, 200)), b"stealth_rgbinfo", INFOTEXT.encode())
    assert [e.generator for e in scan(png(im)).evidence] == ["AUTOMATIC1111"]


def test_gray_alpha_payload_is_found() -> None:
    rgba = embed(_noisy("RGBA", (8, 300)), b"stealth_pnginfo", INFOTEXT.encode())
    la = Image.merge("LA", (rgba.getchannel("R"), rgba.getchannel("A")))
    assert [e.generator for e in scan(png(la)).evidence] == ["AUTOMATIC1111"]


def test_the_shortcut_clears_plain_frames_and_not_marked_ones() -> None:
    plain = png(_noisy("RGBA", (64, 160)))
    marked = png(embed(_noisy("RGBA", (64, 160)), b"stealth_pnginfo", INFOTEXT.encode()))
    from provenance.source import ByteSource

    def clear(data: bytes) -> bool:
        return _png_first_column_clear(ScanInput("t.png", "image/png", ByteSource.from_bytes(data)), 16_000_000)

    assert clear(plain) is True
    assert clear(marked) is False
    assert scan(plain).evidence == ()


def test_truncated_tall_png_still_reports_damage() -> None:
    data = png(_noisy("RGBA", (64, 160)))
    from provenance.errors import InputError

    with pytest.raises(InputError):
        scan(data[: len(data) * 2 // 3])


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _png_with_every_filter(im: Image.Image) -> bytes:
    """An 8-bit PNG whose rows cycle through filter types 0-4 (Pillow's encoder picks one)."""
    import struct
    import zlib

    width, height = im.size
    bpp = len(im.mode)
    data = im.tobytes()
    stride = width * bpp
    out = bytearray()
    above = bytes(stride)
    for y in range(height):
        row = data[y * stride : (y + 1) * stride]
        kind = y % 5
        out.append(kind)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = above[i]
            c = above[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) >> 1, _paeth(a, b, c))[kind]
            out.append((x - pred) & 0xFF)
        above = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    colour = {"RGB": 2, "RGBA": 6, "LA": 4}[im.mode]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(out))) + chunk(b"IEND", b"")


@pytest.mark.parametrize("magic", [b"stealth_pnginfo", b"stealth_rgbinfo"])
def test_every_png_filter_type_is_undone_right(magic: bytes) -> None:
    im = embed(_noisy("RGBA", (40, 180)), magic, INFOTEXT.encode())
    data = _png_with_every_filter(im)
    assert Image.open(__import__("io").BytesIO(data)).tobytes() == im.tobytes()  # the hand encoder is sound
    assert [e.generator for e in scan(data).evidence] == ["AUTOMATIC1111"]
    assert scan(_png_with_every_filter(_noisy("RGBA", (40, 180)))).evidence == ()
