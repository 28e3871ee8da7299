"""Every script in scripts/ answers --help with its usage and writes nothing (no folder named "--help")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (REPO / "scripts").glob("*.py"))


def test_there_are_scripts() -> None:
    assert "make_hostile.py" in SCRIPTS and "make_sample_assets.py" in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_writes_nothing(script: str, flag: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / script), flag], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage:") and "-h, --help" in done.stdout
    assert list(tmp_path.iterdir()) == [], "the script wrote files"
