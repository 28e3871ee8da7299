"""One conformance base, two ledger stores: the fixtures every ledger test runs on.

``ledger_location`` is parametrized over SQLite (a file in tmp_path) and
PostgreSQL (a fresh schema in a throw-away cluster started once per session
from Debian's binaries). PostgreSQL refuses to run as root, so as root the
cluster runs as ``nobody`` in a temporary folder owned by it. Where the
binaries are missing the PostgreSQL half skips, naming the package; with
CI=true it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.external import unavailable

PG_BIN = Path(os.environ.get("PROVENANCE_PG_BIN", "/usr/lib/postgresql/15/bin"))
TRIGGERS = ("events_no_update", "events_no_delete", "approvals_no_delete", "meta_no_delete")
STORES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, schema: str | None = None, password: str | None = None) -> str:
        secret = urllib.parse.quote(self.password if password is None else password, safe="")
        query = f"?options={urllib.parse.quote(f'-csearch_path={schema}')}" if schema else ""
        return f"postgresql://{self.user}:{secret}@{self.host}:{self.port}/{self.database}{query}"

    def admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_available() -> str | None:
    """Why a throw-away PostgreSQL cannot be started here, or None."""
    if not (PG_BIN / "initdb").is_file() or not (PG_BIN / "pg_ctl").is_file():
        return f"PostgreSQL server binaries not found in {PG_BIN}; install the Debian package `postgresql`"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed; install provenance[postgres]"
    return None


@contextlib.contextmanager
def pg_cluster() -> Iterator[PgServer]:
    """A throw-away cluster on 127.0.0.1 (as ``nobody`` when run as root), removed afterwards."""
    demote = None
    root = Path(tempfile.mkdtemp(prefix="provenance-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("nobody")
        os.chown(root, user.pw_uid, user.pw_gid)

        def demote() -> None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
    password = secrets.token_urlsafe(12) + "@:/%"  # characters a URL must escape
    server = PgServer("127.0.0.1", _free_port(), "provenance", password, "ledger")
    pwfile = root / "pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if demote is not None:
        os.chown(pwfile, user.pw_uid, user.pw_gid)

    def run(*args: str) -> None:
        done = subprocess.run(args, cwd=root, preexec_fn=demote, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}")
    try:
        run(str(PG_BIN / "initdb"), "-D", str(root / "data"), "-U", server.user, f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
        opts = (f"-h 127.0.0.1 -p {server.port} -k {root} -c fsync=off -c synchronous_commit=off "
                f"-c full_page_writes=off -c max_connections=60")
        run(str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o", opts, "start")
        import psycopg

        with psycopg.connect(server.url().rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {server.database}")
        yield server
    finally:
        with contextlib.suppress(Exception):
            run(str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def fresh_schema(server: PgServer) -> str:
    """A ledger URL on a new, empty schema of the cluster."""
    schema = f"t_{secrets.token_hex(6)}"
    with server.admin() as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return server.url(schema)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    reason = pg_available()
    if reason:
        unavailable(reason)
    with pg_cluster() as server:
        yield server


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger_location(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh ledger goes: a file path, or a PostgreSQL URL on its own schema."""
    if store_kind == "sqlite":
        return str(tmp_path / "ledger.db")
    return fresh_schema(request.getfixturevalue("pg_server"))


def tamper(location: str, statement: str) -> None:
    """Edit the store the way someone with a SQL shell would, guard triggers dropped first."""
    if "://" not in location:
        conn = sqlite3.connect(location)
        conn.executescript("".join(f"DROP TRIGGER IF EXISTS {t};" for t in TRIGGERS) + statement)
        conn.close()
        return
    import psycopg

    tables = {"events_no_update": "events", "events_no_delete": "events", "approvals_no_delete": "approvals",
              "meta_no_delete": "meta"}
    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute("".join(f"DROP TRIGGER IF EXISTS {t} ON {tables[t]};" for t in TRIGGERS) + statement)
