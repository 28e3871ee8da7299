"""Frame sequences and the package manifest, end to end through scan_tree and the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import struct

from click.testing import CliRunner

from provenance.cli import cli
from provenance.knowledge.dst import IPTC_PREFIX
from provenance.scan.manifest import SCHEMA
from provenance.models import (
    AssetKind,
    Confidence,
    Evidence,
    FileScan,
    ScanIssue,
    ScannerResult,
    Signal,
    VerdictKind,
)
from provenance.knowledge.registry import ScannerRegistry
from provenance.scan import ScanSettings, scan_path, scan_tree
from provenance.scan.render import scan_to_dict
from provenance.source import ScanInput
from provenance.scan.walk import PACKAGE_MANIFEST_NAME
from provenance.scanners import default_registry

SEQ_DIR = "shots/sh010"
PATTERN = "shots/sh010/sh010_comp_v003.####.exr"
GENERATED = IPTC_PREFIX + "trainedAlgorithmicMedia"


def _attr(name: str, type_name: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + type_name.encode() + b"\0" + struct.pack("<i", len(value)) + value


def exr_header(frame: int) -> bytes:
    """A minimal scanline OpenEXR header (one half channel, 1x1), no pixel data."""
    channels = b"R\0" + struct.pack("<iB3xii", 1, 0, 1, 1) + b"\0"
    box = struct.pack("<iiii", 0, 0, 0, 0)
    return (
        b"\x76\x2f\x31\x01" + struct.pack("<i", 2)
        + _attr("channels", "chlist", channels)
        + _attr("compression", "compression", b"\0")
        + _attr("dataWindow", "box2i", box)
        + _attr("displayWindow", "box2i", box)
        + _attr("lineOrder", "lineOrder", b"\0")
        + _attr("pixelAspectRatio", "float", struct.pack("<f", 1.0))
        + _attr("screenWindowCenter", "v2f", struct.pack("<ff", 0.0, 0.0))
        + _attr("screenWindowWidth", "float", struct.pack("<f", 1.0))
        + _attr("capDate", "string", f"2026:11:25 10:{frame % 60:02d}:00".encode())
        + b"\0"
    )


def make_sequence(root, frames=range(1001, 1301)) -> dict[int, bytes]:
    folder = root / SEQ_DIR
    folder.mkdir(parents=True)
    written = {}
    for n in frames:
        data = exr_header(n)
        (folder / f"sh010_comp_v003.{n:04d}.exr").write_bytes(data)
        written[n] = data
    return written


def declare(root, frames: dict[int, bytes], **extra) -> None:
    assets = [
        {"path": f"{SEQ_DIR}/sh010_comp_v003.{n:04d}.exr", "sha256": hashlib.sha256(data).hexdigest(),
         "size": len(data), "digital_source_type": GENERATED, "tool": "VendorGen 2.1", **extra}
        for n, data in frames.items()
    ]
    doc = {"schema": SCHEMA, "vendor": "Acme VFX", "created": "2026-11-25T08:00:00Z", "assets": assets}
    (root / PACKAGE_MANIFEST_NAME).write_text(json.dumps(doc), encoding="utf-8")


def scan(root, registry=None):
    return scan_tree(root, registry or ScannerRegistry(), ScanSettings(propagate_bugs=True))


def segments(asset) -> list[tuple[str, str]]:
    return [(s.frames, str(s.verdict.kind)) for s in asset.segments]


def test_300_frames_with_a_declared_sub_range_through_scan_tree(tmp_path):
    frames = make_sequence(tmp_path)
    declare(tmp_path, {n: frames[n] for n in range(1040, 1061)}, approval="NFLX-GAI-0042")
    report = scan(tmp_path)
    [asset] = report.assets
    assert (asset.path, asset.asset.kind, asset.asset.frames, len(asset.asset.members)) == (
        PATTERN, AssetKind.SEQUENCE, "1001-1300", 300)
    assert segments(asset) == [("1001-1039", "no-evidence"), ("1040-1060", "ai-generated"), ("1061-1300", "no-evidence")]
    assert asset.verdict.kind is VerdictKind.AI_GENERATED and "1040-1060" in asset.verdict.reason
    assert asset.verdict.generators == ("VendorGen 2.1",)
    flagged = asset.segments[1]
    assert {e.location: e.value for e in flagged.evidence}["manifest:approval"] == "NFLX-GAI-0042"
    assert report.complete and report.problems == () and report.findings == ()


def test_300_frames_through_the_cli_as_json(tmp_path):
    frames = make_sequence(tmp_path)
    declare(tmp_path, {n: frames[n] for n in range(1040, 1061)})
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    [asset] = doc["assets"]
    assert asset["kind"] == "sequence" and asset["path"] == PATTERN
    assert asset["frames"] == "1001-1300" and asset["frame_count"] == 300 and asset["missing_frames"] is None
    assert [(s["frames"], s["verdict"]) for s in asset["segments"]] == [
        ("1001-1039", "no-evidence"), ("1040-1060", "ai-generated"), ("1061-1300", "no-evidence")]
    assert doc["findings"] == [] and doc["complete"] is True


def test_missing_frames_inside_a_declared_range(tmp_path):
    present = [n for n in range(1001, 1101) if n != 1050]
    frames = make_sequence(tmp_path, present)
    declare(tmp_path, {n: frames[n] for n in range(1040, 1061) if n != 1050})
    [asset] = scan(tmp_path).assets
    assert asset.asset.missing_frames == "1050"
    assert segments(asset) == [("1001-1039", "no-evidence"), ("1040-1049,1051-1060", "ai-generated"),
                               ("1061-1100", "no-evidence")]


def test_different_approval_references_are_different_segments(tmp_path):
    frames = make_sequence(tmp_path, range(1, 21))
    declare(tmp_path, {n: frames[n] for n in range(1, 11)}, approval="NFLX-GAI-0001")
    doc = json.loads((tmp_path / PACKAGE_MANIFEST_NAME).read_text())
    for a in doc["assets"]:
        if a["path"].endswith(("0006.exr", "0007.exr", "0008.exr", "0009.exr", "0010.exr")):
            a["approval"] = "NFLX-GAI-0002"
    (tmp_path / PACKAGE_MANIFEST_NAME).write_text(json.dumps(doc))
    [asset] = scan(tmp_path).assets
    assert segments(asset) == [("1-5", "ai-generated"), ("6-10", "ai-generated"), ("11-20", "no-evidence")]


class CapDateProbe:
    """A test scanner reporting a per-frame header value (like an EXR capDate)."""

    id = "probe"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return media_type == "image/x-exr"

    def scan(self, item: ScanInput) -> ScannerResult:
        head = item.source.head
        at = head.index(b"capDate")
        value = head[at + 19: at + 38].decode()
        return ScannerResult(evidence=(Evidence("probe", "exr:capDate", value, Signal.INFO, Confidence.TOOL_RECORD),))


def test_frame_specific_values_do_not_split_segments(tmp_path):
    frames = make_sequence(tmp_path, range(1, 101))
    declare(tmp_path, {n: frames[n] for n in range(40, 61)})
    [asset] = scan(tmp_path, ScannerRegistry([CapDateProbe()])).assets
    dates = {e.value for e in asset.evidence if e.location == "exr:capDate"}
    assert len(dates) == 60  # the probe really saw a different value per frame (minute = frame % 60)
    assert segments(asset) == [("1-39", "no-evidence"), ("40-60", "ai-generated"), ("61-100", "no-evidence")]


def test_an_unreadable_frame_is_its_own_segment(tmp_path):
    make_sequence(tmp_path, range(1, 11))
    registry = ScannerRegistry()
    settings = ScanSettings(propagate_bugs=True)

    def scan_file(entry):
        # Frame 5 behaves as if the read failed: a real FileScan with an error, as scan_path reports one.
        if entry.rel.endswith("0005.exr"):
            return FileScan("image/x-exr", errors=(ScanIssue("unreadable", "read failed: Input/output error"),))
        return scan_path(entry.abspath, entry.rel, registry, settings.options, entry.sidecars)

    [asset] = scan_tree(tmp_path, registry, settings, file_scanner=scan_file).assets
    assert [s.frames for s in asset.segments] == ["1-4", "5", "6-10"]
    assert [e.message for e in asset.errors] == ["frame 5: read failed: Input/output error"]


def test_hash_mismatch_is_a_finding_and_the_scan_stays_complete(tmp_path):
    frames = make_sequence(tmp_path, range(1, 11))
    declare(tmp_path, {n: frames[n] for n in range(1, 11)})
    tampered = tmp_path / SEQ_DIR / "sh010_comp_v003.0005.exr"
    tampered.write_bytes(frames[5].replace(b"10:05", b"11:05"))
    report = scan(tmp_path)
    assert [f.code for f in report.findings] == ["manifest-hash-mismatch"]
    assert "sh010_comp_v003.0005.exr" in report.findings[0].message
    assert report.complete
    assert scan_to_dict(report)["findings"][0]["code"] == "manifest-hash-mismatch"

    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["manifest-hash-mismatch"]
    assert "manifest-hash-mismatch" in result.stderr and "sh010_comp_v003.0005.exr" in result.stderr

    table = CliRunner().invoke(cli, ["scan", str(tmp_path)])
    assert table.exit_code == 0 and "manifest-hash-mismatch" in table.stderr


def test_missing_listed_frame_is_a_finding(tmp_path):
    frames = make_sequence(tmp_path, range(1, 11))
    declare(tmp_path, {n: frames[n] for n in range(1, 11)})
    (tmp_path / SEQ_DIR / "sh010_comp_v003.0010.exr").unlink()
    report = scan(tmp_path)
    assert [(f.code, "sh010_comp_v003.0010.exr" in f.message) for f in report.findings] == [
        ("manifest-missing-file", True)]
    assert report.complete


def test_malformed_manifest_is_a_problem_and_the_cli_says_incomplete(tmp_path):
    make_sequence(tmp_path, range(1, 4))
    (tmp_path / PACKAGE_MANIFEST_NAME).write_bytes(b'{"schema": "provenance.package/1", "assets": [')
    report = scan(tmp_path)
    assert [p.code for p in report.problems] == ["manifest-invalid"]
    assert not report.complete
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["problems"][0]["code"] == "manifest-invalid" and len(doc["assets"]) == 1


def _state(root) -> dict[str, tuple[str, int, int]]:
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            path = os.path.join(folder, name)
            st = os.stat(path)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = (hashlib.sha256(fh.read()).hexdigest(), st.st_mtime_ns, st.st_size)
    return out


def test_scanning_never_modifies_the_tree(tmp_path):
    frames = make_sequence(tmp_path, range(1, 31))
    declare(tmp_path, {n: frames[n] for n in range(10, 21)}, approval="NFLX-GAI-0042")
    (tmp_path / "poster_02.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (tmp_path / "clip.0001.mov").write_bytes(b"\0\0\0\x14ftypqt  " + b"\0" * 40)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = _state(tmp_path)
    report = scan_tree(tmp_path, default_registry(), ScanSettings())
    assert len(report.assets) == 3
    assert _state(tmp_path) == before
