"""The event chain: canonical hashing and the fold from events to current state.

Pure functions shared by the writer (to check an event before appending it)
and by ``verify`` (to replay the whole log), so both apply identical rules.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from json.encoder import (
    encode_basestring as _json_str,  # json's own string quoting (ensure_ascii=False)
)
from typing import Any

from . import schema
from .model import (
    GRANT_FIELDS,
    Approval,
    LedgerError,
    Scope,
    build_approval,
    parse_ref,
    parse_text,
)
from .normal import normal_grant

EVENT_TYPES = ("init", "migrate", "grant", "amend", "revoke", "supersede")
AMENDABLE = tuple(f for f in GRANT_FIELDS if f != "ref")

# Current state keyed by ref.casefold(): refs differing only in case would
# read as the same approval on paper, so the ledger refuses the second one.
State = dict[str, Approval]


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(seq: int, ts: str, actor: str, event_type: str, ref: str, payload_json: str,
               prev_hash: str, key_id: str | None = None, signed_at: str | None = None,
               signature: str | None = None) -> str:
    """sha256 over every stored column of the event, the previous hash included.

    The signature columns (schema v2) join the material only when the event is
    signed, so every unsigned event, v1 ledgers' included, keeps its hash.
    """
    signed = bool(key_id or signed_at or signature)
    try:
        # canonical(fields), spelled directly: verify hashes every event (100,000 in a
        # studio ledger), and json.dumps with options builds a new encoder per call.
        # _json_str is json's own string quoting and refuses anything but a str (TypeError).
        if type(seq) is not int:
            raise TypeError(seq)
        text = _EVENT_TEXT % (seq, _json_str(ts), _json_str(actor), _json_str(event_type), _json_str(ref),
                              _json_str(payload_json), _json_str(prev_hash))
        if signed:
            text = text[:-1] + "," + ",".join(["null" if v is None else _json_str(v)
                                               for v in (key_id, signed_at, signature)]) + "]"
    except TypeError:
        fields: list[Any] = [seq, ts, actor, event_type, ref, payload_json, prev_hash]
        if signed:
            fields += [key_id, signed_at, signature]
        text = canonical(fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_EVENT_TEXT = "[%d,%s,%s,%s,%s,%s,%s]"


def grant_payload(approval: Approval) -> dict[str, Any]:
    data = approval.to_dict()
    return {k: data[k] for k in AMENDABLE}


def amend_payload(current: Approval, changes: dict[str, Any], reason: str | None) -> dict[str, Any]:
    """Validate changes against ``current``; keep only the fields that really change."""
    unknown = sorted(set(changes) - set(AMENDABLE))
    if unknown:
        raise LedgerError(f"cannot amend {', '.join(unknown)}; amendable fields are: {', '.join(AMENDABLE)}")
    merged = {k: v for k, v in current.to_dict().items() if k in GRANT_FIELDS}
    merged.update(changes)
    after = grant_payload(build_approval(**merged))
    before = grant_payload(current)
    diff = {k: after[k] for k in AMENDABLE if after[k] != before[k]}
    if not diff:
        raise LedgerError(f"amend of {current.ref} changes nothing; pass at least one new value")
    payload: dict[str, Any] = {"changes": diff}
    if parse_text(reason):
        payload["reason"] = parse_text(reason)
    return payload


def _existing(state: State, ref: str) -> Approval:
    found = state.get(ref.casefold())
    if found is None or found.ref != ref:
        raise LedgerError(f"no approval {ref!r} in the ledger; check the reference with `provenance ledger list`")
    return found


def _writable(approval: Approval, action: str) -> None:
    if approval.revoked:
        raise LedgerError(f"{approval.ref} is revoked and cannot be {action}; grant a new approval instead")
    if approval.superseded_by:
        raise LedgerError(f"{approval.ref} is superseded by {approval.superseded_by} and cannot be {action}; "
                          f"work on {approval.superseded_by} instead")


def apply_event(state: State, event_type: str, ref: str, payload: dict[str, Any], *,
                strict: bool = True) -> State:
    """The approvals one event changes (keyed like ``state``); raises LedgerError if it is not allowed.

    ``strict=False`` is for replaying a stored log (``verify``): ledgers written
    before the rule may hold a supersession by an already superseded approval.
    That alone leaves a resolvable chain; a cycle is reported by
    :func:`supersession_cycles` instead.
    """
    if event_type in ("init", "migrate"):
        return {}
    if event_type == "grant":
        ref = parse_ref(ref)
        clash = state.get(ref.casefold())
        if clash is not None:
            raise LedgerError(f"approval {clash.ref} already exists; use `provenance ledger amend {clash.ref}` "
                              f"or pick a new reference")
        # A payload as the writer stores it is read directly (verify replays every grant);
        # anything else is validated field by field. Both give the same Approval.
        return {ref.casefold(): normal_grant(ref, payload) or build_approval(ref=ref, **payload)}
    current = _existing(state, ref)
    if event_type == "amend":
        _writable(current, "amended")
        merged = {k: v for k, v in current.to_dict().items() if k in GRANT_FIELDS}
        merged.update(payload["changes"])
        return {ref.casefold(): build_approval(**merged)}
    if event_type == "revoke":
        if current.revoked:
            raise LedgerError(f"{ref} is already revoked; nothing to do")
        reason = parse_text(payload.get("reason"))
        if not reason:
            raise LedgerError(f"revoking {ref} needs a reason; pass --reason TEXT")
        return {ref.casefold(): current.evolve(revoked=True, revoked_reason=reason)}
    if event_type == "supersede":
        _writable(current, "superseded")
        new = _existing(state, parse_ref(payload.get("by", "")))
        if new.ref.casefold() == ref.casefold():
            raise LedgerError(f"{ref} cannot supersede itself; pass the newer approval's reference to --by")
        if new.revoked:
            raise LedgerError(f"{new.ref} is revoked and cannot replace {ref}; grant a new approval first")
        if new.superseded_by and strict:
            if new.superseded_by.casefold() == ref.casefold():
                raise LedgerError(f"{new.ref} is superseded by {ref}, so {ref} cannot supersede it back (a cycle "
                                  f"leaves neither in force); grant a new approval to replace {ref}")
            raise LedgerError(f"{new.ref} is itself superseded by {new.superseded_by}; supersede {ref} by the "
                              f"approval in force instead (e.g. {new.superseded_by})")
        return {ref.casefold(): current.evolve(superseded_by=new.ref)}
    raise LedgerError(f"unknown event type {event_type!r}")


def supersession_cycles(state: State) -> list[tuple[str, ...]]:
    """Each cycle of superseded_by links, as refs starting from the smallest key; none in a sound ledger."""
    cycles: list[tuple[str, ...]] = []
    if not any(a.superseded_by for a in state.values()):
        return cycles  # the usual ledger: nothing superseded, so no walk over 100,000 sorted keys
    done: set[str] = set()
    for start in sorted(state):
        path: list[str] = []
        index: dict[str, int] = {}
        key: str | None = start
        while key is not None and key in state and key not in done and key not in index:
            index[key] = len(path)
            path.append(key)
            nxt = state[key].superseded_by
            key = nxt.casefold() if nxt else None
        if key is not None and key in index:
            cycles.append(tuple(state[k].ref for k in path[index[key]:]))
        done.update(path)
    return cycles


def approval_row(approval: Approval, last_seq: int) -> dict[str, Any]:
    """The derived ``approvals`` table row: what verify recomputes and compares."""
    data = approval.to_dict()
    return {
        "ref": approval.ref,
        "title": data["title"],
        "scopes_json": canonical(data["scopes"]),
        "categories_json": canonical(data["categories"]),
        "use": data["use"],
        "approver": data["approver"],
        "role": data["role"],
        "org": data["org"],
        "approved_on": data["approved_on"],
        "valid_until": data["valid_until"],
        "document": data["document"],
        "document_sha256": data["document_sha256"],
        "conditions": data["conditions"],
        "revoked": int(approval.revoked),
        "revoked_reason": data["revoked_reason"],
        "superseded_by": data["superseded_by"],
        "last_seq": last_seq,
    }


def row_to_approval(row: dict[str, Any]) -> Approval:
    """The approval a stored row holds.

    A row exactly as this tool writes it is read directly (an audit reads
    100,000 of them); anything else goes through full validation, which names
    what is wrong with a row edited by hand.
    """
    try:
        fast = direct_approval(row)
    except (TypeError, ValueError, KeyError, AttributeError):
        fast = None
    if fast is not None and written_as(row, fast):
        return fast
    return _validated(row)


_ROW_COLUMNS = frozenset(schema.APPROVAL_COLUMNS)


def written_as(row: dict[str, Any], approval: Approval) -> bool:
    """True when ``row`` is exactly what ``approval_row(approval, row["last_seq"])`` writes.

    Compared as the stored text, spelled as ``approval_row`` spells it, without
    building that row (verify and the audit check 100,000 rows each).
    """
    try:
        return set(row) == _ROW_COLUMNS and stored_text(row) == approval_text(approval)
    except (TypeError, ValueError, KeyError, AttributeError):
        return False


def stored_text(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["ref"], row["title"], row["scopes_json"], row["categories_json"], row["use"], row["approver"],
            row["role"], row["org"], row["approved_on"], row["valid_until"], row["document"],
            row["document_sha256"], row["conditions"], row["revoked"], row["revoked_reason"],
            row["superseded_by"])


def approval_text(a: Approval) -> tuple[Any, ...]:
    """The columns ``approval_row`` would write, spelled the same way (scopes and categories as canonical JSON)."""
    scopes = "[" + ",".join([f'{{"kind":{_json_str(s.kind)},"value":{_json_str(s.value)}}}'
                             for s in a.scopes]) + "]"
    categories = "[" + ",".join([_json_str(c) for c in a.categories]) + "]"
    return (a.ref, a.title, scopes, categories, a.use, a.approver, a.role, a.org, a.approved_on.isoformat(),
            a.valid_until.isoformat() if a.valid_until else None, a.document, a.document_sha256, a.conditions,
            int(a.revoked), a.revoked_reason, a.superseded_by)


def direct_approval(row: dict[str, Any]) -> Approval:
    """The approval a row holds, read without validation (callers compare it with what they expect)."""
    end = row["valid_until"]
    return Approval(
        ref=row["ref"], title=row["title"],
        scopes=tuple(Scope(s["kind"], s["value"]) for s in json.loads(row["scopes_json"])),
        categories=tuple(json.loads(row["categories_json"])), use=row["use"], approver=row["approver"],
        role=row["role"], org=row["org"], approved_on=datetime.date.fromisoformat(row["approved_on"]),
        valid_until=datetime.date.fromisoformat(end) if end else None, document=row["document"],
        document_sha256=row["document_sha256"], conditions=row["conditions"], revoked=bool(row["revoked"]),
        revoked_reason=row["revoked_reason"], superseded_by=row["superseded_by"])


def _validated(row: dict[str, Any]) -> Approval:
    data = {k: row[k] for k in GRANT_FIELDS if k not in ("scopes", "categories")}
    data["scopes"] = json.loads(row["scopes_json"])
    data["categories"] = json.loads(row["categories_json"])
    data.update(revoked=bool(row["revoked"]), revoked_reason=row["revoked_reason"],
                superseded_by=row["superseded_by"])
    return Approval.from_dict(data)
