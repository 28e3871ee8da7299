"""EXIF, XMP and C2PA in JPEG XL containers.

``cjxl`` (libjxl) writes EXIF and XMP Brotli-compressed in ``brob`` boxes;
exiftool appends them uncompressed as ``Exif`` and ``xml `` boxes;
c2pa-python (c2pa-rs) embeds its store as a ``jumb`` box. All three are real
writers; the source JPEG is made by Pillow and tagged by exiftool.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from provenance.errors import InputError
from provenance.knowledge.sniff import sniff
from provenance.knowledge.verdict import decide
from provenance.models import C2paState, Signal, VerdictKind
from provenance.scanners.c2pa import C2paScanner, has_c2pa_marker
from provenance.scanners.exif import ExifScanner
from provenance.scanners.xmp import XmpScanner
from provenance.source import ByteSource, ScanInput
from provenance.tagging.c2pa_signing import build_manifest, sign_asset
from provenance.tagging.identity import create_identity
from tests.external import require_tool

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _jpeg(path: Path, software: str) -> Path:
    exif = Image.Exif()
    exif[0x0131] = software
    buf = io.BytesIO()
    Image.new("RGB", (40, 24), (30, 160, 90)).save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    path.write_bytes(buf.getvalue())
    return path


def _cjxl(tmp_path: Path, software: str, dst: str | None) -> bytes:
    cjxl = require_tool("cjxl", "libjxl-tools")
    src = _jpeg(tmp_path / "src.jpg", software)
    if dst is not None:
        exiftool = require_tool("exiftool", "libimage-exiftool-perl")
        subprocess.run([exiftool, "-q", "-overwrite_original", f"-XMP-iptcExt:DigitalSourceType={dst}", str(src)],
                       check=True)
    out = tmp_path / "out.jxl"
    subprocess.run([cjxl, "--quiet", str(src), str(out)], check=True, capture_output=True)
    return out.read_bytes()


def _item(data: bytes) -> ScanInput:
    assert sniff(data[:4096]) == "image/jxl"
    return ScanInput("f", "image/jxl", ByteSource.from_bytes(data))


def test_cjxl_compressed_exif_and_xmp_boxes(tmp_path) -> None:
    data = _cjxl(tmp_path, "Fooocus v2.5.5", DST)
    # Both boxes are Brotli-wrapped: the reader must unwrap them to see anything.
    assert b"brobExif" in data and b"brobxml " in data and b"\0\0\0\0Exif" not in data
    exif = {e.location: e for e in ExifScanner().scan(_item(data)).evidence}
    assert exif["exif:IFD0:Software"].generator == "Fooocus"
    xmp = XmpScanner().scan(_item(data)).evidence
    assert decide(xmp).kind is VerdictKind.AI_GENERATED


def test_exiftool_uncompressed_boxes(tmp_path) -> None:
    data_path = tmp_path / "plain.jxl"
    data_path.write_bytes(_cjxl(tmp_path, "GIMP 2.10", None))
    exiftool = require_tool("exiftool", "libimage-exiftool-perl")
    subprocess.run([exiftool, "-q", "-overwrite_original", "-XMP-xmp:CreatorTool=Midjourney",
                    "-EXIF:Software=NovelAI", str(data_path)], check=True)
    data = data_path.read_bytes()
    assert b"Exif" in data and b"<x:xmpmeta" in data
    # exiftool's uncompressed box (NovelAI) sits beside cjxl's compressed one (GIMP): both are read.
    values = {e.value for e in ExifScanner().scan(_item(data)).evidence}
    assert {"NovelAI", "GIMP 2.10"} <= values
    generators = {e.generator for e in ExifScanner().scan(_item(data)).evidence}
    assert "NovelAI" in generators
    xmp = {e.location: e for e in XmpScanner().scan(_item(data)).evidence}
    assert xmp["xmp:xmp:CreatorTool"].generator == "Midjourney"


def test_plain_jxl_has_no_ai_evidence(tmp_path) -> None:
    data = _cjxl(tmp_path, "GIMP 2.10", None)
    evidence = ExifScanner().scan(_item(data)).evidence + XmpScanner().scan(_item(data)).evidence
    assert evidence and all(e.signal is Signal.INFO for e in evidence)


def test_c2pa_store_in_a_jumb_box(tmp_path) -> None:
    src = tmp_path / "src.jxl"
    src.write_bytes(_cjxl(tmp_path, "GIMP 2.10", None))
    identity = create_identity(tmp_path / "id", "Test Vendor")
    sign_asset(src, tmp_path / "signed.jxl", identity=identity, mime="image/jxl", embed=True, parent_manifest=False,
               manifest_definition=build_manifest("trainedAlgorithmicMedia", "VendorGen", "2"))
    data = (tmp_path / "signed.jxl").read_bytes()
    assert has_c2pa_marker(ByteSource.from_bytes(data))
    result = C2paScanner().scan(_item(data))
    assert result.c2pa is not None and result.c2pa.state in (C2paState.VALID, C2paState.TRUSTED)
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED
    assert not has_c2pa_marker(ByteSource.from_bytes(src.read_bytes()))


def test_bare_codestream_and_broken_brob(tmp_path) -> None:
    data = _cjxl(tmp_path, "Fooocus v2.5.5", None)
    at = data.find(b"brobExif") + 8
    broken = data[:at] + bytes(b ^ 0x5A for b in data[at : at + 20]) + data[at + 20 :]
    with pytest.raises(InputError) as err:
        ExifScanner().scan(_item(broken))
    assert err.value.code.startswith("jxl-brob")
    bare = b"\xff\x0a" + bytes(64)
    assert ExifScanner().scan(ScanInput("f", "image/jxl", ByteSource.from_bytes(bare))).evidence == ()
