"""Plain-text views of audit values shared by the renderers (no escaping here)."""

from __future__ import annotations

from typing import Any

from provenance.models import C2PA_STATE_MEANING, C2paState
from provenance.models import c2pa_state_notes as _notes
from provenance.scan.render import terminal_safe

STATUS_ORDER = ("revoked", "unapproved", "stale", "expired", "out-of-scope", "needs-review", "approved", "clean")
SEVERITY_ORDER = ("BLOCKER", "ISSUE", "FYI")


def asset_label(asset: dict[str, Any]) -> str:
    frames = asset.get("frames")
    return f"{asset['path']} [{frames}]" if frames else str(asset["path"])


def approval_refs(asset: dict[str, Any]) -> str:
    return ", ".join(f"{m['ref']} ({m['outcome']})" for m in asset.get("approvals", []))


def notes_text(asset: dict[str, Any]) -> str:
    """The asset's notes (library warnings, O_NOATIME fallbacks) as one plain string; "" when none."""
    return "; ".join(str(n) for n in asset.get("notes") or [])


def notes_count_line(assets: list[dict[str, Any]]) -> str:
    """One line counting the assets with notes, for views that only mark them; "" when none."""
    n = sum(1 for a in assets if a.get("notes"))
    return f"{n} asset{'' if n == 1 else 's'} with notes (marked +notes; the JSON, Markdown and HTML reports " \
        "list them)" if n else ""


def one_line(text: object, limit: int = 200) -> str:
    """One printable line: a hostile value cannot forge extra rows or lines, or drive the terminal."""
    flat = " ".join(str(text if text is not None else "").split())
    flat = terminal_safe(flat)
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


def approver_text(m: dict[str, Any]) -> str:
    """"Dana Whitfield (Producer, Harbour Films)": the approver with role and organisation when known."""
    extra = ", ".join(str(x) for x in (m.get("role"), m.get("org")) if x)
    return f"{m.get('approver') or '?'}" + (f" ({extra})" if extra else "")


def approval_detail(m: dict[str, Any]) -> list[str]:
    """One approval in full, as short plain-text lines (no escaping here)."""
    until = f", valid until {m['valid_until']}" if m.get("valid_until") else ", no end date"
    lines = [f"{m.get('ref')}: {m.get('title') or ''}".rstrip(": "),
             f"{m.get('use')} use; categories {', '.join(m.get('categories') or []) or '-'}",
             f"approved by {approver_text(m)} on {m.get('approved_on') or '?'}{until}"]
    if m.get("conditions"):
        lines.append(f"conditions: {m['conditions']}")
    if m.get("document") or m.get("document_sha256"):
        sha = f" (sha256 {m['document_sha256']})" if m.get("document_sha256") else ""
        lines.append(f"document: {m.get('document') or '(unnamed)'}{sha}")
    if m.get("signature"):
        lines.append(f"signature: {signature_text(m)}")
    return lines


def signature_text(m: dict[str, Any]) -> str:
    """The signature state of an approval when the ledger records one (a string, or {state, key_id})."""
    sig = m.get("signature")
    if isinstance(sig, dict):
        return " · ".join(str(sig[k]) for k in ("state", "key_id", "signer") if sig.get(k))
    return "" if sig is None else str(sig)


def distinct_approvals(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every approval that touches an asset, once, by reference."""
    seen: dict[str, dict[str, Any]] = {}
    for a in assets:
        for m in a.get("approvals", []):
            seen.setdefault(str(m.get("ref")), m)
    return [seen[ref] for ref in sorted(seen)]


def declared_text(asset: dict[str, Any]) -> str:
    """The vendor-declared approval references and what the ledger says about each."""
    words = {"match": "matches the ledger", "does-not-cover": "does not cover this file", "unknown": "not in the ledger"}
    return "; ".join(f"{d.get('ref')} ({', '.join(d.get('sources') or [])}): {words.get(str(d.get('state')), d.get('state'))}"
                     for d in asset.get("declared_approvals") or [])


def c2pa_state_notes(assets: list[dict[str, Any]]) -> list[str]:
    """One plain sentence for each C2PA state present in the assets (absent left out)."""
    return _notes(str((a.get("c2pa") or {}).get("state")) for a in assets)


def c2pa_meaning(state: object) -> str:
    try:
        return C2PA_STATE_MEANING[C2paState(str(state))]
    except ValueError:
        return ""
