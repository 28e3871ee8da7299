"""Every report format renders the canonical dict, and hostile metadata stays inert."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from provenance.audit.evaluate import evaluate
from provenance.ledger import Approval, Scope
from provenance.models import Asset, AssetKind, AssetResult, Confidence, Evidence, NO_C2PA, ScanReport, Signal
from provenance.audit.policy import default_policy_text, parse_policy
from provenance.reports import check_audit, render_report
from provenance.reports import thumbnails as thumbs
from provenance.reports.json_report import build
from provenance.knowledge.verdict import decide

HOSTILE = "<script>alert(1)</script>"
SHA = "c" * 64


def _asset(path: str, value: str, signal: Signal = Signal.GENERATED) -> AssetResult:
    ev = (Evidence("png", "png:tEXt:parameters", value, signal, Confidence.TOOL_RECORD, "AUTOMATIC1111"),)
    return AssetResult(Asset(path, AssetKind.FILE, 10, "image/png"), decide(ev), ev, NO_C2PA)


def sample(fail_on: str = "issue") -> dict:
    assets = (
        _asset("final/approved.png", "a cat"),
        _asset("final/evil.png", HOSTILE + "\nSteps: 20"),
        _asset("final/=HYPERLINK(1).png", "=cmd|' /C calc'!A0"),
        _asset("final/cam.jpg", "Canon", Signal.NOT_GENERATIVE),
    )
    ok = Approval(ref="GA-1", title=HOSTILE, scopes=(Scope("sha256", SHA),), categories=("final-deliverable",),
                  use="final", approver="<b>Jane</b>", role=None, org=None, approved_on=date(2026, 1, 1),
                  valid_until=None, document=None, document_sha256=None, conditions=None)
    result = evaluate(ScanReport("/deliveries/ep101", assets, tool_version="0.1.0"), [ok],
                      parse_policy(default_policy_text(), "built-in", None), date(2026, 11, 20),
                      {"final/approved.png": SHA})
    return build(result, fail_on)


def test_json_is_canonical_and_deterministic():
    data = sample()
    text = render_report(data, "json")
    assert text == render_report(json.loads(text), "json")
    assert data["schema"] == "provenance.audit/1"
    assert data["policy"]["sha256"] and data["summary"]["outcome"] == "FAIL"
    statuses = {a["path"]: a["status"] for a in data["assets"]}
    assert statuses["final/approved.png"] == "approved" and statuses["final/cam.jpg"] == "clean"
    flagged = [a for a in data["assets"] if a["status"] != "clean"]
    assert next(a for a in flagged if a["status"] == "approved")["sha256"] == SHA
    assert data["summary"]["by_status"]["unapproved"] == 2


def test_csv_one_row_per_asset_with_formulas_neutralised():
    rows = list(csv.DictReader(io.StringIO(render_report(sample(), "csv"))))
    assert len(rows) == 4
    for row in rows:
        for cell in row.values():
            # A lone "-" (a clean row) is no formula; anything longer starting like one is.
            assert cell == "-" or not cell.startswith(("=", "+", "-", "@"))
    assert any(r["explanation"].startswith("ai-generated") for r in rows)
    bad = next(r for r in rows if "HYPERLINK" in r["path"])
    assert bad["status"] == "unapproved" and bad["severity"] == "BLOCKER"


def test_csv_neutralises_a_leading_formula_character():
    from provenance.reports.csv_report import neutralise

    assert neutralise("=1+1") == "'=1+1" and neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("-2") == "'-2" and neutralise("plain") == "plain"


def test_junit_parses_with_one_failure_per_unapproved_asset():
    root = ET.fromstring(render_report(sample(), "junit").encode())
    suite = root.find("testsuite[@name='assets']")
    cases = suite.findall("testcase")
    assert len(cases) == 4
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert sorted(failed) == ["final/=HYPERLINK(1).png", "final/evil.png"]
    assert suite.get("failures") == "2"


def test_junit_threshold_follows_fail_on():
    root = ET.fromstring(render_report(sample("never"), "junit").encode())
    assert root.find("testsuite[@name='assets']").get("failures") == "0"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.csp = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_script = tag == "script"
        if tag == "meta" and dict(attrs).get("http-equiv") == "Content-Security-Policy":
            self.csp = dict(attrs)["content"] or ""

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def test_html_shows_hostile_metadata_as_text_never_markup():
    page = render_report(sample(), "html")
    parsed = _Collector()
    parsed.feed(page)
    assert "b" in parsed.tags  # our own <b>, none from the approver name
    text = "".join(parsed.text)
    assert HOSTILE in text and "<b>Jane</b>" in text
    assert "FAIL" in text
    # Exactly one script, ours, and the CSP allows exactly it by hash: no other script, no handler, no URL.
    assert parsed.tags.count("script") == 1 and HOSTILE not in parsed.scripts
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0].encode()).digest()).decode()
    directives = dict(d.strip().split(" ", 1) for d in parsed.csp.split(";"))
    assert directives["script-src"] == f"'sha256-{digest}'" and directives["default-src"] == "'none'"


def test_markdown_summary_is_inert():
    data = sample()
    evil = next(a for a in data["assets"] if a["path"] == "final/evil.png")
    evil["path"] = "final/" + HOSTILE + "|[x](http://e.vil)\n| forged | row |.png"
    md = render_report(data, "md")
    assert "FAIL" in md and "<script>" not in md and "&lt;script&gt;" in md
    assert "[x](" not in md and "\n| forged" not in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 3  # header + three flagged assets: the path forged no row


def test_terminal_output_never_sends_a_vendors_control_characters_raw():
    """A file name or value with ESC sequences (set the title, recolour) or a bidi override is shown
    written out, in the table, its WHY and declared lines, and in the next steps."""
    from provenance.reports.guidance import next_steps

    data = sample()
    evil = next(a for a in data["assets"] if a["path"] == "final/evil.png")
    evil["path"] = "final/x\x1b]0;PWNED\x07\x1b[31mred\u202e.png"
    evil["explanation"] = "bad \x1b[2J value"
    evil["declared_approvals"] = [{"ref": "GA\x1b[8m-1", "sources": ["xmp"], "state": "unknown"}]
    shown = render_report(data, "table") + "\n".join(next_steps(data))
    assert not any(c in shown for c in "\x1b\x07\u202e")
    assert "final/x\\x1b]0;PWNED\\x07\\x1b[31mred\\u202e.png" in shown
    assert "GA\\x1b[8m-1" in shown


def test_table_lists_worst_first():
    lines = render_report(sample(), "table").splitlines()
    assert lines[1].startswith("BLOCKER") and "FAIL" in lines[-1]


def test_check_audit_rejects_other_documents():
    import pytest

    from provenance.reports import ReportError

    with pytest.raises(ReportError, match="provenance.audit/1"):
        check_audit({"schema": "provenance.scan/1"})


def test_thumbnails_are_small_bounded_and_stay_inside_the_root(tmp_path: Path, monkeypatch):
    root = tmp_path / "d"
    root.mkdir()
    Image.new("RGB", (1200, 800), (200, 10, 10)).save(root / "a.png")
    Image.new("RGB", (300, 300)).save(tmp_path / "outside.png")
    data = {"assets": [{"path": "a.png", "kind": "file", "media_type": "image/png", "status": "approved"},
                       {"path": "../outside.png", "kind": "file", "media_type": "image/png", "status": "approved"}]}
    got = thumbs.thumbnails(data, root)
    assert list(got) == ["a.png"]
    import base64

    img = Image.open(io.BytesIO(base64.b64decode(got["a.png"].split(",", 1)[1])))
    assert img.width <= thumbs.BOX[0] and img.height <= thumbs.BOX[1]
    monkeypatch.setattr(thumbs, "MAX_PIXELS", 1000)  # beyond the pixel budget: no thumbnail
    assert thumbs.thumbnails(data, root) == {}



@pytest.fixture(scope="module")
def demo_audit() -> dict:
    import subprocess
    import sys

    from .conftest import REPO

    proc = subprocess.run([sys.executable, "-m", "provenance", "audit", "sample_assets", "--format", "json"],
                          cwd=REPO, capture_output=True, text=True, check=False, timeout=300)
    return json.loads(proc.stdout)


@pytest.mark.parametrize("damage", [
    lambda d: d["assets"][0].pop("status"),
    lambda d: d["assets"][0].__setitem__("severity", "CRITICAL"),
    lambda d: d["assets"][0].__setitem__("approvals", None),
    lambda d: d["assets"][0].__setitem__("evidence", [1]),
    lambda d: d["findings"][0].pop("code"),
    lambda d: d.__setitem__("fail_on", "bogus"),
    lambda d: d.__setitem__("assets", {}),
], ids=["no-status", "bad-severity", "null-approvals", "bad-evidence", "finding-no-code", "bad-fail-on",
        "assets-not-list"])
@pytest.mark.parametrize("fmt", ["csv", "junit", "html", "md", "table"])
def test_a_damaged_saved_audit_is_a_one_line_error(tmp_path, demo_audit, damage, fmt) -> None:
    from click.testing import CliRunner

    from provenance.cli import cli

    broken = json.loads(json.dumps(demo_audit))
    damage(broken)
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(broken))
    result = CliRunner().invoke(cli, ["report", str(path), "--format", fmt])
    assert result.exit_code == 2, result.output
    assert "not a complete audit" in result.output


DOC_SHA = "d" * 64


def _full_approval_audit() -> dict:
    full = Approval(ref="GA-9", title="Sky replacement", scopes=(Scope("sha256", SHA),),
                    categories=("final-deliverable", "on-screen-element"), use="final", approver="Dana Whitfield",
                    role="VP Post Production", org="Harbour Films", approved_on=date(2026, 2, 3),
                    valid_until=date(2027, 2, 3), document="approvals/GA-9 signed.pdf", document_sha256=DOC_SHA,
                    conditions="sky only; no identifiable landmarks")
    result = evaluate(ScanReport("/deliveries/ep101", (_asset("final/approved.png", "a cat"),), tool_version="0.1.0"),
                      [full], parse_policy(default_policy_text(), "built-in", None), date(2026, 11, 20),
                      {"final/approved.png": SHA})
    data = build(result, "issue")
    assert data["assets"][0]["status"] == "approved"
    return data


_IN_FULL = ("sky only; no identifiable landmarks", "approvals/GA-9 signed.pdf", DOC_SHA, "2026-02-03", "2027-02-03",
            "VP Post Production", "Harbour Films")


@pytest.mark.parametrize("fmt", ["json", "csv", "md", "table", "html"])
def test_every_format_shows_the_approval_in_full(fmt):
    text = render_report(_full_approval_audit(), fmt)
    for needle in _IN_FULL:
        assert needle in text, (fmt, needle)


def test_json_approval_fields_and_csv_columns_line_up():
    data = _full_approval_audit()
    (m,) = data["assets"][0]["approvals"]
    assert (m["conditions"], m["document"], m["document_sha256"], m["approved_on"], m["valid_until"], m["role"],
            m["org"]) == _IN_FULL
    assert "signature" not in m  # no state recorded: nothing is claimed
    (row,) = csv.DictReader(io.StringIO(render_report(data, "csv")))
    assert row["conditions"] == "GA-9: sky only; no identifiable landmarks"
    assert row["documents"] == f"GA-9: approvals/GA-9 signed.pdf sha256 {DOC_SHA}"
    assert row["approvers"] == "GA-9: Dana Whitfield (VP Post Production, Harbour Films)"


@pytest.mark.parametrize("fmt", ["csv", "md", "table", "html"])
def test_a_recorded_signature_state_is_shown(fmt):
    data = _full_approval_audit()
    data["assets"][0]["approvals"][0]["signature"] = "valid: key studio-legal"
    assert "valid: key studio-legal" in render_report(data, fmt)


NOTE = "stealth: Invalid APNG " + HOSTILE + " \x1b[31m| forged | row |"


def _noted() -> tuple[ScanReport, dict]:
    """The sample delivery with one clean and one flagged asset carrying notes (issue 17)."""
    import dataclasses

    assets = (dataclasses.replace(_asset("final/cam.jpg", "Canon", Signal.NOT_GENERATIVE),
                                  notes=("its folder was listed without O_NOATIME",)),
              dataclasses.replace(_asset("final/evil.png", "x"), notes=(NOTE,)),
              _asset("final/plain.png", "a cat"))
    scan = ScanReport("/deliveries/ep101", assets, tool_version="0.1.0")
    result = evaluate(scan, [], parse_policy(default_policy_text(), "built-in", None), date(2026, 11, 20), {})
    return scan, build(result, "issue")


def test_notes_are_shown_in_every_human_report_and_escaped():
    from provenance.scan.render import scan_to_table

    scan, data = _noted()
    page = render_report(data, "html")
    parsed = _Collector()
    parsed.feed(page)
    text = "".join(parsed.text)
    assert "notes: its folder was listed without O_NOATIME" in text  # a clean asset's note too
    assert "notes: stealth: Invalid APNG <script>alert(1)</script>" in text and "<script>alert" not in page
    md = render_report(data, "md")
    assert "- final/evil.png: notes: stealth: Invalid APNG &lt;script&gt;" in md and "\x1b" not in md
    assert "- final/cam.jpg: notes: its folder was listed without O\\_NOATIME" in md
    assert "\n| forged" not in md and "| plain.png" not in md
    for table in (render_report(data, "table"), scan_to_table(scan)):
        rows = {line.split()[0 if table.startswith("PATH") else 4]: line for line in table.splitlines()[1:4]}
        assert "+notes" in rows["final/evil.png"] and "+notes" in rows["final/cam.jpg"]
        assert "+notes" not in rows["final/plain.png"]
        assert "2 assets with notes" in table and "\x1b" not in table


def test_html_shows_our_thumbnails_and_drops_any_other_uri():
    from provenance.reports import html_report

    data = sample()
    paths = [str(a["path"]) for a in data["assets"]][:4]
    assert len(paths) == 4
    good = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff jpeg bytes").decode("ascii")
    hostile = [good + '" onerror="alert(1)', "javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz4="]
    page = html_report.render(data, dict(zip(paths, [good, *hostile])))
    assert page.count("<img ") == 1 and f'src="{good}"' in page
    assert "onerror" not in page and "javascript:" not in page and "svg+xml" not in page
