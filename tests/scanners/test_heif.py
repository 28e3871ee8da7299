"""EXIF and XMP in HEIF (HEIC) and AVIF images: the ``meta``/``iinf``/``iloc`` items.

The HEIC files are written by pillow-heif (libheif), the AVIF files by Pillow's
own AVIF plugin (libavif): real encoders, not hand-made boxes.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, features

from provenance.errors import InputError
from provenance.knowledge.sniff import sniff
from provenance.knowledge.verdict import decide
from provenance.models import Signal, VerdictKind
from provenance.scanners.exif import ExifScanner
from provenance.scanners.xmp import XmpScanner
from provenance.source import ByteSource, ScanInput
from tests.external import require_module

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
XMP = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       f'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="{DST}"/>'
       '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


def _encode(fmt: str, *, software: str, xmp: bytes | None) -> bytes:
    if fmt == "HEIF":
        require_module("pillow_heif", "pillow-heif").register_heif_opener()
    elif not features.check("avif"):
        pytest.skip("this Pillow build has no AVIF support")
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0131] = software
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()}
    if xmp is not None:
        kwargs["xmp"] = xmp
    Image.new("RGB", (48, 32), (90, 140, 200)).save(buf, fmt, **kwargs)
    return buf.getvalue()


def _scan(scanner, data: bytes):
    media_type = sniff(data[:4096])
    assert media_type in ("image/heic", "image/heif", "image/avif")
    return scanner.scan(ScanInput("f", media_type, ByteSource.from_bytes(data)))


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_exif_software_and_xmp_source_type_are_read(fmt) -> None:
    data = _encode(fmt, software="Fooocus v2.5.5", xmp=XMP)
    exif = {e.location: e for e in _scan(ExifScanner(), data).evidence}
    assert exif["exif:IFD0:Software"].generator == "Fooocus"
    assert exif["exif:IFD0:Make"].signal is Signal.INFO
    xmp = _scan(XmpScanner(), data).evidence
    assert any(e.location == "xmp:Iptc4xmpExt:DigitalSourceType" and e.signal is Signal.GENERATED for e in xmp)
    assert decide(xmp).kind is VerdictKind.AI_GENERATED


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_phone_photo_stays_without_ai_evidence(fmt) -> None:
    data = _encode(fmt, software="17.5.1", xmp=None)
    exif = _scan(ExifScanner(), data)
    assert {e.location for e in exif.evidence} >= {"exif:IFD0:Make", "exif:IFD0:Software"}
    assert decide(exif.evidence).kind is VerdictKind.NO_EVIDENCE
    assert _scan(XmpScanner(), data).evidence == ()


def test_item_extent_outside_the_file_is_a_clean_error() -> None:
    data = bytearray(_encode("HEIF", software="x", xmp=XMP))
    iloc = data.find(b"iloc")
    assert iloc > 0
    # Point every 32-bit field after the iloc header at a huge value: extents now lie.
    data[iloc + 16 : iloc + 60] = b"\x7f" * 44
    with pytest.raises(InputError) as err:
        _scan(ExifScanner(), bytes(data))
    assert err.value.code.startswith("heif-")


def _box(kind: bytes, body: bytes, full: int | None = None) -> bytes:
    if full is not None:
        body = full.to_bytes(4, "big") + body
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def test_version_0_item_entry_with_a_charset_parameter() -> None:
    # Built byte for byte from ISO/IEC 14496-12 §8.11 (infe version 0 names items by MIME type
    # only); no current encoder writes version 0, but older HEIF writers did.
    packet = XMP
    infe = _box(b"infe", (1).to_bytes(2, "big") + b"\0\0" + b"xmp\0" + b"application/rdf+xml; charset=utf-8\0",
                full=0)
    iinf = _box(b"iinf", (1).to_bytes(2, "big") + infe, full=0)
    hdlr = _box(b"hdlr", b"\0\0\0\0pict" + bytes(12) + b"\0", full=0)
    ftyp = _box(b"ftyp", b"heic\0\0\0\0mif1heic")

    def build(offset: int) -> bytes:
        iloc = _box(b"iloc", b"\x44\x00" + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + b"\0\0"
                    + (1).to_bytes(2, "big") + offset.to_bytes(4, "big") + len(packet).to_bytes(4, "big"), full=0)
        meta = _box(b"meta", hdlr + iinf + iloc, full=0)
        return ftyp + meta + _box(b"mdat", packet)

    draft = build(0)
    data = build(len(draft) - len(packet))
    assert data.endswith(packet)
    assert decide(_scan(XmpScanner(), data).evidence).kind is VerdictKind.AI_GENERATED
