"""MP4 / M4A / MOV metadata: iTunes ``ilst``, keyed ``mdta`` metadata, QuickTime
``udta`` strings, and the presence of a C2PA ``uuid`` box.

Everything is read with the bounded walker in ``_bmff`` (see there for why not
mutagen). Locations:

- ``mp4:ilst:©cmt``, ``mp4:ilst:----:<mean>:<name>``  (iTunes list, handler mdir)
- ``mp4:mdta:<key name>``  (ilst items indexed into a ``keys`` box, handler mdta)
- ``mp4:udta:©xxx``  (QuickTime classic user-data strings)
- ``mp4:uuid:c2pa``  (info only: the c2pa scanner validates the manifest)
"""

from __future__ import annotations

import struct

from provenance.models import Confidence, Evidence, ScannerResult, Signal
from provenance.knowledge.signatures import Field, match_fields
from provenance.source import ScanInput

from provenance.scanners import _bmff
from provenance.scanners._bmff import Node

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
MAX_KEYS = 4096
MAX_VALUES_PER_ITEM = 16


class Mp4Scanner:
    id = "mp4"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type in ("audio/mp4", "video/mp4", "video/quicktime")

    def scan(self, item: ScanInput) -> ScannerResult:
        source = item.source
        tree = _bmff.walk(source, self.id)
        fields: list[Field] = []
        info: list[Evidence] = []
        for node in tree.top:
            if node.box.type == b"uuid" and source.read_at(node.box.start, 16) == C2PA_UUID:
                size = node.box.size
                info.append(Evidence(self.id, "mp4:uuid:c2pa", f"C2PA manifest store box, {size} bytes",
                                     Signal.INFO, Confidence.HEURISTIC))
        for meta in tree.find(b"moov", b"udta", b"meta") + tree.find(b"moov", b"meta"):
            fields.extend(self._meta_fields(item, meta))
        for udta in tree.find(b"moov", b"udta"):
            fields.extend(self._udta_fields(item, udta))
        evidence = info + match_fields(self.id, fields)
        return ScannerResult(evidence=tuple(evidence), errors=tree.issues)

    def _meta_fields(self, item: ScanInput, meta: Node) -> list[Field]:
        hdlr = meta.child(b"hdlr")
        handler = item.source.read_at(hdlr.box.start + 8, 4) if hdlr else b""
        ilst = meta.child(b"ilst")
        if ilst is None:
            return []
        if handler == b"mdta":
            keys_node = meta.child(b"keys")
            names = _key_names(_bmff.payload(item.source, keys_node.box)) if keys_node else {}
            out = []
            for entry in ilst.children:
                index = struct.unpack(">I", entry.box.type)[0]
                name = names.get(index, f"#{index}")
                value = _item_value(item, entry)
                if value is not None:
                    out.append(Field(f"mp4:mdta:{name}", value))
            return out
        out = []
        for entry in ilst.children:
            if entry.box.type == b"----":
                mean = _text_child(item, entry, b"mean")
                name = _text_child(item, entry, b"name")
                location = f"mp4:ilst:----:{mean}:{name}"
            else:
                location = f"mp4:ilst:{entry.box.name}"
            value = _item_value(item, entry)
            if value is not None:
                out.append(Field(location, value))
        return out

    def _udta_fields(self, item: ScanInput, udta: Node) -> list[Field]:
        out = []
        for child in udta.children:
            if not child.box.type.startswith(b"\xa9"):
                continue
            raw = _bmff.payload(item.source, child.box)
            value = _classic_strings(raw)
            if value:
                out.append(Field(f"mp4:udta:{child.box.name}", value))
        return out


def _key_names(raw: bytes) -> dict[int, str]:
    """1-based key index -> name, from a ``keys`` full box payload."""
    names: dict[int, str] = {}
    if len(raw) < 8:
        return names
    # The declared entry count is not trusted: entries are read while bytes remain.
    pos = 8
    index = 1
    while pos + 8 <= len(raw) and index <= MAX_KEYS:
        size = struct.unpack(">I", raw[pos : pos + 4])[0]
        if size < 8 or pos + size > len(raw):
            break
        names[index] = raw[pos + 8 : pos + size].decode("utf-8", "replace")
        pos += size
        index += 1
    return names


def _item_value(item: ScanInput, entry: Node) -> str | None:
    values = []
    for child in entry.children:
        if child.box.type != b"data" or len(values) >= MAX_VALUES_PER_ITEM:
            continue
        raw = _bmff.payload(item.source, child.box)
        if len(raw) < 8:
            continue
        decoded = _decode_data(raw[0:4], raw[8:])
        if decoded is not None:
            values.append(decoded)
    return "\n".join(values) if values else None


def _decode_data(type_field: bytes, value: bytes) -> str | None:
    """The text of one ``data`` box by its well-known type; binary (cover art) is skipped."""
    kind = int.from_bytes(type_field[1:4], "big")
    if kind in (1, 4):
        return value.decode("utf-8", "replace")
    if kind in (2, 5):
        return value.decode("utf-16-be", "replace")
    if kind in (21, 22) and 1 <= len(value) <= 8:
        return str(int.from_bytes(value, "big", signed=kind == 21))
    if kind == 23 and len(value) == 4:
        return repr(struct.unpack(">f", value)[0])
    if kind == 24 and len(value) == 8:
        return repr(struct.unpack(">d", value)[0])
    if kind == 0:
        # "Implicit" type: some writers store text this way; keep it only if it is text.
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text if text.isprintable() else None
    return None


def _text_child(item: ScanInput, entry: Node, box_type: bytes) -> str:
    node = entry.child(box_type)
    if node is None:
        return ""
    # mean/name are full boxes: 4 bytes of version and flags, then UTF-8.
    return _bmff.payload(item.source, node.box, skip=4).decode("utf-8", "replace")


def _classic_strings(raw: bytes) -> str:
    """QuickTime user-data text: (u16 length, u16 language, text) records.

    Some writers put an iTunes-style ``data`` box there instead; both are read.
    """
    if len(raw) >= 16 and raw[4:8] == b"data":
        size = struct.unpack(">I", raw[:4])[0]
        decoded = _decode_data(raw[8:12], raw[16 : max(16, min(size, len(raw)))])
        return decoded or ""
    texts = []
    pos = 0
    while pos + 4 <= len(raw) and len(texts) < MAX_VALUES_PER_ITEM:
        length, language = struct.unpack(">HH", raw[pos : pos + 4])
        text = raw[pos + 4 : pos + 4 + length]
        # Language codes below 0x400 are old Mac codes, whose text is MacRoman.
        texts.append(text.decode("mac_roman" if language < 0x400 else "utf-8", "replace"))
        pos += 4 + length
    return "\n".join(t.rstrip("\0") for t in texts if t.strip("\0"))
