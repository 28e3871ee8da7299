"""MXF header metadata: Identification sets and user comments.

ffmpeg writes real OP1a files with its own Identification set and, from
``-metadata comment_<name>=…``, TaggedValue user comments. No available tool
lets a test choose the Identification product name, so the files naming Avid,
Resolve or a generative tool there are built byte for byte from SMPTE 377-1
(partition pack, primer pack, Identification local set) by ``_mxf`` below.
"""

from __future__ import annotations

import struct
import subprocess
import uuid

import pytest

from provenance.errors import InputError
from provenance.knowledge.sniff import sniff
from provenance.knowledge.verdict import decide
from provenance.models import Confidence, Signal, VerdictKind
from provenance.scanners.mxf import MxfScanner
from provenance.source import ByteSource, ScanInput
from tests.external import require_tool

SCANNER = MxfScanner()


def _scan(data: bytes):
    assert sniff(data[:4096]) == "application/mxf"
    return SCANNER.scan(ScanInput("f", "application/mxf", ByteSource.from_bytes(data)))


def _ffmpeg_mxf(tmp_path, *metadata: str) -> bytes:
    ffmpeg = require_tool("ffmpeg", "ffmpeg")
    out = tmp_path / "clip.mxf"
    args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25",
            "-t", "0.2", "-c:v", "mpeg2video"]
    for item in metadata:
        args += ["-metadata", item]
    subprocess.run([*args, "-y", str(out)], check=True)
    return out.read_bytes()


# --- SMPTE 377-1 by hand ---------------------------------------------------------

def _ber(n: int) -> bytes:
    return bytes([0x83]) + n.to_bytes(3, "big")


def _klv(key: bytes, value: bytes) -> bytes:
    return key + _ber(len(value)) + value


def _local(tag: int, value: bytes) -> bytes:
    return struct.pack(">HH", tag, len(value)) + value


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be")


def _identification(company: str, product: str, version: str) -> bytes:
    body = (_local(0x3C0A, uuid.uuid4().bytes) + _local(0x3C09, uuid.uuid4().bytes)
            + _local(0x3C01, _utf16(company)) + _local(0x3C02, _utf16(product))
            + _local(0x3C04, _utf16(version)) + _local(0x3C05, uuid.uuid4().bytes)
            + _local(0x3C06, bytes(8)))
    return _klv(bytes.fromhex("060e2b34025301010d01010101013000"), body)


def _partition(kind: int, status: int, header: bytes, this: int = 0, footer: int = 0) -> bytes:
    op1a = bytes.fromhex("060e2b34040101010d01020101010900")
    pack = (struct.pack(">HHI", 1, 3, 1) + struct.pack(">QQQQQ", this, 0, footer, len(header), 0)
            + struct.pack(">IQI", 0, 0, 1) + op1a + struct.pack(">II", 0, 16))
    key = bytes.fromhex("060e2b34020501010d010201") + bytes([0x01, kind, status, 0x00])
    return _klv(key, pack)


PRIMER = _klv(bytes.fromhex("060e2b34020501010d01020101050100"), struct.pack(">II", 0, 18))
ESSENCE = _klv(bytes.fromhex("060e2b34010201010d01030115010501"), bytes(64))


def _mxf(identifications: list[tuple[str, str, str]], extra_sets: bytes = b"") -> bytes:
    header = PRIMER + b"".join(_identification(*i) for i in identifications) + extra_sets
    return _partition(0x02, 0x04, header) + header + ESSENCE


def _growing_mxf(identification: tuple[str, str, str]) -> bytes:
    """An open, incomplete header with no sets; the final metadata sits in the footer partition."""
    header_len = len(_partition(0x02, 0x01, b"")) + len(ESSENCE)
    footer_meta = PRIMER + _identification(*identification)
    head = _partition(0x02, 0x01, b"", footer=header_len)
    return head + ESSENCE + _partition(0x04, 0x04, footer_meta, this=header_len, footer=header_len) + footer_meta


# --- tests ------------------------------------------------------------------------

