"""The terminal guides: outcome on stderr with -o, what to do next, suggested approvals, WHY column."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.ledger import open_ledger
from provenance.reports import csv_report
from provenance.reports.guidance import outcome_line

from .conftest import REPO


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "sample_assets"
    shutil.copytree(REPO / "sample_assets", root)
    return root


def test_with_output_the_outcome_and_next_steps_still_reach_the_terminal(demo: Path, tmp_path: Path):
    out = tmp_path / "audit.html"
    result = invoke("audit", str(demo), "--format", "html", "-o", str(out), "-q")
    assert result.exit_code == 1 and out.is_file() and result.stdout == ""
    assert "FAIL: 15 assets: 12 flagged (4 BLOCKER, 3 ISSUE, 5 FYI), 3 clean; 1 delivery finding (1 FYI)" \
        in result.stderr
    steps = result.stderr.split("next:\n", 1)[1]
    ledger = demo / "_approvals" / "ledger.db"
    assert "--suggest-approvals" in steps
    assert f"provenance ledger amend DEMO-GAI-0005 --ledger {ledger} --valid-until" in steps
    assert "revoked" in steps and "stale" in steps


def test_a_passing_audit_prints_no_next_steps(demo: Path, tmp_path: Path):
    result = invoke("audit", str(demo), "--format", "json", "-o", str(tmp_path / "a.json"), "--fail-on", "never")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1].startswith("PASS: 15 assets")
    assert "next:" not in result.stderr


def test_the_summary_keeps_asset_and_finding_counts_apart():
    data = {"summary": {"outcome": "FAIL"}, "fail_on": "issue",
            "assets": [{"status": "unapproved", "severity": "BLOCKER"}, {"status": "clean", "severity": None}],
            "findings": [{"severity": "FYI"}, {"severity": "ISSUE"}]}
    assert outcome_line(data) == ("FAIL: 2 assets: 1 flagged (1 BLOCKER), 1 clean; "
                                  "2 delivery findings (1 ISSUE, 1 FYI); fail on issue")


def test_suggested_approvals_import_once_filled_in(demo: Path, tmp_path: Path):
    suggested = tmp_path / "approvals.csv"
    result = invoke("audit", str(demo), "--format", "json", "-o", str(tmp_path / "a.json"),
                    "--suggest-approvals", str(suggested))
    assert f"wrote 3 suggested approvals to {suggested}" in result.stderr
    audit = json.loads((tmp_path / "a.json").read_text())
    rows = list(csv.DictReader(io.StringIO(suggested.read_text())))
    unapproved_final = sorted(a["path"] for a in audit["assets"] if a["status"] == "unapproved" and a["use"] == "final")
    assert [r["path"] for r in rows] == unapproved_final
    sha = {a["path"]: a.get("sha256") for a in audit["assets"]}
    for row in rows:
        assert row["sha256"] == sha[row["path"]] and len(row["sha256"]) == 64
        assert row["approver"] == row["category"] == row["ref"] == ""
        assert row["#evidence"].startswith("ai-generated")
    # A producer fills in the blanks; the #evidence column is ignored by the import.
    for i, row in enumerate(rows):
        row.update(ref=f"SHOW-GAI-{i + 1:03d}", approver="Dana Reyes", category="final-deliverable")
    filled = tmp_path / "filled.csv"
    with filled.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ledger = tmp_path / "ledger.db"
    open_ledger(ledger, create=True).close()
    assert invoke("ledger", "--ledger", str(ledger), "import", str(filled)).exit_code == 0
    after = invoke("audit", str(demo), "--ledger", str(ledger), "--format", "json")
    statuses = {a["path"]: a["status"] for a in json.loads(after.stdout)["assets"]}
    assert all(statuses[p] == "approved" for p in unapproved_final)


def test_a_suggested_row_approves_only_its_own_file_whatever_the_vendor_named_it(tmp_path: Path):
    """A file named ``*.png`` must not become a glob over its folder, and a name the ledger refuses
    (``;``) must not sink the all-or-nothing import: the sha256 binds those."""
    from .test_audit_cli import make_ai_png

    root = tmp_path / "d"
    (root / "final").mkdir(parents=True)
    for name, prompt in (("a.png", "a cat"), ("*.png", "a dog"), ("[ab].png", "a fox"), ("=1+2;x.png", "a cow")):
        make_ai_png(root / "final" / name, prompt)
    ledger = tmp_path / "ledger.db"
    open_ledger(ledger, create=True).close()
    suggested = tmp_path / "approvals.csv"
    invoke("audit", str(root), "--ledger", str(ledger), "--suggest-approvals", str(suggested), "-q")
    rows = list(csv.DictReader(io.StringIO(suggested.read_text())))
    assert sorted(r["path"] for r in rows) == ["", "", "final/[*].png", "final/a.png"]
    assert all(len(r["sha256"]) == 64 for r in rows)
    # Approve every file but a.png.
    chosen = [dict(r, ref=f"S-{i}", approver="Dana Reyes", category="final-deliverable")
              for i, r in enumerate(rows) if r["path"] != "final/a.png"]
    filled = tmp_path / "filled.csv"
    with filled.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    assert invoke("ledger", "--ledger", str(ledger), "import", str(filled)).exit_code == 0
    after = invoke("audit", str(root), "--ledger", str(ledger), "--format", "json", "-q")
    statuses = {a["path"]: a["status"] for a in json.loads(after.stdout)["assets"]}
    assert statuses == {"final/a.png": "unapproved", "final/*.png": "approved", "final/[ab].png": "approved",
                        "final/=1+2;x.png": "approved"}


def test_suggest_approvals_with_several_roots_is_refused_not_ignored(demo: Path, tmp_path: Path):
    result = invoke("audit", str(demo), str(demo / "final"), "-o", str(tmp_path / "out"),
                    "--suggest-approvals", str(tmp_path / "approvals.csv"))
    assert result.exit_code == 2 and "--suggest-approvals takes one DELIVERY" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "approvals.csv").exists()


def test_ledger_import_still_refuses_an_unknown_column_without_a_hash(tmp_path: Path):
    ledger = tmp_path / "ledger.db"
    open_ledger(ledger, create=True).close()
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,path,category,approver,evidence\nA-1,x.png,final-deliverable,Dana,generated\n")
    result = invoke("ledger", "--ledger", str(ledger), "import", str(bad))
    assert result.exit_code == 2 and "evidence" in result.stderr


def test_the_terminal_table_says_why(demo: Path):
    result = invoke("audit", str(demo), "-q")
    lines = result.stdout.splitlines()
    assert lines[0].split()[-1] == "WHY"
    row = {line.split()[4]: line for line in lines[1:16]}
    assert row["final/stills/matte_sky_v004.png"].endswith("approval expired on 2025-09-30")
    assert row["final/stills/keyart_character_v002.png"].endswith("no approval in the ledger")
    assert row["final/stills/sign_insert_v002.jpg"].endswith("file changed after approval")


def test_csv_writes_a_plain_dash_for_a_clean_row_and_still_neutralises_formulas():
    data = {"assets": [
        {"path": "clean.png", "status": "clean", "severity": None, "explanation": "-"},
        {"path": "evil.png", "status": "unapproved", "severity": "BLOCKER", "explanation": "-1+2"},
    ]}
    rows = list(csv.DictReader(io.StringIO(csv_report.render(data))))
    assert rows[0]["severity"] == "-" and rows[0]["explanation"] == "-"
    assert rows[1]["explanation"] == "'-1+2"


def test_a_table_redirected_to_a_file_still_tells_the_terminal(demo: Path):
    # CliRunner's stdout is not a terminal, as with `provenance audit D > report.txt`.
    result = invoke("audit", str(demo), "-q")
    assert result.stdout.rstrip().endswith("fail on issue")
    assert "FAIL: 15 assets" in result.stderr and "next:" in result.stderr


def test_next_steps_name_each_failing_finding_with_its_own_advice():
    from provenance.reports.guidance import next_steps

    data = {"summary": {"exit_code": 1}, "fail_on": "issue", "complete": True, "assets": [],
            "ledger": {"state": "ok"},
            "findings": [{"code": "declared-approval-unknown", "severity": "ISSUE"},
                         {"code": "manifest-hash-mismatch", "severity": "ISSUE"},
                         {"code": "unmatched-approval", "severity": "FYI"}]}
    steps = next_steps(data)
    assert [s.split(":")[0] for s in steps] == ["declared-approval-unknown", "manifest-hash-mismatch"]
    assert "provenance ledger add --ref" in steps[0] and "package manifest" in steps[1]


def test_the_commands_in_the_advice_act_on_the_ledger_the_audit_read(tmp_path: Path, monkeypatch):
    """Pasted as printed, the amend command fixes the expired approval in the ledger the policy named."""
    import re
    import shlex

    root = tmp_path / "sample_assets"
    shutil.copytree(REPO / "sample_assets", root)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVENANCE_LEDGER", raising=False)
    steps = invoke("audit", "sample_assets", "-q").stderr.split("next:\n", 1)[1]
    assert "`provenance ledger add --ledger sample_assets/_approvals/ledger.db`" in steps
    amend = re.search(r"`(provenance ledger amend DEMO-GAI-0005 [^`]*)`", steps).group(1)
    args = shlex.split(amend.replace("YYYY-MM-DD", "2030-01-01"))[1:]
    assert invoke(*args).exit_code == 0
    after = json.loads(invoke("audit", "sample_assets", "--format", "json", "-q").stdout)
    assert next(a for a in after["assets"] if a["path"] == "final/stills/matte_sky_v004.png")["status"] == "approved"
    # With no ledger named, nothing is added: the default ./provenance.db is what the commands open anyway.
    from provenance.reports.guidance import next_steps
    plain = next_steps({"summary": {"exit_code": 1}, "fail_on": "issue", "assets": [],
                        "ledger": {"state": "ok", "path": "provenance.db"},
                        "findings": [{"code": "declared-approval-unknown", "severity": "ISSUE"}]})
    assert "`provenance ledger add --ref REF ...`" in plain[0]
