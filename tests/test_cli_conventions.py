"""Conventions shared by every command: format names, -v/--debug anywhere, typed dates, scan --format csv."""

from __future__ import annotations

import csv
import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from provenance.cli import _SUMMARIES, cli
from provenance.cli._common import FORMAT_NAMES, FormatChoice, IsoDate

from .conftest import REPO


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        out.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix}{name} ")
    return out


def test_every_format_option_draws_from_one_vocabulary():
    seen = set()
    for name, command in _commands(cli):
        for param in command.params:
            if "--format" in getattr(param, "opts", ()):
                assert isinstance(param.type, FormatChoice), f"`provenance {name}` --format is not a FormatChoice"
                assert set(param.type.choices) <= set(FORMAT_NAMES), name
                seen |= set(param.type.choices)
    # The human view is called `table` wherever there is one: no command says `text` any more.
    assert "table" in seen and "text" not in seen


def test_old_format_spellings_still_work(tmp_path: Path):
    ledger = tmp_path / "l.db"
    assert invoke("ledger", "--ledger", str(ledger), "init").exit_code == 0
    table = invoke("ledger", "--ledger", str(ledger), "verify", "--format", "table")
    text = invoke("ledger", "--ledger", str(ledger), "verify", "--format", "text")
    assert table.exit_code == text.exit_code == 0 and table.stdout == text.stdout
    md = invoke("report", str(_saved_audit(tmp_path)), "--format", "markdown")
    assert md.exit_code == 0 and md.stdout.startswith("#")


def _saved_audit(tmp_path: Path) -> Path:
    saved = tmp_path / "audit.json"
    invoke("audit", str(REPO / "sample_assets"), "--format", "json", "-o", str(saved), "-q")
    return saved


@pytest.mark.parametrize("args", [
    ["policy", "show", "-v"],
    ["policy", "show", "-vv"],
    ["policy", "show", "--debug"],
    ["ledger", "categories", "-v"],
    ["-v", "policy", "show"],
    ["--debug", "policy", "show"],
])
def test_verbose_and_debug_are_accepted_before_and_after_the_subcommand(args: list[str]):
    root = logging.getLogger()
    before = root.level
    try:
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        if "-vv" in args or "--debug" in args:
            assert root.getEffectiveLevel() == logging.DEBUG
        else:
            assert root.getEffectiveLevel() <= logging.INFO
    finally:
        root.setLevel(before)


def test_debug_after_scan_still_lets_bugs_raise(tmp_path: Path):
    (tmp_path / "a.txt").write_text("hello")
    result = invoke("scan", str(tmp_path), "--debug", "--no-cache", "-q")
    assert result.exit_code == 0
    for args in (["scan", str(tmp_path), "-v"], ["audit", str(REPO / "sample_assets"), "--debug", "-q"]):
        assert CliRunner().invoke(cli, args).exit_code in (0, 1)


class _BuggyScanner:
    """A scanner with a bug (not an InputError): the scan records it, --debug lets it raise."""

    id = "buggy"
    version = "1"

    def accepts(self, media_type: str) -> bool:
        return True

    def scan(self, item):
        raise RuntimeError("scanner bug on purpose")


@pytest.mark.parametrize("args", [["--debug", "scan", "{root}"], ["scan", "{root}", "--debug"]])
def test_debug_before_or_after_scan_lets_a_scanner_bug_raise(args: list[str], tmp_path: Path, monkeypatch):
    from provenance.scanners import ScannerRegistry

    (tmp_path / "a.txt").write_text("hello")
    monkeypatch.setattr("provenance.cli.scan.default_registry", lambda: ScannerRegistry([_BuggyScanner()]))
    common = ["--no-cache", "--jobs", "1", "-q", "--format", "json"]
    recorded = CliRunner().invoke(cli, ["scan", str(tmp_path), *common])
    assert recorded.exit_code == 3 and "scanner-bug" in recorded.stdout  # without --debug: recorded, not raised
    raised = CliRunner().invoke(cli, [a.format(root=tmp_path) for a in args] + common)
    assert isinstance(raised.exception, RuntimeError) and "on purpose" in str(raised.exception)


@pytest.mark.parametrize("args", [["--debug", "audit", "{root}"], ["audit", "{root}", "--debug"],
                                  ["audit", "{root}", "{root}", "-o", "{out}", "--debug"]])
def test_debug_before_or_after_audit_lets_a_scanner_bug_raise(args: list[str], tmp_path: Path, monkeypatch):
    from provenance.scanners import ScannerRegistry

    root = tmp_path / "delivery"
    root.mkdir()
    (root / "a.txt").write_text("hello")
    monkeypatch.setattr("provenance.scanners.default_registry", lambda: ScannerRegistry([_BuggyScanner()]))
    ledger = str(tmp_path / "l.db")
    assert invoke("ledger", "--ledger", ledger, "init").exit_code == 0
    common = ["--no-cache", "--jobs", "1", "-q", "--format", "json", "--ledger", ledger]
    recorded = CliRunner().invoke(cli, ["audit", str(root), *common])
    assert recorded.exit_code == 3 and "scanner-bug" in recorded.stdout  # without --debug: recorded, not raised
    out = str(tmp_path / "reports")
    raised = CliRunner().invoke(cli, [a.format(root=root, out=out) for a in args] + common)
    assert isinstance(raised.exception, RuntimeError) and "on purpose" in str(raised.exception)


def test_date_options_are_typed_as_dates_in_help(tmp_path: Path):
    dated = []
    for name, command in _commands(cli):
        for param in command.params:
            opts = getattr(param, "opts", ())
            if any(o in ("--as-of", "--expiring-before", "--approved-on", "--valid-until") for o in opts):
                assert isinstance(param.type, IsoDate), (name, opts)
                dated.append((name, opts[0]))
        if any(isinstance(p.type, IsoDate) for p in command.params):
            assert "YYYY-MM-DD" in invoke(*name.split(), "--help").stdout
    assert len(dated) >= 5
    bad = invoke("ledger", "--ledger", str(tmp_path / "x.db"), "list", "--as-of", "30/06/2027")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr and bad.stderr.count("\n") == 1


def test_scan_writes_csv_one_row_per_asset(tmp_path: Path):
    as_json = json.loads(invoke("scan", str(REPO / "sample_assets"), "--format", "json", "-q").stdout)
    result = invoke("scan", str(REPO / "sample_assets"), "--format", "csv", "-q")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["path"] for r in rows] == [a["path"] for a in as_json["assets"]]
    by_path = {r["path"]: r for r in rows}
    exr = by_path["final/vfx/sh010/sh010_comp_v003.####.exr"]
    assert exr["frames"] == "1001-1024" and exr["verdict"] == "ai-modified" and exr["kind"] == "sequence"
    assert by_path["final/audio/score_cue_12_suno.mp3"]["generators"] == "Suno"


def test_top_level_help_lists_each_command_with_its_own_summary():
    commands = dict(_commands(cli))
    assert set(_SUMMARIES) == {name for name in commands if " " not in name}
    listing = invoke("--help").output.split("Commands:")[1]
    for name, summary in _SUMMARIES.items():
        assert summary == commands[name].help.split("\n\n")[0].strip(), name
        assert f"\n  {name} " in listing


def test_top_level_help_does_not_import_the_commands():
    probe = ("import sys\nfrom provenance.cli import main\nsys.argv = ['provenance', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('provenance.audit', 'provenance.ledger',"
             " 'provenance.tagging', 'provenance.scan'))), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert "Commands:" in done.stdout and "timeline" in done.stdout
    assert done.stderr.strip() == "[]"
