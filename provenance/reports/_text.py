"""Plain-text views of audit values shared by the renderers (no escaping here)."""

from __future__ import annotations

from typing import Any

STATUS_ORDER = ("revoked", "unapproved", "stale", "expired", "out-of-scope", "needs-review", "approved", "clean")
SEVERITY_ORDER = ("BLOCKER", "ISSUE", "FYI")


def asset_label(asset: dict[str, Any]) -> str:
    frames = asset.get("frames")
    return f"{asset['path']} [{frames}]" if frames else str(asset["path"])


def approval_refs(asset: dict[str, Any]) -> str:
    return ", ".join(f"{m['ref']} ({m['outcome']})" for m in asset.get("approvals", []))


def one_line(text: object, limit: int = 200) -> str:
    """Collapse newlines so a hostile value cannot forge extra rows or lines."""
    flat = " ".join(str(text if text is not None else "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def sort_assets(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst first, then by path: the order a producer reads in."""
    def key(a: dict[str, Any]) -> tuple[int, int, str]:
        sev = a.get("severity")
        return (SEVERITY_ORDER.index(sev) if sev in SEVERITY_ORDER else 3,
                STATUS_ORDER.index(a["status"]) if a["status"] in STATUS_ORDER else 9, str(a["path"]))
    return sorted(assets, key=key)


def severity_text(asset_or_finding: dict[str, Any]) -> str:
    sev = asset_or_finding.get("severity")
    if sev:
        return str(sev)
    return "NOT CHECKED" if asset_or_finding.get("checked") is False else "-"
