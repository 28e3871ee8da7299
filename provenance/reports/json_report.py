"""The canonical audit document (schema provenance.audit/1) and its JSON text.

Every other report format renders from this dict, so ``provenance report``
can re-render a saved audit without touching the delivery.
"""

from __future__ import annotations

from typing import Any

from provenance.audit.evaluate import ApprovalMatch, AuditResult, exit_code, outcome_label, severities_of
from provenance.audit.policy import SEVERITIES, STATUSES
from provenance.scan.render import dumps

AUDIT_SCHEMA = "provenance.audit/1"


def build(result: AuditResult, fail_on: str) -> dict[str, Any]:
    assets = []
    for audit in result.assets:
        entry = audit.result.to_dict()
        entry.update({
            "use": audit.use,
            "status": audit.status,
            "severity": audit.severity,
            "explanation": audit.explanation,
            "checked": audit.checked,
            "approvals": [_approval(m) for m in audit.approvals],
            "declared_approvals": [d.to_dict() for d in audit.declared],
        })
        if audit.segments:
            entry["segment_audit"] = [s.to_dict() for s in audit.segments]
        if audit.sha256:
            entry["sha256"] = audit.sha256
        assets.append(entry)
    findings = [{"code": f.code, "severity": f.severity, "message": f.message, "path": f.path,
                 "approval": f.approval} for f in result.findings]
    data: dict[str, Any] = {
        "schema": AUDIT_SCHEMA,
        "tool_version": result.scan.tool_version,
        "scanners": [{"id": s.id, "version": s.version} for s in result.scan.scanners],
        "root": result.scan.root,
        "audited_on": result.today.isoformat(),
        "policy": {"source": result.policy.source, "sha256": result.policy.sha256},
        "trust": [t.to_dict() for t in result.scan.trust],
        "ledger": {"path": result.ledger.path, "state": result.ledger.state, "head": result.ledger.head,
                   "approvals": result.ledger.approvals, "problems": list(result.ledger.problems),
                   "events": result.ledger.events, "checkpoint": result.ledger.checkpoint,
                   "require_signed": result.ledger.require_signed},
        "fail_on": fail_on,
        "complete": result.complete,
        "incomplete": list(result.incomplete),
        "warnings": list(result.warnings),
        "assets": assets,
        "findings": findings,
        "skipped": [s.to_dict() for s in result.scan.skipped],
    }
    if result.timelines:  # only with --timeline, so audits without one keep their exact bytes
        data["timelines"] = [t.to_dict() for t in result.timelines]
    data["summary"] = summarize(data)
    return data


def _approval(m: ApprovalMatch) -> dict[str, Any]:
    entry = {
        "ref": m.ref, "title": m.title, "match": m.match, "approval_status": m.approval_status,
        "outcome": m.outcome, "note": m.note, "use": m.use, "categories": list(m.categories),
        "approver": m.approver, "role": m.role, "org": m.org, "approved_on": m.approved_on,
        "valid_until": m.valid_until, "conditions": m.conditions, "document": m.document,
        "document_sha256": m.document_sha256,
    }
    if m.signature is not None:
        entry["signature"] = m.signature
    if m.frames is not None:
        entry["frames"] = m.frames
    return entry


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    by_status = {s: 0 for s in STATUSES}
    for a in data["assets"]:
        by_status[a["status"]] = by_status.get(a["status"], 0) + 1
    by_severity = {s: 0 for s in SEVERITIES}
    for s in severities_of(data):
        if s is not None:
            by_severity[s] += 1
    code = exit_code(severities_of(data), data["complete"], data["fail_on"])
    return {
        "assets": len(data["assets"]),
        "flagged": sum(1 for a in data["assets"] if a["status"] != "clean"),
        "findings": len(data["findings"]),
        "by_status": by_status,
        "by_severity": by_severity,
        "exit_code": code,
        "outcome": outcome_label(code),
    }


def render(data: dict[str, Any]) -> str:
    return dumps(data)
