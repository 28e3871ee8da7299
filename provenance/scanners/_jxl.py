"""Metadata boxes of a JPEG XL container: ``Exif``, ``xml `` (XMP) and ``jumb`` (JUMBF/C2PA).

A JPEG XL file is either a bare codestream (no metadata boxes) or an
ISO-BMFF-style container (ISO/IEC 18181-2). Encoders may store ``Exif`` and
``xml `` Brotli-compressed inside a ``brob`` box whose payload starts with the
real box type; libjxl's ``cjxl`` does so by default. Decompression is capped.
"""

from __future__ import annotations

from provenance.errors import InputError
from provenance.source import ByteSource

from provenance.scanners._bmff import payload, walk

MAX_DECOMPRESSED = 16 * 1024 * 1024
SIGNATURE = b"\x00\x00\x00\x0cJXL \r\n\x87\n"


def metadata_boxes(source: ByteSource, scanner: str, wanted: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
    """(box type, payload) of every top-level box whose type is in ``wanted``, ``brob`` boxes unpacked."""
    if not source.read_at(0, 12) == SIGNATURE:
        return []  # a bare codestream carries no metadata boxes
    out = []
    tree = walk(source, scanner)
    for node in tree.top:
        kind = node.box.type
        if tree.issues and (kind in wanted or kind == b"brob") and node.box.end == source.size:
            # The walk clamped a cut-off box: report the cut (as the walk words it) rather
            # than the decompressor's complaint about the half of it that is there.
            raise InputError(tree.issues[0].code, tree.issues[0].message)
        if kind in wanted:
            out.append((kind, payload(source, node.box)))
        elif kind == b"brob" and source.read_at(node.box.start, 4) in wanted:
            inner = source.read_at(node.box.start, 4)
            out.append((inner, _unbrotli(payload(source, node.box, skip=4))))
    if not out and tree.issues:
        raise InputError(tree.issues[0].code, tree.issues[0].message)
    return out


def _unbrotli(data: bytes) -> bytes:
    import brotli

    decompressor = brotli.Decompressor()
    try:
        out = decompressor.process(data, output_buffer_limit=MAX_DECOMPRESSED)
    except brotli.error as exc:
        raise InputError("jxl-brob-corrupt", f"compressed metadata box does not decompress: {exc}") from None
    if not decompressor.is_finished():
        if len(out) < MAX_DECOMPRESSED:
            raise InputError("jxl-truncated", "compressed metadata box is cut off")
        raise InputError("jxl-brob-too-large", "compressed metadata box expands past 16 MiB")
    return out
