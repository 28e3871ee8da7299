"""The A1111/NovelAI "stealth" payload hidden in pixel least-significant bits.

sd-webui-stealth-pnginfo (and the NovelAI web app) write, column by column
(x outer, y inner), the LSBs of either the alpha channel (one bit per pixel)
or of R, G, B (three bits per pixel): a 15-byte magic, a 32-bit big-endian
payload length in bits, then the payload (UTF-8 text, or gzip for the
``*comp`` magics). No chunk marks it, so the only way to find it is to decode
pixels: this scanner does that only for lossless images within the pixel
budget, and checks the size from the header before decoding anything.

The magic sits in the first column, so for the common PNG (8-bit, not
interlaced) the first rows are inflated and only the first pixel of each row
is unfiltered; the whole image is decoded only when that column could hold a
magic. On a sequence of 640x360 RGBA renders this took the scanner from ~8 ms
to ~0.2 ms a frame.
"""

from __future__ import annotations

import struct
import warnings
import zlib

from provenance.errors import InputError
from provenance.models import ScannerResult
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners._png_chunks import PNG_SIGNATURE, ChunkStorm, inflate, iter_chunks
from provenance.scanners.exif import iter_webp_chunks

MAGIC_LEN = 15
MAGIC_BITS = MAGIC_LEN * 8
# Samples per pixel of the 8-bit PNG colour types the first-column check reads.
_PNG_SAMPLES = {2: 3, 4: 2, 6: 4}  # RGB, gray+alpha, RGBA
_INFLATE_PIECE = 64 * 1024
ALPHA_MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
RGB_MAGICS = {b"stealth_rgbinfo": False, b"stealth_rgbcomp": True}
MAX_PAYLOAD_BITS = 64 * 1024 * 1024 * 8  # the bits themselves are bounded by the pixel budget too
MAX_TEXT = 8 * 1024 * 1024
# Bits 0/1 as ASCII '0'/'1', so int(..., 2) packs them at C speed.
_LSB_TO_DIGIT = bytes(48 + (b & 1) for b in range(256))
# Each magic's bits the same way, most significant first (as _bits_to_bytes reads them).
_MAGIC_DIGITS = {m: bin(int.from_bytes(m, "big"))[2:].zfill(len(m) * 8).encode() for m in (*ALPHA_MAGICS, *RGB_MAGICS)}


class StealthScanner:
    id = "stealth"
    version = "2"

    def accepts(self, media_type: str) -> bool:
        return media_type in ("image/png", "image/webp")

    def scan(self, item: ScanInput) -> ScannerResult:
        budget = item.options.stealth_pixel_budget
        if budget <= 0:
            return ScannerResult()
        if _png_first_column_clear(item, budget):
            return ScannerResult()
        from PIL import Image  # only for the few images that need their pixels

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                return self._scan(item, budget)
            except Image.DecompressionBombError:
                # Pillow refuses before decoding: the image is far over any pixel budget, so skip it.
                return ScannerResult()
            except Image.UnidentifiedImageError:
                # Pillow's message names the stream object's address: keep reports reproducible.
                raise InputError("stealth-decode", "pixels could not be decoded: Pillow cannot identify the image") from None
            except (OSError, ValueError, SyntaxError, EOFError) as exc:
                # Pillow reports corrupt image data through these; SyntaxError is its "broken PNG".
                _raise_container_damage(item)
                raise InputError("stealth-decode", f"pixels could not be decoded: {exc}") from None

    def _scan(self, item: ScanInput, budget: int) -> ScannerResult:
        from PIL import Image

        with Image.open(item.source.stream(), formats=("PNG", "WEBP")) as im:
            width, height = im.size
            if width * height > budget or width <= 0 or height <= 0:
                return ScannerResult()
            if im.format == "WEBP" and not _webp_lossless(item):
                return ScannerResult()
            bands = im.getbands()
            if "A" in bands:
                alpha = im.getchannel("A").tobytes()
                found = _read(_column_major(alpha, width, height), ALPHA_MAGICS)
                if found is not None:
                    return self._result("alpha", found)
            if im.mode not in ("RGB", "RGBA"):
                return ScannerResult()
            rgb = [im.getchannel(c).tobytes() for c in "RGB"]
        cols = [_column_major(ch, width, height) for ch in rgb]
        interleaved = bytearray(3 * width * height)
        for i, col in enumerate(cols):
            interleaved[i::3] = col
        found = _read(bytes(interleaved), RGB_MAGICS)
        if found is not None:
            return self._result("rgb", found)
        return ScannerResult()

    def _result(self, plane: str, found: tuple[str, str]) -> ScannerResult:
        magic, text = found
        fields = [Field(f"stealth:{plane}:{magic}", text)]
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)))


def _raise_container_damage(item: ScanInput) -> None:
    """Re-raise a broken chunk structure as the chunk walkers word it.

    The png, exif and xmp scanners walk the same chunks and report the damage;
    raising their error (not a second "cannot decode") keeps one error per file.
    Only runs once decoding has already failed, so intact frames pay nothing.
    """
    try:
        if item.media_type == "image/png":
            for _ in iter_chunks(item.source):
                pass
        elif item.media_type == "image/webp":
            for _ in iter_webp_chunks(item.source):
                pass
    except ChunkStorm:
        return


