"""Tables, triggers and migrations of the ledger, in SQLite and PostgreSQL.

Migrations are ordered functions keyed by the schema version they produce;
``Ledger.init`` runs the missing ones inside the same write transaction that
records the ``init``/``migrate`` event, so a half-migrated ledger cannot exist.
The DDL is plain SQL both stores understand, except the triggers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = 2
EVENTS = "events"
APPROVALS = "approvals"
META = "meta"
TABLES = (META, EVENTS, APPROVALS)
EVENT_COLUMNS_V1 = ("seq", "ts", "actor", "event_type", "ref", "payload_json", "prev_hash", "hash")
SIGNATURE_COLUMNS = ("key_id", "signed_at", "signature")  # added by v2

APPROVAL_COLUMNS: tuple[str, ...] = (
    "ref", "title", "scopes_json", "categories_json", "use", "approver", "role", "org", "approved_on",
    "valid_until", "document", "document_sha256", "conditions", "revoked", "revoked_reason", "superseded_by",
    "last_seq",
)
_APPROVAL_NOT_NULL = {"scopes_json", "categories_json", "use", "approver", "approved_on", "revoked", "last_seq"}
_INTEGER = {"seq", "revoked", "last_seq"}

# Guards against casual edits (a stray UPDATE in a SQL shell). They are not
# the tamper evidence: anyone can drop them, which is why verify recomputes
# everything from the hash chain and also reports a missing trigger.
_GUARDS: dict[str, tuple[str, str, str]] = {
    "events_no_update": ("UPDATE", EVENTS, "ledger events are append-only"),
    "events_no_delete": ("DELETE", EVENTS, "ledger events are append-only"),
    "approvals_no_delete": ("DELETE", APPROVALS, "approvals are revoked, never deleted"),
    "meta_no_delete": ("DELETE", META, "ledger metadata cannot be deleted"),
}
TRIGGERS = tuple(_GUARDS)


def _column(name: str, not_null: bool, pk: bool = False) -> str:
    kind = "BIGINT" if name in _INTEGER else "TEXT"
    return f'"{name}" {kind}' + (" PRIMARY KEY" if pk else "") + (" NOT NULL" if not_null and not pk else "")


def _v1(db: Any) -> None:
    db.execute(f"CREATE TABLE {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    cols = ", ".join(_column(c, c != "seq", pk=c == "seq") for c in EVENT_COLUMNS_V1)
    db.execute(f"CREATE TABLE {EVENTS} ({cols})")
    db.execute(f"CREATE INDEX events_ref ON {EVENTS} (ref)")
    cols = ", ".join(_column(c, c in _APPROVAL_NOT_NULL, pk=c == "ref") for c in APPROVAL_COLUMNS)
    db.execute(f"CREATE TABLE {APPROVALS} ({cols})")


def _v2(db: Any) -> None:
    # Signed events: who signed (the public key), when, and the signature.
    # Events written before v2 keep NULLs here and their hashes unchanged.
    for column in SIGNATURE_COLUMNS:
        db.execute(f"ALTER TABLE {EVENTS} ADD COLUMN {column} TEXT")
    db.execute(f"CREATE INDEX events_signature ON {EVENTS} (signature)")


MIGRATIONS: dict[int, Callable[[Any], None]] = {1: _v1, 2: _v2}


def create_triggers(db: Any) -> None:
    present = db.trigger_names()
    if db.kind == "sqlite":
        for name, (action, table, message) in _GUARDS.items():
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    db.execute("CREATE OR REPLACE FUNCTION provenance_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$")
    for name, (action, table, message) in _GUARDS.items():
        if name not in present:
            db.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")  # a disabled one is replaced
            db.execute(f"CREATE TRIGGER {name} BEFORE {action} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION provenance_ledger_refuse('{message}')")


def migrate(db: Any, current: int, target: int = SCHEMA_VERSION) -> None:
    """Bring the schema from ``current`` to ``target``; the caller holds the write lock."""
    for version in range(current + 1, target + 1):
        MIGRATIONS[version](db)
    create_triggers(db)
