"""One self-contained HTML file a producer can read, sign and attach to a delivery.

Read top to bottom: the verdict and its counts, then what needs action
(grouped by folder), then what is approved, a summary by use and category,
the clean material (folded) and a sign-off block. No external resources; one
inline script (the offline filter) that the Content-Security-Policy allows by
its hash and nothing else. The same page, without the filter, is what the PDF
renders.

Each section is one function taking a ``Page``; ``SECTIONS`` is their order,
so a new section (a cut-aware timeline, say) is one function and one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ._text import sort_assets
from ._text import signature_text
from .html_parts import ASSET_HEAD, PROBLEM_STATUSES, badge, e, grouped_table, path_html, sev_key
from .html_script import SCRIPT, SCRIPT_HASH
from .timeline_section import html_section

_BANNER = {
    "PASS": ("pass", "Nothing at or above the fail-on threshold."),
    "FAIL": ("fail", "Generated material needs action before this delivery is accepted."),
    "INCOMPLETE": ("incomplete", "Some things could not be checked, so this is not a pass."),
}
_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
[hidden]{display:none!important}
.meta{color:#555;margin:0 0 12px}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.banner{padding:14px 18px;border-radius:6px;margin:12px 0 12px;color:#fff}
.banner b{font-size:24px;margin-right:12px;letter-spacing:.04em}.banner .counts{margin-top:6px;font-size:15px}
.pass{background:#1e7b34}.fail{background:#b3261e}.incomplete{background:#a15c00}
.tiles{display:flex;gap:10px;flex-wrap:wrap;margin:0 0 8px}
.tile{border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:80px}
.tile .n{font-size:20px;font-weight:600;display:block}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{border-bottom:1px solid #e3e3e3;padding:6px 8px;text-align:left;vertical-align:top}
thead th{background:#f4f4f6;font-weight:600}
tr.group th{background:#eef1f6;font-weight:600;border-top:2px solid #c9d1dd}
td.path,.p{overflow-wrap:anywhere}td.path{min-width:200px;max-width:320px}
.sha{overflow-wrap:anywhere;color:#666}
.sev{display:inline-block;padding:1px 7px;border-radius:4px;font-weight:600;font-size:12px;color:#fff}
.BLOCKER{background:#b3261e}.ISSUE{background:#c26a00}.FYI{background:#3b6fb6}.NONE{background:#8a8a8a}
.status{font-weight:600}.why{color:#333}.small{font-size:12px;color:#555}
.decl{font-size:12px;margin-top:4px;padding:2px 6px;border-radius:3px}
.decl.ok{background:#e6f4ea}.decl.warn{background:#fff4e0}.decl.bad{background:#fde7e6}
.cond{font-size:12px;background:#f7f7f9;border-left:3px solid #3b6fb6;padding:2px 6px;margin-top:2px}
.ap+.ap{border-top:1px dashed #ddd;margin-top:6px;padding-top:6px}
.thumb{max-width:160px;max-height:120px;border:1px solid #ccc;background:#eee}
.warn{background:#fff4e0;border-left:4px solid #c26a00;padding:6px 10px;margin:6px 0}
pre.val{white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0;font-size:12px;background:#f7f7f9;padding:4px 6px;max-height:12em;overflow:auto}
details summary{cursor:pointer;color:#3b6fb6}details.raw summary{overflow-wrap:anywhere}
ul.ev{margin:4px 0;padding-left:18px}td.appr{min-width:220px}
form.filter{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #ddd;z-index:1}
form.filter label{margin-right:12px}
.sign{display:flex;gap:28px;flex-wrap:wrap;margin-top:14px}
.sign div{flex:1;min-width:220px;border-top:1px solid #333;padding-top:4px;margin-top:36px;font-size:12px;color:#333}
@media print{form.filter{display:none}.banner,.sev,.decl,tr.group th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{margin:0;font-size:10px}td.appr{min-width:0}td.path{min-width:0;width:24%}h2{break-after:avoid}
 .thumb{max-width:64px;max-height:48px}.sha{font-size:8px}th,td{padding:4px 5px}
 td.evd details{display:none}pre.val{max-height:none}
 .mono,.small,.cond,.decl,.sev,pre.val{font-size:9px}.sha{font-size:8px}section.signoff{break-inside:avoid}}
@page{size:A4 landscape;margin:14mm 12mm;@bottom-right{content:"Page " counter(page) " of " counter(pages);font-size:8px;color:#555}}
"""