def _png_first_column_clear(item: ScanInput, budget: int) -> bool:
    """True when a PNG's first column rules out every magic, read without decoding the image.

    False means "decode it": a magic may be there, or the file is one this
    shortcut does not handle (16-bit, interlaced, short, damaged), and the
    full decode then finds the payload or reports the damage.
    """
    head = item.source.head
    if item.media_type != "image/png" or len(head) < 29 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return False
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", head[16:29])
    if width * height > budget or width == 0 or height == 0:
        return False  # the full path's own checks answer these
    try:
        idats = [c for c in iter_chunks(item.source) if c.type == b"IDAT"]
    except ChunkStorm:
        return False
    # A broken chunk structure (InputError) propagates as the chunk walker words it, so
    # the file gets the one error the png scanner reports, not a second "cannot decode".
    if colour in (0, 3):
        return True  # gray or palette: no alpha band and no RGB, nothing to read
    samples = _PNG_SAMPLES.get(colour)
    if samples is None or depth != 8 or interlace != 0 or height < MAGIC_BITS:
        return False
    stride = width * samples + 1
    # Every magic starts with "s" (0111...): two rows settle almost every frame (an
    # opaque alpha's LSB is 1), inflating a fraction of what eight rows cost, and
    # only a column whose first bits fit is read on, to the full magic.
    for rows in (2, 8, MAGIC_BITS):
        column = _first_column(item, idats, stride, samples, rows)
        if column is None:
            return False
        alpha = colour in (4, 6) and _may_hold(bytes(p[-1] for p in column), ALPHA_MAGICS)
        rgb = colour in (2, 6) and _may_hold(b"".join(p[:3] for p in column), RGB_MAGICS)
        if not alpha and not rgb:
            return True
    return False


def _may_hold(samples: bytes, magics: dict[bytes, bool]) -> bool:
    """Whether the samples' LSBs are the first bits of one of ``magics`` (any count of bits)."""
    bits = samples[:MAGIC_BITS].translate(_LSB_TO_DIGIT)
    return any(_MAGIC_DIGITS[m].startswith(bits) for m in magics)


def _first_column(item: ScanInput, idats: list, stride: int, samples: int,  # type: ignore[type-arg]
                  rows: int) -> list[bytes] | None:
    """The first pixel of each of the first ``rows`` rows, unfiltered."""
    need = rows * stride
    inflater = zlib.decompressobj()
    raw = bytearray()
    try:
        for chunk in idats:
            pos, end = chunk.offset, chunk.offset + chunk.length
            while pos < end and len(raw) < need:
                piece = item.source.read_at(pos, min(_INFLATE_PIECE, end - pos))
                pos += len(piece)
                raw += inflater.decompress(piece, need - len(raw))
            if len(raw) >= need:
                break
    except zlib.error:
        return None
    if len(raw) < need:
        return None
    column: list[bytes] = []
    above = bytes(samples)
    for row in range(rows):
        at = row * stride
        kind, pixel = raw[at], raw[at + 1 : at + 1 + samples]
        # The first pixel's left and upper-left neighbours are zero, so Sub
        # leaves it as stored and Paeth reduces to Up.
        if kind in (0, 1):
            current = bytes(pixel)
        elif kind in (2, 4):
            current = bytes((p + u) & 0xFF for p, u in zip(pixel, above, strict=True))
        elif kind == 3:
            current = bytes((p + (u >> 1)) & 0xFF for p, u in zip(pixel, above, strict=True))
        else:
            return None  # not a PNG filter type: let the decoder report it
        column.append(current)
        above = current
    return column


def _webp_lossless(item: ScanInput) -> bool:
    # Lossy VP8 mangles LSBs, so a payload cannot survive there.
    head = item.source.read_at(12, 4096)
    return b"VP8L" in head and b"VP8 " not in head


def _column_major(plane: bytes, width: int, height: int) -> bytes:
    # Row-major plane -> x-outer, y-inner order: column x is every width-th byte from x.
    return b"".join(plane[x::width] for x in range(width))


def _bits_to_bytes(samples: bytes) -> bytes:
    digits = samples.translate(_LSB_TO_DIGIT)
    if not digits:
        return b""
    return int(digits, 2).to_bytes(len(digits) // 8, "big")


def _read(samples: bytes, magics: dict[bytes, bool]) -> tuple[str, str] | None:
    """(magic, decoded payload) if ``samples`` start with one of ``magics``."""
    head_bits = (MAGIC_LEN + 4) * 8
    if len(samples) < head_bits:
        return None
    head = _bits_to_bytes(samples[:head_bits])
    magic = head[:MAGIC_LEN]
    if magic not in magics:
        return None
    n_bits = int.from_bytes(head[MAGIC_LEN:], "big")
    if n_bits > len(samples) - head_bits or n_bits > MAX_PAYLOAD_BITS:
        raise InputError("stealth-length", f"{magic.decode()} declares {n_bits} bits, more than the image holds")
    n_bits -= n_bits % 8
    payload = _bits_to_bytes(samples[head_bits : head_bits + n_bits])
    if magics[magic]:
        payload = inflate(payload, MAX_TEXT, wbits=31, code="stealth-gzip", what="stealth payload")
    return magic.decode(), payload.decode("utf-8", "replace")
