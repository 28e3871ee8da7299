"""XMP scanner: packets in JPEG (incl. Extended XMP), PNG, WebP, TIFF, PSD, any file, and sidecars."""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from provenance.errors import InputError
from provenance.models import Signal
from provenance.source import ByteSource, ScanInput
from provenance.scanners.xmp import HEAD_SEARCH, TAIL_SEARCH, XmpScanner

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def packet(body: str, ns: str = "") -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {ns}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode()


IPTC = 'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
GEMINI = packet(f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
                "<photoshop:Credit>Made with Google AI</photoshop:Credit>",
                IPTC + ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"')


def scan(data: bytes, media_type: str, sidecars: dict[str, bytes] | None = None):
    item = ScanInput("t", media_type, ByteSource.from_bytes(data), sidecars=sidecars or {})
    return XmpScanner().scan(item)


def found(result) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


def saved(fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,media_type,kw", [
    ("JPEG", "image/jpeg", {"xmp": GEMINI}),
    ("WEBP", "image/webp", {"xmp": GEMINI}),
    ("TIFF", "image/tiff", {"tiffinfo": {700: GEMINI}}),
])
def test_gemini_packet_in_each_container(fmt: str, media_type: str, kw: dict[str, object]) -> None:
    result = found(scan(saved(fmt, **kw), media_type))
    assert result["xmp:Iptc4xmpExt:DigitalSourceType"].signal is Signal.GENERATED
    assert result["xmp:photoshop:Credit"].generator == "Google generative AI"


def test_png_itxt_packet_compressed() -> None:
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", GEMINI.decode(), zip=True)
    result = found(scan(saved("PNG", pnginfo=info), "image/png"))
    assert result["xmp:Iptc4xmpExt:DigitalSourceType"].signal is Signal.GENERATED


def test_namespace_not_prefix_decides_the_location() -> None:
    odd = packet(f'<zz:DigitalSourceType rdf:resource="{DST}compositeWithTrainedAlgorithmicMedia"/>'
                 '<q:AIGC>{"Label": "1"}</q:AIGC>',
                 'xmlns:zz="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:q="http://www.tc260.org.cn/ns/AIGC/1.0/"')
    result = found(scan(saved("JPEG", xmp=odd), "image/jpeg"))
    assert result["xmp:Iptc4xmpExt:DigitalSourceType"].signal is Signal.MODIFIED
    assert result["xmp:TC260:AIGC"].signal is Signal.GENERATED


def test_attributes_alt_values_and_ai_fields() -> None:
    body = ('<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">{"c": "fox", "uc": "", "seed": 1, "steps": 20}'
            '</rdf:li></rdf:Alt></exif:UserComment>')
    ns = ('xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
          'xmp:CreatorTool="Draw Things" ' + IPTC + ' Iptc4xmpExt:AISystemUsed="Some Model 3"')
    result = found(scan(saved("JPEG", xmp=packet(body, ns)), "image/jpeg"))
    assert result["xmp:exif:UserComment"].generator == "Draw Things"
    assert result["xmp:xmp:CreatorTool"].generator == "Draw Things"
    # AISystemUsed says AI was used, not how much: the DigitalSourceType decides "generated".
    assert result["xmp:Iptc4xmpExt:AISystemUsed"].signal is Signal.MODIFIED


def test_algorithmic_media_and_photoshop_are_not_ai() -> None:
    body = f"<Iptc4xmpExt:DigitalSourceType>{DST}algorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
    ns = IPTC + ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Adobe Photoshop 25.0"'
    result = scan(saved("JPEG", xmp=packet(body, ns)), "image/jpeg")
    assert {e.signal for e in result.evidence} == {Signal.NOT_GENERATIVE, Signal.INFO}


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def test_extended_xmp_is_reassembled() -> None:
    ext = packet(f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>", IPTC)
    guid = hashlib.md5(ext).hexdigest().upper().encode()
    header = b"http://ns.adobe.com/xmp/extension/\0" + guid + struct.pack(">I", len(ext))
    half = len(ext) // 2
    parts = _app1(header + struct.pack(">I", half) + ext[half:]) + _app1(header + struct.pack(">I", 0) + ext[:half])
    jpeg = saved("JPEG")
    result = found(scan(jpeg[:2] + parts + jpeg[2:], "image/jpeg"))
    assert result["xmp:Iptc4xmpExt:DigitalSourceType"].signal is Signal.GENERATED


def test_extended_xmp_with_a_missing_piece_is_ignored() -> None:
    ext = packet(f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>", IPTC)
    header = b"http://ns.adobe.com/xmp/extension/\0" + b"0" * 32 + struct.pack(">I", len(ext))
    jpeg = saved("JPEG")
    data = jpeg[:2] + _app1(header + struct.pack(">I", 0) + ext[:40]) + jpeg[2:]
    assert scan(data, "image/jpeg").evidence == ()


def test_psd_image_resource_1060() -> None:
    resource = b"8BIM" + struct.pack(">H", 1060) + b"\0\0" + struct.pack(">I", len(GEMINI)) + GEMINI
    resource += b"\0" * (len(GEMINI) & 1)
    header = b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 + struct.pack(">HIIHH", 3, 1, 1, 8, 3)
    psd = header + struct.pack(">I", 0) + struct.pack(">I", len(resource)) + resource + b"\0" * 64
    result = found(scan(psd, "image/vnd.adobe.photoshop"))
    assert result["xmp:photoshop:Credit"].signal is Signal.GENERATED


def test_byte_search_finds_a_packet_deep_in_the_head_and_in_the_tail() -> None:
    deep = b"\0" * (3 * 1024 * 1024) + GEMINI + b"\0" * 1000
    assert "xmp:photoshop:Credit" in found(scan(deep, "application/octet-stream"))
    tail = b"\0" * (HEAD_SEARCH + TAIL_SEARCH) + GEMINI
    assert "xmp:photoshop:Credit" in found(scan(tail, "video/mp4"))


def test_byte_search_is_bounded() -> None:
    middle = b"\0" * (HEAD_SEARCH + 10) + GEMINI + b"\0" * (TAIL_SEARCH + 10)
    assert scan(middle, "application/octet-stream").evidence == ()


BOMB = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(9))
        + b']><x:xmpmeta xmlns:x="adobe:ns:meta/">&j;</x:xmpmeta><?xpacket end="w"?>')


