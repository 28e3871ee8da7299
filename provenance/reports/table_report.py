"""The terminal table: one line per asset, worst first, and a summary line."""

from __future__ import annotations

from typing import Any

from .guidance import outcome_line, why
from .timeline_section import text_section
from ._text import (approval_detail, approval_refs, asset_label, c2pa_state_notes, declared_text, distinct_approvals,
                    notes_count_line, one_line, severity_text, sort_assets)


def render(data: dict[str, Any]) -> str:
    rows = [("SEVERITY", "STATUS", "USE", "VERDICT", "ASSET", "APPROVALS", "WHY")]
    for a in sort_assets(data["assets"]):
        rows.append((severity_text(a), a["status"], a.get("use", ""), a.get("verdict", ""),
                     one_line(asset_label(a), 70) + (" +notes" if a.get("notes") else ""),
                     one_line(approval_refs(a), 50) or "-", one_line(why(a), 48)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in rows]
    if data.get("timelines"):
        lines.append(text_section(data).rstrip("\n"))
    lines += approvals_block(data)
    lines += declared_block(data)
    for f in data["findings"]:
        lines.append(f"{f.get('severity') or '-'}  {f['code']}: {one_line(f['message'])}")
    for w in data.get("warnings", []):
        lines.append(f"warning: {one_line(w)}")
    lines += c2pa_state_notes(data["assets"])
    if notes_count_line(data["assets"]):
        lines.append(notes_count_line(data["assets"]))
    for reason in data.get("incomplete", []):
        lines.append(f"not checked: {one_line(reason)}")
    lines.append("")
    lines.append(outcome_line(data))
    return "\n".join(lines) + "\n"


def approvals_block(data: dict[str, Any]) -> list[str]:
    """Each applied approval in full, one line under the table: the row has room for its reference only."""
    out = []
    for m in distinct_approvals(data["assets"]):
        _, _, *rest = approval_detail(m)  # reference line and use/categories are in the rows already
        out.append(f"{m.get('ref')}: " + one_line("; ".join(rest), 400))
    return ([""] + out + [""]) if out else []


def declared_block(data: dict[str, Any]) -> list[str]:
    """What vendors declared in the files, beside what the ledger says (a mismatch is also in the WHY)."""
    out = [f"declared  {one_line(asset_label(a), 70)}: {one_line(declared_text(a), 200)}"
           for a in sort_assets(data["assets"]) if a.get("declared_approvals")]
    return out + [""] if out else []
