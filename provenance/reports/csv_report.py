"""CSV: one row per asset, for producers and coordinators in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from ._text import approval_refs, approver_text, declared_text, severity_text, signature_text

COLUMNS = ("path", "frames", "kind", "use", "status", "severity", "verdict", "generators", "confidence",
           "c2pa", "approvals", "approvers", "approved_on", "valid_until", "conditions", "documents", "signatures",
           "declared_approvals", "sha256", "explanation")
# A leading = + - @ (or a tab/CR that some spreadsheets strip first) makes a cell a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    # A lone "-" (a clean row's severity) is no formula in any spreadsheet: keep it readable.
    return "'" + text if text.startswith(_FORMULA_START) and text != "-" else text


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
            "approvers": _each(approvals, approver_text),
            "approved_on": _each(approvals, lambda m: m.get("approved_on")),
            "valid_until": _each(approvals, lambda m: m.get("valid_until")),
            "conditions": _each(approvals, lambda m: m.get("conditions")),
            "documents": _each(approvals, _document),
            "signatures": _each(approvals, signature_text),
            "declared_approvals": declared_text(a),
            "sha256": a.get("sha256", ""),
            "explanation": a.get("explanation", ""),
        }
        writer.writerow([neutralise(row[c]) for c in COLUMNS])
    return out.getvalue()


def _each(approvals: list[dict[str, Any]], value: Callable[[dict[str, Any]], object]) -> str:
    """One ``REF: value`` per approval that has the value, so cells line up with the approvals column."""
    return "; ".join(f"{m['ref']}: {v}" for m in approvals if (v := value(m)))


def _document(m: dict[str, Any]) -> str:
    if not (m.get("document") or m.get("document_sha256")):
        return ""
    return f"{m.get('document') or '(unnamed)'}" + (f" sha256 {m['document_sha256']}" if m.get("document_sha256") else "")
