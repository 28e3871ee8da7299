"""Recompute the chain and the derived state, and compare with what is stored.

Problems are listed in a fixed order (events by seq, then metadata, then
approvals rows by ref, then supersession cycles, then triggers), so the first
one names the first bad event or row.
"""

from __future__ import annotations

import contextlib
import gc
import json
import operator
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import schema
from .chain import (
    EVENT_TYPES,
    State,
    apply_event,
    approval_row,
    approval_text,
    direct_approval,
    event_hash,
    supersession_cycles,
    written_as,
)
from .model import Approval, LedgerError, Signed, VerifyResult
from .normal import grant_from_row
from .signing import Approver, judge_after

MAX_PROBLEMS = 50
_REF = operator.attrgetter("ref")
_HEAD_RE = re.compile(r"[0-9a-f]{64}")
_BEHIND = "behind the tool's back"
_COLUMNS = set(schema.APPROVAL_COLUMNS)


def parse_head(value: str) -> str:
    """A head hash as `ledger verify` prints it: sha256, 64 hex digits (any case)."""
    text = str(value).strip().lower()
    if not _HEAD_RE.fullmatch(text):
        raise LedgerError(f"--expect-head {value!r} is not a head hash (64 hexadecimal digits); pass the full "
                          f"head printed by `provenance ledger verify` or recorded in an audit report")
    return text


def parse_checkpoint(value: str) -> tuple[int, str]:
    """``N:HASH`` as an audit report records it: event count, then the head hash at that count."""
    text = str(value).strip()
    number, _, digest = text.partition(":")
    if not number.isdigit() or int(number) < 1 or not _HEAD_RE.fullmatch(digest.lower()):
        raise LedgerError(f"--checkpoint {value!r} is not N:HASH; pass the checkpoint recorded in an audit "
                          f"report, e.g. 42:3f1c… (the event count, a colon, the 64-digit head hash)")
    return int(number), digest.lower()


def verify_ledger(db: Any, expect_head: str | None = None, *, checkpoint: str | None = None,
                  approvers: Mapping[str, Approver] | None = None) -> VerifyResult:
    """Replay and compare; a malformed ``expect_head``/``checkpoint`` is refused before anything is read.

    ``db`` is a backend; the caller holds one snapshot around this call.
    ``approvers`` (public key -> Approver) are the keys a policy trusts.
    """
    if expect_head is not None:
        expect_head = parse_head(expect_head)
    mark = parse_checkpoint(checkpoint) if checkpoint is not None else None
    problems: list[str] = []
    tables = db.table_names()
    missing = [t for t in schema.TABLES if t not in tables]
    if missing:
        return VerifyResult(False, 0, "", (f"table {', '.join(missing)} is missing; this is not an intact "
                                           f"provenance ledger",))
    replay = _Replay(approvers or {})
    with _collector_paused():
        # Rows as tuples, read first: a grant whose row still holds it is checked against it in one step.
        rows = db.rows(f"SELECT {', '.join(_QUOTED)} FROM {schema.APPROVALS}") \
            if db.columns(schema.APPROVALS) == _COLUMNS else None
        count, head, head_seen, state, last_seq, meta = replay.run(db, problems, mark, expect_head,
                                                                   {r[0]: r for r in rows or ()})
        _check_meta(db, meta, problems)
        _check_approvals(db, state, last_seq, problems, rows, replay.from_rows)
    for cycle in supersession_cycles(state):
        problems.append(f"approvals {' -> '.join((*cycle, cycle[0]))} supersede each other in a cycle, so none "
                        f"of them is in force; grant a new approval for the material they cover")
    present = db.trigger_names()
    for name in schema.TRIGGERS:
        if name not in present:
            problems.append(f"trigger {name} is missing (dropped {_BEHIND}); run `provenance ledger init` "
                            f"to restore it after checking the rest of this report")
    if expect_head and not head_seen:
        problems.append(f"expected head {expect_head} is not in the chain: events up to it were rewritten "
                        f"or removed")
    if mark is not None and mark[0] > count:
        problems.append(f"checkpoint {mark[0]}:{mark[1][:12]}… is beyond the chain ({count} events): events "
                        f"recorded before the checkpoint were removed")
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [f"... and {len(problems) - MAX_PROBLEMS} more problems"]
    trust = {a.ref: replay.trust.get(key, "unsigned") for key, a in state.items()}
    replayed = tuple(sorted(state.values(), key=_REF))
    return VerifyResult(not problems, count, head, tuple(problems), replay.summary(), trust, replayed)


class _Name:
    """``event N (type ref)``, formatted only when a problem names it (verify walks every event)."""

    __slots__ = ("event_type", "ref", "seq")

    def __init__(self, seq: Any, event_type: Any, ref: Any) -> None:
        self.seq, self.event_type, self.ref = seq, event_type, ref

    def __str__(self) -> str:
        return f"event {self.seq} ({self.event_type} {self.ref})".replace(" )", ")")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the replay builds its state.

    The replay allocates hundreds of thousands of objects that all stay alive, so
    the collector would run again and again over a growing heap and find nothing
    (a quarter of verify's time at 100,000 events); it makes no cycles to collect.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    for n in numbers:
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in out)


