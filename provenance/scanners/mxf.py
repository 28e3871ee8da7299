"""MXF header metadata: the Identification sets, user comments and descriptive text.

An MXF file opens with a header partition pack, a primer pack and then the
header metadata as KLV local sets (SMPTE 377-1). Every application that
wrote or modified the file adds an Identification set naming its company,
product and version; ffmpeg and others store user comments as TaggedValue
sets; descriptive metadata (DMS-1 and others) carries free text. Only the
header metadata is read, never the essence, and the walk is bounded.

Fields: ``mxf:Identification:ProductName`` (and CompanyName, VersionString,
Platform), ``mxf:TaggedValue:<name>``, ``mxf:DM:<set>:<tag>`` for text found
in descriptive-metadata sets. The signature table decides what they mean: a
generative tool named as the product is a tool record, Avid or an encoder
only an informative field.
"""

from __future__ import annotations

from provenance.errors import InputError
from provenance.knowledge.signatures import Field, match_fields
from provenance.models import ScanIssue, ScannerResult
from provenance.source import ByteSource, ScanInput

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_KLVS = 100_000
MAX_FIELDS = 512
MAX_TEXT = 64 * 1024

_SMPTE = b"\x06\x0e\x2b\x34"
_PARTITION = bytes.fromhex("060e2b34020501010d01020101")  # + kind, status, 00
_LOCAL_SET = bytes.fromhex("060e2b3402530101")  # 2-byte local tags, 2-byte lengths
_IDENTIFICATION = bytes.fromhex("0d01010101013000")
_TAGGED_VALUE = bytes.fromhex("0d01010101013f00")
_DESCRIPTIVE = bytes.fromhex("0d010401")  # DMS-1 and other descriptive schemes
_IDENT_TAGS = {0x3C01: "CompanyName", 0x3C02: "ProductName", 0x3C04: "VersionString", 0x3C08: "Platform"}


class MxfScanner:
    id = "mxf"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type == "application/mxf"

    def scan(self, item: ScanInput) -> ScannerResult:
        fields, issues = read_header_metadata(item.source)
        return ScannerResult(evidence=tuple(match_fields(self.id, fields)),
                             errors=tuple(ScanIssue(code, msg, self.id) for code, msg in issues))


def _ber(source: ByteSource, at: int) -> tuple[int, int]:
    """(length, bytes used by the length field) of a BER length at ``at``."""
    first = source.read_at(at, 1)
    if not first:
        raise InputError("mxf-truncated", f"KLV length at byte {at} is cut off")
    if first[0] < 0x80:
        return first[0], 1
    count = first[0] & 0x7F
    if count == 0 or count > 8:
        raise InputError("mxf-malformed", f"KLV length at byte {at} uses {count} bytes")
    raw = source.read_at(at + 1, count)
    if len(raw) < count:
        raise InputError("mxf-truncated", f"KLV length at byte {at} is cut off")
    return int.from_bytes(raw, "big"), 1 + count


def read_header_metadata(source: ByteSource) -> tuple[list[Field], list[tuple[str, str]]]:
    key = source.read_at(0, 16)
    if key[:13] != _PARTITION or key[13] != 0x02:
        raise InputError("mxf-header", "no MXF header partition pack at the start of the file")
    fields, issues, footer, complete = _partition(source, 0)
    if footer > 0 and (not complete or not fields):
        # An incomplete header (a file written while it grew, as on a live ingest) leaves
        # the final metadata to the footer partition: read that too.
        more, more_issues, _, _ = _partition(source, footer)
        fields += more
        issues += more_issues
    return fields[:MAX_FIELDS], issues


