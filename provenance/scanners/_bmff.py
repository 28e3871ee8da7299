"""A bounded ISO-BMFF / QuickTime box walker.

Only headers are read while walking; payloads are fetched on demand and capped.
mutagen's own atom parser recurses without a depth limit (a file of 1000
nested ``moov`` boxes exhausts Python's stack) and assumes every ``meta`` is a
full box, which QuickTime's ``moov/meta`` is not, so the MP4 scanner walks the
tree itself.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from provenance.errors import InputError
from provenance.models import ScanIssue
from provenance.source import ByteSource

# Real files nest metadata about six deep (moov/udta/meta/ilst/©cmt/data);
# sample tables sit a little deeper. Anything past this is hostile.
MAX_DEPTH = 12
# Fragmented MP4 has one moof+mdat pair per fragment: thousands, not millions.
MAX_BOXES = 100_000
# Metadata payloads (a ComfyUI graph in an ilst item) stay well below this.
MAX_PAYLOAD = 16 * 1024 * 1024

# Boxes whose payload is a list of child boxes, and whose children matter here
# or must be checked so that hostile nesting is caught.
CONTAINERS = frozenset({b"moov", b"udta", b"trak", b"mdia", b"minf", b"stbl", b"meta", b"ilst",
                        b"moof", b"traf", b"edts", b"dinf", b"mvex"})


@dataclass(frozen=True, slots=True)
class Box:
    type: bytes
    offset: int  # of the header
    header: int  # 8 or 16 bytes
    size: int  # whole box, header included

    @property
    def start(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def name(self) -> str:
        # latin-1 maps 0xA9 to "©", so "\xa9cmt" reads as "©cmt".
        return self.type.decode("latin-1")


@dataclass(frozen=True, slots=True)
class Node:
    box: Box
    path: tuple[bytes, ...]  # types of the ancestors, outermost first
    children: tuple[Node, ...] = ()

    def child(self, box_type: bytes) -> Node | None:
        return next((c for c in self.children if c.box.type == box_type), None)


@dataclass(frozen=True, slots=True)
class Tree:
    top: tuple[Node, ...]
    issues: tuple[ScanIssue, ...]

    def find(self, *path: bytes) -> list[Node]:
        """Every node reached by following ``path`` from the top level."""
        level: list[Node] = [n for n in self.top if n.box.type == path[0]]
        for box_type in path[1:]:
            level = [c for n in level for c in n.children if c.box.type == box_type]
        return level


class _Walk:
    def __init__(self, source: ByteSource, scanner: str) -> None:
        self.source = source
        self.scanner = scanner
        self.count = 0
        self.issues: list[ScanIssue] = []

    def issue(self, code: str, message: str) -> None:
        if len(self.issues) < 8:
            self.issues.append(ScanIssue(code, message, self.scanner))

    def boxes(self, start: int, end: int, depth: int) -> Iterator[Box]:
        pos = start
        while pos + 8 <= end:
            self.count += 1
            if self.count > MAX_BOXES:
                raise InputError("bmff-too-many-boxes", f"more than {MAX_BOXES} boxes: not a plausible media file")
            head = self.source.read_at(pos, 16)
            if len(head) < 8:
                self.issue("bmff-truncated", f"box header at offset {pos} is cut off")
                return
            size, box_type = struct.unpack(">I4s", head[:8])
            header = 8
            if size == 1:
                if len(head) < 16:
                    self.issue("bmff-truncated", f"64-bit box header at offset {pos} is cut off")
                    return
                size = struct.unpack(">Q", head[8:16])[0]
                header = 16
            elif size == 0:
                size = end - pos  # "extends to the end of its parent"
            if size < header:
                self.issue("bmff-malformed", f"box {box_type!r} at offset {pos} declares {size} bytes")
                return
            if pos + size > end:
                # A lying size never moves the walk past the parent: clamp and say so.
                self.issue("bmff-truncated", f"box {box_type!r} at offset {pos} declares {size} bytes, "
                           f"{end - pos} remain")
                size = end - pos
            yield Box(box_type, pos, header, size)
            pos += size
        if 0 < end - pos < 8 and depth == 0 and pos < self.source.size:
            self.issue("bmff-truncated", f"{end - pos} stray bytes at offset {pos}")

    def nodes(self, start: int, end: int, path: tuple[bytes, ...]) -> tuple[Node, ...]:
        if len(path) > MAX_DEPTH:
            raise InputError("bmff-too-deep", f"boxes nested more than {MAX_DEPTH} deep "
                             f"({b'/'.join(path[:4]).decode('latin-1')}/…): hostile or corrupt file")
        out = []
        for box in self.boxes(start, end, len(path)):
            children: tuple[Node, ...] = ()
            if box.type in CONTAINERS:
                first = box.start + (self._meta_skip(box) if box.type == b"meta" else 0)
                children = self.nodes(first, box.end, path + (box.type,))
            elif path and path[-1] == b"ilst":
                # ilst items (©cmt, ----, or a key index) hold data/mean/name boxes.
                children = self.nodes(box.start, box.end, path + (box.type,))
            out.append(Node(box, path, children))
        return tuple(out)

    def _meta_skip(self, box: Box) -> int:
        # ISO 'meta' is a full box (4 bytes version+flags); QuickTime's is not.
        # Tell them apart by whether a box type follows at +4 or at +8.
        probe = self.source.read_at(box.start, 12)
        if len(probe) >= 8 and probe[4:8].isalpha() and probe[:4] != b"\0\0\0\0":
            return 0
        return 4


def walk(source: ByteSource, scanner: str) -> Tree:
    """The box tree of a whole file. Raises ``InputError`` for hostile nesting or counts."""
    w = _Walk(source, scanner)
    top = w.nodes(0, source.size, ())
    return Tree(top, tuple(w.issues))


def payload(source: ByteSource, box: Box, skip: int = 0) -> bytes:
    """A box's payload after ``skip`` bytes, refusing sizes no metadata needs."""
    length = box.size - box.header - skip
    if length > MAX_PAYLOAD:
        raise InputError("bmff-too-large", f"{box.name!r} box at offset {box.offset} claims {length} bytes")
    return source.read_at(box.start + skip, length)


