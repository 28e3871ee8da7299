"""A bounded PNG chunk walker and the text-chunk decoders.

Shared by the png, exif and xmp scanners. Nothing here trusts a length field:
every declared size is checked against the file size and a per-chunk cap, the
chunk count is capped, and compressed text is inflated with a hard output
limit so a zTXt/iTXt bomb costs at most ``MAX_TEXT_BYTES``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from provenance.errors import InputError
from provenance.source import ByteSource

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A 100 MB PNG written with 8 KiB IDAT chunks has ~13k chunks; an APNG a few
# thousand more. Beyond this the file is a chunk storm, not an image.
MAX_CHUNKS = 65_536
# Metadata chunks larger than this are not read (a ComfyUI graph is < 2 MiB).
MAX_META_CHUNK = 32 * 1024 * 1024
# Inflated text is cut here; the signature matcher looks at far less.
MAX_TEXT_BYTES = 8 * 1024 * 1024
_WINDOW = 64 * 1024


@dataclass(frozen=True, slots=True)
class Chunk:
    type: bytes
    offset: int  # of the chunk's data, not its header
    length: int


@dataclass(frozen=True, slots=True)
class TextChunk:
    kind: str  # "tEXt", "zTXt", "iTXt" or a private type such as "comf"
    key: str
    value: str


class ChunkStorm(Exception):
    """More chunks than ``MAX_CHUNKS``: the walk stopped early."""


class _Window:
    """Buffered header reads, so walking thousands of tiny chunks is not thousands of syscalls."""

    def __init__(self, source: ByteSource) -> None:
        self._source = source
        self._start = 0
        self._buf = b""

    def read(self, offset: int, length: int) -> bytes:
        end = offset + length
        if offset < self._start or end > self._start + len(self._buf):
            self._start = offset
            self._buf = self._source.read_at(offset, max(_WINDOW, length))
        rel = offset - self._start
        return self._buf[rel : rel + length]

    @property
    def end(self) -> int:
        return self._start + len(self._buf)


def iter_chunks(source: ByteSource) -> Iterator[Chunk]:
    """Every chunk header in file order, until IEND, the end of the file or a broken header.

    Raises ``InputError`` when the signature is wrong and ``ChunkStorm`` when the
    count cap is reached (callers keep what they already got).
    """
    # Four scanners walk every PNG; the first walk is kept on the source, with the
    # error it ended on, and the others replay it.
    walk = source.memo.get(_MEMO)
    if walk is None:
        chunks: list[Chunk] = []
        try:
            chunks.extend(_walk(source))  # what was walked before an error stays in the list
        except (InputError, ChunkStorm) as exc:
            walk = source.memo[_MEMO] = (chunks, exc)
        else:
            walk = source.memo[_MEMO] = (chunks, None)
    chunks, error = walk
    yield from chunks
    if error is not None:
        raise error.with_traceback(None)


_MEMO = "png-chunks"


def _walk(source: ByteSource) -> Iterator[Chunk]:
    if source.read_at(0, 8) != PNG_SIGNATURE:
        raise InputError("png-signature", "not a PNG file (bad signature)")
    window = _Window(source)
    offset = 8
    count = 0
    far = False  # the last chunk was large: its successor's header is alone in the next window
    while offset + 8 <= source.size:
        count += 1
        if count > MAX_CHUNKS:
            raise ChunkStorm(f"more than {MAX_CHUNKS} chunks; the rest of the file was not read")
        # Behind a large chunk (64 KiB IDATs, as Pillow writes them) a window would be image
        # data: reading only the header keeps a 33 MB frame's walk to kilobytes, not the file.
        header = source.read_at(offset, 8) if far and offset >= window.end else window.read(offset, 8)
        length, ctype = struct.unpack(">I4s", header)
        if not _valid_type(ctype):
            raise InputError("png-chunk", f"invalid chunk type at byte {offset}")
        data_at = offset + 8
        if length > 0x7FFFFFFF or data_at + length > source.size:
            raise InputError("png-truncated", f"chunk {_name(ctype)} at byte {offset} runs past the end of the file")
        yield Chunk(ctype, data_at, length)
        if ctype == b"IEND":
            return
        offset = data_at + length + 4  # skip the CRC
        far = length >= _WINDOW // 4
    raise InputError("png-truncated", "file ends before the IEND chunk")


def _valid_type(ctype: bytes) -> bool:
    return ctype.isalpha()  # ASCII letters only, for bytes


def _name(ctype: bytes) -> str:
    return ctype.decode("latin-1")


def read_chunk(source: ByteSource, chunk: Chunk) -> bytes:
    if chunk.length > MAX_META_CHUNK:
        raise InputError("png-chunk-too-large", f"{_name(chunk.type)} chunk of {chunk.length} bytes is over the limit")
    return source.read_at(chunk.offset, chunk.length)


def inflate(data: bytes, limit: int = MAX_TEXT_BYTES, *, wbits: int = 15, code: str = "png-zlib",
            what: str = "compressed text") -> bytes:
    """zlib (or, with ``wbits=31``, gzip) data inflated to at most ``limit`` bytes; more is a bomb.

    Errors are ``code`` for corrupt data and ``code-bomb`` past the limit.
    """
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise InputError(code, f"{what} is corrupt: {exc}") from None
    if inflater.unconsumed_tail:
        raise InputError(f"{code}-bomb", f"{what} inflates past {limit} bytes")
    return out


def _key(raw: bytes) -> str:
    # Keywords are Latin-1 by the spec; keep them printable and short.
    return raw[:79].decode("latin-1").strip()


def decode_text(ctype: bytes, body: bytes) -> TextChunk | None:
    """A tEXt/zTXt/iTXt body as key and value; ``None`` for a body with no keyword."""
    key_raw, sep, rest = body.partition(b"\0")
    if not sep:
        return None
    key = _key(key_raw)
    if ctype == b"tEXt":
        return TextChunk("tEXt", key, _text(rest))
    if ctype == b"zTXt":
        if not rest or rest[0] != 0:
            raise InputError("png-ztxt", f"zTXt {key!r}: unknown compression method")
        return TextChunk("zTXt", key, _text(inflate(rest[1:])))
    if ctype == b"iTXt":
        if len(rest) < 2:
            raise InputError("png-itxt", f"iTXt {key!r}: truncated header")
        compressed, method = rest[0], rest[1]
        lang_tag, sep1, rest = rest[2:].partition(b"\0")
        _translated, sep2, text = rest.partition(b"\0")
        if not (sep1 and sep2):
            raise InputError("png-itxt", f"iTXt {key!r}: truncated header")
        if compressed:
            if method != 0:
                raise InputError("png-itxt", f"iTXt {key!r}: unknown compression method")
            text = inflate(text)
        return TextChunk("iTXt", key, text.decode("utf-8", "replace"))
    return None


def decode_private(ctype: bytes, body: bytes) -> TextChunk | None:
    """A private ``key\\0value`` chunk (ComfyUI's ``comf``); ``None`` if it does not look like one."""
    key_raw, sep, rest = body.partition(b"\0")
    if not sep or not key_raw or len(key_raw) > 79 or not key_raw.isascii() or not key_raw.decode("ascii").isprintable():
        return None
    return TextChunk(_name(ctype), _key(key_raw), _text(rest))


def _text(raw: bytes) -> str:
    # tEXt is Latin-1 by the spec, but A1111/ComfyUI write UTF-8 there.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
