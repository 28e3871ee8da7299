"""CSV: one row per asset, for producers and coordinators in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from ._text import approval_refs, severity_text

COLUMNS = ("path", "frames", "kind", "use", "status", "severity", "verdict", "generators", "confidence",
           "c2pa", "approvals", "approvers", "valid_until", "sha256", "explanation")
# A leading = + - @ (or a tab/CR that some spreadsheets strip first) makes a cell a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in sorted(data["assets"], key=lambda x: str(x["path"])):
        approvals = a.get("approvals", [])
        row = {
            "path": a["path"],
            "frames": a.get("frames") or "",
            "kind": a.get("kind", ""),
            "use": a.get("use", ""),
            "status": a["status"],
            "severity": severity_text(a),
            "verdict": a.get("verdict", ""),
            "generators": "; ".join(a.get("generators", [])),
            "confidence": a.get("confidence") or "",
            "c2pa": (a.get("c2pa") or {}).get("state", ""),
            "approvals": approval_refs(a),
            "approvers": "; ".join(sorted({m["approver"] for m in approvals if m.get("approver")})),
            "valid_until": "; ".join(sorted({m["valid_until"] for m in approvals if m.get("valid_until")})),
            "sha256": a.get("sha256", ""),
            "explanation": a.get("explanation", ""),
        }
        writer.writerow([neutralise(row[c]) for c in COLUMNS])
    return out.getvalue()
