"""The ledger: approvals as events in one SQLite file or one PostgreSQL database.

Every write runs in the backend's write transaction, which takes the store's
append lock (SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock) before
the chain head and the current state are read: concurrent processes queue
instead of forking the chain or losing a write. Reads that must agree with
each other (verify, the audit) run in one snapshot.
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import schema
from .backend import ENV_VAR, Backend, SQLiteBackend, connect, resolve_location
from .chain import (
    State,
    amend_payload,
    apply_event,
    approval_row,
    canonical,
    event_hash,
    grant_payload,
    row_to_approval,
)
from .io import (
    ImportRecord,
    parse_record,
    read_records,
    resolve_document,
    supersession_order,
)
from .model import (
    Approval,
    LedgerError,
    LedgerEvent,
    Scope,
    Signed,
    VerifyResult,
    build_approval,
    parse_ref,
)
from .signing import Approver, SigningKey
from .verify import verify_ledger

if TYPE_CHECKING:
    from .bundle import SignedRecord

Clock = Callable[[], datetime.datetime]
_SCOPE_ARGS = {"sha256": "sha256", "path": "path", "c2pa_instance": "c2pa-instance"}


def resolve_ledger_path(cli_value: str | os.PathLike[str] | None) -> str:
    """--ledger, else $PROVENANCE_LEDGER, else ./provenance.db: a file path or a postgresql:// URL."""
    return resolve_location(cli_value)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return os.environ.get("PROVENANCE_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _many(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def open_ledger(location: str | os.PathLike[str], *, create: bool = False, clock: Clock | None = None,
                read_only: bool = False, schema_version: int = schema.SCHEMA_VERSION) -> Ledger:
    """Open (or with ``create`` make and initialise) the ledger at a file path or postgresql:// URL.

    ``read_only`` is for readers such as the audit: nothing is written, not
    even the switch to WAL mode or a migration, so a ledger kept beside a
    delivery stays byte-identical. ``schema_version`` below the current one
    builds an old ledger (for migration tests).
    """
    store = connect(location, create=create, read_only=read_only)
    ledger = Ledger(store, clock)
    try:
        if create:
            ledger.init(schema_version)
        else:
            ledger.check_schema()
    except sqlite3.DatabaseError as exc:
        store.close()
        raise LedgerError(f"{store.display} is not a usable ledger ({exc}); pass the path of a provenance "
                          f"ledger") from None
    except BaseException:
        store.close()
        raise
    return ledger


