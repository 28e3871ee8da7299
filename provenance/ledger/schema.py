"""Tables, triggers and migrations of the ledger file.

Migrations are ordered functions keyed by the schema version they produce;
``Ledger.init`` runs the missing ones inside the same write transaction that
records the ``init``/``migrate`` event, so a half-migrated file cannot exist.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

SCHEMA_VERSION = 1
EVENTS = "events"
APPROVALS = "approvals"
META = "meta"
TABLES = (META, EVENTS, APPROVALS)

APPROVAL_COLUMNS: dict[str, type] = {
    "ref": str, "title": str, "scopes_json": str, "categories_json": str, "use": str, "approver": str,
    "role": str, "org": str, "approved_on": str, "valid_until": str, "document": str,
    "document_sha256": str, "conditions": str, "revoked": int, "revoked_reason": str,
    "superseded_by": str, "last_seq": int,
}

# Guards against casual edits (a stray UPDATE in a SQL shell). They are not
# the tamper evidence: anyone can drop them, which is why verify recomputes
# everything from the hash chain and also reports a missing trigger.
TRIGGERS: dict[str, str] = {
    "events_no_update": f"BEFORE UPDATE ON {EVENTS} BEGIN "
                        "SELECT RAISE(ABORT, 'ledger events are append-only'); END",
    "events_no_delete": f"BEFORE DELETE ON {EVENTS} BEGIN "
                        "SELECT RAISE(ABORT, 'ledger events are append-only'); END",
    "approvals_no_delete": f"BEFORE DELETE ON {APPROVALS} BEGIN "
                           "SELECT RAISE(ABORT, 'approvals are revoked, never deleted'); END",
    "meta_no_delete": f"BEFORE DELETE ON {META} BEGIN "
                      "SELECT RAISE(ABORT, 'ledger metadata cannot be deleted'); END",
}


def _v1(db: Database) -> None:
    db[META].create({"key": str, "value": str}, pk="key", not_null={"value"})
    db[EVENTS].create(
        {"seq": int, "ts": str, "actor": str, "event_type": str, "ref": str, "payload_json": str,
         "prev_hash": str, "hash": str},
        pk="seq", not_null={"ts", "actor", "event_type", "ref", "payload_json", "prev_hash", "hash"},
    )
    db[EVENTS].create_index(["ref"], index_name="events_ref")
    db[APPROVALS].create(APPROVAL_COLUMNS, pk="ref",
                         not_null={"scopes_json", "categories_json", "use", "approver", "approved_on",
                                   "revoked", "last_seq"})


MIGRATIONS: dict[int, Callable[[Database], None]] = {1: _v1}


def create_triggers(db: Database) -> None:
    for name, body in TRIGGERS.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def migrate(db: Database, current: int) -> None:
    """Bring the schema from ``current`` to SCHEMA_VERSION; the caller holds the write lock."""
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](db)
    create_triggers(db)
