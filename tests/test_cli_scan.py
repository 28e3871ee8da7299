"""`provenance scan` from the command line: output contract and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from .builders import png_file


_png = png_file


def test_json_contract_is_sorted_and_complete(tmp_path: Path) -> None:
    _png(tmp_path / "b.png")
    _png(tmp_path / "a" / "c.png")
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "provenance.scan/1"
    assert [a["path"] for a in data["assets"]] == ["a/c.png", "b.png"]
    for asset in data["assets"]:
        assert set(asset) >= {"path", "verdict", "generators", "c2pa", "evidence", "errors"}
        assert asset["c2pa"]["state"] in {"trusted", "valid", "invalid", "remote", "error", "absent"}
    assert data["skipped"] == [{"path": ".DS_Store", "reason": "macOS folder metadata"}]
    # Deterministic: the same tree gives the same bytes.
    again = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    assert again.stdout == result.stdout


def test_output_file_and_table(tmp_path: Path) -> None:
    _png(tmp_path / "d" / "x.png")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "d"), "--format", "json", "--output", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text())["assets"][0]["path"] == "x.png"
    table = CliRunner().invoke(cli, ["scan", str(tmp_path / "d")])
    assert "x.png" in table.stdout and "no-evidence" in table.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a mode-000 file")
def test_unreadable_file_is_listed_and_exit_3(tmp_path: Path) -> None:
    _png(tmp_path / "ok.png")
    locked = tmp_path / "locked.png"
    _png(locked)
    locked.chmod(0)
    try:
        result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "json"])
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 3
    assets = {a["path"]: a for a in json.loads(result.stdout)["assets"]}
    assert assets["locked.png"]["errors"][0]["code"] == "unreadable"


def test_truncated_file_is_listed_with_its_error_not_a_traceback(tmp_path: Path) -> None:
    _png(tmp_path / "cut.png", {"parameters": "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"})
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    proc = subprocess.run([sys.executable, "-m", "provenance", "scan", str(tmp_path), "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 3)
    assert [a["path"] for a in json.loads(proc.stdout)["assets"]] == ["cut.png"]


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["scan", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    bad_pem = tmp_path / "anchors.pem"
    bad_pem.write_text("not a certificate")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--trust-anchors", str(bad_pem)])
    assert result.exit_code == 2
    assert "no PEM certificate" in result.output


def test_version_and_help_end_with_example() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.startswith("provenance, version ")
    for args in (["--help"], ["scan", "--help"]):
        text = runner.invoke(cli, args).output.rstrip()
        assert "Example" in text.splitlines()[-3:][0] or "Example" in text[-300:]


def test_output_into_a_missing_folder_is_a_usage_error_before_scanning(tmp_path: Path) -> None:
    _png(tmp_path / "d" / "x.png")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "d"), "--output", str(tmp_path / "nope" / "r.json")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_report_file_is_readable_by_the_group(tmp_path: Path) -> None:
    _png(tmp_path / "d" / "x.png")
    out = tmp_path / "r.json"
    old = os.umask(0o022)
    try:
        assert CliRunner().invoke(cli, ["scan", str(tmp_path / "d"), "--format", "json", "-o", str(out)]).exit_code == 0
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_listing_layout_is_the_same_document_as_indented_json() -> None:
    from provenance.scan.render import dumps, dumps_listing

    data = {"schema": "s", "assets": [{"b": 1, "a": [1, {"z": "é", "y": None}]}, {"path": "x"}], "skipped": [],
            "problems": [{"code": "c"}], "root": "/r"}
    text = dumps_listing(data)
    assert json.loads(text) == data
    assert text.count("\n") == len(text.splitlines())
    assert '    {"a": [1, {"y": null, "z": "é"}], "b": 1},' in text.splitlines()
    assert json.loads(dumps(data)) == json.loads(text)


def test_the_scan_table_writes_out_control_characters_in_file_names(tmp_path: Path) -> None:
    # A vendor's file name must not drive the terminal (ESC retitles, recolours, moves the cursor)
    # or reorder what is shown (bidi override).
    hostile = "shot\x1b]0;pwned\x07\u202egnp.png"
    _png(tmp_path / "d" / hostile)
    table = CliRunner().invoke(cli, ["scan", str(tmp_path / "d"), "--format", "table"])
    assert table.exit_code == 0, table.output
    assert "\x1b" not in table.stdout and "\u202e" not in table.stdout and "\x07" not in table.stdout
    assert "shot\\x1b]0;pwned\\x07\\u202egnp.png" in table.stdout


def test_output_text_and_bytes_replace_the_file_whole_and_leave_no_temporary(tmp_path: Path) -> None:
    from provenance.cli._common import write_output

    out = tmp_path / "r.txt"
    out.write_text("old")
    out.chmod(0o640)

    def broken():
        yield "half"
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        write_output(broken(), out)
    assert out.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]
    write_output(iter(["a", "é"]), out)
    assert out.read_text(encoding="utf-8") == "aé" and out.stat().st_mode & 0o777 == 0o640
    write_output(b"%PDF\x00", out)
    assert out.read_bytes() == b"%PDF\x00" and out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_output_into_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path: Path) -> None:
    # `-o /dev/null` once renamed a regular file over the device (as root, for everyone on the box).
    import threading

    _png(tmp_path / "d" / "a.png")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "d"), "--format", "json", "-q", "-o", str(fifo)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert json.loads(received[0])["assets"][0]["path"] == "a.png"
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "pipe"]


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    from provenance.cli._common import write_output

    target = tmp_path / "reports" / "scan.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_output("new", link)
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["scan.json"]
