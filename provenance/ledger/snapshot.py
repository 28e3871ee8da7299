"""A read-only snapshot of a SQLite ledger that leaves even the file's atime alone.

For a ledger kept inside a delivery: SQLite opens the file itself (without
``O_NOATIME``), so even ``mode=ro`` moves the atime of the file the read-only
promise covers. Here the bytes are read through ``O_NOATIME`` descriptors and
the database is rebuilt in memory with ``sqlite3``'s ``deserialize``.

A ledger in WAL mode may hold committed events in ``NAME-wal`` that are not in
the main file yet. Both files are read; when the WAL has content, SQLite
replays it on a private copy in a temporary folder outside the delivery, and
the result is what is deserialized. The WAL is read before and after the main
file, and the pair is read again if it changed in between (a writer was
checkpointing), so the snapshot is one consistent state.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from provenance.source.noatime import read_bytes

from .backend import SQLiteBackend
from .model import LedgerError
from .store import Ledger

_ATTEMPTS = 5
# Header bytes 18-19: file format write/read version, 2 = WAL. An in-memory database
# cannot be in WAL mode, so the copy says "rollback journal" (1) instead.
_VERSION_BYTES = slice(18, 20)


def _read_wal(path: str) -> bytes:
    try:
        return read_bytes(path)[0]
    except FileNotFoundError:
        return b""


def read_database(path: str | os.PathLike[str]) -> bytes:
    """The ledger's committed content as one SQLite database image (main file plus WAL)."""
    main = os.fspath(path)
    for _ in range(_ATTEMPTS):
        wal = _read_wal(main + "-wal")
        data = read_bytes(main)[0]
        if _read_wal(main + "-wal") == wal:
            break
    else:
        raise LedgerError(f"{main} kept changing while it was read; try again when no one is writing to it")
    if wal:
        with tempfile.TemporaryDirectory(prefix="provenance-ledger-") as private:
            copy = os.path.join(private, "ledger.db")
            Path(copy).write_bytes(data)
            Path(copy + "-wal").write_bytes(wal)
            conn = sqlite3.connect(copy)
            try:
                data = conn.serialize()
            finally:
                conn.close()
    if len(data) >= 20 and data[_VERSION_BYTES] == b"\x02\x02":
        data = data[:18] + b"\x01\x01" + data[20:]
    return data


def open_ledger_snapshot(path: str | os.PathLike[str]) -> Ledger:
    """The ledger at ``path`` as an in-memory, query-only :class:`Ledger`; raises ``LedgerError``."""
    target = Path(path)
    try:
        data = read_database(target)
    except OSError as exc:
        raise LedgerError(f"cannot read {target} ({exc.strerror or exc})") from None
    try:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(data)
        conn.execute("PRAGMA query_only = 1")
        ledger = Ledger(SQLiteBackend.wrap(conn, target))
        ledger.check_schema()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{target} is not a usable ledger ({exc}); pass the path of a provenance ledger") from None
    return ledger