class _Replay:
    """The chain replayed in order, judging each signature on the way."""

    def __init__(self, approvers: Mapping[str, Approver]) -> None:
        self.approvers = approvers
        self.by_status: dict[str, list[int]] = {}
        self.trust: dict[str, str] = {}  # ref key -> worth of its grant and amends; absent: unsigned
        self.from_rows: dict[str, Approval] = {}  # ref -> approval read through its unchanged row

    def summary(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, _ranges(v)) for k, v in sorted(self.by_status.items()))

    def judge(self, seq: int, event_type: str, ref: str, payload: dict[str, Any], signed: Signed,
              state: State, problems: list[str]) -> None:
        """What a signed event's signature is worth (run() handles unsigned events itself)."""
        worth = judge_after(event_type, ref, payload, signed, self.approvers, state.get(ref.casefold()))
        if worth != "valid":
            self.by_status.setdefault(worth, []).append(seq)
        if worth == "bad-signature":
            problems.append(f"{_Name(seq, event_type, ref)}: the signature does not match the event (edited "
                            f"{_BEHIND}, or signed content altered)")
        key = ref.casefold()
        if event_type == "grant" or (event_type == "amend" and self.trust.get(key) == "valid"):
            self.trust[key] = worth  # an unsigned amend taints what a signed grant approved

    def run(self, db: Any, problems: list[str], mark: tuple[int, str] | None, expect_head: str | None,
            by_ref: dict[str, tuple[Any, ...]]) -> tuple[int, str, bool, State, dict[str, int], dict[str, str]]:
        """Replay every event; returns (count, head, expect_head seen, state, last seq per key, meta).

        ``by_ref`` are the approvals rows by ref. A grant whose row still holds it (last changed by
        this event) and whose payload is that row spelled as a grant payload is read through
        :func:`grant_from_row`, which gives the approval the full replay would, and proves the
        row right; ``from_rows`` keeps those approvals so the row check can skip them.
        """
        state: State = {}
        last_seq: dict[str, int] = {}
        meta: dict[str, str] = {}
        head_seen = False
        unsigned: list[int] = []
        expected, prev_hash, count = 1, "", 0
        signed_columns = set(schema.SIGNATURE_COLUMNS) <= db.columns(schema.EVENTS)
        extra = ", ".join(schema.SIGNATURE_COLUMNS) if signed_columns else "NULL, NULL, NULL"
        # Tuples (a dict per row was a tenth of verify's time at 100,000 events), read as the loop
        # goes: PostgreSQL streams them while the loop works. The loop runs no other query.
        rows = db.iter_rows(f"SELECT seq, ts, actor, event_type, ref, payload_json, prev_hash, hash, {extra} "
                            f"FROM {schema.EVENTS} ORDER BY seq")
        for seq, ts, actor, event_type, ref, payload_json, stored_prev, stored_hash, key_id, signed_at, sig in rows:
            count += 1
            if seq != expected:
                problems.append(f"event {expected} is missing: the log jumps from {expected - 1} to {seq} "
                                f"(deleted {_BEHIND})")
            if stored_prev != prev_hash:
                problems.append(f"{_Name(seq, event_type, ref)}: prev_hash does not match the hash of the event "
                                f"before it (an event was edited, deleted or reordered {_BEHIND})")
            try:
                computed = event_hash(seq, ts, actor, event_type, ref, payload_json, stored_prev, key_id, signed_at,
                                      sig)
            except (TypeError, ValueError):
                computed = None
            if computed != stored_hash:
                problems.append(f"{_Name(seq, event_type, ref)}: hash does not match its contents (edited {_BEHIND})")
            expected, prev_hash = seq + 1, stored_hash
            if expect_head is not None and str(stored_hash).lower() == expect_head:
                head_seen = True
            if mark is not None and seq == mark[0] and str(stored_hash).lower() != mark[1]:
                problems.append(f"{_Name(seq, event_type, ref)}: hash is not the checkpoint's {mark[1][:12]}…: "
                                f"the chain up to event {seq} was rewritten since the checkpoint was recorded")
            if event_type == "grant" and not sig and seq != 1:
                row = by_ref.get(ref)
                if row is not None and row[16] == seq and type(ref) is str and (key := ref.casefold()) not in state:
                    approval = grant_from_row(row, ref, payload_json)
                    if approval is not None:
                        state[key] = self.from_rows[ref] = approval
                        last_seq[key] = seq
                        unsigned.append(seq)
                        continue
            try:
                payload = json.loads(payload_json)
                if not isinstance(payload, dict) or event_type not in EVENT_TYPES:
                    raise ValueError(event_type)
            except (TypeError, ValueError):
                problems.append(f"{_Name(seq, event_type, ref)}: unreadable payload or event type")
                continue
            if (seq == 1) != (event_type == "init"):
                problems.append(f"{_Name(seq, event_type, ref)}: only the first event may be, and must be, 'init'")
            if event_type == "init":
                meta = {"created": str(payload.get("created")), "schema_version": str(payload.get("schema_version"))}
                continue
            if event_type == "migrate":
                meta["schema_version"] = str(payload.get("to"))
                continue
            try:
                changed = apply_event(state, event_type, ref, payload, strict=False)
            except (LedgerError, KeyError, TypeError) as exc:
                problems.append(f"{_Name(seq, event_type, ref)}: not a valid change of the state before it ({exc})")
                continue
            for key, approval in changed.items():
                state[key] = approval
                last_seq[key] = seq
            if sig:
                self.judge(seq, event_type, ref, payload, Signed(key_id, signed_at, sig), state, problems)
            else:  # judge()'s answer for an event without a signature, without a call per event
                unsigned.append(seq)
                if event_type == "amend" and self.trust.get(ref.casefold()) == "valid":
                    del self.trust[ref.casefold()]  # an unsigned amend taints what a signed grant approved
        if unsigned:
            self.by_status["unsigned"] = unsigned
        return count, prev_hash, head_seen, state, last_seq, meta


