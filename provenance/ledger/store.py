"""The ledger file: one SQLite database, written only by appending events.

Every write runs in ``BEGIN IMMEDIATE``: the writer takes SQLite's write lock
before it reads the chain head and the current state, so concurrent
processes queue (busy timeout) instead of forking the chain or losing a write.
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
import json
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import schema
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
from .io import ImportRecord, parse_record, read_records, resolve_document
from .model import Approval, LedgerError, LedgerEvent, Scope, VerifyResult, build_approval, parse_ref
from .verify import verify_ledger

ENV_VAR = "PROVENANCE_LEDGER"
DEFAULT_NAME = "provenance.db"
BUSY_TIMEOUT_S = 30.0
Clock = Callable[[], datetime.datetime]
_SCOPE_ARGS = {"sha256": "sha256", "path": "path", "c2pa_instance": "c2pa-instance"}


def resolve_ledger_path(cli_value: str | os.PathLike[str] | None) -> Path:
    """--ledger, else $PROVENANCE_LEDGER, else ./provenance.db."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / DEFAULT_NAME


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


def open_ledger(path: str | os.PathLike[str], *, create: bool = False, clock: Clock | None = None,
                read_only: bool = False) -> Ledger:
    """Open (or with ``create`` make and initialise) the ledger at ``path``.

    ``read_only`` is for readers such as the audit: nothing is written, not
    even the switch to WAL mode, so a ledger kept beside a delivery stays
    byte-identical.
    """
    target = Path(path)
    if target.is_dir():
        raise LedgerError(f"ledger path {target} is a folder; pass a file path, e.g. {target / DEFAULT_NAME}")
    if not create and not target.exists():
        raise LedgerError(f"no ledger at {target}; run `provenance ledger init` there, or pass --ledger PATH "
                          f"or set {ENV_VAR}")
    if create and not target.parent.is_dir():
        raise LedgerError(f"folder {target.parent} does not exist; create it first or pick another --ledger path")
    try:
        if read_only:
            conn = sqlite3.connect(f"file:{urllib.parse.quote(str(target.resolve()))}?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT_S)
        else:
            conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_S)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if not read_only:
            db.enable_wal()
        ledger = Ledger(db, target, clock)
        if create:
            ledger.init()
        else:
            ledger.check_schema()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{target} is not a usable ledger ({exc}); pass the path of a provenance ledger") from None
    return ledger


