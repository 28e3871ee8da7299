"""`provenance policy init` and `provenance policy show`, through the real CLI."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner

from provenance.audit.policy import default_policy_text, load_policy
from provenance.cli import cli

from .conftest import REPO


def test_init_writes_the_documented_default_and_refuses_to_overwrite(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(cli, ["policy", "init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "provenance.toml"
    assert written.read_text(encoding="utf-8") == default_policy_text()
    assert load_policy(None, tmp_path).sha256 == load_policy(None, None).sha256
    written.write_text("schema = 1\n")
    again = runner.invoke(cli, ["policy", "init", str(written)])
    assert again.exit_code == 2 and "--force" in again.output
    assert written.read_text() == "schema = 1\n"
    assert runner.invoke(cli, ["policy", "init", str(written), "--force"]).exit_code == 0
    assert written.read_text(encoding="utf-8") == default_policy_text()


def test_show_prints_the_merged_policy_with_each_origin_as_valid_toml(tmp_path: Path):
    (tmp_path / "provenance.toml").write_text('[severity.final]\nstale = "BLOCKER"\n')
    result = CliRunner().invoke(cli, ["policy", "show", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    stale = next(line for line in lines if line.startswith("stale = "))
    assert '"BLOCKER"' in stale and stale.endswith(str(tmp_path / "provenance.toml"))
    unapproved = next(line for line in lines if line.startswith("unapproved = "))
    assert unapproved.endswith("# built-in")
    # The output is itself a usable policy file that means the same thing.
    shown = tmp_path / "shown.toml"
    shown.write_text(result.output)
    assert tomllib.loads(result.output)["severity"]["final"]["stale"] == "BLOCKER"
    assert load_policy(shown, None).sha256 == load_policy(None, tmp_path).sha256
    assert load_policy(None, tmp_path).sha256 in result.output


def test_show_json_and_the_demo_delivery():
    result = CliRunner().invoke(cli, ["policy", "show", str(REPO / "sample_assets"), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    origin = {s["key"]: s["from"] for s in data["settings"]}
    assert origin["ledger.path"].endswith("provenance.toml")
    assert origin["severity.final.unapproved"] == "built-in"


def test_show_names_a_bad_policy_in_one_line(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[severity.final]\nstael = "ISSUE"\n')
    result = CliRunner().invoke(cli, ["policy", "show", "--policy", str(bad)])
    assert result.exit_code == 2
    assert "stael" in result.output and "Traceback" not in result.output
