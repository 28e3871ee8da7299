"""Finding XMP packets in raw bytes and flattening them into (prefix, name, value) triples.

Parsing forbids DTDs, entities and external references, so a billion-laughs
or XXE packet is refused before anything expands. Properties are named by
their namespace URI, mapped to the customary prefix, never by whatever prefix
the file happened to declare (``xmlns:foo="http://ns.adobe.com/photoshop/1.0/"``
still reads as ``photoshop``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from provenance.errors import InputError

MAX_PACKET = 16 * 1024 * 1024
MAX_PACKETS = 16
MAX_PROPERTIES = 4096
MAX_STRUCT_DEPTH = 16

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DESCRIPTION = f"{{{RDF}}}Description"
_LI = f"{{{RDF}}}li"
_CONTAINERS = {f"{{{RDF}}}{name}" for name in ("Alt", "Bag", "Seq")}
_RESOURCE = f"{{{RDF}}}resource"
_PARSE_TYPE = f"{{{RDF}}}parseType"

# Namespace URI -> customary prefix.
PREFIXES: dict[str, str] = {
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#": "stRef",
    "http://ns.adobe.com/xmp/note/": "xmpNote",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://www.tc260.org.cn/ns/AIGC/1.0/": "TC260",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/": "xmpDM",
    "http://ns.provenance-cli.org/tag/1.0/": "provenance",  # the tagger's ApprovalRef
}

_MARKERS = (b"<?xpacket begin", b"<x:xmpmeta", b"<x:xapmeta")
# The leftmost of the markers in one pass: they share the "<" that the regex engine
# skips to, which is about twice as fast as one bytes.find per marker over a 64 KiB head.
_FIRST_MARKER = re.compile(b"|".join(re.escape(m) for m in _MARKERS))
_ENDS = {b"<?xpacket begin": b"<?xpacket end", b"<x:xmpmeta": b"</x:xmpmeta>", b"<x:xapmeta": b"</x:xapmeta>"}


@dataclass(frozen=True, slots=True)
class Property:
    prefix: str
    name: str
    value: str


def find_packets(data: bytes) -> list[bytes]:
    """Complete XMP packets in ``data``, in order; cut-off packets are skipped."""
    packets: list[bytes] = []
    pos = 0
    while len(packets) < MAX_PACKETS:
        hit = _FIRST_MARKER.search(data, pos)
        if hit is None:
            break
        start, marker = hit.start(), hit.group()
        end = data.find(_ENDS[marker], start + len(marker))
        if end < 0:
            break
        end = data.find(b">", end) + 1
        if end <= 0:
            break
        packets.append(data[start:end])
        pos = end
    return packets


def parse_packet(packet: bytes) -> list[Property]:
    """Every simple property in one packet; raises ``InputError`` for hostile or broken XML."""
    if len(packet) > MAX_PACKET:
        raise InputError("xmp-too-large", f"XMP packet of {len(packet)} bytes is over the limit")
    packet = _without_xpacket_header(packet)
    prefixes: dict[str, str] = {}
    root: Element | None = None
    try:
        for event, node in iterparse(io.BytesIO(packet), events=("start-ns", "start"),
                                     forbid_dtd=True, forbid_entities=True, forbid_external=True):
            if event == "start-ns":
                prefix, uri = node  # type: ignore[misc]
                prefixes.setdefault(uri, prefix or "ns")
            elif root is None:
                root = node  # type: ignore[assignment]
    except DefusedXmlException as exc:
        raise InputError("xmp-hostile", f"XMP refused: {type(exc).__name__} (DTD/entity/external reference)") from None
    except ParseError as exc:
        raise InputError("xmp-malformed", f"XMP is not well-formed XML: {exc}") from None
    if root is None:
        return []
    out: list[Property] = []
    for desc in root.iter(_DESCRIPTION):
        _description(desc, prefixes, out, 0)
        if len(out) >= MAX_PROPERTIES:
            break
    return out[:MAX_PROPERTIES]


def _without_xpacket_header(packet: bytes) -> bytes:
    """The packet minus its ``<?xpacket begin=…?>`` header when that header holds control or stray bytes.

    The header is a processing instruction that carries no metadata. Some photo
    managers write a raw control byte (or a NUL instead of the BOM) into its
    ``begin`` attribute, which makes the whole packet ill-formed XML; the body
    after it is still parsed with every guard in place.
    """
    start = packet.find(b"<?xpacket", 0, 64)
    if start < 0:
        return packet
    end = packet.find(b"?>", start, start + 512)
    if end < 0:
        return packet
    header = packet[start:end]
    if any(b < 0x20 and b not in (0x09, 0x0A, 0x0D) for b in header) or not _is_utf8(header):
        return packet[:start] + packet[end + 2 :]
    return packet


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _split(tag: str, prefixes: dict[str, str]) -> tuple[str, str] | None:
    if not tag.startswith("{"):
        return None
    uri, _, name = tag[1:].partition("}")
    if uri == RDF:
        return None
    return PREFIXES.get(uri) or prefixes.get(uri, "ns"), name


def _description(desc: Element, prefixes: dict[str, str], out: list[Property], depth: int) -> None:
    for attr, value in desc.attrib.items():
        key = _split(attr, prefixes)
        if key and value.strip():
            out.append(Property(key[0], key[1], value.strip()))
    for child in desc:
        key = _split(child.tag, prefixes)
        if key is not None:
            for value in _values(child, prefixes, out, depth):
                out.append(Property(key[0], key[1], value))


def _values(prop: Element, prefixes: dict[str, str], out: list[Property], depth: int) -> Iterator[str]:
    """The text values of one property element; structure fields go straight to ``out``."""
    if _RESOURCE in prop.attrib:
        yield prop.attrib[_RESOURCE].strip()
        return
    if prop.attrib.get(_PARSE_TYPE) == "Resource":
        if depth < MAX_STRUCT_DEPTH:
            _description(prop, prefixes, out, depth + 1)
        return
    children = list(prop)
    if not children:
        if prop.text and prop.text.strip():
            yield prop.text.strip()
        return
    if depth >= MAX_STRUCT_DEPTH:
        return  # hostile nesting (Bag in li in Bag ...) would exhaust the stack
    for child in children:
        # Nested rdf:Description elements are visited by the caller's root.iter().
        if child.tag in _CONTAINERS:
            for li in child:
                if li.tag == _LI:
                    yield from _values(li, prefixes, out, depth + 1)