def _partition(source: ByteSource, at: int) -> tuple[list[Field], list[tuple[str, str]], int, bool]:
    """Fields of the header metadata that follows the partition pack at ``at``,
    the footer partition's offset, and whether this partition says it is complete."""
    fields: list[Field] = []
    issues: list[tuple[str, str]] = []
    key = source.read_at(at, 16)
    if key[:13] != _PARTITION or key[13] not in (2, 3, 4):
        return fields, [("mxf-malformed", f"no partition pack at byte {at}")], 0, True
    length, used = _ber(source, at + 16)
    pack = source.read_at(at + 16 + used, min(length, 256))
    if len(pack) < 48:
        raise InputError("mxf-truncated", "header partition pack is cut off")
    complete = key[14] in (3, 4)
    footer = int.from_bytes(pack[24:32], "big")
    footer = footer if at < footer < source.size else 0
    header_bytes = int.from_bytes(pack[32:40], "big")
    pos = at + 16 + used + length
    # HeaderByteCount starts at the primer pack; fill may sit before it. With no
    # count (some writers leave it 0) the walk stops at the first essence or index KLV.
    end = source.size if header_bytes == 0 else min(source.size, pos + header_bytes + 64 * 1024)
    end = min(end, pos + MAX_HEADER_BYTES)
    for _ in range(MAX_KLVS):
        if pos + 17 > end or len(fields) >= MAX_FIELDS:
            break
        key = source.read_at(pos, 16)
        if key[:4] != _SMPTE:
            issues.append(("mxf-malformed", f"no KLV key at byte {pos} inside the header metadata"))
            break
        try:
            length, used = _ber(source, pos + 16)
        except InputError as exc:
            issues.append((exc.code, exc.message))
            break
        value_at = pos + 16 + used
        if value_at + length > source.size:
            issues.append(("mxf-truncated", f"KLV at byte {pos} runs past the end of the file"))
            break
        if (key[:13] == _PARTITION and key[13] in (2, 3, 4)) or _is_essence_or_index(key):
            break  # header metadata is over
        if key[:8] == _LOCAL_SET and length <= MAX_HEADER_BYTES:
            _read_set(key[8:], source.read_at(value_at, length), fields)
        pos = value_at + length
    return fields, issues, footer, complete


def _is_essence_or_index(key: bytes) -> bool:
    # Essence elements (…0d 01 03 01), index table segments (…0d 01 02 01 01 10 01 00),
    # random index pack (…0d 01 02 01 01 11 01 00).
    return key[8:12] == b"\x0d\x01\x03\x01" or key[8:14] in (b"\x0d\x01\x02\x01\x01\x10", b"\x0d\x01\x02\x01\x01\x11")


def _local_items(value: bytes):
    pos = 0
    while pos + 4 <= len(value):
        tag = int.from_bytes(value[pos : pos + 2], "big")
        size = int.from_bytes(value[pos + 2 : pos + 4], "big")
        yield tag, value[pos + 4 : pos + 4 + size]
        pos += 4 + size


def _read_set(kind: bytes, value: bytes, fields: list[Field]) -> None:
    if kind == _IDENTIFICATION:
        for tag, data in _local_items(value):
            name = _IDENT_TAGS.get(tag)
            text = _utf16(data, "big") if name else None
            if text:
                fields.append(Field(f"mxf:Identification:{name}", text))
    elif kind == _TAGGED_VALUE:
        items = dict(_local_items(value))
        name = _utf16(items.get(0x5001, b""), "big") or "unnamed"
        text = _indirect(items.get(0x5003, b""))
        if text:
            fields.append(Field(f"mxf:TaggedValue:{name}", text))
    elif kind[:4] == _DESCRIPTIVE:
        set_name = kind[4:7].hex()
        for tag, data in _local_items(value):
            text = _utf16(data, "big")
            if text and len(text) >= 3 and (len(data) not in (16, 32) or _wordy(text)):
                fields.append(Field(f"mxf:DM:{set_name}:{tag:04x}", text))


def _wordy(text: str) -> bool:
    # A descriptive set also holds UIDs, ULs and UMIDs (16 or 32 bytes) that can decode
    # as "printable" CJK characters; at those sizes only text with spaces or mostly
    # Latin letters counts. Longer values in any script are kept.
    latin = sum(1 for ch in text if ch < "\u0250")
    return " " in text or latin * 10 >= len(text) * 6


def _indirect(data: bytes) -> str | None:
    """An Indirect value: a byte-order mark ('B'/'L'), the type's 16-byte label, then the value."""
    if len(data) < 18 or data[0] not in (0x42, 0x4C):
        return None
    return _utf16(data[17:], "big" if data[0] == 0x42 else "little")


def _utf16(data: bytes, order: str) -> str | None:
    """Text when ``data`` is a plausible UTF-16 string; ``None`` for binary values."""
    if not data or len(data) % 2 or len(data) > MAX_TEXT:
        return None
    try:
        text = data.decode("utf-16-be" if order == "big" else "utf-16-le")
    except UnicodeDecodeError:
        return None
    text = text.split("\0", 1)[0].strip()
    if not text or any(not (ch.isprintable() or ch in "\r\n\t") for ch in text):
        return None
    return text
