"""Tag every supported format, then audit it the way the post house will.

Real signing (c2pa-python), real scanners, exiftool as the outside reader.
Sample files are generated here; Ogg comes from the shared corpus (skipped
without it) because no encoder is available to make one.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import piexif
import pytest
from click.testing import CliRunner
from PIL import Image

from provenance.cli import cli
from provenance.tagging.identity import create_identity
from provenance.scan.manifest import load_manifest
from .builders import pcm_wav

TOOL = "VendorGen 2.1"
APPROVAL = "NFX-GAI-0042"
EXIFTOOL = shutil.which("exiftool")


# --- sample makers (also used by the other tagging tests) ----------------------

def make_image(path: Path, fmt: str, **kw: object) -> Path:
    Image.new("RGB", (24, 16), (200, 40, 40)).save(path, fmt, **kw)
    return path


def make_wav(path: Path) -> Path:
    path.write_bytes(pcm_wav(b"\x01\x00" * 800))
    return path


def make_mp3(path: Path) -> Path:
    # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames of silence.
    path.write_bytes((b"\xff\xfb\x90\x00" + b"\x00" * 413) * 20)
    return path


def make_flac(path: Path) -> Path:
    info = struct.pack(">HH", 4096, 4096) + b"\x00" * 6 + ((44100 << 44) | (15 << 36) | 44100).to_bytes(8, "big")
    path.write_bytes(b"fLaC" + bytes([0x80, 0, 0, 34]) + info + b"\x00" * 16)
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def make_mp4(path: Path, brand: bytes = b"isom") -> Path:
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(b"mvhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, 1000) + struct.pack(">IH", 0x10000, 0x100)
                + b"\x00" * 10 + matrix + b"\x00" * 24 + struct.pack(">I", 2))
    path.write_bytes(_box(b"ftyp", brand + struct.pack(">I", 512) + brand + b"mp41")
                     + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * 64))
    return path


def make_exr(path: Path) -> Path:
    """A scanline EXR header (1x1, one HALF channel) plus its offset table and one line."""
    def attr(name: str, kind: str, value: bytes) -> bytes:
        return name.encode() + b"\x00" + kind.encode() + b"\x00" + struct.pack("<i", len(value)) + value
    box2i = struct.pack("<4i", 0, 0, 0, 0)
    header = b"".join([
        attr("channels", "chlist", b"Y\x00" + struct.pack("<iB3xii", 1, 0, 1, 1) + b"\x00"),
        attr("compression", "compression", b"\x00"),
        attr("dataWindow", "box2i", box2i),
        attr("displayWindow", "box2i", box2i),
        attr("lineOrder", "lineOrder", b"\x00"),
        attr("pixelAspectRatio", "float", struct.pack("<f", 1.0)),
        attr("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0)),
        attr("screenWindowWidth", "float", struct.pack("<f", 1.0)),
    ]) + b"\x00"
    start = 8 + len(header)
    line_at = start + 8
    path.write_bytes(b"v/1\x01" + struct.pack("<I", 2) + header + struct.pack("<Q", line_at)
                     + struct.pack("<ii", 0, 2) + b"\x00\x3c")
    return path


def jpeg_with_exif(path: Path) -> Path:
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"ARRI", piexif.ImageIFD.Model: b"ALEXA 35"}})
    return make_image(path, "JPEG", exif=exif)


MAKERS = {
    "plate.png": lambda p: make_image(p, "PNG"),
    "plate.jpg": jpeg_with_exif,
    "plate.webp": lambda p: make_image(p, "WEBP"),
    "plate.tif": lambda p: make_image(p, "TIFF"),
    "music.wav": make_wav,
    "music.mp3": make_mp3,
    "music.flac": make_flac,
    "clip.mp4": make_mp4,
    "clip.mov": lambda p: make_mp4(p, b"qt  "),
    "stem.m4a": lambda p: make_mp4(p, b"M4A "),
    "plate.1001.exr": make_exr,
}


@pytest.fixture(scope="module")
def identity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("identity") / "vendor"
    create_identity(folder, "Vendor Ltd")
    return folder


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def tag(files: list[Path], identity: Path, *extra: object, source_type: str = "trainedAlgorithmicMedia") -> tuple[int, str, str]:
    return run("tag", *files, "--source-type", source_type, "--tool", TOOL, "--approval", APPROVAL,
               "--identity", identity, *extra)


def scan(folder: Path, identity: Path, *, tampered: bool = False) -> dict[str, dict]:
    code, out, err = run("scan", folder, "--format", "json", "--trust-anchors", identity / "trust-anchor.pem")
    # After tampering the package manifest's sha256 no longer matches and the scan says so.
    assert code in ((0, 3) if tampered else (0,)), err
    if tampered:
        assert "manifest-hash-mismatch" in err
    return {a["path"]: a for a in json.loads(out)["assets"]}


# --- round trips ------------------------------------------------------------------

def test_every_format_round_trips_as_trusted_ai_generated(tmp_path: Path, identity_dir: Path) -> None:
    files = [make(tmp_path / name) for name, make in MAKERS.items()]
    code, out, err = tag(files, identity_dir)
    assert code == 0, err + out
    assets = scan(tmp_path, identity_dir)
    assert set(assets) == set(MAKERS)
    for name, asset in assets.items():
        values = " ".join(e["value"] for e in asset["evidence"])
        assert asset["verdict"] == "ai-generated", name
        assert asset["c2pa"]["state"] == "trusted", (name, asset["c2pa"])
        assert "VendorGen" in asset["generators"] or "VendorGen 2.1" in asset["generators"], name
        assert APPROVAL in values, name
    assert (tmp_path / "plate.1001.exr.c2pa").is_file() and (tmp_path / "plate.1001.exr.xmp").is_file()
    manifest = load_manifest(tmp_path / "provenance-manifest.json")
    assert {e.path for e in manifest.entries} == set(MAKERS)
    for entry in manifest.entries:
        assert entry.sha256 == hashlib.sha256((tmp_path / entry.path).read_bytes()).hexdigest()
        assert entry.approval == APPROVAL


def test_ogg_from_corpus_gets_vorbis_comments_and_a_sidecar(tmp_path: Path, identity_dir: Path, corpus: Path) -> None:
    ogg = tmp_path / "stem.ogg"
    shutil.copy(corpus / "audio_vorbis.ogg", ogg)
    code, _out, err = tag([ogg], identity_dir)
    assert code == 0, err
    assert (tmp_path / "stem.ogg.c2pa").is_file()
    asset = scan(tmp_path, identity_dir)["stem.ogg"]
    assert asset["verdict"] == "ai-generated" and asset["c2pa"]["state"] == "trusted"
    assert any(e["location"].lower().endswith("digitalsourcetype") and e["scanner"] == "vorbis"
               for e in asset["evidence"])


def test_ai_modified_declaration_round_trips(tmp_path: Path, identity_dir: Path) -> None:
    # The XMP/ID3 DST says modified; the C2PA action is c2pa.created with the composite
    # source type (no parent history to open).
    wav = make_wav(tmp_path / "fix.wav")
    code, _out, err = tag([wav], identity_dir, source_type="compositeWithTrainedAlgorithmicMedia")
    assert code == 0, err
    asset = scan(tmp_path, identity_dir)["fix.wav"]
    assert asset["verdict"] == "ai-modified"
    assert asset["c2pa"]["state"] == "trusted"


def test_existing_metadata_and_c2pa_history_are_kept(tmp_path: Path, identity_dir: Path) -> None:
    jpg = jpeg_with_exif(tmp_path / "shot.jpg")
    assert tag([jpg], identity_dir)[0] == 0
    code, _out, err = tag([jpg], identity_dir, "--force", source_type="compositeWithTrainedAlgorithmicMedia")
    assert code == 0, err
    exif = piexif.load(jpg.read_bytes())
    assert exif["0th"][piexif.ImageIFD.Make] == b"ARRI"
    asset = scan(tmp_path, identity_dir)["shot.jpg"]
    assert asset["c2pa"]["state"] == "trusted"
    locations = " ".join(e["location"] + " " + e["value"] for e in asset["evidence"])
    assert "ingredient:shot.jpg" in locations  # the first credential is now the parent
    assert "c2pa.edited" in locations


# --- tampering --------------------------------------------------------------------

def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_in_sidecar_signed_exr_reads_invalid(tmp_path: Path, identity_dir: Path) -> None:
    exr = make_exr(tmp_path / "plate.1001.exr")
    before = exr.read_bytes()
    assert tag([exr], identity_dir)[0] == 0
    assert exr.read_bytes() == before  # sidecar formats keep the asset bytes
    _flip(exr, len(before) - 1)
    asset = scan(tmp_path, identity_dir, tampered=True)["plate.1001.exr"]
    assert asset["c2pa"]["state"] == "invalid"


def test_flipped_byte_in_embedded_png_reads_invalid(tmp_path: Path, identity_dir: Path) -> None:
    png = make_image(tmp_path / "plate.png", "PNG")
    assert tag([png], identity_dir)[0] == 0
    data = png.read_bytes()
    _flip(png, data.index(b"IDAT") + 6)
    assert scan(tmp_path, identity_dir, tampered=True)["plate.png"]["c2pa"]["state"] == "invalid"


# --- exiftool, the outside reader --------------------------------------------------

needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")


def _exiftool(*args: object) -> list[dict]:
    out = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@needs_exiftool
@pytest.mark.parametrize("name", ["plate.jpg", "plate.png", "plate.tif", "plate.webp"])
def test_exiftool_reads_the_xmp_declaration(tmp_path: Path, identity_dir: Path, name: str) -> None:
    path = MAKERS[name](tmp_path / name)
    assert tag([path], identity_dir, "--prompt-info", "dusk sky plate")[0] == 0
    info = _exiftool("-XMP-iptcExt:all", path)[0]
    assert info["XMP-iptcExt:DigitalSourceType"].endswith("/trainedAlgorithmicMedia")
    assert info["XMP-iptcExt:AISystemUsed"] == "VendorGen"
    assert str(info["XMP-iptcExt:AISystemVersionUsed"]) == "2.1"
    assert info["XMP-iptcExt:AIPromptInformation"] == "dusk sky plate"


@needs_exiftool
@pytest.mark.parametrize("name", ["music.mp3", "music.wav"])
def test_exiftool_reads_the_id3_frames(tmp_path: Path, identity_dir: Path, name: str) -> None:
    path = MAKERS[name](tmp_path / name)
    assert tag([path], identity_dir)[0] == 0
    out = subprocess.run([EXIFTOOL, "-a", "-G1", "-ID3:all", str(path)], capture_output=True, text=True).stdout
    assert "(DigitalSourceType) http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" in out
    assert "(AISystemUsed) VendorGen" in out
    assert f"(ApprovalRef) {APPROVAL}" in out


@needs_exiftool
def test_exiftool_reads_the_xmp_sidecar_of_an_exr(tmp_path: Path, identity_dir: Path) -> None:
    exr = make_exr(tmp_path / "plate.1001.exr")
    assert tag([exr], identity_dir)[0] == 0
    info = _exiftool(tmp_path / "plate.1001.exr.xmp")[0]
    assert info["XMP-iptcExt:DigitalSourceType"].endswith("/trainedAlgorithmicMedia")


def test_webp_without_vp8x_gets_the_xmp_flag(tmp_path: Path, identity_dir: Path) -> None:
    webp = make_image(tmp_path / "p.webp", "WEBP")
    assert webp.read_bytes()[12:16] == b"VP8 "  # simple format: no room for metadata yet
    assert tag([webp], identity_dir, "--c2pa", "off")[0] == 0
    data = webp.read_bytes()
    assert data[12:16] == b"VP8X" and data[20] & 0x04
    Image.open(io.BytesIO(data)).load()  # still decodes
