"""--executor dask on a real distributed.LocalCluster (worker processes), including killed workers."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from provenance.knowledge.registry import ScannerRegistry
from provenance.models import ScannerResult
from provenance.scan.runner import ScanSettings, scan_tree
from provenance.scan.render import scan_json_chunks
from provenance.scanners import default_registry
from provenance.source import ScanInput
from tests.test_scale_s3 import REPO, _upload, scan_json, without_root


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dask") / "ep102"
    shutil.copytree(REPO / "sample_assets", root)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    return root


def test_dask_gives_the_json_of_the_process_pool(tree: Path, dask_scheduler: str) -> None:
    _, process = scan_json(str(tree), "--jobs", "2")
    _, dask = scan_json(str(tree), "--executor", "dask", "--scheduler", dask_scheduler)
    assert dask == process
    assert any(a["errors"] for a in dask["assets"])  # per-file errors travel back from the workers too


def test_dask_workers_read_the_bucket_like_the_disk(tree: Path, dask_scheduler: str, s3fs_client: object,
                                                    s3_endpoint: str) -> None:
    s3fs_client.mkdir("daskbucket")  # type: ignore[attr-defined]
    _upload(s3fs_client, tree, "daskbucket/ep102")
    _, local = scan_json(str(tree), "--jobs", "1")
    _, remote = scan_json("s3://daskbucket/ep102", "--endpoint-url", s3_endpoint,
                          "--executor", "dask", "--scheduler", dask_scheduler)
    assert without_root(remote) == without_root(local)


class Killer:
    """Kills the worker process that reads ``victim``: once (``flag`` records it), or every time."""

    id = "killer"
    version = "1"

    def __init__(self, victim: str, flag: str | None) -> None:
        self.victim = victim
        self.flag = flag

    def accepts(self, media_type: str) -> bool:
        return True

    def scan(self, item: ScanInput) -> ScannerResult:
        if item.path == self.victim and (self.flag is None or not os.path.exists(self.flag)):
            if self.flag is not None:
                Path(self.flag).write_text("killed once")
            os.kill(os.getpid(), signal.SIGKILL)
        return ScannerResult()


def _registry(killer: Killer) -> ScannerRegistry:
    return ScannerRegistry([*default_registry(), killer])


def _json(report: object) -> str:
    return "".join(scan_json_chunks(report))  # type: ignore[arg-type]


def test_a_worker_killed_mid_scan_is_retried_and_the_report_is_unchanged(tree: Path, dask_scheduler: str,
                                                                          tmp_path: Path) -> None:
    flag = tmp_path / "killed"
    victim = "final/stills/crowd_fill_v001.png"
    killer = Killer(victim, str(flag))
    dask = scan_tree(tree, _registry(killer), ScanSettings(executor="dask", scheduler=dask_scheduler))
    assert flag.exists()  # a worker really died in the middle of the scan
    reference = scan_tree(tree, _registry(killer), ScanSettings(jobs=1))  # the flag is set: nothing dies here
    assert _json(dask) == _json(reference)
    assert dask.complete == reference.complete


def test_a_file_that_keeps_killing_workers_becomes_a_per_file_error(tree: Path, dask_scheduler: str) -> None:
    victim = "final/stills/crowd_fill_v001.png"
    report = scan_tree(tree, _registry(Killer(victim, None)), ScanSettings(executor="dask", scheduler=dask_scheduler))
    by_path = {a.path: a for a in report.assets}
    assert [e.code for e in by_path[victim].errors] == ["worker-lost"]
    reference = scan_tree(tree, default_registry(), ScanSettings(jobs=1))
    others = {a.path: a for a in reference.assets if a.path != victim}
    assert {p: a for p, a in by_path.items() if p != victim} == others
    assert not report.complete


def test_a_local_cluster_scan_keeps_stderr_quiet_without_verbose(tmp_path: Path) -> None:
    # distributed logs every nanny, worker and client start at INFO: without -v none of it may
    # reach the terminal (issue 17: library chatter stays off stderr during a scan).
    import subprocess
    import sys

    from tests.conftest import need

    need("distributed", "dask[distributed]")
    root = tmp_path / "delivery"
    root.mkdir()
    shutil.copy(REPO / "sample_assets" / "reference" / "moodboard_city.png", root / "a.png")
    done = subprocess.run([sys.executable, "-m", "provenance", "scan", str(root), "--executor", "dask", "-j", "1",
                           "--no-cache", "--format", "json"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