@dataclass(frozen=True)
class Page:
    """What every section reads: the audit dict, thumbnails and the assets split by where they belong.

    The splits are cached: the banner counts them and their sections list them, one sort of the assets in all.
    """

    data: dict[str, Any]
    thumbs: Mapping[str, str] = field(default_factory=dict)
    interactive: bool = True

    @cached_property
    def ordered(self) -> list[dict[str, Any]]:
        return sort_assets(self.data["assets"])

    @cached_property
    def problems(self) -> list[dict[str, Any]]:
        return [a for a in self.ordered if a["status"] in PROBLEM_STATUSES]

    @cached_property
    def approved(self) -> list[dict[str, Any]]:
        return [a for a in self.ordered if a["status"] == "approved"]

    @cached_property
    def clean(self) -> list[dict[str, Any]]:
        return [a for a in self.ordered if a["status"] not in PROBLEM_STATUSES and a["status"] != "approved"]


def render(data: dict[str, Any], thumbs: Mapping[str, str] | None = None, *, interactive: bool = True) -> str:
    """The report page. ``interactive=False`` leaves out the filter and its script (for print/PDF)."""
    page = Page(data, thumbs or {}, interactive)
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    if interactive:
        csp += f"; script-src '{SCRIPT_HASH}'"
    outcome = data["summary"]["outcome"]
    head = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>GenAI provenance audit: {e(outcome)}</title><style>{_STYLE}</style></head><body>")
    body = "\n".join(section(page) for section in SECTIONS)
    script = f"<script>{SCRIPT}</script>" if interactive else ""
    return f"{head}\n{body}\n{script}</body></html>\n"


def header(page: Page) -> str:
    data = page.data
    worse = " or worse" if data["fail_on"] != "never" else ""
    # Who audited belongs on the first page too: a signed PDF is often read from page 1 only.
    by = f" by {e(data['audited_by'])}" if data.get("audited_by") else ""
    return ("<h1>Generative-AI provenance audit</h1>"
            f"<p class=\"meta\">Delivery <span class=\"mono\">{path_html(data['root'])}</span> · "
            f"audited {e(data['audited_on'])}{by} · fails on {e(str(data['fail_on']).upper())}{worse}</p>")


def banner(page: Page) -> str:
    s = page.data["summary"]
    css, blurb = _BANNER.get(s["outcome"], ("incomplete", ""))
    findings = page.data["findings"]
    # Assets and delivery findings are counted apart: "6 FYI" must not mean five files and one approval.
    # The severities break down the assets that need action, so the numbers add up as a producer reads
    # them (approved material is FYI too, and counting it here read as "9 need action, but 12 flagged").
    problems = page.problems
    graded = f" ({_by_severity(problems, nonzero=True)})" if problems else ""
    counts = (f"{s['assets']} assets: {len(problems)} need action{graded}, {len(page.approved)} approved, "
              f"{len(page.clean)} clean · "
              f"{len(findings)} delivery finding{'s' if len(findings) != 1 else ''}"
              + (f" ({_by_severity(findings, nonzero=True)})" if findings else ""))
    return (f"<div class=\"banner {css}\"><b>{e(s['outcome'])}</b>{e(blurb)}"
            f"<div class=\"counts\">{e(counts)}</div></div>")


def _by_severity(items: list[dict[str, Any]], nonzero: bool = False) -> str:
    counts = {sev: sum(1 for i in items if i.get("severity") == sev) for sev in ("BLOCKER", "ISSUE", "FYI")}
    counts["NOT CHECKED"] = sum(1 for i in items if i.get("checked") is False and not i.get("severity"))
    return ", ".join(f"{n} {sev}" for sev, n in counts.items() if n or not nonzero) or "no severity"


def notices(page: Page) -> str:
    data = page.data
    out = [f"<div class=\"warn\">Warning: {e(w)}</div>" for w in data.get("warnings", [])]
    out += [f"<div class=\"warn\">Not checked: {e(r)}</div>" for r in data.get("incomplete", [])]
    return "".join(out)