def _check_meta(db: Any, expected: dict[str, str], problems: list[str]) -> None:
    stored = {row["key"]: row["value"] for row in db.query(f"SELECT key, value FROM {schema.META}")}
    for key in sorted(set(stored) | set(expected)):
        if key not in stored:
            problems.append(f"meta row {key} is missing (deleted {_BEHIND})")
        elif key not in expected:
            problems.append(f"meta row {key} is not recorded by any event (inserted {_BEHIND})")
        elif stored[key] != expected[key]:
            problems.append(f"meta row {key}: is {stored[key]!r} but the events give {expected[key]!r} "
                            f"(edited {_BEHIND})")


def _same(row: dict[str, Any], approval: Approval, seq: int) -> bool:
    """A quick check that a stored row holds exactly ``approval`` (the detailed one names the column).

    First against the text the writer stores (no JSON decoding: 100,000 rows in
    a studio ledger); a row that differs only in how its JSON or dates are
    spelled still counts as the same approval, as it always has.
    """
    try:
        if set(row) != _COLUMNS or row["last_seq"] != seq:
            return False
        return written_as(row, approval) or direct_approval(row) == approval
    except (TypeError, ValueError, KeyError, AttributeError):
        return False


def _check_approvals(db: Any, state: State, last_seq: dict[str, int], problems: list[str],
                     rows: list[tuple[Any, ...]] | None, from_rows: dict[str, Approval]) -> None:
    if rows is None:  # a column added or dropped: every row the long way
        _report_rows(db.query(f"SELECT * FROM {schema.APPROVALS}"), _derived(state, last_seq), problems)
        return
    # A row that proved its grant (from_rows) and whose approval nothing changed since is right.
    # Any other row is first compared as the tuple of stored text the writer would write for its
    # approval (no dict, no JSON decoding); only a row that differs gets a closer look.
    odd: list[dict[str, Any]] = []
    derived: dict[str, tuple[Approval, int]] | None = None
    for row in rows:
        approval = from_rows.get(row[0])
        if approval is not None:
            key = row[0].casefold()
            if state.get(key) is approval and last_seq[key] == row[16]:
                continue
        if derived is None:
            derived = _derived(state, last_seq)
        found = derived.get(row[0])
        if found is None or row[16] != found[1] or row[:16] != approval_text(found[0]):
            odd.append(dict(zip(schema.APPROVAL_COLUMNS, row)))
    if odd or len(rows) != len(state):
        derived = derived or _derived(state, last_seq)
        present = {row[0] for row in rows}
        named = {str(r["ref"]) for r in odd}
        _report_rows(odd, {ref: found for ref, found in derived.items() if ref not in present or ref in named},
                     problems)


def _derived(state: State, last_seq: dict[str, int]) -> dict[str, tuple[Approval, int]]:
    return {a.ref: (a, last_seq[key]) for key, a in state.items()}


_QUOTED = tuple(f'"{c}"' for c in schema.APPROVAL_COLUMNS)


def _report_rows(rows: list[dict[str, Any]], derived: dict[str, tuple[Approval, int]], problems: list[str]) -> None:
    """Name each missing, extra or different row (by ref, in order); a row spelled differently but equal passes."""
    stored: dict[str, dict[str, Any]] = {}
    for row in rows:
        stored[str(row.get("ref"))] = row
    for ref in sorted(set(derived) | set(stored)):
        if ref not in stored:
            problems.append(f"approvals row {ref} is missing (deleted {_BEHIND})")
        elif ref not in derived:
            problems.append(f"approvals row {ref} has no events (inserted {_BEHIND})")
        elif not _same(stored[ref], *derived[ref]):
            row, want = stored[ref], approval_row(*derived[ref])
            for column in sorted(set(row) | set(want)):
                if row.get(column) != want.get(column):
                    problems.append(f"approvals row {ref}: {column} is {row.get(column)!r} but replaying the "
                                    f"events gives {want.get(column)!r}")
                    break
