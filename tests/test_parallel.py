"""Parallel scanning gives the same report as a serial one; the progress bar shows only on a terminal."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.models import ScannerResult
from provenance.scan.executors import MIN_PARALLEL_FILES, WorkerConfig, scan_tasks
from provenance.cli.progress import ProgressBar, format_eta, render_line
from provenance.knowledge.registry import ScannerRegistry
from provenance.source import ScanInput, ScanOptions
from provenance.scanners import default_registry

SAMPLES = ("c2pa_test_algorithmicMedia.jpg", "a1111_stealth_alpha.png", "audio_id3_comment.mp3",
           "comfyui_img2img.png", "c2pa_video_noai.mp4", "camera_canon.jpg", "audio_riff_pentax.wav",
           "malformed_riff.wav", "novelai_0317.png", "photo_no_metadata.jpg")


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """Enough files that the worker pool really starts, of many kinds, some in sequences."""
    root = tmp_path_factory.mktemp("tree")
    count = 0
    while count < MIN_PARALLEL_FILES + 60:
        for name in SAMPLES:
            stem, ext = name.rsplit(".", 1)
            folder = root / stem
            folder.mkdir(exist_ok=True)
            shutil.copy(corpus / name, folder / f"{stem}.{1001 + count // len(SAMPLES):04d}.{ext}")
            count += 1
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # per-file errors travel too
    return root


def _scan_json(root: Path, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["scan", str(root), "--format", "json", "--no-cache", *extra])
    assert result.exit_code in (0, 3), result.output
    return result.stdout


def test_jobs_give_byte_identical_json(big_tree: Path) -> None:
    serial = _scan_json(big_tree, "--jobs", "1")
    assert '"ai-generated"' in serial and '"stealth-decode"' in serial  # verdicts and per-file errors both travel
    assert _scan_json(big_tree, "--jobs", "2") == serial
    assert _scan_json(big_tree, "--jobs", "3", "--executor", "thread") == serial


def test_results_come_back_in_task_order(big_tree: Path) -> None:
    files = sorted(p for p in big_tree.rglob("*") if p.is_file())
    tasks = [(str(p), p.name, ()) for p in reversed(files)]  # any order in, the same order out
    config = WorkerConfig(default_registry(), ScanOptions())
    serial = list(scan_tasks(tasks, config, jobs=1))
    assert list(scan_tasks(tasks, config, jobs=2, executor="process")) == serial
    assert list(scan_tasks(tasks, config, jobs=2, executor="thread")) == serial
    assert len(serial) == len(tasks)


class Unpicklable:
    id = "unpicklable"
    version = "1"

    def __init__(self) -> None:
        self.hook = lambda: None  # a lambda cannot be sent to another process

    def accepts(self, media_type: str) -> bool:
        return True

    def scan(self, item: ScanInput) -> ScannerResult:
        return ScannerResult()


def test_a_registry_that_cannot_travel_runs_on_threads(big_tree: Path) -> None:
    files = sorted(p for p in big_tree.rglob("*") if p.is_file())
    tasks = [(str(p), p.name, ()) for p in files]
    config = WorkerConfig(ScannerRegistry([Unpicklable()]), ScanOptions())
    results = list(scan_tasks(tasks, config, jobs=2, executor="process"))
    assert len(results) == len(tasks)
    assert results[0].media_type != ""


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError):
        list(scan_tasks([], WorkerConfig(default_registry(), ScanOptions()), jobs=2, executor="cluster"))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_draws_rate_and_eta_on_a_terminal() -> None:
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, clock=clock)
    bar(0, 1000)
    clock.now = 2.0
    bar(500, 1000)
    bar.close()
    last = stream.getvalue().split("\r")[-1]
    assert "500/1000 files" in last
    assert "250 files/s" in last
    assert "ETA 00:02" in last
    assert stream.getvalue().endswith("\n")


def test_progress_is_silent_off_a_terminal_and_when_quiet() -> None:
    pipe = io.StringIO()
    bar = ProgressBar(pipe)
    bar(10, 20)
    bar.close()
    assert pipe.getvalue() == ""
    tty = Terminal()
    quiet = ProgressBar(tty, enabled=False)
    quiet(10, 20)
    quiet.close()
    assert tty.getvalue() == ""


def test_progress_redraws_are_throttled() -> None:
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, clock=clock)
    for done in range(1000):
        bar(done, 1000)  # the clock stands still: one draw, then nothing until time passes or it is done
    bar(1000, 1000)
    assert stream.getvalue().count("\r") == 2


def test_cli_scan_keeps_stderr_clean_when_not_a_terminal(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--no-cache"])
    assert result.exit_code == 0
    assert "files/s" not in result.stderr and "\r" not in result.stderr


def test_eta_and_line_format() -> None:
    assert format_eta(3725) == "1:02:05"
    assert format_eta(65) == "01:05"
    assert render_line(0, 10, 0.0).endswith("ETA --:--")


def test_progress_without_a_known_total_shows_the_count() -> None:
    line = render_line(1200, -1, 2.0)
    assert "1200/? files" in line and "600 files/s" in line and "ETA" not in line