def filter_bar(page: Page) -> str:
    if not page.interactive:
        return ""
    statuses = sorted({a["status"] for a in page.data["assets"]}) + (["finding"] if page.data["findings"] else [])
    sev = "".join(f"<option value=\"{v}\">{v}</option>" for v in ("BLOCKER", "ISSUE", "FYI", "none", "unchecked"))
    st = "".join(f"<option value=\"{e(v)}\">{e(v)}</option>" for v in statuses)
    # Hidden until the script runs: without it (print, PDF, scripts off) there is no dead control.
    return ("<form id=\"filter\" class=\"filter\" hidden>"
            f"<label>Severity <select name=\"sev\"><option value=\"\">all</option>{sev}</select></label>"
            f"<label>Status <select name=\"status\"><option value=\"\">all</option>{st}</select></label>"
            "<label>Text <input name=\"q\" type=\"search\" placeholder=\"path, generator, approval…\"></label>"
            "<output id=\"shown\"></output></form>")


def problems(page: Page) -> str:
    items = page.problems
    out = f"<h2 id=\"problems\">Needs action ({len(items)})</h2>"
    if not items:
        return out + "<p>Nothing: every generated asset is approved or needs no approval.</p>"
    return out + grouped_table(items, page.thumbs, ASSET_HEAD)


