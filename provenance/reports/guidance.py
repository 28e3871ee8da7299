"""What the terminal says after an audit: the outcome line and what to do next.

Both read the canonical audit dict, like every renderer, so `provenance
report` could say the same of a saved audit.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from ._text import one_line

_SEVERITIES = ("BLOCKER", "ISSUE", "FYI")


def outcome_line(data: dict[str, Any]) -> str:
    """``FAIL: 15 assets: 12 flagged (4 BLOCKER, 3 ISSUE, 5 FYI), 3 clean; 1 delivery finding (1 FYI)``.

    Asset counts and delivery-finding counts stay apart: a finding is not an asset.
    """
    s = data["summary"]
    assets = data["assets"]
    flagged = [a for a in assets if a.get("status") != "clean"]
    parts = [f"{len(assets)} asset{'' if len(assets) == 1 else 's'}: {len(flagged)} flagged"
             + _by_severity(flagged) + f", {len(assets) - len(flagged)} clean"]
    findings = data.get("findings", [])
    if findings:
        parts.append(f"{len(findings)} delivery finding{'' if len(findings) == 1 else 's'}" + _by_severity(findings))
    spans = [span for t in data.get("timelines", []) for span in t.get("spans", [])]
    if data.get("timelines"):  # with --timeline: the flagged spans in the cut count too
        parts.append(f"{len(spans)} span{'' if len(spans) == 1 else 's'} in the cut" + _by_severity(spans))
    return f"{s['outcome']}: {'; '.join(parts)}; fail on {data['fail_on']}"


def _by_severity(items: list[dict[str, Any]]) -> str:
    counts = [(sev, sum(1 for i in items if i.get("severity") == sev)) for sev in _SEVERITIES]
    shown = [f"{n} {sev}" for sev, n in counts if n]
    return f" ({', '.join(shown)})" if shown else ""


def next_steps(data: dict[str, Any], suggested: str | None = None) -> list[str]:
    """Short imperative lines for a failing or incomplete audit; none for a pass."""
    if data["summary"]["exit_code"] == 0:
        return []
    threshold = {"blocker": 1, "issue": 2, "fyi": 3, "never": 0}[data["fail_on"]]
    failing = [a for a in data["assets"] if a.get("severity") in _SEVERITIES[:threshold]]
    by_status: dict[str, list[str]] = {}
    for a in failing:
        by_status.setdefault(a["status"], []).append(str(a["path"]))
    steps = []
    opt = _ledger_option(data)
    if data.get("ledger", {}).get("state") == "missing":
        steps.append("no approvals ledger was read: pass --ledger FILE (or set $PROVENANCE_LEDGER), "
                     "or create one with `provenance ledger init`")
    if "unapproved" in by_status:
        where = f"fill in the CSV written to {suggested}" if suggested else \
            "re-run with --suggest-approvals approvals.csv for a CSV of them"
        steps.append(f"{_n(by_status['unapproved'])} unapproved: record each written approval with "
                     f"`provenance ledger add{opt}`, or {where} (ref, approver, category) and "
                     f"`provenance ledger import {shlex.quote(suggested or 'approvals.csv')}{opt}` it")
    refs = {a["status"]: _ref(a) for a in reversed(failing)}
    advice = {
        "revoked": "its approval was withdrawn: take it out of the delivery, or get a new approval",
        "expired": "renew the approval: `provenance ledger amend {ref} --valid-until YYYY-MM-DD`",
        "stale": "the file changed after approval: deliver the approved version, or approve this content "
                 "(`provenance ledger amend {ref} --sha256 NEW_SHA256`)",
        "out-of-scope": "the approval does not cover this use: amend its categories or use "
                        "(`provenance ledger amend {ref} --category ...`), or move the asset",
        "needs-review": "look at the evidence in the HTML report (`--format html -o report.html`)",
    }
    for status, text in advice.items():
        if status in by_status:
            steps.append(f"{_n(by_status[status])} {status}: "
                         f"{text.format(ref=(refs.get(status) or 'REF') + opt)}")
    failing_codes = sorted({str(f.get("code")) for f in data.get("findings", [])
                            if f.get("severity") in _SEVERITIES[:threshold]})
    for code in failing_codes:
        advice_text = _FINDING_ADVICE.get(code, "see the delivery findings in the report")
        steps.append(f"{code}: {advice_text.replace('provenance ledger add', 'provenance ledger add' + opt)}")
    if not data.get("complete", True):
        steps.append("the audit is incomplete: fix what is listed under \"not checked\" (permissions, "
                     "a ledger that fails `provenance ledger verify`) and run it again")
    return steps


_MANIFEST_ADVICE = "ask the vendor for a package manifest (provenance-manifest.json) that matches the files"
_FINDING_ADVICE = {
    "manifest-missing-file": _MANIFEST_ADVICE,
    "manifest-hash-mismatch": _MANIFEST_ADVICE,
    "metadata-stripped": "the vendor's manifest says generated but the file's own tags are gone: "
                         "ask for the tagged export, or approve the asset in the ledger",
    "declared-approval-unknown": "the vendor cites an approval the ledger does not have: record it "
                                 "(`provenance ledger add --ref REF ...`) or ask the vendor which approval they mean",
    "unsigned-approval": "the policy requires signed approvals: have the approver sign "
                         "(`provenance ledger add ... --signing-key KEY`) or check the trusted keys",
    "unmatched-approval": "an approval matches nothing here: check its path globs and hashes",
}


def _ledger_option(data: dict[str, Any]) -> str:
    """`` --ledger PATH`` for the ledger this audit read, so the commands suggested act on it.

    Without it a command pasted from the advice would open ./provenance.db, which for a ledger named
    with --ledger or in the policy is the wrong ledger or none at all (exit 2).
    """
    ledger = data.get("ledger") or {}
    path = str(ledger.get("path") or "")
    if not path or ledger.get("state") == "missing":
        return ""
    if "://" not in path and os.path.isabs(path):
        try:
            shorter = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            shorter = path
        if not shorter.startswith(".."):
            path = shorter
    return "" if path == "provenance.db" else f" --ledger {shlex.quote(path)}"


def why(asset: dict[str, Any]) -> str:
    """A few words for the terminal table's WHY column; the full explanation is in the other formats."""
    status = asset.get("status")
    if status == "clean":
        return "-"
    if status == "unapproved":
        return "no approval in the ledger"
    if status == "stale":
        return "file changed after approval"
    if status == "approved":
        return "approval covers this use"
    text = str(asset.get("explanation") or "")
    ref = _ref(asset)
    if ref and text.startswith(ref + ": "):
        text = text[len(ref) + 2:]
    return text


def _ref(asset: dict[str, Any]) -> str | None:
    approvals = asset.get("approvals") or []
    return str(approvals[0].get("ref")) if approvals else None


def _n(paths: list[str]) -> str:
    return one_line(paths[0], 400) if len(paths) == 1 else f"{len(paths)} assets"  # a vendor's file name
