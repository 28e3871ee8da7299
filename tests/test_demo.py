"""The README's first command: `provenance audit sample_assets` from the repo root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

EXPECTED = {
    "final/stills/keyart_character_v002.png": "unapproved",
    "final/audio/score_cue_12_suno.mp3": "unapproved",
    "final/stills/poster_alt_v001.jpg": "approved",
    "final/stills/bg_plate_vendor_v001.png": "approved",
    "final/vfx/sh010/sh010_comp_v003.####.exr": "approved",
    "final/stills/matte_sky_v004.png": "expired",
    "final/stills/sign_insert_v002.jpg": "stale",
    "final/stills/crowd_fill_v001.png": "revoked",
    "final/audio/music_bed_v001.flac": "out-of-scope",
    "final/stills/camera_plate_a001.jpg": "clean",
}


def _audit(root: Path, cwd: Path) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if k != "PROVENANCE_LEDGER"}
    proc = subprocess.run([sys.executable, "-m", "provenance", "audit", str(root), "--format", "json"],
                          cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _statuses(report: dict) -> dict[str, str]:
    return {a["path"]: a["status"] for a in report["assets"]}


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_committed_demo_shows_every_status_and_exits_1() -> None:
    before = _snapshot(REPO / "sample_assets")
    code, report = _audit(Path("sample_assets"), REPO)
    # The audit reads the demo's ledger read-only: no -wal/-shm files, no byte changed, nothing created.
    assert _snapshot(REPO / "sample_assets") == before
    assert code == 1
    statuses = _statuses(report)
    for path, status in EXPECTED.items():
        assert statuses[path] == status, (path, statuses[path])
    assert not any(p.startswith("_approvals/") for p in statuses), "the approvals folder is not a deliverable"
    sequence = next(a for a in report["assets"] if a["path"].endswith("####.exr"))
    assert sequence["frames"] == "1001-1024"
    # Each tagged frame carries its own signed manifest (its own label): still one generated range.
    assert [(s["frames"], s["verdict"]) for s in sequence["segments"]] == [
        ("1001-1009", "no-evidence"), ("1010-1014", "ai-modified"), ("1015-1024", "no-evidence")]


def test_generator_rebuilds_the_same_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_assets.py"), str(out)],
                   cwd=REPO, check=True, capture_output=True, timeout=300)
    code, report = _audit(out, tmp_path)
    assert code == 1
    assert _statuses(report) == _statuses(_audit(Path("sample_assets"), REPO)[1])
    # Everything but the signatures and the vendor key material is byte-identical to what is committed.
    for path in sorted((REPO / "sample_assets").rglob("*")):
        rel = path.relative_to(REPO / "sample_assets")
        if path.is_file() and rel.suffix in (".jpg", ".exr", ".wav", ".mp3", ".flac", ".mp4") and ".c2pa" not in rel.name:
            assert (out / rel).read_bytes() == path.read_bytes(), rel
