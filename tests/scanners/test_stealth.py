"""Stealth (pixel-LSB) payloads, written in the test the way sd-webui-stealth-pnginfo lays them out."""

from __future__ import annotations

import gzip
import io
import json
import zlib

import pytest
from PIL import Image

from provenance.errors import InputError
from provenance.models import Signal
from provenance.source import ByteSource, ScanInput, ScanOptions
from provenance.scanners.stealth import StealthScanner

INFOTEXT = "a circle\nNegative prompt: a square\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 64x64"


def _bits(magic: bytes, payload: bytes, declared_bits: int | None = None) -> list[int]:
    n = len(payload) * 8 if declared_bits is None else declared_bits
    data = magic + n.to_bytes(4, "big") + payload
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def embed(im: Image.Image, magic: bytes, payload: bytes, declared_bits: int | None = None) -> Image.Image:
    """Write bits column by column (x outer, y inner) into alpha, or into R, G, B for rgb magics."""
    bits = _bits(magic, payload, declared_bits)
    px = im.load()
    w, h = im.size
    rgb = b"rgb" in magic
    it = iter(bits)
    for x in range(w):
        for y in range(h):
            p = list(px[x, y])
            channels = (0, 1, 2) if rgb else (3,)
            for c in channels:
                bit = next(it, None)
                if bit is None:
                    px[x, y] = tuple(p)
                    return im
                p[c] = (p[c] & ~1) | bit
            px[x, y] = tuple(p)
    return im


def png(im: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def scan(data: bytes, media_type: str = "image/png", budget: int = 16_000_000):
    item = ScanInput("t", media_type, ByteSource.from_bytes(data), options=ScanOptions(stealth_pixel_budget=budget))
    return StealthScanner().scan(item)


def test_pngcomp_alpha_payload_is_a1111() -> None:
    im = embed(Image.new("RGBA", (64, 64), (10, 20, 30, 255)), b"stealth_pngcomp", gzip.compress(INFOTEXT.encode()))
    (ev,) = scan(png(im)).evidence
    assert ev.location == "stealth:alpha:stealth_pngcomp"
    assert ev.signal is Signal.GENERATED and ev.generator == "AUTOMATIC1111"


def test_pnginfo_novelai_json() -> None:
    payload = json.dumps({"Software": "NovelAI", "Comment": "{}"}).encode()
    im = embed(Image.new("RGBA", (40, 30), (0, 0, 0, 255)), b"stealth_pnginfo", payload)
    (ev,) = scan(png(im)).evidence
    assert ev.generator == "NovelAI"


def test_rgb_variant_without_alpha() -> None:
    im = embed(Image.new("RGB", (32, 32), (100, 100, 100)), b"stealth_rgbcomp", gzip.compress(INFOTEXT.encode()))
    (ev,) = scan(png(im)).evidence
    assert ev.location == "stealth:rgb:stealth_rgbcomp"


def test_lossless_webp_is_read_and_lossy_webp_is_skipped() -> None:
    im = embed(Image.new("RGBA", (32, 32), (1, 2, 3, 255)), b"stealth_pnginfo", INFOTEXT.encode())
    assert scan(png(im, "WEBP", lossless=True), "image/webp").evidence
    assert scan(png(im, "WEBP", quality=50), "image/webp").evidence == ()


def test_plain_images_carry_nothing() -> None:
    assert scan(png(Image.new("RGBA", (16, 16), (5, 5, 5, 255)))).evidence == ()
    assert scan(png(Image.new("L", (16, 16)))).evidence == ()


def test_over_budget_images_are_not_decoded() -> None:
    im = embed(Image.new("RGBA", (64, 64), (0, 0, 0, 255)), b"stealth_pnginfo", INFOTEXT.encode())
    assert scan(png(im), budget=64 * 64 - 1).evidence == ()


def test_declared_length_past_the_image_is_an_error() -> None:
    im = embed(Image.new("RGBA", (16, 16), (0, 0, 0, 255)), b"stealth_pnginfo", b"x", declared_bits=0xFFFFFFF0)
    with pytest.raises(InputError) as exc:
        scan(png(im))
    assert exc.value.code == "stealth-length"


def test_bad_gzip_is_an_error() -> None:
    im = embed(Image.new("RGBA", (32, 32), (0, 0, 0, 255)), b"stealth_pngcomp", b"not gzip data")
    with pytest.raises(InputError):
        scan(png(im))


def test_gzip_bomb_is_an_error() -> None:
    bomb = gzip.compress(b"A" * (64 * 1024 * 1024), 9)
    side = 1
    while side * side < (len(bomb) * 8 + 200):
        side += 1
    im = embed(Image.new("RGBA", (side, side), (0, 0, 0, 255)), b"stealth_pngcomp", bomb)
    with pytest.raises(InputError) as exc:
        scan(png(im))
    assert exc.value.code == "stealth-gzip-bomb"


def test_truncated_pixels_are_an_input_error() -> None:
    data = png(Image.new("RGBA", (64, 64), (0, 0, 0, 255)))
    with pytest.raises(InputError):
        scan(data[: len(data) // 2])


def test_huge_declared_dimensions_are_not_decoded() -> None:
    # A huge header over a tiny body: the size check runs before any pixel is decoded.
    data = bytearray(png(Image.new("RGBA", (4, 4))))
    for side in (5000, 100_000):  # over the budget; far over Pillow's bomb limit
        data[16:24] = side.to_bytes(4, "big") * 2
        data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
        result = scan(bytes(data), budget=1_000_000)
        assert result.evidence == () and result.errors == ()
