"""How local scan workers start: fork only when it is safe, and the same report either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.scan.executors import MIN_PARALLEL_FILES, PROCESS_CHUNK
from tests.builders import png_file

REPO = Path(__file__).resolve().parent.parent
AI_TEXT = {"parameters": "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"}


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                          cwd=REPO).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is chosen only on Linux")
def test_fork_only_with_no_other_thread_and_no_c2pa_library_loaded() -> None:
    out = _python(
        "import threading\n"
        "from provenance.scan.executors import start_method\n"
        "print(start_method())\n"
        "stop = threading.Event(); t = threading.Thread(target=stop.wait); t.start()\n"
        "print(start_method())\n"
        "stop.set(); t.join()\n"
        "print(start_method())\n"
        "import c2pa\n"
        "print(start_method())\n")
    assert out == ["fork", "forkserver", "fork", "forkserver"]


STILLS = MIN_PARALLEL_FILES + PROCESS_CHUNK + 60  # whole chunks from the walk, then a tail split over workers


def _tree(root: Path) -> Path:
    for n in range(STILLS):
        png_file(root / "stills" / f"still_{n:04d}_v1.png", AI_TEXT if n % 7 == 0 else {"Comment": f"n {n}"})
    for frame in range(1001, 1041):
        png_file(root / "vfx" / f"sh010_comp_v001.{frame}.png", AI_TEXT if frame == 1020 else {"Comment": "plate"})
    return root


def test_forked_workers_report_exactly_what_one_process_reports(tmp_path: Path) -> None:
    root = _tree(tmp_path / "delivery")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = {}
    for jobs in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "provenance", "-vv", "scan", str(root), "--format", "json",
                               "--no-cache", "--quiet", "--jobs", jobs],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[jobs] = (json.loads(done.stdout), done.stderr)
    if sys.platform.startswith("linux"):
        assert "scan workers start by fork" in runs["2"][1]
    assert runs["2"][0] == runs["1"][0]
    paths = {a["path"] for a in runs["2"][0]["assets"]}
    assert "vfx/sh010_comp_v001.####.png" in paths and len(paths) == STILLS + 1
