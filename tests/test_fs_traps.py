"""Filesystem traps, end to end through scan_tree and `provenance scan`: each is reported, none is fatal."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance.models import FileScan
from provenance.scan import ScanSettings, scan_path, scan_tree
from provenance.scan.render import scan_to_dict
from provenance.scan.walk import FileEntry
from provenance.scanners import default_registry



def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


# A 1x1 PNG whose tEXt names Midjourney: it reads "ai-generated" only if its bytes were really scanned.
PNG = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
       + _chunk(b"tEXt", b"Software\0Midjourney") + _chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
       + _chunk(b"IEND", b""))
NOBODY = 65534


def _cli_scan(root: Path, *extra: str) -> tuple[int, dict, str]:
    done = subprocess.run([sys.executable, "-m", "provenance", "scan", str(root), "--format", "json", *extra],
                          capture_output=True, timeout=120)
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    return done.returncode, json.loads(done.stdout.decode("utf-8")), stderr


def _skipped(report: dict) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in report["skipped"]}


def _assets(report: dict) -> dict[str, dict]:
    return {a["path"]: a for a in report["assets"]}


def test_symlink_loops_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "a.png").write_bytes(PNG)
    (tmp_path / "shots" / "again").symlink_to("..")  # a folder loop
    (tmp_path / "ping").symlink_to("pong")  # a link loop with no target
    (tmp_path / "pong").symlink_to("ping")
    (tmp_path / "self").symlink_to("self")
    rc, report, _ = _cli_scan(tmp_path)
    assert rc == 0
    assert list(_assets(report)) == ["shots/a.png"]
    skipped = _skipped(report)
    assert "loop" in skipped["shots/again"]
    assert {"ping", "pong", "self"} <= set(skipped)


def test_links_out_of_the_delivery_are_not_followed_by_default(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "delivery"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.png").write_bytes(PNG)
    (outside / "dir" / "b.png").write_bytes(PNG)
    root.mkdir()
    (root / "link.png").symlink_to(outside / "secret.png")
    (root / "linkdir").symlink_to(outside / "dir")
    rc, report, _ = _cli_scan(root)
    assert rc == 0 and report["assets"] == []
    assert all("outside the delivery" in reason for reason in _skipped(report).values())

    rc, followed, _ = _cli_scan(root, "--follow-symlinks")
    assert rc == 0
    assets = _assets(followed)
    assert set(assets) == {"link.png", "linkdir/b.png"}
    assert assets["link.png"]["verdict"] == "ai-generated"  # the target was really read


@pytest.fixture
def world_readable_tmp() -> Iterator[Path]:
    # pytest's tmp_path sits under a 0700 folder that nobody cannot enter.
    path = Path(tempfile.mkdtemp(prefix="provenance-traps-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
    shutil.rmtree(path)


def _scan_as_nobody(root: Path) -> dict:
    """scan_tree in a forked child that has dropped to uid/gid 65534, so permission bits bite.

    A fork, not an exec: the interpreter lives under /root, which nobody cannot enter.
    """
    # Warm up first: modules imported lazily (Pillow, mutagen parts) live under /root too.
    warm = Path(tempfile.mkdtemp(prefix="provenance-warm-"))
    (warm / "w.png").write_bytes(PNG)
    scan_tree(warm, default_registry(), ScanSettings(propagate_bugs=True))
    shutil.rmtree(warm)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            report = scan_tree(root, default_registry(), ScanSettings(propagate_bugs=True))
            with os.fdopen(write_end, "w") as out:
                json.dump(scan_to_dict(report), out)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged scan failed"
    return json.loads(text)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges to uid 65534")
def test_unreadable_files_and_folders_are_reported(world_readable_tmp: Path) -> None:
    root = world_readable_tmp
    (root / "ok.png").write_bytes(PNG)
    (root / "locked.png").write_bytes(PNG)
    (root / "closed").mkdir()
    (root / "closed" / "hidden.png").write_bytes(PNG)
    (root / "ok.png").chmod(0o644)
    (root / "locked.png").chmod(0o000)
    (root / "closed").chmod(0o000)
    report = _scan_as_nobody(root)
    assert not report["complete"]
    assets = _assets(report)
    assert assets["ok.png"]["verdict"] == "ai-generated" and not assets["ok.png"]["errors"]
    assert [e["code"] for e in assets["locked.png"]["errors"]] == ["unreadable"]
    assert any(p["code"] == "unreadable-folder" and p["message"].startswith("closed") for p in report["problems"])


def test_names_that_are_not_utf8_are_listed(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xff\xfename.png"
    with open(raw, "wb") as fh:
        fh.write(PNG)
    (tmp_path / "good.png").write_bytes(PNG)
    rc, report, _ = _cli_scan(tmp_path)
    assert rc == 0
    paths = set(_assets(report))
    assert "good.png" in paths and len(paths) == 2
    shown = next(p for p in paths if p != "good.png")
    assert shown.startswith("bad") and "\\x" in shown  # escaped, never a crash or mojibake
    assert _assets(report)[shown]["verdict"] == "ai-generated"


def _changing(change: dict[str, object]) -> object:
    """A file scanner that alters a file on disk between the walk and the read, then scans it for real."""
    registry = default_registry()

    def scan_one(entry: FileEntry) -> FileScan:
        action = change.get(entry.rel)
        if callable(action):
            action(entry.abspath)
        return scan_path(entry.abspath, entry.rel, registry, ScanSettings().options, entry.sidecars,
                         propagate_bugs=True)

    return scan_one


def test_files_that_vanish_or_change_during_the_scan(tmp_path: Path) -> None:
    names = ["gone.png", "shrunk.png", "grown.png", "fifo.png", "link.png", "dir.png", "stable.png"]
    for name in names:
        (tmp_path / name).write_bytes(PNG)
    (tmp_path / "gone.png.xmp").write_bytes(b"<x:xmpmeta/>")

    def to_fifo(path: str) -> None:
        os.unlink(path)
        os.mkfifo(path)  # opening a FIFO for reading blocks until a writer comes: must not hang

    def to_link(path: str) -> None:
        os.unlink(path)
        os.symlink("/etc/passwd", path)

    def to_dir(path: str) -> None:
        os.unlink(path)
        os.mkdir(path)

    def gone(path: str) -> None:
        os.unlink(path)
        os.unlink(path + ".xmp")

    actions = {
        "gone.png": gone,
        "shrunk.png": lambda p: os.truncate(p, 20),
        "grown.png": lambda p: open(p, "ab").write(b"\0" * 100_000),
        "fifo.png": to_fifo, "link.png": to_link, "dir.png": to_dir,
    }
    report = scan_tree(tmp_path, default_registry(), ScanSettings(propagate_bugs=True),
                       file_scanner=_changing(actions))  # type: ignore[arg-type]
    assets = {a.path: a for a in report.assets}
    assert set(assets) == set(names)
    for name in ("gone.png", "fifo.png", "link.png", "dir.png"):
        assert [e.code for e in assets[name].errors][:1] == ["unreadable"], name
    assert any(e.code == "png-truncated" for e in assets["shrunk.png"].errors)
    assert assets["grown.png"].verdict.kind.is_ai and assets["stable.png"].verdict.kind.is_ai
    assert not report.complete


def test_very_deep_trees_are_cut_off_and_reported(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(300):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "bottom.png").write_bytes(PNG)
    (tmp_path / "top.png").write_bytes(PNG)
    rc, report, _ = _cli_scan(tmp_path)
    assert rc == 3  # something was not read, and the report says so
    assert "top.png" in _assets(report)
    assert any(p["code"] == "tree-too-deep" for p in report["problems"])


def test_path_longer_than_path_max_is_reported(tmp_path: Path) -> None:
    # Built with relative mkdirs, since the absolute path exceeds what one syscall accepts.
    name = "n" * 200
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(25):
            os.mkdir(name, dir_fd=fd)
            new = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        leaf = os.open("deep.png", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, PNG)
        os.close(leaf)
    finally:
        os.close(fd)
    (tmp_path / "top.png").write_bytes(PNG)
    rc, report, _ = _cli_scan(tmp_path)
    assert rc in (0, 3)
    assert "top.png" in _assets(report)
    # The folder past PATH_MAX is named with the reason, not silently dropped.
    assert any("too long" in reason for reason in _skipped(report).values())
