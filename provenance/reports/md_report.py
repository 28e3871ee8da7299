"""Markdown: a short summary to paste into a ticket."""

from __future__ import annotations

import re
from typing import Any

from ._text import approval_detail, c2pa_state_notes, approval_refs, asset_label, declared_text, distinct_approvals, one_line, severity_text, sort_assets
from ._text import notes_text

MAX_ROWS = 50  # a ticket is a summary; the full list is in the HTML/CSV
# Enough to stop emphasis, code, links, images, tables and strike-through; "<>&" are entities already.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def esc(value: object) -> str:
    """Markdown- and HTML-inert text: metadata must not become links, tables or tags in a ticket."""
    text = one_line(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def render(data: dict[str, Any]) -> str:
    s = data["summary"]
    lines = [f"## Generative-AI audit: {s['outcome']}", ""]
    lines.append(f"- Delivery: {esc(data['root'])}")
    lines.append(f"- Audited on {data['audited_on']} with provenance {esc(data['tool_version'])}, "
                 f"fail on {data['fail_on']}, policy {esc(data['policy']['source'])} "
                 f"(sha256 {data['policy']['sha256'][:12]}…)")
    ledger = data["ledger"]
    lines.append(f"- Ledger: {ledger['state']}, {ledger['approvals']} approvals"
                 + (f", head {ledger['head'][:12]}…" if ledger.get("head") else "")
                 + (f", checkpoint {ledger['checkpoint']}" if ledger.get("checkpoint") else ""))
    sev = s["by_severity"]
    lines.append(f"- {s['assets']} assets, {s['flagged']} flagged: "
                 f"{sev['BLOCKER']} BLOCKER, {sev['ISSUE']} ISSUE, {sev['FYI']} FYI")
    lines.append("- Status: " + ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n))
    for w in data.get("warnings", []):
        lines.append(f"- **Warning:** {esc(w)}")
    for reason in data.get("incomplete", []):
        lines.append(f"- **Not checked:** {esc(reason)}")
    flagged = [a for a in sort_assets(data["assets"]) if a["status"] != "clean"]
    if flagged:
        lines += ["", "| Severity | Status | Asset | Approvals | Why |", "|---|---|---|---|---|"]
        for a in flagged[:MAX_ROWS]:
            lines.append(f"| {severity_text(a)} | {a['status']} | {esc(asset_label(a))} | "
                         f"{esc(approval_refs(a)) or '-'} | {esc(a.get('explanation'))} |")
        if len(flagged) > MAX_ROWS:
            lines.append(f"\n…and {len(flagged) - MAX_ROWS} more flagged assets (see the full report).")
    declared = [a for a in flagged if a.get("declared_approvals")]
    if declared:
        lines += ["", "**Vendor-declared approvals**", ""]
        lines += [f"- {esc(asset_label(a))}: {esc(declared_text(a))}" for a in declared[:MAX_ROWS]]
    approvals = distinct_approvals(data["assets"])
    if approvals:
        lines += ["", "**Approvals applied**", ""]
        for m in approvals:
            first, *rest = approval_detail(m)
            lines.append(f"- {esc(first)}")
            lines += [f"  - {esc(line)}" for line in rest]
    noted = [a for a in sort_assets(data["assets"]) if a.get("notes")]
    if noted:
        lines += ["", "**Notes** (said about the file; they leave the audit complete)", ""]
        lines += [f"- {esc(asset_label(a))}: notes: {esc(notes_text(a))}" for a in noted[:MAX_ROWS]]
        if len(noted) > MAX_ROWS:
            lines.append(f"- …and {len(noted) - MAX_ROWS} more assets with notes (see the full report).")
    notes = c2pa_state_notes(data["assets"])
    if notes:
        lines += ["", "**C2PA states**", ""] + [f"- {esc(n)}" for n in notes]
    if data["findings"]:
        lines += ["", "**Findings**", ""]
        for f in data["findings"]:
            lines.append(f"- {f.get('severity') or '-'} `{f['code']}`: {esc(f['message'])}")
    return "\n".join(lines) + "\n"
