"""Several roots in one run: audit writes one report per root plus a summary; scan lists them all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def vendors(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "ep101_vendorA", tmp_path / "ep101_vendorB"
    shutil.copytree(REPO / "sample_assets", a)
    shutil.copytree(REPO / "sample_assets", b)
    for path in (b / "final" / "stills").glob("*.png"):  # vendor B delivered only its JPEG stills
        path.unlink()
    return a, b


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _assets(report: dict) -> list[tuple[str, str]]:
    return [(a["path"], a["status"]) for a in report["assets"]]


def test_audit_of_several_roots_writes_one_report_each_and_a_summary(vendors: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    a, b = vendors
    out = tmp_path / "reports"
    code, stdout, _ = _run("audit", str(a), str(b), "--format", "json", "-o", str(out), "--no-cache", "-q")
    assert sorted(p.name for p in out.iterdir()) == ["ep101_vendorA.json", "ep101_vendorB.json", "summary.json"]
    for root in (a, b):  # each report is that delivery's own audit
        _, alone, _ = _run("audit", str(root), "--format", "json", "--no-cache", "-q")
        together = json.loads((out / f"{root.name}.json").read_text())
        assert _assets(together) == _assets(json.loads(alone))
    summary = json.loads((out / "summary.json").read_text())
    assert [r["root"] for r in summary["roots"]] == [str(a), str(b)]
    assert summary["roots"][0]["assets"] > summary["roots"][1]["assets"]
    assert code == summary["exit_code"] == 1  # the demo holds unapproved generated material
    assert "ep101_vendorB.json" in stdout


def test_audit_of_several_roots_needs_a_folder(vendors: tuple[Path, Path]) -> None:
    code, _, stderr = _run("audit", *map(str, vendors), "--no-cache", "-q")
    assert code == 2 and "-o FOLDER" in stderr and len(stderr.strip().splitlines()) == 1


def test_scan_of_folders_and_files_is_one_report_of_them_all(vendors: tuple[Path, Path]) -> None:
    a, b = vendors
    still = b / "final" / "stills" / "poster_alt_v001.jpg"
    code, stdout, _ = _run("scan", str(a / "final" / "vfx"), str(still), "--format", "json", "--no-cache", "-q")
    assert code == 0
    report = json.loads(stdout)
    assert [x["path"] for x in report["assets"]] == [
        f"{a}/final/vfx/sh010/sh010_comp_v003.####.exr", str(still)]
    _, alone, _ = _run("scan", str(still.parent), "--format", "json", "--no-cache", "-q")
    [same] = [x for x in json.loads(alone)["assets"] if x["path"] == still.name]
    assert {**same, "path": str(still)} == report["assets"][1]  # a file named alone reads as in its folder
    sidecars = [s for s in report["skipped"] if s["reason"].startswith("sidecar of")]
    assert sidecars and all(s["path"].startswith(f"{a}/final/vfx/") for s in sidecars)


def test_several_roots_share_one_dask_cluster(vendors: tuple[Path, Path], tmp_path: Path,
                                              dask_scheduler: str) -> None:
    a, b = vendors
    out = tmp_path / "dask-reports"
    code, _, _ = _run("audit", str(a), str(b), "--format", "json", "-o", str(out), "--no-cache", "-q",
                      "--executor", "dask", "--scheduler", dask_scheduler)
    local = tmp_path / "local-reports"
    _run("audit", str(a), str(b), "--format", "json", "-o", str(local), "--no-cache", "-q")
    for name in ("ep101_vendorA.json", "ep101_vendorB.json"):
        assert _assets(json.loads((out / name).read_text())) == _assets(json.loads((local / name).read_text()))
    assert code == 1


@pytest.mark.parametrize("extra", [["--timeline", "{edl}"], ["--media-root", "{a}"]])
def test_timeline_with_several_roots_is_refused_not_dropped(vendors: tuple[Path, Path], tmp_path: Path,
                                                            extra: list[str]) -> None:
    a, b = vendors
    edl = tmp_path / "reel1.edl"
    edl.write_text("TITLE: reel1\n\n001  AX V C 00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n")
    out = tmp_path / "reports"
    args = [x.format(edl=edl, a=a) for x in extra]
    code, _, stderr = _run("audit", str(a), str(b), "-o", str(out), *args, "--no-cache", "-q")
    # A conform timeline belongs to one delivery: say so in one line instead of auditing without it.
    assert code == 2 and "--timeline" in stderr and "audit that root alone" in stderr
    assert len(stderr.strip().splitlines()) == 1 and not out.exists()
