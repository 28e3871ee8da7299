"""JPEG COM segments, written by Pillow (``comment=``) and by exiftool (``-Comment=``)."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from PIL import Image

from provenance.errors import InputError
from provenance.knowledge.verdict import decide
from provenance.models import Confidence, VerdictKind
from provenance.scanners.jpeg_com import JpegCommentScanner, decode_comment
from provenance.source import ByteSource, ScanInput
from tests.external import require_tool

SCANNER = JpegCommentScanner()
INFOTEXT = ("a lighthouse at dusk\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, CFG scale: 7, "
            "Seed: 1234, Size: 512x512, Model hash: 31e35c80fc")
FOOOCUS = json.dumps({"full_prompt": ["a lighthouse"], "base_model": "juggernautXL", "steps": 30,
                      "version": "Fooocus v2.5.5"})


def _pillow(comment: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 16), (10, 20, 30)).save(buf, "JPEG", comment=comment)
    return buf.getvalue()


def _scan(data: bytes):
    return SCANNER.scan(ScanInput("f", "image/jpeg", ByteSource.from_bytes(data)))


@pytest.mark.parametrize(("comment", "generator"), [(INFOTEXT, "AUTOMATIC1111"), (FOOOCUS, "Fooocus")])
def test_generation_record_in_a_comment(comment, generator) -> None:
    result = _scan(_pillow(comment))
    (found,) = result.evidence
    assert found.location == "jpeg:COM"
    assert found.generator == generator and found.confidence is Confidence.TOOL_RECORD
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


def test_comment_written_by_exiftool(tmp_path) -> None:
    exiftool = require_tool("exiftool", "libimage-exiftool-perl")
    path = tmp_path / "c.jpg"
    path.write_bytes(_pillow("first"))
    subprocess.run([exiftool, "-q", "-overwrite_original", f"-Comment={INFOTEXT}", str(path)], check=True)
    result = _scan(path.read_bytes())
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


@pytest.mark.parametrize("comment", ["Cover art inspired by Midjourney and Stable Diffusion experiments",
                                     "CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 90"])
def test_a_human_comment_mentioning_a_generator_is_not_ai(comment) -> None:
    result = _scan(_pillow(comment))
    assert decide(result.evidence).kind is VerdictKind.NO_EVIDENCE


def test_latin1_comment_and_broken_marker_after_it() -> None:
    data = _pillow("x")
    at = data.find(b"\xff\xfe")
    latin = b"\xff\xfe\x00\x0dCaf\xe9 cr\xe8me"
    broken = data[:at] + latin + b"\x00garbage"
    result = _scan(broken)
    assert result.errors and result.errors[0].code == "jpeg-marker"
    with pytest.raises(InputError):
        _scan(b"\xff\xd8\x00\x00")
    assert decode_comment(b"Caf\xe9 cr\xe8me\0") == "Café crème"
    assert decode_comment("naïve".encode()) == "naïve"


def test_segment_walk_replayed_for_other_markers_ends_as_a_fresh_walk() -> None:
    # Scanners ask one walk for different markers; the kept walk must give each the
    # segments a fresh walk would, and the same error at the broken marker.
    from provenance.scanners._jpeg import iter_app_segments

    good = _pillow("Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    broken = good[:2] + b"\xff\xe1\x00\x08Exif\x00\x00" + b"\xff\xfe\x00\x05abc" + b"\x00\x00" + good[2:]
    source = ByteSource.from_bytes(broken)

    def walk(src, markers):
        got = []
        with pytest.raises(InputError) as err:
            for seg in iter_app_segments(src, markers):
                got.append((seg.marker, seg.offset, seg.data))
        return got, err.value.code, err.value.message

    for markers in (frozenset({0xE1}), frozenset({0xFE}), frozenset({0xE1, 0xFE})):
        assert walk(source, markers) == walk(ByteSource.from_bytes(broken), markers)
    assert walk(source, frozenset({0xFE}))[0] == [(0xFE, 16, b"abc")]
