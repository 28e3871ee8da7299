"""``provenance audit`` and ``provenance report`` end to end, with a real SQLite ledger."""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, PngImagePlugin

from provenance.cli import cli
from provenance.hashing import sha256_file
from provenance.ledger import open_ledger

AI_IMAGES = ("a1111_parameters.png", "comfyui_lora_example.png", "novelai_0317.png")
INFOTEXT = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def make_ai_png(path: Path, prompt: str = "a cat") -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", INFOTEXT.replace("a cat", prompt))
    Image.new("RGB", (64, 64), (30, 90, 160)).save(path, pnginfo=info)


def tree_state(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def make_ledger(path: Path, **grants) -> Path:
    ledger = open_ledger(path, create=True)
    try:
        for ref, kwargs in grants.items():
            ledger.add(ref, approver="Jane Doe", approved_on="2026-01-05", **kwargs)
    finally:
        ledger.close()
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture()
def delivery(corpus: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ep101"
    root.mkdir()
    for name in (*AI_IMAGES, "camera_canon.jpg"):
        shutil.copy(corpus / name, root / name)
    return root


def test_acceptance_one_approved_by_sha256_others_unapproved_camera_clean(delivery: Path, tmp_path: Path):
    ledger = make_ledger(tmp_path / "approvals.db", **{"GA-101": {
        "sha256": sha256_file(delivery / "a1111_parameters.png"), "categories": ["final-deliverable"],
        "title": "Poster"}})
    before = tree_state(delivery)
    result = invoke("audit", str(delivery), "--ledger", str(ledger), "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    status = {a["path"]: a["status"] for a in data["assets"]}
    assert status == {"a1111_parameters.png": "approved", "comfyui_lora_example.png": "unapproved",
                      "novelai_0317.png": "unapproved", "camera_canon.jpg": "clean"}
    assert data["ledger"]["state"] == "ok" and len(data["ledger"]["head"]) == 64
    assert all(len(a["sha256"]) == 64 for a in data["assets"] if a["status"] != "clean")
    assert tree_state(delivery) == before  # the audit never touches the deliverables

    junit = invoke("audit", str(delivery), "--ledger", str(ledger), "--format", "junit")
    cases = ET.fromstring(junit.stdout.encode()).findall("testsuite[@name='assets']/testcase")
    assert sorted(c.get("name") for c in cases if c.find("failure") is not None) == [
        "comfyui_lora_example.png", "novelai_0317.png"]


def test_exit_0_when_everything_generated_is_approved(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    ledger = make_ledger(tmp_path / "l.db", **{"GA-1": {"path": "poster.png", "categories": ["final-deliverable"]}})
    result = invoke("audit", str(root), "--ledger", str(ledger))
    assert result.exit_code == 0, result.stdout
    assert "PASS" in result.stdout and "approved" in result.stdout


def test_missing_default_ledger_warns_on_stderr_and_in_the_report(tmp_path: Path, monkeypatch):
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVENANCE_LEDGER", raising=False)
    result = invoke("audit", str(root), "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and "provenance.db" in data["warnings"][0]
    assert "warning: no approvals ledger at" in result.stderr
    assert data["assets"][0]["status"] == "unapproved"
    assert not (tmp_path / "provenance.db").exists()  # the audit does not create a ledger


def _named_ledger_args(kind: str, ledger: Path, root: Path, monkeypatch) -> list[str]:
    monkeypatch.delenv("PROVENANCE_LEDGER", raising=False)
    if kind == "option":
        return ["--ledger", str(ledger)]
    if kind == "env":
        monkeypatch.setenv("PROVENANCE_LEDGER", str(ledger))
    else:
        (root / "provenance.toml").write_text(f'[ledger]\npath = "{ledger.name}"\n')
        ledger.parent.mkdir(exist_ok=True)
    return []


@pytest.mark.parametrize("kind", ["option", "env", "policy"])
def test_a_named_ledger_that_is_missing_is_a_usage_error(kind: str, tmp_path: Path, monkeypatch):
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    ledger = (root if kind == "policy" else tmp_path) / "typo.db"
    result = invoke("audit", str(root), "--format", "json", *_named_ledger_args(kind, ledger, root, monkeypatch))
    assert result.exit_code == 2 and result.stdout == ""
    assert "typo.db" in result.stderr and "provenance ledger init" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not ledger.exists()


def test_a_database_without_ledger_tables_counts_as_missing(tmp_path: Path, monkeypatch):
    import sqlite3

    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    other = tmp_path / "other.db"
    sqlite3.connect(other).executescript("CREATE TABLE shots (name TEXT); INSERT INTO shots VALUES ('sh010');")
    named = invoke("audit", str(root), "--ledger", str(other))
    assert named.exit_code == 2 and "other.db" in named.stderr
    # The same file at the default place is a warning, as a missing default is.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROVENANCE_LEDGER", raising=False)
    shutil.copy(other, tmp_path / "provenance.db")
    default = invoke("audit", str(root), "--format", "json")
    assert default.exit_code == 1 and json.loads(default.stdout)["ledger"]["state"] == "missing"
    assert "warning:" in default.stderr


@pytest.mark.parametrize("inside", [False, True], ids=["outside", "inside-the-delivery"])
def test_an_empty_file_named_as_the_ledger_is_missing_not_a_crash(inside: bool, tmp_path: Path, monkeypatch):
    """SQLite reads a 0-byte file as an empty database (deserialize even raises MemoryError on it)."""
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    empty = (root / "_approvals" if inside else tmp_path) / "ledger.db"
    empty.parent.mkdir(exist_ok=True)
    empty.touch()
    monkeypatch.delenv("PROVENANCE_LEDGER", raising=False)
    named = CliRunner().invoke(cli, ["audit", str(root), "--ledger", str(empty)])
    assert named.exception is None or isinstance(named.exception, SystemExit), named.exception
    assert named.exit_code == 2 and "no approvals ledger at" in named.stderr and "ledger.db" in named.stderr
    assert named.stderr.count("\n") == 1
    monkeypatch.chdir(tmp_path)
    (tmp_path / "provenance.db").touch()
    default = invoke("audit", str(root), "--format", "json")
    assert default.exit_code == 1 and json.loads(default.stdout)["ledger"]["state"] == "missing"


def test_fail_on_blocker_lets_issues_through_and_never_always_passes(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    ledger = make_ledger(tmp_path / "l.db", **{"GA-1": {"path": "poster.png", "categories": ["on-screen-element"]}})
    base = ("audit", str(root), "--ledger", str(ledger))
    assert invoke(*base).exit_code == 1  # out-of-scope is an ISSUE
    assert invoke(*base, "--fail-on", "blocker").exit_code == 0
    assert invoke(*base, "--fail-on", "never").exit_code == 0


def test_incomplete_audit_exits_3_when_nothing_reaches_the_threshold(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    Image.new("RGB", (8, 8)).save(root / "plate.jpg")
    make_ai_png(tmp_path / "whole.png")
    (root / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:60])  # a transfer cut short
    result = invoke("audit", str(root), "--ledger", str(make_ledger(tmp_path / "l.db")), "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 3 and data["complete"] is False
    assert {a["path"]: a["status"] for a in data["assets"]} == {"cut.png": "needs-review", "plate.jpg": "clean"}
    assert data["summary"]["outcome"] == "INCOMPLETE"


def test_ledger_that_fails_verify_makes_the_audit_incomplete(tmp_path: Path):
    import sqlite3

    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    ledger = make_ledger(tmp_path / "l.db", **{"GA-1": {"path": "poster.png", "categories": ["final-deliverable"]}})
    from provenance.ledger.schema import EVENTS

    conn = sqlite3.connect(ledger)
    # History rewritten with a SQLite shell, behind the hash chain's back.
    conn.executescript(f"DROP TRIGGER IF EXISTS events_no_update; UPDATE {EVENTS} SET actor = 'mallory';")
    conn.close()
    result = invoke("audit", str(root), "--ledger", str(ledger), "--format", "json")
    data = json.loads(result.stdout)
    assert data["ledger"]["state"] == "unverified"
    assert result.exit_code == 3 and data["summary"]["outcome"] == "INCOMPLETE"


@pytest.mark.parametrize("args, needle", [
    (("--fail-on", "sometimes"), "--fail-on"),
    (("--format", "docx"), "--format"),
])
def test_usage_errors_exit_2(tmp_path: Path, args, needle):
    result = invoke("audit", str(tmp_path), *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_bad_policy_is_a_one_line_error_exit_2(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "provenance.toml").write_text("schema = 1\n[paths]\nfinal = 3\n")
    result = invoke("audit", str(root), "--ledger", str(make_ledger(tmp_path / "l.db")))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "provenance.toml" in result.stderr


def test_html_shows_a_script_prompt_as_text_with_a_thumbnail(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "evil.png", "<script>alert(1)</script>")
    out = tmp_path / "report.html"
    result = invoke("audit", str(root), "--ledger", str(make_ledger(tmp_path / "l.db")), "--format", "html", "--output", str(out))
    assert result.exit_code == 1
    page = out.read_text()
    # The page's own filter is its one script; the prompt's script is text.
    assert page.count("<script>") == 1 and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'src="data:image/jpeg;base64,' in page
    assert sorted(p.name for p in root.iterdir()) == ["evil.png"]  # the report went where --output said


def test_report_re_renders_a_saved_audit_without_rescanning(tmp_path: Path):
    root = tmp_path / "d"
    root.mkdir()
    make_ai_png(root / "poster.png")
    saved = tmp_path / "audit.json"
    invoke("audit", str(root), "--ledger", str(make_ledger(tmp_path / "l.db")), "--format", "json", "-o", str(saved))
    shutil.rmtree(root)  # nothing left to scan: the report must come from the JSON alone
    for fmt, check in (("csv", "poster.png,"), ("md", "FAIL"), ("html", "unapproved"), ("junit", "<failure")):
        result = invoke("report", str(saved), "--format", fmt)
        assert result.exit_code == 0 and check in result.stdout, fmt
    assert invoke("report", str(saved), "--format", "json").stdout == saved.read_text()


def test_report_rejects_a_file_that_is_not_an_audit(tmp_path: Path):
    bogus = tmp_path / "scan.json"
    bogus.write_text(json.dumps({"schema": "provenance.scan/1"}))
    result = invoke("report", str(bogus))
    assert result.exit_code == 2 and "provenance.audit/1" in result.stderr
    bogus.write_text("{not json")
    assert invoke("report", str(bogus)).exit_code == 2


@pytest.mark.parametrize("edit", [
    lambda d: d.pop("policy"),
    lambda d: d["assets"][0]["approvals"].append({"ref": "X-1"}),
    lambda d: d["assets"][0].update(declared_approvals=[{"ref": 5}]),
    lambda d: d["findings"].append({"code": "x", "severity": "FYI"}),
    lambda d: d["summary"].update(by_severity={}),
], ids=["no-policy", "approval-without-outcome", "declared-ref-not-text", "finding-without-message",
        "summary-without-severities"])
@pytest.mark.parametrize("fmt", ["html", "md", "table", "csv", "junit"])
def test_report_on_a_hand_edited_audit_is_one_line_not_a_traceback(edit, fmt: str, tmp_path: Path):
    saved = tmp_path / "audit.json"
    invoke("audit", str(Path(__file__).parent.parent / "sample_assets"), "--format", "json", "-o", str(saved), "-q")
    data = json.loads(saved.read_text())
    edit(data)
    saved.write_text(json.dumps(data))
    result = CliRunner().invoke(cli, ["report", str(saved), "--format", fmt, "-o", str(tmp_path / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.count("\n") == 1 and "re-run `provenance audit --format json`" in result.stderr


def test_a_hand_edited_approvals_row_makes_the_audit_incomplete_not_a_crash(tmp_path) -> None:
    import sqlite3

    from click.testing import CliRunner

    from provenance.cli import cli
    from provenance.ledger import open_ledger

    delivery = tmp_path / "d"
    delivery.mkdir()
    (delivery / "notes.txt").write_text("nothing generated here")
    db = tmp_path / "ledger.db"
    with open_ledger(db, create=True) as ledger:
        ledger.add("GAI-1", path="x.png", categories=["final-deliverable"], approver="A")
    for column, value in (("scopes_json", "garbage"), ("approved_on", "notadate")):
        conn = sqlite3.connect(db)
        conn.executescript("DROP TRIGGER IF EXISTS approvals_no_update;")
        columns = [r[1] for r in conn.execute("PRAGMA table_info(approvals)")]
        if column not in columns:
            conn.close()
            continue
        conn.execute(f"UPDATE approvals SET {column} = ?", (value,))
        conn.commit()
        conn.close()
        result = CliRunner().invoke(cli, ["audit", str(delivery), "--ledger", str(db), "--format", "json",
                                          "--no-cache"])
        assert result.exit_code == 3, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