def test_ffmpeg_identification_is_info_only(tmp_path) -> None:
    result = _scan(_ffmpeg_mxf(tmp_path, "comment_Generator=DaVinci Resolve Studio 19.0.1"))
    found = {e.location: e for e in result.evidence}
    assert found["mxf:Identification:CompanyName"].value == "FFmpeg"
    assert found["mxf:Identification:ProductName"].value == "OP1a Muxer"
    assert "mxf:Identification:VersionString" in found
    assert all(e.signal is Signal.INFO for e in result.evidence)
    assert decide(result.evidence).kind is VerdictKind.NO_EVIDENCE and result.errors == ()


def test_ffmpeg_user_comments_carry_a_generation_record(tmp_path) -> None:
    infotext = "a harbour at night\nNegative prompt: people\nSteps: 20, Sampler: Euler a, CFG scale: 6, Seed: 42"
    result = _scan(_ffmpeg_mxf(tmp_path, "comment_Software=Runway Gen-3 Alpha", f"comment_Notes={infotext}",
                               "comment_Editor=Jane Doe", "comment_Generator=Kling 2.1"))
    found = {e.location: e for e in result.evidence}
    assert found["mxf:TaggedValue:Software"].generator == "Runway"
    assert found["mxf:TaggedValue:Generator"].generator == "Kling"
    assert found["mxf:TaggedValue:Notes"].generator == "AUTOMATIC1111"
    assert found["mxf:TaggedValue:Editor"].signal is Signal.INFO
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


@pytest.mark.parametrize("ident", [("Avid Technology, Inc.", "Media Composer", "23.12.0"),
                                   ("Blackmagic Design", "DaVinci Resolve", "19.0.1"),
                                   ("Harmonic Inc.", "ProMedia Carbon", "5.12")])
def test_edit_suites_and_broadcast_encoders_are_not_ai(ident) -> None:
    result = _scan(_mxf([ident]))
    assert {e.value for e in result.evidence} >= {ident[0], ident[1]}
    assert decide(result.evidence).kind is VerdictKind.NO_EVIDENCE


def test_generative_tool_named_in_a_later_identification() -> None:
    data = _mxf([("Avid Technology, Inc.", "Media Composer", "23.12.0"), ("Example Studio", "ComfyUI", "0.3.10")])
    result = _scan(data)
    generated = [e for e in result.evidence if e.signal is Signal.GENERATED]
    assert [e.generator for e in generated] == ["ComfyUI"]
    assert generated[0].confidence is Confidence.TOOL_RECORD
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


def test_broken_files() -> None:
    with pytest.raises(InputError):
        _scan(bytes.fromhex("060e2b34") + bytes(40))
    data = _mxf([("Avid Technology, Inc.", "Media Composer", "1")])
    cut = data[: data.find(_utf16("Media")) + 4]
    result = _scan(cut + bytes.fromhex("060e2b34"))
    assert result.errors and result.errors[0].code.startswith("mxf-")


def test_growing_file_metadata_in_the_footer_partition() -> None:
    data = _growing_mxf(("Example Studio", "ComfyUI", "0.3.10"))
    result = _scan(data)
    assert [e.generator for e in result.evidence if e.signal is Signal.GENERATED] == ["ComfyUI"]
    assert result.errors == ()


def test_descriptive_metadata_text_and_binary_values() -> None:
    infotext = "shot 12 plate\nNegative prompt: rain\nSteps: 25, Sampler: Euler, CFG scale: 5, Seed: 99"
    dms1 = _klv(bytes.fromhex("060e2b34025301010d01040101010100"),
                _local(0x3C0A, uuid.uuid4().bytes) + _local(0x8001, _utf16(infotext))
                + _local(0x8002, bytes.fromhex("4e2d4e8765e567094e0a4e0b5de653f3"))  # a UID that reads as CJK
                + _local(0x8003, _utf16("人工智能生成的背景画面")))  # real CJK free text is kept
    result = _scan(_mxf([("Avid Technology, Inc.", "Media Composer", "23.12.0")], dms1))
    dm = [e for e in result.evidence if e.location.startswith("mxf:DM:")]
    assert {e.value for e in dm} == {infotext, "人工智能生成的背景画面"}
    assert [e.generator for e in dm if e.generator] == ["AUTOMATIC1111"]
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED
