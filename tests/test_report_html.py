"""The HTML report in a real browser (headless Chromium) and the PDF through WeasyPrint + pdftotext.

Chromium runs the page as a producer opens it: from a file, offline, with
the page's own Content-Security-Policy. The filter state comes from the URL
fragment, which the report's one script reads, so ``--dump-dom`` shows the
DOM after the filter ran. A wrong CSP hash would block the script: the rows
would then stay visible and these tests fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path


from .test_reports import HOSTILE, sample
from tests.external import unavailable

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL_TAG = '<img src=x onerror="document.title=\'pwned\'">'


def _require(found: object, what: str) -> None:
    if not found:
        unavailable(f"{what} not installed")


def _require_pdf_tools() -> None:
    """WeasyPrint renders the PDF, pdftotext reads it back."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        _require(False, "WeasyPrint (python package weasyprint, the pdf extra; Debian libpango-1.0-0)")
    _require(shutil.which("pdftotext"), "pdftotext (Debian package poppler-utils)")


class _Rows(HTMLParser):
    """Every filterable row of the dumped DOM: (severity, status, hidden), plus tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, bool]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "tr" and "data-sev" in a:
            self.rows.append((a["data-sev"] or "", a.get("data-status") or "", "hidden" in a))
        self._in_title = tag == "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        self._in_title = False


def _dump(tmp_path: Path, page: str, fragment: str = "") -> _Rows:
    _require(CHROMIUM, "Chromium (Debian package chromium)")
    path = tmp_path / "audit.html"
    path.write_text(page, encoding="utf-8")
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri() + fragment],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    parsed = _Rows()
    parsed.feed(proc.stdout)
    assert parsed.rows, "the dumped DOM has no report rows"
    return parsed


def _hostile_sample() -> dict:
    data = sample()
    evil = next(a for a in data["assets"] if a["path"] == "final/evil.png")
    evil["path"] = "final/" + EVIL_TAG + ".png"
    evil["evidence"][0]["value"] = HOSTILE + EVIL_TAG
    return data


def test_page_loads_with_its_script_and_shows_every_row(tmp_path: Path) -> None:
    from provenance.reports import render_report

    dom = _dump(tmp_path, render_report(_hostile_sample(), "html"))
    form = next(attrs for tag, attrs in dom.tags if tag == "form")
    assert "hidden" not in form, "the filter script did not run (CSP hash or script error)"
    assert all(not hidden for _, _, hidden in dom.rows)
    assert [t for t, _ in dom.tags].count("script") == 1


def test_filter_by_severity_hides_the_other_rows(tmp_path: Path) -> None:
    from provenance.reports import render_report

    dom = _dump(tmp_path, render_report(_hostile_sample(), "html"), "#sev=BLOCKER")
    shown = [(sev, status) for sev, status, hidden in dom.rows if not hidden]
    assert shown and all(sev == "BLOCKER" for sev, _ in shown)
    assert any(hidden for _, _, hidden in dom.rows), "no row was hidden"


def test_filter_by_status_and_text(tmp_path: Path) -> None:
    from provenance.reports import render_report

    page = render_report(_hostile_sample(), "html")
    by_status = _dump(tmp_path, page, "#status=approved")
    assert [s for _, s, hidden in by_status.rows if not hidden] == ["approved"]
    # A table left with no visible row is hidden whole, header included.
    assert sum(1 for tag, attrs in by_status.tags if tag == "table" and "hidden" in attrs) >= 1
    by_text = _dump(tmp_path, page, "#q=hyperlink")
    visible = [r for r in by_text.rows if not r[2]]
    assert len(visible) == 1 and visible[0][1] == "unapproved"


def test_hostile_text_stays_text_in_the_browser(tmp_path: Path) -> None:
    from provenance.reports import render_report

    dom = _dump(tmp_path, render_report(_hostile_sample(), "html"), "#q=" + "%3Cimg%20src%3Dx")
    # The hostile path and value were shown (the text filter found that row), never parsed as markup.
    visible = [r for r in dom.rows if not r[2]]
    assert len(visible) == 1
    assert not any(tag == "img" and attrs.get("src") == "x" for tag, attrs in dom.tags)
    assert "pwned" not in dom.title and [t for t, _ in dom.tags].count("script") == 1


# --- structure, without a browser -------------------------------------------------------------


def _demo_like() -> dict:
    from provenance.reports.json_report import summarize

    data = sample()
    data["audited_by"] = "Q. C. Lead"
    data["ledger"]["checkpoint"] = {"events": 12, "head": "ab" * 32}
    workflow = '{"3": {"class_type": "KSampler", "inputs": {"seed": 42}}, ' + '"x": 1, ' * 40 + '"end": 0}'
    evil = next(a for a in data["assets"] if a["path"] == "final/evil.png")
    evil["evidence"].append({"scanner": "png", "location": "png:tEXt:workflow", "value": workflow,
                             "signal": "generated", "confidence": "tool-record", "generator": "ComfyUI"})
    temp = json.loads(json.dumps(evil))
    temp.update(path="temp/shot_010/slap.png", use="temporary", severity="FYI")
    data["assets"].append(temp)
    data["summary"] = summarize(data)
    return data


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    nxt = page.find("<h2", start)
    return page[start: nxt if nxt > 0 else len(page)]


def test_problems_come_first_and_approved_has_its_own_section():
    from provenance.reports import render_report

    page = render_report(_demo_like(), "html")
    order = [page.index(f'id="{s}"') for s in ("problems", "findings", "approved", "summary", "clean", "signoff")]
    assert order == sorted(order)
    assert page.index('id="problems"') < page.index("final/<wbr>evil.png") < page.index('id="approved"')
    approved = _section(page, "approved")
    assert "final/<wbr>approved.png" in approved and "evil.png" not in approved
    assert "approved.png" not in _section(page, "problems")


def test_banner_counts_add_up_the_way_a_producer_reads_them():
    """Severities break down only what needs action: approved material is FYI too, and must not be counted in."""
    from provenance.reports import render_report
    from provenance.reports.json_report import summarize

    data = _demo_like()
    unreadable = json.loads(json.dumps(next(a for a in data["assets"] if a["status"] == "clean")))
    unreadable.update(path="final/unreadable.png", status="needs-review", severity=None, checked=False)
    data["assets"].append(unreadable)
    data["summary"] = summarize(data)
    banner = render_report(data, "html").split('class="counts">', 1)[1].split("</div>", 1)[0]
    assert banner == "6 assets: 4 need action (2 BLOCKER, 1 FYI, 1 NOT CHECKED), 1 approved, 1 clean · 0 delivery findings"


def test_assets_are_grouped_by_folder_with_counts():
    from provenance.reports import render_report

    problems = _section(render_report(_demo_like(), "html"), "problems")
    assert 'data-group="final"' in problems and 'data-group="temp/shot_010"' in problems
    assert "2 assets, 2 BLOCKER" in problems and "1 asset, 1 FYI" in problems


def test_summary_by_use_and_by_category():
    from provenance.reports import render_report

    summary = _section(render_report(_demo_like(), "html"), "summary")
    # final: 4 assets, 2 need action, 1 approved, 1 clean; temporary: 1 needing action.
    assert "<tr><td>final</td><td>4</td><td>2</td><td>1</td><td>1</td></tr>" in summary
    assert "<tr><td>temporary</td><td>1</td><td>1</td><td>0</td><td>0</td></tr>" in summary
    assert "<tr><td>final-deliverable</td><td>1</td><td>0</td></tr>" in summary


def test_sign_off_block_names_who_what_and_which_ledger_state():
    from provenance.reports import render_report

    data = _demo_like()
    signoff = _section(render_report(data, "html"), "signoff")
    for needle in ("Q. C. Lead", data["audited_on"], "provenance 0.1.0", data["policy"]["sha256"],
                   "12:" + "ab" * 32, "not checked for 1 approval: the policy does not require signed",
                   "Producer: name, signature, date"):
        assert needle in signoff, needle


def test_raw_workflow_json_is_folded_to_its_first_line_and_paths_wrap_at_separators():
    from provenance.reports import render_report

    page = render_report(_demo_like(), "html")
    fold = page.index('<details class="raw"><summary><span class="mono">{&quot;3&quot;: {&quot;class_type')
    assert page.index("characters)</span></summary><pre", fold) > fold
    assert "temp/<wbr>shot_010/<wbr>slap.png" in page


def test_pdf_page_one_has_the_verdict_the_counts_and_an_asset_path(tmp_path: Path):
    from provenance.reports import render_binary

    _require_pdf_tools()
    data = _demo_like()
    pdf = tmp_path / "audit.pdf"
    pdf.write_bytes(render_binary(data, "pdf"))
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    assert "FAIL" in page1
    s = data["summary"]
    assert f"{s['assets']} assets: 3 need action (2 BLOCKER, 1 FYI), 1 approved" in " ".join(page1.split())
    assert "final/evil.png" in page1.replace("\n", "").replace(" ", "")
    # The script and its filter are screen-only: nothing of them reaches paper.
    assert "Severity all" not in page1 and "rows shown" not in page1


def test_report_command_writes_a_pdf_with_the_auditor_named(tmp_path: Path):
    from click.testing import CliRunner

    from provenance.cli import cli

    _require_pdf_tools()
    saved = tmp_path / "audit.json"
    saved.write_text(json.dumps(sample()))
    out = tmp_path / "audit.pdf"
    result = CliRunner().invoke(cli, ["report", str(saved), "--format", "pdf", "-o", str(out),
                                      "--audited-by", "Q. C. Lead"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Q. C. Lead" in text and "Sign-off" in text


def test_demo_pdf_names_the_auditor_on_page_one_numbers_its_pages_and_keeps_the_sign_off_whole(tmp_path: Path):
    """What a producer signs: who audited on page 1, "Page N of M" on every page, signature lines beside what they sign."""
    from click.testing import CliRunner

    from provenance.cli import cli

    from .conftest import REPO

    _require_pdf_tools()
    demo = tmp_path / "sample_assets"
    shutil.copytree(REPO / "sample_assets", demo)
    out = tmp_path / "audit.pdf"
    result = CliRunner().invoke(cli, ["audit", str(demo), "--format", "pdf", "-o", str(out),
                                      "--audited-by", "Dana Whitfield", "-q"])
    assert result.exit_code == 1, result.output
    pages = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True,
                           timeout=60).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert "by Dana Whitfield" in " ".join(pages[0].split())
    assert all(f"Page {i} of {len(pages)}" in p for i, p in enumerate(pages, 1))
    signed = [p for p in pages if "Sign-off" in p]
    assert len(signed) == 1 and "Producer: name, signature, date" in signed[0] and "Ledger checkpoint" in signed[0]


def test_signed_approvals_and_the_ledger_checkpoint_reach_every_report(tmp_path: Path):
    """A real signed ledger under require_signed: each approval's signature state and the checkpoint are shown."""
    from click.testing import CliRunner

    from provenance.cli import cli
    from provenance.hashing import sha256_file

    from .test_ledger_cli_signed import _ai_png, make_key, ok, run, trust_file

    delivery = tmp_path / "ep101"
    delivery.mkdir()
    _ai_png(delivery / "poster.png")
    keys = tmp_path / "keys"
    keys.mkdir()
    key, key_id = make_key(keys, "Dana Reyes")
    ledger = tmp_path / "approvals.db"
    ok(run(ledger, "init"))
    ok(run(ledger, "add", "--ref", "D-1", "--sha256", sha256_file(delivery / "poster.png"), "--category",
           "final-deliverable", "--approver", "Dana Reyes", "--signing-key", str(key)))
    policy = trust_file(tmp_path / "studio.toml", "Dana Reyes", key_id)
    saved = tmp_path / "audit.json"
    result = CliRunner().invoke(cli, ["audit", str(delivery), "--ledger", str(ledger), "--policy", str(policy),
                                      "--format", "json", "-o", str(saved), "--no-cache"])
    assert result.exit_code == 0, result.output
    data = json.loads(saved.read_text())
    (m,) = data["assets"][0]["approvals"]
    assert m["signature"] == "valid"
    checkpoint = data["ledger"]["checkpoint"]
    assert checkpoint and checkpoint.startswith(f"{data['ledger']['events']}:")
    from provenance.reports import render_report

    page = render_report(data, "html")
    signoff = _section(page, "signoff")
    assert checkpoint in signoff and "1 valid" in signoff
    assert "Signature: valid" in _section(page, "approved")
    for fmt in ("csv", "md", "table"):
        assert "valid" in render_report(data, fmt).split("D-1", 1)[1], fmt
