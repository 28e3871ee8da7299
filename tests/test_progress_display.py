"""The progress display a person reads: early total, phase and folder, steady redraws, silent off a terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

from provenance.cli.progress import ProgressBar, render_status

from .conftest import REPO


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _delivery(root: Path, folders: int = 6, per_folder: int = 100) -> int:
    png = (REPO / "sample_assets" / "reference" / "moodboard_city.png").read_bytes()
    for f in range(folders):
        folder = root / f"ep101/reel{f}"
        folder.mkdir(parents=True)
        for i in range(per_folder):
            (folder / f"still_{i:03d}_v1.png").write_bytes(png)  # no frame sequence: "_v1" ends the name
    return folders * per_folder


def _scan_on_a_terminal(root: Path, *extra: str) -> tuple[int, str]:
    """Run the real CLI with stderr on a pseudo-terminal; return its exit code and what it drew there."""
    main, child = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "provenance", "scan", str(root), "--no-cache", "--jobs", "1",
                             *extra], stdout=subprocess.DEVNULL, stderr=child, stdin=subprocess.DEVNULL, env=env)
    os.close(child)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    return proc.wait(timeout=300), drawn.decode("utf-8", "replace")


def test_scan_on_a_terminal_knows_its_total_early_and_names_phase_and_folder(tmp_path: Path):
    total = _delivery(tmp_path / "d")
    code, drawn = _scan_on_a_terminal(tmp_path / "d")
    assert code == 0
    lines = [line.replace("\x1b[K", "") for line in re.split(r"[\r\n]", drawn) if line.strip()]
    counts = [(int(m.group(1)), int(m.group(2))) for line in lines
              if (m := re.search(r"scanning .* (\d+)/(\d+) files", line))]
    # The listing pass gave the total while files were still being scanned (not only at the end).
    assert any(done < total and of == total for done, of in counts), lines[:20]
    assert not any("/? files" in line for line in lines if "scanning" in line and "reel5" in line)
    assert any(re.search(r"scanning .*ep101/reel\d", line) for line in lines)


def test_the_scan_reports_every_file_as_it_comes_back(tmp_path: Path):
    """Counts move a file at a time (they used to jump in batches of 1,500), and folders are named."""
    from provenance.scan import ScanSettings, scan_tree
    from provenance.scanners import default_registry

    total = _delivery(tmp_path / "d", folders=3, per_folder=90)

    class Recorder:
        def __init__(self) -> None:
            self.done: list[int] = []
            self.where: list[tuple[str, str]] = []

        def __call__(self, done: int, of: int) -> None:
            self.done.append(done)

        def phase(self, name: str, where: str = "") -> None:
            self.where.append((name, where))

    seen = Recorder()
    scan_tree(tmp_path / "d", default_registry(), ScanSettings(jobs=2), progress=seen)
    assert set(range(1, total + 1)) <= set(seen.done)
    assert [w for name, w in seen.where if name == "scanning"] == [f"ep101/reel{f}" for f in range(3)]


def test_writing_a_report_to_a_file_is_a_phase(tmp_path: Path):
    _delivery(tmp_path / "d", folders=1, per_folder=10)
    code, drawn = _scan_on_a_terminal(tmp_path / "d", "--format", "json", "-o", str(tmp_path / "scan.json"))
    assert code == 0 and (tmp_path / "scan.json").is_file()
    assert "\rwriting   " in drawn and "scan.json" in drawn.split("\rwriting   ", 1)[1]
    assert drawn.endswith("\n")


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(tmp_path: Path):
    _delivery(tmp_path / "d", folders=2, per_folder=20)
    proc = subprocess.run([sys.executable, "-m", "provenance", "scan", str(tmp_path / "d"), "--no-cache"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert proc.returncode == 0
    assert proc.stderr == ""


class _TimedTerminal(Terminal):
    """A terminal that notes when each redraw (a carriage return) arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.draws: list[float] = []

    def write(self, text: str) -> int:
        if text.startswith("\r"):
            self.draws.append(time.monotonic())
        return super().write(text)


def test_the_display_redraws_at_least_twice_a_second_while_work_is_slow():
    """No count arrives while one big file is hashed, yet the line keeps moving, at least twice a second.

    The ticker's pace is judged by the median gap between redraws, not by counting draws in a fixed
    window: on a loaded machine one late wake-up must not fail the test, a slow ticker still does.
    """
    from provenance.cli import progress

    stream = _TimedTerminal()
    bar = ProgressBar(stream)
    bar.start()
    bar.phase("hashing", "final/movie/teaser.mp4")  # one big file: no callback for a while
    bar(0, 1)
    deadline = time.monotonic() + 30
    while len(stream.draws) < 9 and time.monotonic() < deadline:
        time.sleep(0.05)
    bar.close()
    gaps = sorted(b - a for a, b in zip(stream.draws, stream.draws[1:]))
    assert len(gaps) >= 8, stream.getvalue()  # redraws kept coming with no count reported
    assert progress.TICK_SECONDS <= 0.5
    assert gaps[len(gaps) // 2] <= 0.5, gaps
    assert "hashing" in stream.getvalue() and "teaser.mp4" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


def test_status_line_shapes():
    assert render_status("listing", 0, -1, 1.0, "ep101/reel1", listed=5400).startswith("listing  5,400 files found")
    line = render_status("scanning", 1200, 20000, 2.0, "ep101/" + "x" * 80)
    assert line.startswith("scanning [#") and "1200/20000 files" in line and "ETA" in line
    assert len(line) < 130 and "…" in line
    assert render_status("writing", 0, -1, 1.0, "audit.pdf") == "writing   audit.pdf"
    # A folder name is the vendor's: its control characters are written out, never drawn raw.
    hostile = render_status("scanning", 1, 2, 1.0, "ep101/\x1b]0;PWNED\x07\x1b[2J")
    assert "\x1b" not in hostile and "\x07" not in hostile and "\\x1b]0;PWNED" in hostile