class Ledger:
    """Approvals as an append-only, hash-chained event log with a derived state table."""

    def __init__(self, db: Database, path: Path, clock: Clock | None = None) -> None:
        self.db = db
        self.path = path
        self._clock = clock or _utcnow

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _schema_version(self) -> int:
        if schema.META not in self.db.table_names():
            return 0
        row = self.db.execute(f"SELECT value FROM {schema.META} WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def check_schema(self) -> None:
        version = self._schema_version()
        if version == 0:
            raise LedgerError(f"{self.path} is not an initialised ledger; run `provenance ledger init`")
        if version > schema.SCHEMA_VERSION:
            raise LedgerError(f"{self.path} has ledger schema {version}, newer than this provenance "
                              f"understands ({schema.SCHEMA_VERSION}); upgrade provenance")
        if version < schema.SCHEMA_VERSION:
            self.init()

    def init(self) -> None:
        """Create or migrate the schema; idempotent, and restores dropped triggers."""
        with self._write():
            version = self._schema_version()
            if version > schema.SCHEMA_VERSION:
                raise LedgerError(f"{self.path} has ledger schema {version}; upgrade provenance")
            schema.migrate(self.db, version)
            if version == schema.SCHEMA_VERSION:
                return
            now = self._now()
            if version == 0:
                self._append_raw("init", "", {"schema_version": schema.SCHEMA_VERSION, "created": now}, _actor(None))
                self.db[schema.META].insert_all([{"key": "created", "value": now},
                                                 {"key": "schema_version", "value": str(schema.SCHEMA_VERSION)}])
            else:
                self._append_raw("migrate", "", {"from": version, "to": schema.SCHEMA_VERSION}, _actor(None))
                self.db.execute(f"UPDATE {schema.META} SET value = ? WHERE key = 'schema_version'",
                                [str(schema.SCHEMA_VERSION)])

    # -- writing ---------------------------------------------------------
    def _now(self) -> str:
        return self._clock().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _today(self) -> datetime.date:
        return self._clock().astimezone(datetime.UTC).date()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"cannot write {self.path} ({exc}); nothing was recorded") from None
        try:
            yield
            # COMMIT inside the try: a full disk can fail the commit itself, and the
            # transaction must still be rolled back rather than left open.
            self.db.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.db.rollback()
            if isinstance(exc, sqlite3.OperationalError):
                # Disk full, I/O error, lock timeout: SQLite's journal keeps the file whole.
                raise LedgerError(f"cannot write {self.path} ({exc}); nothing was recorded") from None
            raise

    def _append_raw(self, event_type: str, ref: str, payload: dict[str, Any], actor: str) -> int:
        head = self.db.execute(f"SELECT seq, hash FROM {schema.EVENTS} ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (head[0] + 1, head[1]) if head else (1, "")
        ts, payload_json = self._now(), canonical(payload)
        self.db[schema.EVENTS].insert({
            "seq": seq, "ts": ts, "actor": actor, "event_type": event_type, "ref": ref,
            "payload_json": payload_json, "prev_hash": prev,
            "hash": event_hash(seq, ts, actor, event_type, ref, payload_json, prev),
        })
        return seq

    def _load(self, refs: Iterable[str]) -> State:
        keys = sorted({r.casefold() for r in refs if r})
        state: State = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.db.query(f"SELECT * FROM {schema.APPROVALS} WHERE lower(ref) IN ({marks})", chunk):
                approval = row_to_approval(row)
                state[approval.ref.casefold()] = approval
        return state

    def _apply(self, state: State, event_type: str, ref: str, payload: dict[str, Any], actor: str) -> Approval:
        changed = apply_event(state, event_type, ref, payload)
        seq = self._append_raw(event_type, ref, payload, actor)
        for key, approval in changed.items():
            state[key] = approval
            self.db[schema.APPROVALS].upsert(approval_row(approval, seq), pk="ref")
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
            conditions: str | None = None, actor: str | None = None) -> Approval:
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
            return self._apply(state, "grant", approval.ref, grant_payload(approval), _actor(actor))

    def amend(self, ref: str, *, reason: str | None = None, actor: str | None = None, **changes: Any) -> Approval:
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
            return self._apply(state, "amend", ref, payload, _actor(actor))

    def revoke(self, ref: str, reason: str, *, actor: str | None = None) -> Approval:
        with self._write():
            return self._apply(self._load([ref]), "revoke", ref, {"reason": reason}, _actor(actor))

    def supersede(self, old_ref: str, new_ref: str, *, reason: str | None = None,
                  actor: str | None = None) -> Approval:
        """Mark ``old_ref`` as replaced by ``new_ref`` (which must already be granted)."""
        payload: dict[str, Any] = {"by": new_ref}
        if reason:
            payload["reason"] = reason
        with self._write():
            return self._apply(self._load([old_ref, new_ref]), "supersede", old_ref, payload, _actor(actor))

    def import_records(self, records: Iterable[Mapping[str, Any] | tuple[str, Mapping[str, Any]]], *,
                       base_dir: Path | None = None, actor: str | None = None) -> list[Approval]:
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
                self._labelled(record, state, "grant", grant_payload(record.approval), who)
            # Supersessions after every grant (the newer approval may come later
            # in the file) and before revocations, which would refuse them.
            for record in _supersession_order([r for r in parsed if r.superseded_by]):
                self._labelled(record, state, "supersede", {"by": record.superseded_by}, who)
            for record in parsed:
                if record.revoked_reason:
                    self._labelled(record, state, "revoke", {"reason": record.revoked_reason}, who)
        return [state[r.approval.ref.casefold()] for r in parsed]

    def _labelled(self, record: ImportRecord, state: State, event_type: str, payload: dict[str, Any],
                  actor: str) -> None:
        try:
            self._apply(state, event_type, record.approval.ref, payload, actor)
        except LedgerError as exc:
            raise LedgerError(f"{record.label}, field ref: {exc}") from None

    def import_file(self, path: str | os.PathLike[str], *, actor: str | None = None) -> list[Approval]:
        source = Path(path)
        return self.import_records(read_records(source), base_dir=source.parent, actor=actor)

    def export_records(self) -> list[dict[str, Any]]:
        return [a.to_dict() for a in self.approvals()]

    # -- reading ---------------------------------------------------------
    def approvals(self) -> list[Approval]:
        rows = self.db.query(f"SELECT * FROM {schema.APPROVALS} ORDER BY ref")
        return [row_to_approval(row) for row in rows]

    def get(self, ref: str) -> Approval:
        found = self._load([ref]).get(ref.casefold())
        if found is None:
            raise LedgerError(f"no approval {ref!r} in the ledger; check the reference with `provenance ledger list`")
        return found

    def history(self, ref: str) -> list[LedgerEvent]:
        approval = self.get(ref)
        rows = self.db.query(f"SELECT * FROM {schema.EVENTS} WHERE ref = ? OR (event_type = 'supersede' AND "
                             f"json_extract(payload_json, '$.by') = ?) ORDER BY seq", [approval.ref, approval.ref])
        return [_event(row) for row in rows]

    def events(self) -> list[LedgerEvent]:
        return [_event(row) for row in self.db.query(f"SELECT * FROM {schema.EVENTS} ORDER BY seq")]

    def head_hash(self) -> str:
        row = self.db.execute(f"SELECT hash FROM {schema.EVENTS} ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else ""

    def verify(self, expect_head: str | None = None) -> VerifyResult:
        return verify_ledger(self.db, expect_head)


def _supersession_order(pending: list[ImportRecord]) -> list[ImportRecord]:
    """Links of a chain in the order they can be applied: A -> B before B -> C.

    An approval can only be superseded by one that is not itself superseded,
    so a link into X goes before X's own link. Rows that cannot be ordered
    form a cycle, which is refused naming the line of its last row.
    """
    ordered: list[ImportRecord] = []
    while pending:
        targets = {r.superseded_by.casefold() for r in pending if r.superseded_by}
        ready = [r for r in pending if r.approval.ref.casefold() not in targets
                 or r.superseded_by and r.superseded_by.casefold() == r.approval.ref.casefold()]
        if not ready:
            raise _cycle_error(pending)
        ordered += ready
        pending = [r for r in pending if r not in ready]
    return ordered


def _cycle_error(stuck: list[ImportRecord]) -> LedgerError:
    # Every stuck row is superseded by another stuck row's approval; walk back from one until a row repeats.
    into: dict[str, ImportRecord] = {}
    for record in stuck:
        into.setdefault((record.superseded_by or "").casefold(), record)
    seen: list[ImportRecord] = []
    record = stuck[0]
    while record not in seen:
        seen.append(record)
        record = into[record.approval.ref.casefold()]
    cycle = seen[seen.index(record):][::-1]
    last = max(cycle, key=stuck.index)
    start = cycle.index(min(cycle, key=lambda r: r.approval.ref.casefold()))
    cycle = cycle[start:] + cycle[:start]
    names = " -> ".join([r.approval.ref for r in cycle] + [cycle[0].approval.ref])
    return LedgerError(f"{last.label}, field superseded_by: the superseded_by links form a cycle ({names}), "
                       f"which would leave none of them in force; nothing was imported, break the cycle")


def _event(row: dict[str, Any]) -> LedgerEvent:
    return LedgerEvent(seq=row["seq"], ts=row["ts"], actor=row["actor"], event_type=row["event_type"],
                       ref=row["ref"], payload=json.loads(row["payload_json"]), prev_hash=row["prev_hash"],
                       hash=row["hash"])
