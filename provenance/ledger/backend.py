"""Where the ledger's rows live: one SQLite file, or a PostgreSQL database.

A backend speaks a small common dialect: ``?`` placeholders, rows as dicts,
``write()`` for the one transaction that appends (holding the store's append
lock, so the chain stays linear) and ``snapshot()`` for a read transaction in
which every SELECT sees the same committed state. The ledger logic above it
(chain, verify, import) is the same for both.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .model import LedgerError

BUSY_TIMEOUT_S = 30.0
DEFAULT_NAME = "provenance.db"
PG_SCHEMES = ("postgresql", "postgres")
ENV_VAR = "PROVENANCE_LEDGER"
_STREAM_CHUNK = 1000  # rows per chunk when PostgreSQL streams a result


def is_url(location: str) -> bool:
    return str(location).split("://", 1)[0].lower() in PG_SCHEMES and "://" in str(location)


def redact(location: str) -> str:
    """The location with any password replaced, safe for messages, logs and reports."""
    text = str(location)
    if "://" not in text:
        return text
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:
        return text.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _scrub(message: str, location: str) -> str:
    """An error text with the URL's password (raw or percent-decoded) removed."""
    text = str(message)
    try:
        secret = urllib.parse.urlsplit(location).password if "://" in location else None
    except ValueError:
        secret = None
    for token in {secret, urllib.parse.quote(secret or "", safe="")} - {None, ""}:
        text = text.replace(str(token), "***")
    return " ".join(text.split())  # one line: server messages come with newlines


class SQLiteBackend:
    kind = "sqlite"

    def __init__(self, path: Path, *, read_only: bool) -> None:
        self.path = path
        self.display = str(path)
        self.read_only = read_only
        if read_only:
            # Readers (the audit) write nothing, not even the switch to WAL mode.
            conn = sqlite3.connect(f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT_S)
        else:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
        self.db = Database(conn)
        self._depth = 0
        try:
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if not read_only:
                self.db.enable_wal()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise LedgerError(f"{path} is not a usable ledger ({exc}); pass the path of a provenance ledger") from None

    @classmethod
    def wrap(cls, conn: sqlite3.Connection, path: Path) -> SQLiteBackend:
        """A read-only backend over an open connection (an in-memory snapshot of ``path``)."""
        store = cls.__new__(cls)
        store.path, store.display, store.read_only, store._depth = path, str(path), True, 0
        store.db = Database(conn)
        return store

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row)) for row in cursor]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as tuples, in the SELECT's column order: verify reads 100,000 of them, a dict each would cost."""
        return self.conn.execute(sql, list(params)).fetchall()

    def iter_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples, read as they are iterated; no other query on this store until the end."""
        return iter(self.conn.execute(sql, list(params)))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def table_names(self) -> set[str]:
        return set(self.db.table_names())

    def columns(self, table: str) -> set[str]:
        return {c.name for c in self.db[table].columns}

    def trigger_names(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        # BEGIN IMMEDIATE takes SQLite's write lock before the head is read:
        # concurrent writers queue (busy timeout) instead of forking the chain.
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"cannot write {self.display} ({exc}); nothing was recorded") from None
        self._depth += 1
        try:
            yield
            # COMMIT inside the try: a full disk can fail the commit itself, and the
            # transaction must still be rolled back rather than left open.
            self.db.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.rollback()
            if isinstance(exc, sqlite3.OperationalError):
                # Disk full, I/O error, lock timeout: SQLite's journal keeps the file whole.
                raise LedgerError(f"cannot write {self.display} ({exc}); nothing was recorded") from None
            raise
        finally:
            self._depth -= 1

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: in WAL mode every SELECT in it sees the same commit."""
        if self._depth or self.conn.in_transaction:
            yield  # already inside a transaction, which is one snapshot
            return
        self.db.execute("BEGIN")
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("COMMIT" if self.conn.in_transaction else "SELECT 1")

    def close(self) -> None:
        self.db.close()


