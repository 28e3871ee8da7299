"""Recompute the chain and the derived state, and compare with what is stored.

Problems are listed in a fixed order (events by seq, then metadata, then
approvals rows by ref, then supersession cycles, then triggers), so the first
one names the first bad event or row.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

from . import schema
from .chain import EVENT_TYPES, State, apply_event, approval_row, event_hash, supersession_cycles
from .model import LedgerError, VerifyResult

MAX_PROBLEMS = 50
_HEAD_RE = re.compile(r"[0-9a-f]{64}")
_BEHIND = "behind the tool's back"


def parse_head(value: str) -> str:
    """A head hash as `ledger verify` prints it: sha256, 64 hex digits (any case)."""
    text = str(value).strip().lower()
    if not _HEAD_RE.fullmatch(text):
        raise LedgerError(f"--expect-head {value!r} is not a head hash (64 hexadecimal digits); pass the full "
                          f"head printed by `provenance ledger verify` or recorded in an audit report")
    return text


def verify_ledger(db: Database, expect_head: str | None = None) -> VerifyResult:
    """Replay and compare; a malformed ``expect_head`` is refused (LedgerError) before anything is read."""
    if expect_head is not None:
        expect_head = parse_head(expect_head)
    problems: list[str] = []
    tables = set(db.table_names())
    missing = [t for t in schema.TABLES if t not in tables]
    if missing:
        return VerifyResult(False, 0, "", (f"table {', '.join(missing)} is missing; this is not an intact "
                                           f"provenance ledger",))
    count, head, seen, state, last_seq, meta = _replay(db, problems)
    _check_meta(db, meta, problems)
    _check_approvals(db, state, last_seq, problems)
    for cycle in supersession_cycles(state):
        problems.append(f"approvals {' -> '.join((*cycle, cycle[0]))} supersede each other in a cycle, so none "
                        f"of them is in force; grant a new approval for the material they cover")
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for name in schema.TRIGGERS:
        if name not in present:
            problems.append(f"trigger {name} is missing (dropped {_BEHIND}); run `provenance ledger init` "
                            f"to restore it after checking the rest of this report")
    if expect_head and expect_head not in seen:
        problems.append(f"expected head {expect_head} is not in the chain: events up to it were rewritten "
                        f"or removed")
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [f"... and {len(problems) - MAX_PROBLEMS} more problems"]
    return VerifyResult(not problems, count, head, tuple(problems))


def _replay(db: Database, problems: list[str]) -> tuple[int, str, set[str], State, dict[str, int], dict[str, str]]:
    state: State = {}
    last_seq: dict[str, int] = {}
    meta: dict[str, str] = {}
    seen: set[str] = set()
    expected, prev_hash, count = 1, "", 0
    cursor = db.execute(f"SELECT seq, ts, actor, event_type, ref, payload_json, prev_hash, hash "
                        f"FROM {schema.EVENTS} ORDER BY seq")
    for seq, ts, actor, event_type, ref, payload_json, stored_prev, stored_hash in cursor:
        count += 1
        name = f"event {seq} ({event_type} {ref})".replace(" )", ")")
        if seq != expected:
            problems.append(f"event {expected} is missing: the log jumps from {expected - 1} to {seq} "
                            f"(deleted {_BEHIND})")
        if stored_prev != prev_hash:
            problems.append(f"{name}: prev_hash does not match the hash of the event before it (an event was "
                            f"edited, deleted or reordered {_BEHIND})")
        try:
            computed = event_hash(seq, ts, actor, event_type, ref, payload_json, stored_prev)
        except (TypeError, ValueError):
            computed = None
        if computed != stored_hash:
            problems.append(f"{name}: hash does not match its contents (edited {_BEHIND})")
        expected, prev_hash = seq + 1, stored_hash
        seen.add(str(stored_hash).lower())
        try:
            payload = json.loads(payload_json)
            if not isinstance(payload, dict) or event_type not in EVENT_TYPES:
                raise ValueError(event_type)
        except (TypeError, ValueError):
            problems.append(f"{name}: unreadable payload or event type")
            continue
        if (seq == 1) != (event_type == "init"):
            problems.append(f"{name}: only the first event may be, and must be, 'init'")
        if event_type == "init":
            meta = {"created": str(payload.get("created")), "schema_version": str(payload.get("schema_version"))}
        elif event_type == "migrate":
            meta["schema_version"] = str(payload.get("to"))
        try:
            changed = apply_event(state, event_type, ref, payload, strict=False)
        except (LedgerError, KeyError, TypeError) as exc:
            problems.append(f"{name}: not a valid change of the state before it ({exc})")
            continue
        for key, approval in changed.items():
            state[key] = approval
            last_seq[key] = seq
    return count, prev_hash, seen, state, last_seq, meta


def _check_meta(db: Database, expected: dict[str, str], problems: list[str]) -> None:
    stored = {row["key"]: row["value"] for row in db.query(f"SELECT key, value FROM {schema.META}")}
    for key in sorted(set(stored) | set(expected)):
        if key not in stored:
            problems.append(f"meta row {key} is missing (deleted {_BEHIND})")
        elif key not in expected:
            problems.append(f"meta row {key} is not recorded by any event (inserted {_BEHIND})")
        elif stored[key] != expected[key]:
            problems.append(f"meta row {key}: is {stored[key]!r} but the events give {expected[key]!r} "
                            f"(edited {_BEHIND})")


def _check_approvals(db: Database, state: State, last_seq: dict[str, int], problems: list[str]) -> None:
    derived = {a.ref: approval_row(a, last_seq[key]) for key, a in state.items()}
    stored: dict[str, dict[str, Any]] = {}
    for row in db.query(f"SELECT * FROM {schema.APPROVALS}"):
        stored[str(row.get("ref"))] = row
    for ref in sorted(set(derived) | set(stored)):
        if ref not in stored:
            problems.append(f"approvals row {ref} is missing (deleted {_BEHIND})")
        elif ref not in derived:
            problems.append(f"approvals row {ref} has no events (inserted {_BEHIND})")
        else:
            row, want = stored[ref], derived[ref]
            for column in sorted(set(row) | set(want)):
                if row.get(column) != want.get(column):
                    problems.append(f"approvals row {ref}: {column} is {row.get(column)!r} but replaying the "
                                    f"events gives {want.get(column)!r}")
                    break