def findings(page: Page) -> str:
    items = page.data["findings"]
    out = f"<h2 id=\"findings\">Delivery findings ({len(items)})</h2>"
    if not items:
        return out + "<p>None.</p>"
    rows = "".join(
        f"<tr data-sev=\"{e(sev_key(f))}\" data-status=\"finding\"><td>{badge(f)}</td>"
        f"<td class=\"mono\">{e(f['code'])}</td><td class=\"path mono\">"
        f"{path_html(f.get('path') or f.get('approval') or '')}</td><td>{e(f['message'])}</td></tr>" for f in items)
    return (out + "<table><thead><tr><th>Severity</th><th>Finding</th><th>Subject</th><th>Detail</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def approved(page: Page) -> str:
    items = page.approved
    out = f"<h2 id=\"approved\">Approved ({len(items)})</h2>"
    if not items:
        return out + "<p>No asset is covered by an active approval.</p>"
    return (out + "<p class=\"small\">Generated material with an active written approval that covers its use. "
            "Check each approval's conditions.</p>" + grouped_table(items, page.thumbs, ASSET_HEAD))


def summary(page: Page) -> str:
    """Counts by use (where material sits) and by approval category (what was approved for what)."""
    by_use: dict[str, dict[str, int]] = {}
    for a in page.data["assets"]:
        row = by_use.setdefault(str(a.get("use") or "?"), {"assets": 0, "action": 0, "approved": 0, "clean": 0})
        row["assets"] += 1
        key = "action" if a["status"] in PROBLEM_STATUSES else ("approved" if a["status"] == "approved" else "clean")
        row[key] += 1
    use_rows = "".join(f"<tr><td>{e(use)}</td><td>{r['assets']}</td><td>{r['action']}</td><td>{r['approved']}</td>"
                       f"<td>{r['clean']}</td></tr>" for use, r in sorted(by_use.items()))
    by_cat: dict[str, dict[str, int]] = {}
    for a in page.data["assets"]:
        for m in a.get("approvals", []):
            for cat in m.get("categories") or []:
                row = by_cat.setdefault(str(cat), {"approved": 0, "other": 0})
                row["approved" if m.get("outcome") == "approved" else "other"] += 1
    cat_rows = "".join(f"<tr><td>{e(cat)}</td><td>{r['approved']}</td><td>{r['other']}</td></tr>"
                       for cat, r in sorted(by_cat.items()))
    cats = ("<table><thead><tr><th>Approval category</th><th>Assets approved</th>"
            f"<th>Assets not approved by it (expired, stale, out of scope…)</th></tr></thead><tbody>{cat_rows}</tbody></table>"
            if cat_rows else "<p class=\"small\">No approval in the ledger touches this delivery.</p>")
    return ("<h2 id=\"summary\">Summary by use and category</h2>"
            "<table><thead><tr><th>Use</th><th>Assets</th><th>Need action</th><th>Approved</th>"
            f"<th>Clean</th></tr></thead><tbody>{use_rows}</tbody></table>{cats}")


def clean(page: Page) -> str:
    items = page.clean
    if not items:
        return ""
    return (f"<h2 id=\"clean\">Clean ({len(items)})</h2><p class=\"small\">No generative-AI evidence and nothing "
            "the policy requires. Absence of metadata is not proof of "
            "absence: stripped files can only be caught by a vendor manifest or the ledger.</p>"
            f"<details class=\"rows\"><summary>Show {len(items)} assets</summary>"
            f"{grouped_table(items, page.thumbs, '')}</details>")


def checkpoint_text(ledger: Mapping[str, Any]) -> str:
    """The ledger checkpoint (event count and head hash), however the audit recorded it."""
    cp = ledger.get("checkpoint")
    if isinstance(cp, Mapping):
        events = cp.get("events", cp.get("count", cp.get("sequence")))
        head = cp.get("head") or cp.get("hash") or ledger.get("head")
        return f"{events}:{head}" if events is not None else str(head or "")
    if cp:
        return str(cp)
    return f"head {ledger['head']} (no event count recorded)" if ledger.get("head") else "none (no ledger)"


def _signature_summary(data: Mapping[str, Any]) -> str:
    states: dict[str, int] = {}
    refs: set[str] = set()
    for a in data["assets"]:
        for m in a.get("approvals", []):
            if m.get("ref") in refs:
                continue
            refs.add(str(m.get("ref")))
            text = signature_text(m) or "not recorded"
            states[text] = states.get(text, 0) + 1
    if not refs:
        return "no approval applies"
    if set(states) == {"not recorded"} and not data["ledger"].get("require_signed"):
        return (f"not checked for {len(refs)} approval{'s' if len(refs) != 1 else ''}: the policy does not "
                "require signed approvals (ledger.require_signed)")
    return ", ".join(f"{n} {state}" for state, n in sorted(states.items()))


def signoff(page: Page) -> str:
    data = page.data
    ledger = data["ledger"]
    s = data["summary"]
    rows = [
        ("Outcome", f"{s['outcome']} (exit {s['exit_code']}), fails on {data['fail_on']}"),
        ("Audited by", data.get("audited_by") or "not recorded (pass --audited-by NAME to audit or report)"),
        ("Date", data["audited_on"]),
        ("Tool version", f"provenance {data.get('tool_version')} · report schema {data.get('schema')}"),
        ("Policy", f"{data['policy']['source']} · sha256 {data['policy']['sha256']}"),
        ("Ledger", f"{ledger.get('path') or '-'} · {ledger.get('state')} · {ledger.get('approvals')} approvals"),
        ("Ledger checkpoint", checkpoint_text(ledger)),
        ("Approval signatures", _signature_summary(data)),
    ]
    body = "".join(f"<tr><th>{e(k)}</th><td class=\"mono p\">{e(v)}</td></tr>" for k, v in rows)
    lines = "".join(f"<div>{e(role)}: name, signature, date</div>"
                    for role in ("Audited by", "Post-production supervisor", "Producer"))
    # One block: on paper the signature lines must not land on a page apart from what they sign.
    return (f"<section class=\"signoff\"><h2 id=\"signoff\">Sign-off</h2><table class=\"signoff\">"
            f"<tbody>{body}</tbody></table><div class=\"sign\">{lines}</div></section>")


def run_info(page: Page) -> str:
    data = page.data
    scanners = ", ".join(f"{s['id']} {s['version']}" for s in data.get("scanners", []))
    rows = [
        ("Scanners", scanners),
        ("Skipped", f"{len(data.get('skipped', []))} files (sidecars, manifests, system clutter, ignored)"),
    ]
    problems_ = data["ledger"].get("problems") or []
    if problems_:
        rows.append(("Ledger problems", "; ".join(str(p) for p in problems_)))
    body = "".join(f"<tr><th>{e(k)}</th><td class=\"mono p\">{e(v)}</td></tr>" for k, v in rows)
    return f"<h2>Run</h2><table><tbody>{body}</tbody></table>"


def in_the_cut(page: Page) -> str:
    """With --timeline: one strip per track, the spans coloured by status (timeline_section.py)."""
    return html_section(page.data)


Section = Callable[[Page], str]
SECTIONS: list[Section] = [header, banner, notices, filter_bar, problems, findings, in_the_cut, approved, summary,
                           clean, signoff, run_info]