class PostgresBackend:
    kind = "postgresql"

    def __init__(self, url: str, *, read_only: bool) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row, tuple_row
        except ImportError:
            raise LedgerError("a PostgreSQL ledger needs psycopg; install provenance[postgres]") from None
        self._psycopg, self._tuple_row = psycopg, tuple_row
        self.url = url
        self.display = redact(url)
        self.read_only = read_only
        self._depth = 0
        try:
            self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=10)
        except (psycopg.Error, ValueError) as exc:
            raise LedgerError(f"cannot connect to the ledger {self.display}: {_scrub(exc, url)}; "
                              f"check the URL, that the server runs, and the credentials") from None
        self.conn.execute("SET lock_timeout = '30s'")

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.conn.execute(self._sql(sql), list(params) or None)
        except self._psycopg.Error as exc:
            raise self._error(exc) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self.execute(sql, params).fetchall())

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as tuples, in the SELECT's column order, fetched in one round trip."""
        try:
            with self.conn.cursor(row_factory=self._tuple_row) as cur:
                cur.execute(self._sql(sql), list(params) or None)
                return cur.fetchall()
        except self._psycopg.Error as exc:
            raise self._error(exc) from None

    def iter_rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples, streamed in chunks while they are iterated; no other query on this store until the end.

        The server keeps sending while the caller works through a chunk (verify's 100,000 events:
        0.15–0.2 s less than waiting for the whole result first). Needs libpq 17 or later, which
        psycopg[binary] bundles; older libpq streams row by row, which is correct but slower.
        """
        try:
            with self.conn.cursor(row_factory=self._tuple_row) as cur:
                yield from cur.stream(self._sql(sql), list(params) or None, size=_STREAM_CHUNK)
        except self._psycopg.Error as exc:
            raise self._error(exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        except self._psycopg.Error as exc:
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> Exception:
        if isinstance(exc, self._psycopg.errors.RaiseException | self._psycopg.errors.IntegrityError):
            return exc  # a guard trigger or a constraint: the caller (or a test) sees the database's own refusal
        return LedgerError(f"ledger {self.display}: {_scrub(exc, self.url)}; nothing was recorded")

    def table_names(self) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {r["table_name"] for r in rows}

    def columns(self, table: str) -> set[str]:
        rows = self.query("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                          "AND table_name = ?", [table])
        return {r["column_name"] for r in rows}

    def trigger_names(self) -> set[str]:
        rows = self.query("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D'")
        return {r["tgname"] for r in rows}

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        self.execute("BEGIN")
        self._depth += 1
        try:
            # One append at a time per ledger (schema): the lock is held to COMMIT,
            # so the head read next is the real head and the chain stays linear.
            self.execute("SELECT pg_advisory_xact_lock(hashtext('provenance-ledger:' || current_schema()))")
            yield
            self.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth -= 1

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        # REPEATABLE READ: every statement of the transaction sees the snapshot of its first one.
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            with contextlib.suppress(Exception):
                self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


Backend = SQLiteBackend | PostgresBackend


def resolve_location(cli_value: str | os.PathLike[str] | None) -> str:
    """--ledger, else $PROVENANCE_LEDGER, else ./provenance.db; a URL stays a string."""
    if cli_value:
        return str(cli_value)
    env = os.environ.get(ENV_VAR)
    return env if env else str(Path.cwd() / DEFAULT_NAME)


def connect(location: str | os.PathLike[str], *, create: bool, read_only: bool) -> Backend:
    text = str(location)
    if is_url(text):
        return PostgresBackend(text, read_only=read_only)
    if "://" in text:
        raise LedgerError(f"ledger location {redact(text)!r} is not a file path or a postgresql:// URL; "
                          f"pass e.g. approvals.db or postgresql://user@host/db")
    target = Path(text)
    if target.is_dir():
        raise LedgerError(f"ledger path {target} is a folder; pass a file path, e.g. {target / DEFAULT_NAME}")
    if not create and not target.exists():
        raise LedgerError(f"no ledger at {target}; run `provenance ledger init` there, or pass --ledger PATH "
                          f"or set {ENV_VAR}")
    if create and not target.parent.is_dir():
        raise LedgerError(f"folder {target.parent} does not exist; create it first or pick another --ledger path")
    return SQLiteBackend(target, read_only=read_only)
