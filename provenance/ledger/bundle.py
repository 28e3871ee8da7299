"""Signed bundles: approvals that travel from a studio's ledger to a post house's.

A bundle is JSON: the source ledger's identity (the hash of its ``init``
event) and the signed events of its approvals, in chain order. Each record
is verifiable on its own: the signature covers the event's decision, not
its place in the studio's chain. Importing checks every signature against the
trusted approver keys before writing anything, and skips events already
present (same signature), so a newer bundle from the same source appends only
what is new.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .io import dumps
from .model import LedgerError, Signed
from .signing import Approver, check, judge_after

FORMAT = "provenance-ledger-bundle"
VERSION = 1
_TYPES = ("grant", "amend", "revoke", "supersede")


@dataclass(frozen=True)
class SignedRecord:
    event_type: str
    ref: str
    payload: dict[str, Any]
    signed: Signed

    def to_dict(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "ref": self.ref, "payload": self.payload, **self.signed.to_dict()}


def export_bundle(ledger: Any) -> tuple[str, list[str]]:
    """The bundle text, and the refs left out because some of their events are unsigned."""
    with ledger.snapshot():
        events = ledger.events()
    source = events[0].hash if events else ""
    unsigned = sorted({e.ref for e in events if e.event_type in _TYPES and e.signed is None})
    records = [SignedRecord(e.event_type, e.ref, e.payload, e.signed).to_dict() for e in events
               if e.event_type in _TYPES and e.signed is not None and e.ref not in unsigned]
    return dumps({"format": FORMAT, "version": VERSION, "source": source, "events": records}), unsigned


def read_bundle(path: Path) -> list[SignedRecord]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LedgerError(f"cannot read bundle {path}: {exc}; pass a file written by "
                          f"`provenance ledger export --signed`") from None
    return parse_bundle(data, path.name)


def is_bundle(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return FORMAT.encode() in head


def parse_bundle(data: Any, name: str) -> list[SignedRecord]:
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("events"), list):
        raise LedgerError(f"{name} is not a signed ledger bundle; write one with `provenance ledger export --signed`")
    if data.get("version") != VERSION:
        raise LedgerError(f"{name} is bundle version {data.get('version')!r}; this provenance reads version {VERSION}")
    out = []
    for number, item in enumerate(data["events"], 1):
        fields = ("event_type", "ref", "payload", "key_id", "signed_at", "signature")
        if not isinstance(item, dict) or any(not isinstance(item.get(k), dict if k == "payload" else str)
                                             for k in fields) or item["event_type"] not in _TYPES:
            ref = item.get("ref") if isinstance(item, dict) else None
            raise LedgerError(f"{name} record {number}" + (f" ({ref})" if ref else "") +
                              f": not a signed event (needs {', '.join(fields)}); nothing was imported")
        out.append(SignedRecord(item["event_type"], item["ref"], item["payload"],
                                Signed(item["key_id"], item["signed_at"], item["signature"])))
    return out


def check_bundle(records: Sequence[SignedRecord], approvers: Mapping[str, Approver]) -> None:
    """Every signature valid and made by a trusted key, or LedgerError naming the first bad ref."""
    if not approvers:
        raise LedgerError("no trusted approver keys: a signed bundle is checked against the policy's "
                          "[ledger.approvers] (from --policy or your user configuration); nothing was imported")
    for record in records:
        what = f"{record.event_type} of {record.ref} (signed {record.signed.signed_at})"
        if not check(record.event_type, record.ref, record.payload, record.signed):
            raise LedgerError(f"{what}: the signature does not match the record; it was altered or forged. "
                              f"Nothing was imported")
        if record.signed.key_id not in approvers:
            raise LedgerError(f"{what}: signed by a key the policy does not trust ({record.signed.key_id[:20]}…); "
                              f"add it under [ledger.approvers] only if you trust it. Nothing was imported")


def apply_signed(ledger: Any, records: Sequence[SignedRecord], approvers: Mapping[str, Approver],
                 actor: str) -> tuple[int, int]:
    """Append the new events; the caller holds the write transaction (a raise rolls all back)."""
    check_bundle(records, approvers)
    present = {r["signature"] for r in ledger.store.query(
        "SELECT signature FROM events WHERE signature IS NOT NULL")}
    fresh = [r for r in records if r.signed.signature not in present]
    refs = {r.ref for r in fresh} | {str(r.payload.get("by") or "") for r in fresh}
    state = ledger._load(refs)
    for record in fresh:
        try:
            # Applied first, judged against the approval it leaves: a refusal raises, and the
            # caller's write transaction then rolls the appended event back with everything else.
            after = ledger._apply(state, record.event_type, record.ref, record.payload, actor, signed=record.signed)
            worth = judge_after(record.event_type, record.ref, record.payload, record.signed, approvers, after)
            if worth != "valid":
                raise LedgerError(f"its signature does not count ({worth}: the key's approver is not the "
                                  f"approval's, or may not approve its categories)")
        except LedgerError as exc:
            raise LedgerError(f"{record.event_type} of {record.ref}: {exc}; nothing was imported") from None
    return len(fresh), len(records) - len(fresh)
