"""Library warnings during a scan become per-asset notes, never stderr, and never make the scan incomplete."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from PIL import Image

from tests.scanners.test_stealth import embed, png

REPO = Path(__file__).resolve().parent.parent


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bad_apng() -> bytes:
    """A PNG whose first alpha column could hold a stealth magic (so Pillow decodes it) and whose
    acTL chunk claims zero frames: Pillow warns "Invalid APNG" while opening it."""
    data = png(embed(Image.new("RGBA", (64, 64), (10, 20, 30, 255)), b"stealth_pnginfo", b"hello"))
    at = data.index(b"IDAT") - 4
    return data[:at] + _chunk(b"acTL", struct.pack(">II", 0, 0)) + data[at:]


def test_pillow_warnings_become_notes_and_stay_off_stderr(tmp_path: Path) -> None:
    root = tmp_path / "delivery"
    root.mkdir()
    for name in ("a.png", "b.png"):  # the second file must get its note too (not once per code location)
        (root / name).write_bytes(bad_apng())
    done = subprocess.run([sys.executable, "-m", "provenance", "scan", str(root), "--format", "json", "--no-cache",
                           "-j", "1", "-q"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert data["complete"] is True
    for asset in data["assets"]:
        assert asset["errors"] == []
        assert asset["notes"] == ["stealth: Invalid APNG, will use default PNG image if possible"]