def test_billion_laughs_is_refused_not_expanded() -> None:
    result = scan(b"junk" + BOMB, "application/octet-stream")
    assert [e.code for e in result.errors] == ["xmp-hostile"]
    assert result.evidence == ()


def test_billion_laughs_sidecar_is_refused() -> None:
    result = scan(saved("JPEG"), "image/jpeg", sidecars={"xmp": b'<?xml version="1.0"?>' + BOMB.split(b"?>", 1)[1]})
    assert [e.code for e in result.errors] == ["xmp-hostile"]


def test_damaged_container_and_nothing_found_is_an_input_error() -> None:
    with pytest.raises(InputError):
        scan(b"\xff\xd8\xff\xe1\xff\xff", "image/jpeg")


def test_malformed_packet_next_to_good_evidence_is_an_issue() -> None:
    broken = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>'
    result = scan(saved("JPEG", xmp=GEMINI) + broken, "image/jpeg")
    assert "xmp:photoshop:Credit" in found(result)


def test_sidecar_fields_have_their_own_locations() -> None:
    result = found(scan(saved("JPEG"), "image/jpeg", sidecars={"xmp": GEMINI}))
    assert result["xmp:sidecar:Iptc4xmpExt:DigitalSourceType"].signal is Signal.GENERATED


def test_remote_provenance_reference_is_info() -> None:
    ref = packet('<dcterms:provenance>https://example.com/m.c2pa</dcterms:provenance>',
                 'xmlns:dcterms="http://purl.org/dc/terms/"')
    (ev,) = scan(saved("JPEG", xmp=ref), "image/jpeg").evidence
    assert ev.location == "xmp:dcterms:provenance" and ev.signal is Signal.INFO


def test_truncated_jpeg_still_falls_back_to_search() -> None:
    data = saved("JPEG", xmp=GEMINI)
    cut = data[: data.index(b"</x:xmpmeta>") + 40]
    result = scan(cut, "image/jpeg")
    assert "xmp:photoshop:Credit" in found(result)
    assert result.errors


def test_frame_formats_are_searched_in_their_header_only() -> None:
    """An EXR frame's header can carry a packet; its pixel data is never searched."""
    from provenance.source import HEAD_BYTES

    header = b"v/1\x01\x02\x00\x00\x00" + GEMINI + b"\x00"
    in_header = found(scan(header + b"\x00" * 1000, "image/x-exr"))
    assert in_header["xmp:Iptc4xmpExt:DigitalSourceType"].signal is Signal.GENERATED
    deep = scan(b"v/1\x01\x02\x00\x00\x00" + b"\x00" * HEAD_BYTES + GEMINI, "image/x-exr")
    assert not deep.evidence


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


_FTYP = _box(b"ftyp", b"isom\0\0\2\0isommp41")
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def _counted_scan(data: bytes, media_type: str = "video/mp4") -> tuple[dict, int]:
    source = ByteSource.from_bytes(data)
    result = XmpScanner().scan(ScanInput("t", media_type, source))
    return found(result), source.counts.ranged


def test_mp4_xmp_uuid_box_behind_a_large_mdat_is_found_from_box_headers() -> None:
    data = _FTYP + _box(b"mdat", b"\0" * (12 * 1024 * 1024)) + _box(b"uuid", _XMP_UUID + GEMINI)
    fields, read = _counted_scan(data)
    assert fields["xmp:photoshop:Credit"].signal is Signal.GENERATED
    assert read < 256 * 1024  # box headers and the packet, not the 12 MiB of media


def test_quicktime_udta_xmp_between_the_old_search_windows_is_found() -> None:
    # A 5 MiB free box first puts moov/udta/XMP_ past the head window and before the tail window.
    moov = _box(b"moov", _box(b"mvhd", b"\0" * 100) + _box(b"trak", _box(b"mdia", b"\0" * 64))
                + _box(b"udta", _box(b"XMP_", GEMINI)))
    data = _FTYP + _box(b"free", b"\0" * (5 * 1024 * 1024)) + moov + _box(b"mdat", b"\0" * (2 * 1024 * 1024))
    fields, read = _counted_scan(data, "video/quicktime")
    assert "xmp:photoshop:Credit" in fields
    assert read < 256 * 1024


def test_a_packet_inside_media_data_is_not_the_files_metadata() -> None:
    data = _FTYP + _box(b"moov", _box(b"mvhd", b"\0" * 100)) + _box(b"mdat", b"\0" * 64 + GEMINI + b"\0" * 64)
    assert found(scan(data, "video/mp4")) == {}


def test_a_broken_box_structure_falls_back_to_the_byte_search() -> None:
    data = _FTYP + struct.pack(">I4s", 16, b"\x01\x02\x03\x04") + b"\0" * 8 + GEMINI
    assert "xmp:photoshop:Credit" in found(scan(data, "video/mp4"))