class Ledger:
    """Approvals as an append-only, hash-chained event log with a derived state table."""

    def __init__(self, store: Backend, clock: Clock | None = None) -> None:
        self.store = store
        self.location = store.display  # never holds a password
        self.path: Path | str = store.path if isinstance(store, SQLiteBackend) else store.display
        self._clock = clock or _utcnow
        self.version = 0
        self._head: tuple[int, str] | None = None  # the chain head while a write transaction runs
        self._events: list[tuple[tuple[str, ...], list[Any]]] = []  # appended, not yet written (see _flush)
        self._rows: dict[str, dict[str, Any]] = {}

    @property
    def db(self) -> Any:
        """The SQLite database (sqlite-utils) or the PostgreSQL backend: for tests and repairs."""
        return self.store.db if isinstance(self.store, SQLiteBackend) else self.store

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _schema_version(self) -> int:
        if schema.META not in self.store.table_names():
            return 0
        rows = self.store.query(f"SELECT value FROM {schema.META} WHERE key = 'schema_version'")
        return int(rows[0]["value"]) if rows else 0

    def check_schema(self) -> None:
        version = self._schema_version()
        if version == 0:
            raise LedgerError(f"{self.location} is not an initialised ledger; run `provenance ledger init`")
        if version > schema.SCHEMA_VERSION:
            raise LedgerError(f"{self.location} has ledger schema {version}, newer than this provenance "
                              f"understands ({schema.SCHEMA_VERSION}); upgrade provenance")
        self.version = version
        if version < schema.SCHEMA_VERSION and not self.store.read_only:
            self.init()

    def init(self, target: int = schema.SCHEMA_VERSION) -> None:
        """Create or migrate the schema; idempotent, and restores dropped triggers."""
        with self._write():
            version = self._schema_version()
            if version > schema.SCHEMA_VERSION:
                raise LedgerError(f"{self.location} has ledger schema {version}; upgrade provenance")
            target = max(target, version)
            schema.migrate(self.store, version, target)
            if version == target:
                self.version = version
                return
            self.version = target
            now = self._now()
            if version == 0:
                self._append_raw("init", "", {"schema_version": target, "created": now}, _actor(None))
                for key, value in (("created", now), ("schema_version", str(target))):
                    self.store.execute(f"INSERT INTO {schema.META} (key, value) VALUES (?, ?)", [key, value])
            else:
                self._append_raw("migrate", "", {"from": version, "to": target}, _actor(None))
                self.store.execute(f"UPDATE {schema.META} SET value = ? WHERE key = 'schema_version'",
                                   [str(target)])

    # -- writing ---------------------------------------------------------
    def _now(self) -> str:
        return self._clock().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _today(self) -> datetime.date:
        return self._clock().astimezone(datetime.UTC).date()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        if self.store.read_only:
            raise LedgerError(f"{self.location} was opened read-only; nothing was recorded")
        self._head = None
        self._events: list[tuple[tuple[str, ...], list[Any]]] = []
        self._rows: dict[str, dict[str, Any]] = {}
        try:
            with self.store.write():
                yield
                self._flush()
        finally:
            self._head, self._events, self._rows = None, [], {}

    def _flush(self) -> None:
        """Write the buffered events and approvals rows in batches (one round trip each on PostgreSQL).

        Nothing in a write reads events or approvals back after appending, so
        they can wait for the end of the transaction.
        """
        start = 0
        while start < len(self._events):
            columns = self._events[start][0]
            end = start
            while end < len(self._events) and self._events[end][0] == columns:
                end += 1
            self.store.executemany(f"INSERT INTO {schema.EVENTS} ({', '.join(columns)}) "
                                   f"VALUES ({', '.join('?' * len(columns))})",
                                   [values for _, values in self._events[start:end]])
            start = end
        if self._rows:
            first = next(iter(self._rows.values()))
            cols = ", ".join(f'"{c}"' for c in first)
            updates = ", ".join(f'"{c}" = excluded."{c}"' for c in first if c != "ref")
            self.store.executemany(f"INSERT INTO {schema.APPROVALS} ({cols}) VALUES ({', '.join('?' * len(first))}) "
                                   f"ON CONFLICT (ref) DO UPDATE SET {updates}",
                                   [list(row.values()) for row in self._rows.values()])
        self._events, self._rows = [], {}

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """One consistent read: verify, head and approvals inside it see the same commit."""
        return self.store.snapshot()

    def _append_raw(self, event_type: str, ref: str, payload: dict[str, Any], actor: str,
                    signed: Signed | None = None) -> int:
        if self._head is None:
            rows = self.store.query(f"SELECT seq, hash FROM {schema.EVENTS} ORDER BY seq DESC LIMIT 1")
            self._head = (rows[0]["seq"], rows[0]["hash"]) if rows else (0, "")
        seq, prev = self._head[0] + 1, self._head[1]
        ts, payload_json = self._now(), canonical(payload)
        sig = (signed.key_id, signed.signed_at, signed.signature) if signed else (None, None, None)
        if signed and self.version < 2:
            raise LedgerError(f"{self.location} has schema {self.version}, which cannot hold signatures; "
                              f"run `provenance ledger init` to migrate it")
        digest = event_hash(seq, ts, actor, event_type, ref, payload_json, prev, *sig)
        values = [seq, ts, actor, event_type, ref, payload_json, prev, digest]
        columns = schema.EVENT_COLUMNS_V1
        if self.version >= 2:
            columns += schema.SIGNATURE_COLUMNS
            values += sig
        self._events.append((columns, values))
        self._head = (seq, digest)
        return seq

    def _put_approval(self, approval: Approval, seq: int) -> None:
        self._rows.pop(approval.ref, None)  # re-inserted last: rows are written in the order they last changed
        self._rows[approval.ref] = approval_row(approval, seq)

    def _load(self, refs: Iterable[str]) -> State:
        keys = sorted({r.casefold() for r in refs if r})
        state: State = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.store.query(f"SELECT * FROM {schema.APPROVALS} WHERE lower(ref) IN ({marks})", chunk):
                approval = row_to_approval(row)
                state[approval.ref.casefold()] = approval
        return state

    def _apply(self, state: State, event_type: str, ref: str, payload: dict[str, Any], actor: str,
               signing_key: SigningKey | None = None, signed: Signed | None = None) -> Approval:
        changed = apply_event(state, event_type, ref, payload)
        if signing_key is not None and signed is None:
            signed = signing_key.sign(event_type, ref, payload, self._now())
        seq = self._append_raw(event_type, ref, payload, actor, signed)
        for key, approval in changed.items():
            state[key] = approval
            self._put_approval(approval, seq)
        return state[ref.casefold()]

    def _scopes(self, scopes: Iterable[Any], kwargs: dict[str, Any]) -> list[Any]:
        out = list(scopes)
        for arg, kind in _SCOPE_ARGS.items():
            out += [Scope.parse(kind, v) for v in _many(kwargs.pop(arg, None))]
        return out

    def add(self, ref: str, *, approver: str, categories: str | Iterable[str] = (), scopes: Iterable[Any] = (),
            sha256: str | Iterable[str] | None = None, path: str | Iterable[str] | None = None,
            c2pa_instance: str | Iterable[str] | None = None, title: str | None = None, use: str = "final",
            role: str | None = None, org: str | None = None,
            approved_on: str | datetime.date | None = None, valid_until: str | datetime.date | None = None,
            document: str | os.PathLike[str] | None = None, document_sha256: str | None = None,
            conditions: str | None = None, actor: str | None = None,
            signing_key: SigningKey | None = None) -> Approval:
        """Grant an approval. ``document`` is read and hashed unless ``document_sha256`` is given."""
        parse_ref(ref)  # the reference is the first thing a user checks an error against
        all_scopes = self._scopes(scopes, {"sha256": sha256, "path": path, "c2pa_instance": c2pa_instance})
        doc, doc_sha = resolve_document(document, document_sha256, Path.cwd())
        approval = build_approval(
            ref=ref, title=title, scopes=all_scopes, categories=_many(categories), use=use, approver=approver,
            role=role, org=org, approved_on=approved_on or self._today(), valid_until=valid_until,
            document=doc, document_sha256=doc_sha, conditions=conditions)
        with self._write():
            state = self._load([approval.ref])
            return self._apply(state, "grant", approval.ref, grant_payload(approval), _actor(actor), signing_key)

    def amend(self, ref: str, *, reason: str | None = None, actor: str | None = None,
              signing_key: SigningKey | None = None, **changes: Any) -> Approval:
        """Change granted fields. Scope arguments (scopes/sha256/path/c2pa_instance) replace all scopes."""
        if any(k in changes for k in ("scopes", *_SCOPE_ARGS)):
            changes["scopes"] = [s.to_dict() for s in self._scopes(changes.pop("scopes", ()), changes)]
        if "categories" in changes:
            changes["categories"] = _many(changes["categories"])
        if "document" in changes or "document_sha256" in changes:
            changes["document"], changes["document_sha256"] = resolve_document(
                changes.get("document"), changes.get("document_sha256"), Path.cwd())
        for key in ("approved_on", "valid_until"):
            if isinstance(changes.get(key), datetime.date):
                changes[key] = changes[key].isoformat()
        with self._write():
            state = self._load([ref])
            current = state.get(ref.casefold())
            if current is None or current.ref != ref:
                apply_event(state, "amend", ref, {})  # raises the standard "no approval" error
            payload = amend_payload(current, changes, reason)  # type: ignore[arg-type]
            return self._apply(state, "amend", ref, payload, _actor(actor), signing_key)

    def revoke(self, ref: str, reason: str, *, actor: str | None = None,
               signing_key: SigningKey | None = None) -> Approval:
        with self._write():
            return self._apply(self._load([ref]), "revoke", ref, {"reason": reason}, _actor(actor), signing_key)

    def supersede(self, old_ref: str, new_ref: str, *, reason: str | None = None,
                  actor: str | None = None, signing_key: SigningKey | None = None) -> Approval:
        """Mark ``old_ref`` as replaced by ``new_ref`` (which must already be granted)."""
        payload: dict[str, Any] = {"by": new_ref}
        if reason:
            payload["reason"] = reason
        with self._write():
            return self._apply(self._load([old_ref, new_ref]), "supersede", old_ref, payload, _actor(actor),
                               signing_key)

    def import_records(self, records: Iterable[Mapping[str, Any] | tuple[str, Mapping[str, Any]]], *,
                       base_dir: Path | None = None, actor: str | None = None,
                       signing_key: SigningKey | None = None) -> list[Approval]:
        """All or nothing: every record is validated and applied in one transaction."""
        parsed: list[ImportRecord] = []
        for number, item in enumerate(records, 1):
            label, raw = item if isinstance(item, tuple) else (f"record {number}", item)
            parsed.append(parse_record(raw, label, self._today(), base_dir))
        who = _actor(actor)
        refs = [r.approval.ref for r in parsed] + [r.superseded_by or "" for r in parsed]
        with self._write():
            state = self._load(refs)
            for record in parsed:
                self._labelled(record, state, "grant", grant_payload(record.approval), who, signing_key)
            # Supersessions after every grant (the newer approval may come later
            # in the file) and before revocations, which would refuse them.
            for record in supersession_order([r for r in parsed if r.superseded_by]):
                self._labelled(record, state, "supersede", {"by": record.superseded_by}, who, signing_key)
            for record in parsed:
                if record.revoked_reason:
                    self._labelled(record, state, "revoke", {"reason": record.revoked_reason}, who, signing_key)
        return [state[r.approval.ref.casefold()] for r in parsed]

    def _labelled(self, record: ImportRecord, state: State, event_type: str, payload: dict[str, Any],
                  actor: str, signing_key: SigningKey | None) -> None:
        try:
            self._apply(state, event_type, record.approval.ref, payload, actor, signing_key)
        except LedgerError as exc:
            raise LedgerError(f"{record.label}, field ref: {exc}") from None

    def import_file(self, path: str | os.PathLike[str], *, actor: str | None = None,
                    signing_key: SigningKey | None = None) -> list[Approval]:
        source = Path(path)
        return self.import_records(read_records(source), base_dir=source.parent, actor=actor,
                                   signing_key=signing_key)

    def import_signed(self, records: Sequence[SignedRecord], approvers: Mapping[str, Approver], *,
                      actor: str | None = None) -> tuple[int, int]:
        """Signed events from a bundle, all or nothing; returns (appended, already present)."""
        from .bundle import apply_signed

        with self._write():
            return apply_signed(self, records, approvers, _actor(actor))

    def export_records(self) -> list[dict[str, Any]]:
        return [a.to_dict() for a in self.approvals()]

    # -- reading ---------------------------------------------------------
    def approvals(self) -> list[Approval]:
        rows = self.store.query(f"SELECT * FROM {schema.APPROVALS}")
        # Sorted here, not by the database: PostgreSQL's collation would order refs unlike SQLite.
        return sorted((row_to_approval(row) for row in rows), key=lambda a: a.ref)

    def get(self, ref: str) -> Approval:
        found = self._load([ref]).get(ref.casefold())
        if found is None:
            raise LedgerError(f"no approval {ref!r} in the ledger; check the reference with `provenance ledger list`")
        return found

    def history(self, ref: str) -> list[LedgerEvent]:
        approval = self.get(ref)
        rows = self.store.query(f"SELECT * FROM {schema.EVENTS} WHERE ref = ? OR event_type = 'supersede' "
                                f"ORDER BY seq", [approval.ref])
        events = [_event(row) for row in rows]
        return [e for e in events if e.ref == approval.ref or e.payload.get("by") == approval.ref]

    def events(self) -> list[LedgerEvent]:
        return [_event(row) for row in self.store.query(f"SELECT * FROM {schema.EVENTS} ORDER BY seq")]

    def head_hash(self) -> str:
        rows = self.store.query(f"SELECT hash FROM {schema.EVENTS} ORDER BY seq DESC LIMIT 1")
        return rows[0]["hash"] if rows else ""

    def verify(self, expect_head: str | None = None, *, checkpoint: str | None = None,
               approvers: Mapping[str, Approver] | None = None) -> VerifyResult:
        with self.snapshot():
            return verify_ledger(self.store, expect_head, checkpoint=checkpoint, approvers=approvers)


def _event(row: dict[str, Any]) -> LedgerEvent:
    signed = Signed(row["key_id"], row["signed_at"], row["signature"]) if row.get("signature") else None
    return LedgerEvent(seq=row["seq"], ts=row["ts"], actor=row["actor"], event_type=row["event_type"],
                       ref=row["ref"], payload=json.loads(row["payload_json"]), prev_hash=row["prev_hash"],
                       hash=row["hash"], signed=signed)
