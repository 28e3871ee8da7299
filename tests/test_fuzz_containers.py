"""A short fuzz run over the HEIF, JPEG XL, MXF and JPEG-comment readers, with every scanner.

Seeds are real files (pillow-heif HEIC, Pillow AVIF, cjxl JPEG XL, ffmpeg MXF, a Pillow JPEG
with a comment); the mutations are those of scripts/fuzz.py. Only an exception other than
InputError is a failure.
"""

from __future__ import annotations

import io
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from provenance.knowledge.sniff import sniff
from provenance.scan import scan_bytes
from provenance.source import ByteSource, ScanInput
from tests.external import require_module, require_tool
from tests.test_fuzz_walkers import FUZZ


def _heic(tmp_path) -> bytes:
    require_module("pillow_heif", "pillow-heif").register_heif_opener()
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0131] = "x"
    Image.new("RGB", (16, 16)).save(buf, "HEIF", exif=exif.tobytes(), xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    return buf.getvalue()


def _jxl(tmp_path) -> bytes:
    cjxl = require_tool("cjxl", "libjxl-tools")
    exif = Image.Exif()
    exif[0x0131] = "x"
    Image.new("RGB", (16, 16)).save(tmp_path / "s.jpg", exif=exif.tobytes())
    subprocess.run([cjxl, "--quiet", str(tmp_path / "s.jpg"), str(tmp_path / "s.jxl")], check=True, capture_output=True)
    return (tmp_path / "s.jxl").read_bytes()


def _mxf(tmp_path) -> bytes:
    ffmpeg = require_tool("ffmpeg", "ffmpeg")
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=16x16:rate=25",
                    "-t", "0.04", "-c:v", "mpeg2video", "-metadata", "comment_Notes=hello", "-y",
                    str(tmp_path / "s.mxf")], check=True)
    return (tmp_path / "s.mxf").read_bytes()[:16384]  # the header partition is what the reader walks


def _jpeg_com(tmp_path) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG", comment="Steps: 20, Sampler: Euler, Seed: 1")
    return buf.getvalue()


@pytest.mark.parametrize(("make", "media_type", "field"), [
    (_heic, "image/heic", "exif:IFD0:Software"),
    (_jxl, "image/jxl", "exif:IFD0:Software"),
    (_mxf, "application/mxf", "mxf:TaggedValue:Notes"),
    (_jpeg_com, "image/jpeg", "jpeg:COM"),
])
def test_container_readers_survive_mutations(make, media_type, field, tmp_path) -> None:
    seed = make(tmp_path)
    FUZZ._scan(seed)  # the seed itself scans cleanly
    # ...and reaches the reader under test: a seed sniffed as something else, or whose
    # metadata the reader no longer finds, would fuzz nothing and still pass.
    source = ByteSource.from_bytes(seed)
    assert sniff(source.head) == media_type
    clean = scan_bytes(ScanInput(path="seed", media_type=media_type, source=source), FUZZ._REGISTRY,
                       propagate_bugs=True)
    assert clean.errors == () and field in [e.location for e in clean.evidence]

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(FUZZ.mutated(st, seed))
    def check(data: bytes) -> None:
        FUZZ._scan(data)

    check()