# Top-level boxes that hold media samples or padding, never a file's own metadata.
MEDIA_BOXES = frozenset({b"mdat", b"free", b"skip", b"wide", b"moof", b"mfra", b"sidx", b"ssix", b"styp",
                         b"emsg", b"prft", b"pdin"})
_BOX_TYPE = re.compile(rb"[\x20-\x7e\xa9]{4}")


def metadata_boxes(source: ByteSource, scanner: str) -> list[Box]:
    """The boxes that can hold a file's metadata, in file order, without reading any payload.

    Every top-level box but media data and padding; inside ``moov``, every
    child but the tracks, and of each track only its ``udta``, ``meta`` and
    ``uuid`` boxes (the sample tables of a two-hour film run to megabytes).
    A camera original of any size therefore costs a few box headers plus its
    metadata. Raises ``InputError`` when the box structure is broken, so a
    caller can fall back to a byte search.
    """
    walk = _Walk(source, scanner)
    out: list[Box] = []
    for box in _checked(walk.boxes(0, source.size, 0)):
        if box.type in MEDIA_BOXES:
            continue
        if box.type != b"moov":
            out.append(box)
            continue
        for child in _checked(walk.boxes(box.start, box.end, 1)):
            if child.type != b"trak":
                out.append(child)
                continue
            out.extend(g for g in _checked(walk.boxes(child.start, child.end, 2))
                       if g.type in (b"udta", b"meta", b"uuid"))
    if walk.issues:
        raise InputError(walk.issues[0].code, walk.issues[0].message)
    return out


def _checked(boxes: Iterator[Box]) -> Iterator[Box]:
    for box in boxes:
        if not _BOX_TYPE.fullmatch(box.type):
            raise InputError("bmff-malformed", f"box type {box.type!r} at offset {box.offset} is not a box name")
        yield box
