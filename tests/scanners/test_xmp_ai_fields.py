"""IPTC 2025.1 AI fields, and XMP packets whose xpacket header carries stray bytes.

exiftool 12.57 does not know the 2025.1 AI properties, so their packet is
written here from the IPTC Photo Metadata Standard 2025.1 property list and
embedded by Pillow (``xmp=``). The damaged-header file is written by exiftool,
then its ``begin`` attribute is overwritten with control bytes as some photo
managers write it.
"""

from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image

from provenance.knowledge.verdict import decide
from provenance.models import Signal, VerdictKind
from provenance.scanners.xmp import XmpScanner
from provenance.source import ByteSource, ScanInput
from tests.external import require_tool

SCANNER = XmpScanner()
EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"


def _packet(props: dict[str, str], begin: str = "\ufeff") -> str:
    attrs = " ".join(f'Iptc4xmpExt:{k}="{v}"' for k, v in props.items())
    return (f'<?xpacket begin="{begin}" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{EXT}" {attrs}/></rdf:RDF></x:xmpmeta>'
            '<?xpacket end="w"?>')


def _jpeg(xmp: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(buf, "JPEG", xmp=xmp)
    return buf.getvalue()


def _scan(data: bytes):
    return SCANNER.scan(ScanInput("f", "image/jpeg", ByteSource.from_bytes(data)))


def test_ai_system_used_names_the_generator_and_prompts_are_info() -> None:
    result = _scan(_jpeg(_packet({"AISystemUsed": "Firefly Image", "AISystemVersionUsed": "3",
                                  "AIPromptInformation": "a fox in snow", "AIPromptWriterName": "Jane Doe",
                                  "DigitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/"
                                                       "trainedAlgorithmicMedia"}).encode()))
    found = {e.location.rsplit(":", 1)[1]: e for e in result.evidence}
    assert found["AISystemUsed"].generator == "Firefly Image 3"
    assert found["AIPromptInformation"].signal is Signal.INFO
    assert found["AIPromptWriterName"].signal is Signal.INFO
    verdict = decide(result.evidence)
    assert verdict.kind is VerdictKind.AI_GENERATED and verdict.generators == ("Firefly Image 3",)


def test_ai_system_alone_is_at_least_modified_and_version_already_in_the_name() -> None:
    result = _scan(_jpeg(_packet({"AISystemUsed": "Midjourney v7", "AISystemVersionUsed": "v7"}).encode()))
    verdict = decide(result.evidence)
    assert verdict.kind is VerdictKind.AI_MODIFIED and verdict.generators == ("Midjourney v7",)
    prompt_only = _scan(_jpeg(_packet({"AIPromptWriterName": "Jane Doe"}).encode()))
    assert decide(prompt_only.evidence).kind is VerdictKind.NO_EVIDENCE


@pytest.mark.parametrize("stray", [b"\x01\x02", b"\x00", b"\xfe", b"\x1b"])
def test_control_bytes_in_the_xpacket_header_do_not_lose_the_packet(tmp_path, stray) -> None:
    exiftool = require_tool("exiftool", "libimage-exiftool-perl")
    path = tmp_path / "p.jpg"
    path.write_bytes(_jpeg(b""))
    subprocess.run([exiftool, "-q", "-overwrite_original", "-XMP-iptcExt:DigitalSourceType="
                    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", str(path)], check=True)
    data = path.read_bytes()
    assert _scan(data).errors == ()
    at = data.find(b"<?xpacket begin=") + len(b"<?xpacket begin=")
    quote = data[at : at + 1]
    end = data.find(quote, at + 1)
    damaged = _keep_length(data[: at + 1] + stray + data[end:], len(stray) - (end - at - 1))
    assert len(damaged) == len(data)
    result = _scan(damaged)
    assert result.errors == ()
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


def _keep_length(data: bytes, delta: int) -> bytes:
    """Give back (or take) ``delta`` bytes of the packet's trailing padding, so the APP1 length still holds."""
    end = data.find(b"<?xpacket end")
    if delta > 0:
        assert data[end - delta : end].strip() == b""
        return data[: end - delta] + data[end:]
    return data[:end] + b" " * (-delta) + data[end:]


def test_control_bytes_outside_the_header_still_refuse_the_packet() -> None:
    bad = _packet({"AISystemUsed": "X"}).replace('rdf:about=""', 'rdf:about="\x01"').encode()
    result = _scan(_jpeg(bad))
    assert result.evidence == () and result.errors and result.errors[0].code == "xmp-malformed"
    hostile = (b'<?xpacket begin="\x01"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
               + _packet({"AISystemUsed": "&a;"}).split("?>", 1)[1].encode())
    result = _scan(_jpeg(hostile))
    assert result.evidence == () and result.errors[0].code == "xmp-hostile"
