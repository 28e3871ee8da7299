"""The EXR scanner on OpenEXR headers built with struct (single-part, tiled, long names, multipart)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.models import Confidence, ScannerResult, Signal
from provenance.knowledge.sniff import sniff
from provenance.source import ByteSource, ScanInput
from provenance.scanners import _exr_header
from provenance.scanners.exr import ExrScanner


def attr(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value


def string(name: str, text: str) -> bytes:
    return attr(name, "string", text.encode())


def stringvector(name: str, *items: str) -> bytes:
    return attr(name, "stringvector", b"".join(struct.pack("<i", len(i.encode())) + i.encode() for i in items))


REQUIRED = (attr("channels", "chlist", b"R\0" + struct.pack("<iBBBBii", 1, 0, 0, 0, 0, 1, 1) + b"\0")
            + attr("compression", "compression", b"\0")
            + attr("dataWindow", "box2i", struct.pack("<iiii", 0, 0, 7, 7))
            + attr("displayWindow", "box2i", struct.pack("<iiii", 0, 0, 7, 7))
            + attr("lineOrder", "lineOrder", b"\0")
            + attr("pixelAspectRatio", "float", struct.pack("<f", 1.0)))


def exr(*attrs: bytes, flags: int = 0) -> bytes:
    return b"v/1\x01" + struct.pack("<I", 2 | flags) + REQUIRED + b"".join(attrs) + b"\0" + b"\0" * 64


def multipart(*parts: tuple[bytes, ...]) -> bytes:
    headers = b"".join(REQUIRED + b"".join(p) + b"\0" for p in parts)
    return b"v/1\x01" + struct.pack("<I", 2 | _exr_header.FLAG_MULTIPART) + headers + b"\0" + b"\0" * 64


def scan(blob: bytes) -> ScannerResult:
    media_type = sniff(blob) if blob[:4] == b"v/1\x01" else "image/x-exr"
    scanner = ExrScanner()
    assert scanner.accepts(media_type)
    return scanner.scan(ScanInput("t.exr", media_type, ByteSource.from_bytes(blob)))


def by_location(result: ScannerResult) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


def test_nuke_render_is_not_ai() -> None:
    result = scan(exr(string("nuke/version", "14.0v5"), string("software", "Nuke 14.0v5"),
                      string("nuke/node_hash", "abc123")))
    assert not any(e.signal in (Signal.GENERATED, Signal.MODIFIED) for e in result.evidence)
    assert by_location(result)["exr:software"].signal is Signal.INFO


def test_generative_software_is_ai() -> None:
    found = by_location(scan(exr(string("software", "ComfyUI"))))
    assert found["exr:software"].generator == "ComfyUI"
    assert found["exr:software"].confidence is Confidence.TOOL_RECORD


def test_vendor_digital_source_type_is_a_declaration() -> None:
    found = by_location(scan(exr(string("gai/digitalSourceType", "trainedAlgorithmicMedia"),
                                 string("gai/tool", "in-house"))))
    assert found["exr:gai/digitalSourceType"].signal is Signal.GENERATED
    assert found["exr:gai/digitalSourceType"].confidence is Confidence.DECLARATION


def test_procedural_source_type_is_not_generative() -> None:
    found = by_location(scan(exr(string("exr/gai/digitalSourceType",
                                        "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"))))
    assert found["exr:exr/gai/digitalSourceType"].signal is not Signal.GENERATED


def test_comments_and_stringvector() -> None:
    infotext = "a castle\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42"
    found = by_location(scan(exr(string("comments", infotext), stringvector("notes", "one", "Made with Google AI"))))
    assert found["exr:comments"].generator == "AUTOMATIC1111"
    assert "exr:notes" not in found  # a stringvector is read, but 'notes' has no rule


def test_stringvector_is_joined() -> None:
    header = _exr_header.parse(ByteSource.from_bytes(exr(stringvector("credits", "a", "b", "c"))))
    texts = {a.name: a.text for a in header.attributes}
    assert texts["credits"] == "a\nb\nc"
    assert texts["dataWindow"] is None  # non-text attributes are skipped, not decoded


def test_tiled_and_long_names() -> None:
    long_name = "vendor/" + "x" * 100 + "/digitalSourceType"
    result = scan(exr(attr("tiles", "tiledesc", struct.pack("<IIB", 8, 8, 0)),
                      string(long_name, "trainedAlgorithmicMedia"), string("software", "Midjourney"),
                      flags=_exr_header.FLAG_TILED | _exr_header.FLAG_LONG_NAMES))
    found = by_location(result)
    assert found[f"exr:{long_name}"].confidence is Confidence.DECLARATION
    assert found["exr:software"].generator == "Midjourney"


def test_multipart_locations() -> None:
    parts = (
        (string("name", "beauty"), string("type", "scanlineimage"), string("software", "Nuke")),
        (string("name", "matte"), string("type", "scanlineimage"), string("software", "Runway Gen-3")),
        (string("name", "fx"), string("gai/digitalSourceType", "compositeWithTrainedAlgorithmicMedia")),
    )
    found = by_location(scan(multipart(*parts)))
    assert found["exr:software"].signal is Signal.INFO
    assert found["exr:part1:software"].generator == "Runway"
    assert found["exr:part2:gai/digitalSourceType"].confidence is Confidence.DECLARATION


def test_header_larger_than_first_read_is_followed() -> None:
    big = "x" * (_exr_header.FIRST_READ + 1000)
    found = by_location(scan(exr(string("padding", big), string("software", "Fooocus"))))
    assert found["exr:software"].generator == "Fooocus"


def test_attribute_claiming_gigabytes_is_refused() -> None:
    lying = b"v/1\x01" + struct.pack("<I", 2) + b"comments\0string\0" + struct.pack("<i", 2**31 - 1) + b"abc"
    with pytest.raises(InputError) as err:
        scan(lying)
    assert err.value.code == "exr-truncated"


def test_attribute_claiming_more_than_the_cap_in_a_large_file() -> None:
    lying = (b"v/1\x01" + struct.pack("<I", 2) + b"comments\0string\0" + struct.pack("<i", 2**31 - 1)
             + b"\0" * (_exr_header.MAX_HEADER_BYTES + 16))
    with pytest.raises(InputError) as err:
        scan(lying)
    assert err.value.code == "exr-header-too-large"


def test_negative_size_is_refused() -> None:
    with pytest.raises(InputError) as err:
        scan(b"v/1\x01" + struct.pack("<I", 2) + b"comments\0string\0" + struct.pack("<i", -5) + b"\0" * 32)
    assert err.value.code == "exr-malformed"


def test_unterminated_name_is_refused() -> None:
    with pytest.raises(InputError) as err:
        scan(b"v/1\x01" + struct.pack("<I", 2) + b"n" * 400)
    assert err.value.code == "exr-malformed"


def test_too_many_attributes_is_refused() -> None:
    with pytest.raises(InputError) as err:
        scan(exr(*(string(f"a{i}", "v") for i in range(_exr_header.MAX_ATTRIBUTES + 1))))
    assert err.value.code == "exr-too-many-attributes"


def test_endless_multipart_is_refused() -> None:
    part = string("name", "p") + b"\0"
    blob = b"v/1\x01" + struct.pack("<I", 2 | _exr_header.FLAG_MULTIPART) + part * (_exr_header.MAX_PARTS + 1) + b"\0"
    with pytest.raises(InputError) as err:
        scan(blob)
    assert err.value.code == "exr-too-many-parts"


@pytest.mark.parametrize("blob", [b"", b"v/1\x01", b"v/1\x01\x02\x00\x00\x00", b"v/1\x01\x01\x00\x00\x00\0"])
def test_empty_magic_only_and_wrong_version(blob: bytes) -> None:
    with pytest.raises(InputError) as err:
        scan(blob)
    assert err.value.code in ("exr-malformed", "exr-truncated")


@pytest.mark.parametrize("cut", [9, 20, 40, 120])
def test_truncated_headers_are_input_errors(cut: int) -> None:
    with pytest.raises(InputError):
        scan(exr(string("software", "Nuke"))[:cut])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([0, _exr_header.FLAG_MULTIPART, _exr_header.FLAG_LONG_NAMES]))
def test_random_headers_never_crash(tail: bytes, flags: int) -> None:
    try:
        result = scan(b"v/1\x01" + struct.pack("<I", 2 | flags) + tail)
    except InputError:
        return
    assert isinstance(result, ScannerResult)


def test_the_xmp_scanner_searches_the_header_and_not_the_pixels_after_it() -> None:
    from contextlib import nullcontext

    from provenance.scanners.xmp import XmpScanner

    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
              'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
              'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>')
    in_header = exr(string("xmp", packet)) + b"\0" * 64
    after_header = exr(string("owner", "studio")) + packet.encode()  # where offset tables and pixels sit

    def xmp_locations(blob: bytes) -> set[str]:
        source = ByteSource.from_bytes(blob)
        result = XmpScanner().scan(ScanInput("f.exr", "image/x-exr", source))
        with pytest.raises(InputError) if blob[4] != 2 else nullcontext():
            ExrScanner().scan(ScanInput("f.exr", "image/x-exr", source))  # the same file: its header parsed once
        return {e.location for e in result.evidence}

    assert "xmp:Iptc4xmpExt:DigitalSourceType" in xmp_locations(in_header)
    assert xmp_locations(after_header) == set()
    # A header the parser refuses is searched whole, as before.
    assert "xmp:Iptc4xmpExt:DigitalSourceType" in xmp_locations(b"v/1\x01\x63\0\0\0" + packet.encode())
