"""The built wheel, not the editable tree, installs and runs the demo audit.

Moved modules or package data (the default policy, trust bundles) that the
wheel forgets show up here and nowhere else, because every other test imports
the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow


def test_the_built_wheel_runs_the_demo_audit(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
        cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("provenance-*.whl")

    env_dir = tmp_path / "venv"
    # System site-packages lend the dependencies; the wheel itself shadows the editable tree.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q",
         "--target", site, str(wheel)],
        capture_output=True, text=True, timeout=300, check=False)
    assert install.returncode == 0, install.stderr

    delivery = tmp_path / "delivery"
    shutil.copytree(REPO / "sample_assets", delivery)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PROVENANCE_LEDGER", "PYTHONPATH")}
    where = subprocess.run([str(python), "-c", "import provenance; print(provenance.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True).stdout
    assert where.startswith(str(env_dir)), f"imported the source tree, not the wheel: {where}"

    proc = subprocess.run([str(python), "-m", "provenance", "audit", str(delivery), "--format", "json"],
                          capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    statuses = {a["path"]: a["status"] for a in report["assets"]}
    assert statuses["final/stills/poster_alt_v001.jpg"] == "approved"
    assert statuses["final/stills/keyart_character_v002.png"] == "unapproved"
    assert proc.returncode == 1  # the demo has unapproved final material
