"""Views of the ledger for people and tools: filtering and text/JSON/CSV rendering.

Status depends on the day it is asked for, so every view takes ``day``
explicitly; the CLI passes today's UTC date unless told otherwise.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from .io import CSV_FIELDS, dumps, records_to_csv, to_flat
from .model import CATEGORY_HELP, Approval, LedgerEvent, VerifyResult


def select(approvals: Iterable[Approval], day: datetime.date, *, status: str | None = None,
           category: str | None = None, expiring_before: datetime.date | None = None) -> list[Approval]:
    out = []
    for a in approvals:
        if status and a.status_on(day) != status:
            continue
        if category and category not in a.categories:
            continue
        if expiring_before and (a.valid_until is None or a.valid_until >= expiring_before):
            continue
        out.append(a)
    return sorted(out, key=lambda a: a.ref)


def with_status(approval: Approval, day: datetime.date) -> dict[str, Any]:
    return {**approval.to_dict(), "status": approval.status_on(day)}


def to_json(approvals: Sequence[Approval], day: datetime.date) -> str:
    return dumps([with_status(a, day) for a in approvals])


def to_csv(approvals: Sequence[Approval], day: datetime.date) -> str:
    rows = [{**to_flat(a), "status": a.status_on(day)} for a in approvals]
    return records_to_csv(rows, ("ref", "status", *[f for f in CSV_FIELDS if f != "ref"]))


def to_table(approvals: Sequence[Approval], day: datetime.date) -> str:
    rows = [("REF", "STATUS", "USE", "CATEGORIES", "APPROVER", "APPROVED", "VALID UNTIL", "SCOPES")]
    for a in approvals:
        scopes = ", ".join(f"{s.kind}:{s.value[:12] + '…' if s.kind == 'sha256' else s.value}" for s in a.scopes)
        rows.append((a.ref, a.status_on(day), a.use, ",".join(a.categories), a.approver,
                     a.approved_on.isoformat(), a.valid_until.isoformat() if a.valid_until else "-", scopes))
    if len(rows) == 1:
        return "no approvals match\n"
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join([*(c.ljust(widths[i]) for i, c in enumerate(r[:-1])), r[-1]]).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def show_text(approval: Approval, events: Sequence[LedgerEvent], day: datetime.date) -> str:
    d = approval.to_dict()
    who = ", ".join(x for x in (approval.approver, approval.role, approval.org) if x)
    lines = [
        f"{approval.ref}  [{approval.status_on(day)} on {day.isoformat()}]",
        f"  title:        {d['title'] or '-'}",
        f"  use:          {approval.use}",
        f"  approver:     {who}",
        f"  approved on:  {d['approved_on']}",
        f"  valid until:  {d['valid_until'] or 'no end date'}",
        f"  document:     {d['document'] or '-'}" + (f"  sha256:{d['document_sha256']}" if d["document_sha256"] else ""),
        f"  conditions:   {d['conditions'] or '-'}",
    ]
    lines += [f"  category:     {c} ({CATEGORY_HELP[c]})" for c in approval.categories]
    lines += [f"  scope:        {s.kind} {s.value}" for s in approval.scopes]
    if approval.revoked:
        lines.append(f"  revoked:      {approval.revoked_reason}")
    if approval.superseded_by:
        lines.append(f"  superseded by {approval.superseded_by}")
    lines.append("  history:")
    for e in events:
        lines.append(f"    #{e.seq} {e.ts} {e.event_type} {e.ref} by {e.actor}: {_summary(e)}")
        lines.append(f"        hash {e.hash}")
        if e.signed is not None:
            lines.append(f"        signed {e.signed.signed_at} by key {e.signed.key_id}")
    return "\n".join(lines) + "\n"


def _summary(event: LedgerEvent) -> str:
    p = event.payload
    if event.event_type == "grant":
        return f"granted by {p.get('approver')} on {p.get('approved_on')}"
    if event.event_type == "amend":
        text = "; ".join(f"{k}={v}" for k, v in sorted(p.get("changes", {}).items()))
        return text + (f" (reason: {p['reason']})" if p.get("reason") else "")
    if event.event_type == "revoke":
        return f"reason: {p.get('reason')}"
    if event.event_type == "supersede":
        return f"superseded by {p.get('by')}" + (f" (reason: {p['reason']})" if p.get("reason") else "")
    return ""


def show_json(approval: Approval, events: Sequence[LedgerEvent], day: datetime.date) -> str:
    return dumps({**with_status(approval, day), "history": [e.to_dict() for e in events]})


_SIGNATURE_WORDS = {"unsigned": "unsigned events", "unknown-key": "signed by keys the policy does not trust",
                    "bad-signature": "bad signatures", "wrong-approver": "signed by someone other than the approver",
                    "category-not-allowed": "signed by an approver not trusted for the categories"}


def verify_text(result: VerifyResult) -> str:
    if result.ok:
        lines = [f"ledger intact: {result.events} events, head {result.head}"]
    else:
        lines = [f"ledger NOT intact: {len(result.problems)} problem(s) in {result.events} events"]
        lines += [f"  {p}" for p in result.problems]
    if result.events:
        lines.append(f"checkpoint {result.checkpoint}")
    lines += [f"{_SIGNATURE_WORDS.get(k, k)}: {v}" for k, v in result.signatures]
    return "\n".join(lines) + "\n"
