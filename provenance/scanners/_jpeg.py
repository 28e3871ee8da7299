"""A bounded JPEG marker walker: the APPn segments before the scan data.

Metadata lives in APPn segments ahead of SOS (start of scan); after SOS is
entropy-coded image data, which is never read. Segment lengths are 16-bit, so
one segment is at most 64 KiB; the segment count is capped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from provenance.errors import InputError
from provenance.source import ByteSource

MAX_SEGMENTS = 4096  # C2PA in APP11 can take a few hundred; more is hostile
_SOS = 0xDA
_EOI = 0xD9
# Markers with no length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


@dataclass(frozen=True, slots=True)
class Segment:
    marker: int  # 0xE1 for APP1 ...
    offset: int  # of the payload (after the 2-byte length)
    data: bytes


def iter_app_segments(source: ByteSource, markers: frozenset[int]) -> Iterator[Segment]:
    """Segments whose marker is in ``markers``, in file order, stopping at SOS.

    A broken marker structure raises ``InputError``; segments already yielded stand.
    """
    # Four scanners walk every JPEG, each for its own markers: the first walk keeps
    # every segment's place (and the error it ended on) on the source for the others.
    walk = source.memo.get(_MEMO)
    if walk is None:
        places: list[tuple[int, int, int]] = []
        try:
            places.extend(_walk(source))  # what was walked before an error stays in the list
        except InputError as exc:
            walk = source.memo[_MEMO] = (places, exc)
        else:
            walk = source.memo[_MEMO] = (places, None)
    places, error = walk
    for marker, offset, length in places:
        if marker in markers:
            yield Segment(marker, offset, source.read_at(offset, length))
    if error is not None:
        raise error.with_traceback(None)


_MEMO = "jpeg-segments"


def _walk(source: ByteSource) -> Iterator[tuple[int, int, int]]:
    """(marker, payload offset, payload length) of every segment before SOS."""
    if source.read_at(0, 2) != b"\xff\xd8":
        raise InputError("jpeg-signature", "not a JPEG file (no SOI marker)")
    offset = 2
    for _ in range(MAX_SEGMENTS):
        head = source.read_at(offset, 4)
        if len(head) < 2:
            raise InputError("jpeg-truncated", f"file ends at byte {offset} before the image data")
        if head[0] != 0xFF:
            raise InputError("jpeg-marker", f"expected a marker at byte {offset}")
        marker = head[1]
        if marker == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if marker in (_SOS, _EOI):
            return
        if marker in _STANDALONE:
            offset += 2
            continue
        if len(head) < 4:
            raise InputError("jpeg-truncated", f"segment header at byte {offset} is cut off")
        length = int.from_bytes(head[2:4], "big")
        if length < 2 or offset + 2 + length > source.size:
            raise InputError("jpeg-truncated", f"segment 0x{marker:02X} at byte {offset} runs past the end of the file")
        yield marker, offset + 4, length - 2
        offset += 2 + length
    raise InputError("jpeg-too-many-segments", f"more than {MAX_SEGMENTS} segments before the image data")
