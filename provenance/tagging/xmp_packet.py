"""Build an XMP packet with the IPTC AI declaration, or merge it into one.

Readers (exiftool, Adobe, the project's XMP scanner) key on namespace URIs,
so the merge keeps every foreign property and only replaces ours. Values are
written as child elements of a fresh ``rdf:Description``: the form every XMP
reader accepts.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import defusedxml.ElementTree as SafeET

from provenance.errors import ProvenanceError

X_NS = "adobe:ns:meta/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
# Our own namespace for what IPTC has no field for (the approval reference).
PROVENANCE_NS = "http://ns.provenance-cli.org/tag/1.0/"

# (namespace, local name) of every property we own, keyed by a short id.
PROPERTIES: dict[str, tuple[str, str]] = {
    "dst": (IPTC_EXT_NS, "DigitalSourceType"),
    "ai_system": (IPTC_EXT_NS, "AISystemUsed"),
    "ai_version": (IPTC_EXT_NS, "AISystemVersionUsed"),
    "prompt": (IPTC_EXT_NS, "AIPromptInformation"),
    "approval": (PROVENANCE_NS, "ApprovalRef"),
}
_PREFIXES = {X_NS: "x", RDF_NS: "rdf", IPTC_EXT_NS: "Iptc4xmpExt", PROVENANCE_NS: "provenance"}

_HEADER = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_TRAILER = '\n<?xpacket end="w"?>'
# Padding lets later editors grow the packet in place (XMP spec recommends 2 KB).
_PADDING = (" " * 99 + "\n") * 20

MAX_PACKET_BYTES = 4 * 1024 * 1024


class XmpError(ProvenanceError):
    """An existing XMP packet that cannot be parsed or merged."""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def read_values(packet: bytes | None) -> dict[str, str]:
    """Our properties as found in ``packet`` (attribute or element form)."""
    if not packet:
        return {}
    root = _parse(packet)
    found: dict[str, str] = {}
    for desc in root.iter(_q(RDF_NS, "Description")):
        for key, (ns, name) in PROPERTIES.items():
            qname = _q(ns, name)
            if qname in desc.attrib:
                found.setdefault(key, desc.attrib[qname].strip())
            child = desc.find(qname)
            if child is not None:
                found.setdefault(key, _element_text(child))
    return found


def _element_text(elem: ET.Element) -> str:
    # A property may be simple text, a resource URI, or a lang-alt/bag.
    resource = elem.attrib.get(_q(RDF_NS, "resource"))
    if resource:
        return resource.strip()
    li = elem.find(f".//{_q(RDF_NS, 'li')}")
    if li is not None:
        return (li.text or "").strip()
    return (elem.text or "").strip()


def merge(packet: bytes | None, values: Mapping[str, str]) -> bytes:
    """A packet holding ``values`` plus everything else ``packet`` held.

    ``values`` maps keys of ``PROPERTIES`` to text; empty values are omitted
    (and any old value for that key is removed, so a re-tag cannot leave a
    stale prompt behind).
    """
    unknown = set(values) - set(PROPERTIES)
    if unknown:
        raise ValueError(f"unknown XMP properties: {sorted(unknown)}")
    if packet:
        root = _parse(packet)
        _register_prefixes(packet)
    else:
        root = ET.Element(_q(X_NS, "xmpmeta"))
        ET.SubElement(root, _q(RDF_NS, "RDF"))
    rdf = root if root.tag == _q(RDF_NS, "RDF") else root.find(_q(RDF_NS, "RDF"))
    if rdf is None:
        raise XmpError("the XMP packet has no rdf:RDF element")
    for desc in list(rdf.iter(_q(RDF_NS, "Description"))):
        for ns, name in PROPERTIES.values():
            desc.attrib.pop(_q(ns, name), None)
            for child in desc.findall(_q(ns, name)):
                desc.remove(child)
    ours = ET.SubElement(rdf, _q(RDF_NS, "Description"), {_q(RDF_NS, "about"): ""})
    for key, text in values.items():
        if text:
            ns, name = PROPERTIES[key]
            ET.SubElement(ours, _q(ns, name)).text = text
    for prefix_uri, prefix in _PREFIXES.items():
        ET.register_namespace(prefix, prefix_uri)
    body = ET.tostring(root, encoding="unicode")
    data = (_HEADER + body + "\n" + _PADDING + _TRAILER).encode("utf-8")
    if len(data) > MAX_PACKET_BYTES:
        raise XmpError(f"the merged XMP packet would be {len(data)} bytes, over the {MAX_PACKET_BYTES}-byte limit")
    return data


def strip_padding(packet: bytes) -> bytes:
    """The packet without trailing padding, for containers with tight size limits."""
    if _PADDING.encode() in packet:
        return packet.replace(_PADDING.encode(), b"")
    return packet


def _parse(packet: bytes) -> ET.Element:
    if len(packet) > MAX_PACKET_BYTES:
        raise XmpError(f"the XMP packet is {len(packet)} bytes, over the {MAX_PACKET_BYTES}-byte limit")
    text = packet.decode("utf-8", "replace").lstrip("\ufeff")
    start = text.find("<x:xmpmeta")
    if start < 0:
        start = text.find("<rdf:RDF")
    end_tag = "</x:xmpmeta>" if text.startswith("<x:xmpmeta", start) else "</rdf:RDF>"
    end = text.rfind(end_tag)
    if start < 0 or end < 0:
        raise XmpError("the existing XMP packet has no x:xmpmeta or rdf:RDF element")
    try:
        return SafeET.fromstring(text[start : end + len(end_tag)])
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise XmpError(f"the existing XMP packet is not well-formed XML ({exc})") from exc


def _register_prefixes(packet: bytes) -> None:
    # Keep the document's own prefixes so a merged packet still reads naturally
    # (ElementTree would otherwise rename foreign namespaces to ns0, ns1, ...).
    text = packet.decode("utf-8", "replace")
    start = max(text.find("<x:xmpmeta"), 0)
    try:
        for _event, (prefix, uri) in SafeET.iterparse(io.BytesIO(text[start:].encode()), events=("start-ns",)):
            if prefix and not prefix.startswith("ns") and uri not in _PREFIXES:
                try:
                    ET.register_namespace(prefix, uri)
                except ValueError:
                    pass
    except Exception:  # noqa: BLE001 - trailing padding/PI after the root; prefixes are cosmetic
        pass
