"""The hostile-input suite, scanned end to end by the real CLI.

Every file from scripts/make_hostile.py must end with a verdict or a per-file
error: the scan exits 0 or 3, lists every file, prints no traceback, records
no scanner bug, and its peak RSS stays under 500 MB. The timeout is only a
hang guard; docs/security.md records the measured time.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.scan.manifest import load_manifest

REPO = Path(__file__).resolve().parent.parent
MAX_RSS_KB = 500 * 1024
HANG_GUARD_S = 300

# The scan runs as a grandchild so RUSAGE_CHILDREN measures it alone, not
# whatever else this pytest process has spawned.
_MEASURE = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "peak_kb": peak}, sys.stdout)
"""


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_hostile", REPO / "scripts" / "make_hostile.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("hostile")
    return root, _load_generator().generate(root)


@pytest.fixture(scope="module")
def scanned(suite: tuple[Path, list[Path]]) -> dict:
    root, _ = suite
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "provenance", "scan", str(root), "--format", "json",
           # One process reads every file, so its peak RSS is the worst case; no cache, so every file is read.
           "--jobs", "1", "--no-cache", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=HANG_GUARD_S, check=True)
    return json.loads(done.stdout)


def test_suite_is_large_and_deterministic(suite: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, paths = suite
    assert len(paths) >= 300
    again = _load_generator().generate(tmp_path / "again")
    assert [p.relative_to(tmp_path / "again") for p in again] == [p.relative_to(root) for p in paths]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, paths, strict=True))


def test_suite_covers_every_format(suite: tuple[Path, list[Path]]) -> None:
    root, paths = suite
    folders = {p.relative_to(root).parts[0] for p in paths if len(p.relative_to(root).parts) > 1}
    assert folders >= {"png", "jpeg", "webp", "tiff", "psd", "pdf", "gif", "mp3", "flac", "ogg", "wav", "mp4",
                       "mov", "exr", "dpx", "xmp", "c2pa", "manifest", "sidecars"}


def test_scan_exits_cleanly(scanned: dict) -> None:
    assert scanned["rc"] in (0, 3), scanned["stderr"][-2000:]
    assert "Traceback" not in scanned["stderr"], scanned["stderr"][-4000:]


def test_no_scanner_bug_recorded(scanned: dict) -> None:
    report = json.loads(scanned["stdout"])
    bugs = [(a["path"], e["message"]) for a in report["assets"] for e in a["errors"] if e["code"] == "scanner-bug"]
    assert bugs == []


def test_every_file_is_listed(scanned: dict, suite: tuple[Path, list[Path]]) -> None:
    root, paths = suite
    report = json.loads(scanned["stdout"])
    listed = {s["path"] for s in report["skipped"]}
    for asset in report["assets"]:
        listed.add(asset["path"])
        listed.update(asset.get("members") or ())
    assert {p.relative_to(root).as_posix() for p in paths} <= listed


def test_hostile_files_are_reported_not_passed_off(scanned: dict) -> None:
    # A scan that "survives" by reading nothing would pass the other tests.
    errors = {a["path"]: {e["code"] for e in a["errors"]} for a in json.loads(scanned["stdout"])["assets"]}
    assert "id3-frame-bomb" in errors["mp3/compressed_frame_bomb.mp3"] \
        or "id3-too-many-values" in errors["mp3/compressed_frame_bomb.mp3"]
    assert errors["png/ztxt_bomb.png"] & {"png-zlib-bomb"}
    # A loose packet is cut out at <x:xmpmeta, so its entities are undefined; a sidecar is parsed whole.
    assert errors["xmp/billion_laughs.xmp"] & {"xmp-hostile", "xmp-malformed"}
    assert "xmp-hostile" in errors["sidecars/laughs_beside.exr"]
    assert errors["mp4/box_nesting.mp4"] & {"bmff-too-deep"}
    assert errors["png/chunk_storm.png"] & {"png-chunk-storm"}
    assert errors["jpeg/app_marker_storm.jpg"] & {"jpeg-too-many-segments"}
    assert errors["flac/comment_storm.flac"] & {"vorbis-too-many-comments"}
    assert scanned["rc"] == 3


def test_peak_memory_is_bounded(scanned: dict) -> None:
    assert scanned["peak_kb"] < MAX_RSS_KB


def test_manifest_variants_become_errors_not_exceptions(suite: tuple[Path, list[Path]]) -> None:
    # Only the root manifest is read by a scan; the variants go through the same loader here.
    root, _ = suite
    variants = sorted((root / "manifest").iterdir())
    assert len(variants) > 10
    for path in variants:
        manifest = load_manifest(path)
        if path.name != "base_case.json":
            assert manifest.errors or not manifest.entries, path.name
