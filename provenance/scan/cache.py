"""The incremental scan cache: per-file evidence and content hashes in SQLite.

A rescan of an unchanged delivery should cost a ``stat`` per file, not a read.
Rows are keyed by the absolute root and the relative path, and a row only
answers when the file's (size, mtime_ns, inode), its sidecars' (size,
mtime_ns) and the scan version all still match; anything else is a miss and
the file is read again.

The database is one per user, in the user's cache directory
(``$XDG_CACHE_HOME/provenance``) or at an explicit path, and never inside a
scanned tree: deliverables are never written to. It is disposable: deleting it
only costs one cold scan.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provenance.errors import UsageError
from provenance.models import FileScan
from provenance.knowledge.registry import ScannerRegistry
from provenance.source import ScanOptions
from provenance.scan.walk import FileEntry

if TYPE_CHECKING:
    from provenance.scan.roots import DeliveryRoot

SCHEMA_VERSION = 6  # 6: a folder's assets share one evidence table
# A file modified within this long before it was read may be modified again
# within the same mtime tick without its key changing (coarse timestamps: ext4
# ~4 ms, FAT 2 s, some NAS 1 s). Such rows are stored but never trusted, so the
# file is read again next time, as git does with "racily clean" entries.
RACY_NS = 2_000_000_000
CACHE_FILE_NAME = "scan-cache.sqlite3"
# Bounded IN (...) lists: SQLite's default limit on host parameters is 999 (older builds).
_LOOKUP_BATCH = 400

# Issues that describe the moment, not the bytes (a flaky NAS, a reader bug):
# a file that had one is read again next time rather than remembered.
_TRANSIENT_CODES = frozenset({"unreadable", "unreadable-sidecar", "scanner-bug"})

# The other column of a row survives an update only while it still describes
# the same bytes: same key, and trusted (see RACY_NS) when it was written.
_KEPT = ("size = excluded.size AND mtime_ns = excluded.mtime_ns AND inode = excluded.inode AND etag = excluded.etag "
         f"AND ctime_ns = excluded.ctime_ns AND mtime_ns < read_ns - {RACY_NS}")

# Decoded scans kept for reuse: equal frames share one record, bounded so memory stays flat.
_INTERNED_MAX = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_state (
    root TEXT NOT NULL,
    rel TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    etag TEXT NOT NULL,  -- an object's ETag/version id as listed; '' for local files
    ctime_ns INTEGER NOT NULL,
    sidecars TEXT NOT NULL,
    version TEXT NOT NULL,
    evidence TEXT,
    sha256 TEXT,
    read_ns INTEGER NOT NULL,  -- when this scan began: no read of the file was earlier
    PRIMARY KEY (root, rel)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folder_state (
    root TEXT NOT NULL,
    folder TEXT NOT NULL,
    listing TEXT NOT NULL,  -- see provenance.scan.folder_cache.listing_key
    assets TEXT NOT NULL,
    PRIMARY KEY (root, folder)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_cache_path() -> str:
    """``$XDG_CACHE_HOME/provenance/scan-cache.sqlite3`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG spec says to ignore a relative value
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "provenance", CACHE_FILE_NAME)


def scan_version(registry: ScannerRegistry, options: ScanOptions) -> str:
    """What the cached evidence depends on besides the bytes.

    Scanner ids and versions, the options (trust anchors change a C2PA state),
    and the signature and DigitalSourceType tables (a new generator row turns
    yesterday's no-evidence into ai-generated without any scanner changing).
    """
    from provenance import __version__
    from provenance.knowledge import dst, signatures, trust

    digest = hashlib.sha256()
    parts: list[str] = [f"schema={SCHEMA_VERSION}", f"tool={__version__}"]
    parts += [f"scanner={info.id}:{info.version}" for info in registry.info()]
    parts.append(f"options={options!r}")
    # The packaged trust lists decide trusted vs valid: a refreshed list re-reads credentials.
    parts.append(f"trust={trust.bundle_digest() if options.default_trust else 'off'}")
    parts.append(f"rules={signatures.RULES!r}")
    parts.append(f"c2pa-names={signatures.C2PA_GENERATIVE_TOOLS!r}")
    parts.append(f"dst={sorted(dst.DST_TABLE.items())!r}")
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def sidecar_signature(entry: FileEntry) -> str:
    """The sidecars' identity: kind, size and mtime of each, or a marker when one vanished."""
    if not entry.sidecars:
        return "[]"
    items = []
    for kind, path in entry.sidecars:
        try:
            st = os.stat(path)
            items.append([kind, st.st_size, st.st_mtime_ns])
        except OSError:
            items.append([kind, -1, -1])
    return json.dumps(items, separators=(",", ":"))


def cacheable(scan: FileScan) -> bool:
    return not any(err.code in _TRANSIENT_CODES for err in scan.errors)


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int


class ScanCache:
    """One SQLite database; one instance per scan, used from one thread."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        # WAL: concurrent scans by the same user read while one writes.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a lost tail of a disposable cache costs a rescan
        self._migrate()
        self._started_ns = time.time_ns()
        self._pending: list[tuple[object, ...]] = []
        # Equal evidence JSON gives one shared FileScan: 200,000 identical EXR
        # frames then cost one record, not 200,000.
        self._interned: dict[str, FileScan] = {}
        self._encoded: dict[int, tuple[FileScan, str]] = {}
        self.hits = 0
        self.misses = 0
        # How sidecars are identified: a stat on disk; an object walk passes its listing's details.
        self.sidecar_signature: Callable[[FileEntry], str] = sidecar_signature
        self._folders: list[tuple[str, str, str, str]] = []
        self.started_ns = self._started_ns

    def _migrate(self) -> None:
        # A disposable cache: a database from another schema is emptied, not converted.
        row = self._db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
        found = None
        if row is not None:
            value = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            found = value[0] if value else None
        if found != str(SCHEMA_VERSION):
            self._db.executescript("DROP TABLE IF EXISTS file_state; DROP TABLE IF EXISTS folder_state; "
                                   "DROP TABLE IF EXISTS meta;")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self.flush()
        self._db.close()

    def __enter__(self) -> ScanCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses)

    def lookup(self, root: str, entries: Sequence[FileEntry], version: str) -> dict[str, FileScan]:
        """Cached scans of those ``entries`` whose key still matches."""
        found: dict[str, FileScan] = {}
        columns = "size, mtime_ns, inode, read_ns, ctime_ns, sidecars, version, evidence, etag"
        for entry, row in self._rows(root, entries, columns):
            if row[7] is None or row[6] != version or not _same_file(row, entry, row[8]):
                continue
            if row[5] != self.sidecar_signature(entry):
                continue
            found[entry.rel] = self._decode(row[7])
        self.hits += len(found)
        self.misses += len(entries) - len(found)
        return found

    def store(self, root: str, entry: FileEntry, scan: FileScan, version: str) -> None:
        """Remember ``scan`` for ``entry`` (written in batches; see :meth:`flush`)."""
        if not cacheable(scan):
            return
        # Frames with equal evidence arrive as one shared object (see scan_tree): encode it once.
        known = self._encoded.get(id(scan))
        if known is not None and known[0] is scan:
            text = known[1]
        else:
            text = json.dumps(scan.to_dict(), separators=(",", ":"), ensure_ascii=False)
            if len(self._encoded) >= _INTERNED_MAX:
                self._encoded.clear()
            self._encoded[id(scan)] = (scan, text)  # holding the scan keeps its id from being reused
        self._pending.append((root, entry.rel, entry.size, entry.mtime_ns, entry.inode, entry.ctime_ns,
                              self.sidecar_signature(entry), version, text, self._started_ns, entry.etag))
        if len(self._pending) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self._folders:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO folder_state (root, folder, listing, assets) "
                                     "VALUES (?, ?, ?, ?)", self._folders)
            self._folders.clear()
        if not self._pending:
            return
        with self._db:
            self._db.execute("BEGIN")
            # A content hash stays valid across scanner upgrades while the file is unchanged.
            self._db.executemany(
                """INSERT INTO file_state (root, rel, size, mtime_ns, inode, ctime_ns, sidecars, version, evidence,
                                          read_ns, etag)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (root, rel) DO UPDATE SET
                     sha256 = CASE WHEN {kept} THEN sha256 END,
                     read_ns = excluded.read_ns, size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode,
                     ctime_ns = excluded.ctime_ns, etag = excluded.etag,
                     sidecars = excluded.sidecars, version = excluded.version, evidence = excluded.evidence""".format(
                    kept=_KEPT),
                self._pending,
            )
        self._pending.clear()

    def folders(self, root: str, keys: dict[str, str]) -> dict[str, str]:
        """The stored assets (text) of those folders whose listing key is still ``keys[folder]``."""
        found: dict[str, str] = {}
        names = list(keys)
        for start in range(0, len(names), _LOOKUP_BATCH):
            part = names[start : start + _LOOKUP_BATCH]
            marks = ",".join("?" * len(part))
            query = f"SELECT folder, listing, assets FROM folder_state WHERE root = ? AND folder IN ({marks})"  # noqa: S608
            for folder, listing, assets in self._db.execute(query, (root, *part)):
                if listing == keys[folder]:
                    found[folder] = assets
        return found

    def folder(self, root: str, folder: str, key: str) -> str | None:
        """One folder's stored assets (text), when its listing key is still ``key``."""
        row = self._db.execute("SELECT listing, assets FROM folder_state WHERE root = ? AND folder = ?",
                               (root, folder)).fetchone()
        return row[1] if row is not None and row[0] == key else None

    def store_folder(self, root: str, folder: str, listing: str, assets: str) -> None:
        self._folders.append((root, folder, listing, assets))
        if len(self._folders) >= 200:
            self.flush()

    def hashes(self, root: str, entries: Sequence[FileEntry]) -> dict[str, str]:
        """Cached SHA-256 of those ``entries`` whose (size, mtime_ns, inode) still match."""
        self.flush()
        found: dict[str, str] = {}
        for entry, row in self._rows(root, entries, "size, mtime_ns, inode, read_ns, ctime_ns, sha256, etag"):
            if row[5] and _same_file(row, entry, row[6]):
                found[entry.rel] = row[5]
        return found

    def store_hashes(self, root: str, items: Iterable[tuple[FileEntry, str]]) -> None:
        self.flush()
        rows = [(root, e.rel, e.size, e.mtime_ns, e.inode, e.ctime_ns, digest, self._started_ns, e.etag)
                for e, digest in items]
        with self._db:
            self._db.execute("BEGIN")
            # A hash may arrive before any evidence (or after the file changed): the
            # evidence column is then cleared, since it described other bytes.
            self._db.executemany(
                """INSERT INTO file_state (root, rel, size, mtime_ns, inode, ctime_ns, sidecars, version, evidence,
                                          sha256, read_ns, etag)
                   VALUES (?, ?, ?, ?, ?, ?, '', '', NULL, ?, ?, ?)
                   ON CONFLICT (root, rel) DO UPDATE SET
                     evidence = CASE WHEN {kept} THEN evidence END,
                     read_ns = excluded.read_ns, size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode,
                     ctime_ns = excluded.ctime_ns, etag = excluded.etag,
                     sha256 = excluded.sha256""".format(kept=_KEPT),
                rows,
            )

    def _rows(self, root: str, entries: Sequence[FileEntry], columns: str) -> Iterator[tuple[FileEntry, tuple[object, ...]]]:
        """Each of ``entries`` that has a stored row, with that row's ``columns``, queried in batches."""
        for start in range(0, len(entries), _LOOKUP_BATCH):
            batch = entries[start : start + _LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            query = f"SELECT rel, {columns} FROM file_state WHERE root = ? AND rel IN ({marks})"  # noqa: S608 - marks only
            rows = {row[0]: row[1:] for row in self._db.execute(query, (root, *(e.rel for e in batch)))}
            for entry in batch:
                row = rows.get(entry.rel)
                if row is not None:
                    yield entry, row

    def _decode(self, text: str) -> FileScan:
        scan = self._interned.get(text)
        if scan is None:
            scan = FileScan.from_dict(json.loads(text))
            if len(self._interned) < _INTERNED_MAX:
                self._interned[text] = scan
        return scan


def _same_file(row: tuple[object, ...], entry: FileEntry, etag: object) -> bool:
    """Same (size, mtime_ns, inode, ctime_ns, etag), and the file had been still for a while when it was read.

    Rows are (size, mtime_ns, inode, read_ns, ctime_ns, ...). mtime alone is not
    enough: ``touch -r`` puts it back after an in-place edit, but ctime moves.
    An object in a store has no inode or ctime but an ETag or version id, which
    changes with its bytes: an object rewritten within its last-modified second
    still gets a new one, so it needs no racy-time margin.
    """
    if not (row[0] == entry.size and row[1] == entry.mtime_ns and row[2] == entry.inode
            and row[4] == entry.ctime_ns and etag == entry.etag):
        return False
    return bool(entry.etag) or entry.mtime_ns < int(row[3]) - RACY_NS  # type: ignore[call-overload]


def check_outside(cache_path: str, roots: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse a cache inside a scanned tree: a scan never writes to the deliverables."""
    real = os.path.realpath(cache_path)
    for root in roots:
        root_real = os.path.realpath(os.fspath(root))
        if real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep):
            raise UsageError(f"the scan cache {cache_path} would sit inside the scanned folder {root}; "
                             "pass --cache with a path outside the delivery, or --no-cache")


def open_cache(path: str | os.PathLike[str] | None, root: str | os.PathLike[str]) -> ScanCache:
    """The cache at ``path`` (default: the user's cache dir), checked to lie outside ``root``."""
    chosen = os.fspath(path) if path is not None else default_cache_path()
    check_outside(chosen, [root])
    try:
        return ScanCache(chosen)
    except (OSError, sqlite3.Error) as exc:
        raise UsageError(f"cannot open the scan cache {chosen}: {exc}; pass --cache PATH or --no-cache") from None



def file_hashes(root: str | os.PathLike[str] | DeliveryRoot, rels: Sequence[str], cache: ScanCache | None,
                real_paths: Mapping[str, str] | None = None) -> dict[str, str]:
    """SHA-256 of the files at ``rels`` under ``root``, from the cache where each is unchanged.

    Raises ``OSError`` for a file that cannot be read. The key is taken before
    the read, so a file that changes while it is hashed misses next time.
    """
    from provenance.hashing import sha256_file
    from provenance.scan.roots import DeliveryRoot

    if isinstance(root, DeliveryRoot) and root.remote:
        return _object_hashes(root, rels, cache)
    root_key = os.path.realpath(os.fspath(root.path if isinstance(root, DeliveryRoot) else root))
    entries = []
    for rel in rels:
        # A report path is printable; a name that is not UTF-8 is read at its real path.
        path = (real_paths or {}).get(rel) or os.path.join(root_key, rel)
        st = os.stat(path)
        entries.append(FileEntry(rel, path, st.st_size, st.st_mtime_ns, st.st_ino, ctime_ns=st.st_ctime_ns))
    known = cache.hashes(root_key, entries) if cache is not None else {}
    fresh = [(e, sha256_file(e.abspath)) for e in entries if e.rel not in known]
    if cache is not None and fresh:
        cache.store_hashes(root_key, fresh)
    return {**known, **{e.rel: digest for e, digest in fresh}}


def _object_hashes(root: DeliveryRoot, rels: Sequence[str], cache: ScanCache | None) -> dict[str, str]:
    """:func:`file_hashes` for objects: one metadata request per object, and each unknown one streamed."""
    from provenance.scan.walk_fsspec import object_mtime_ns, object_tag

    storage = root.storage
    entries = []
    for rel in rels:
        path = root.path_of(rel)
        info = storage.fs.info(path)  # type: ignore[union-attr]
        entries.append(FileEntry(rel, path, int(info.get("size") or 0), object_mtime_ns(info), 0,
                                 etag=object_tag(info)))
    known = cache.hashes(root.key, entries) if cache is not None else {}
    fresh = [(e, storage.sha256(e.abspath)) for e in entries if e.rel not in known]
    if cache is not None and fresh:
        cache.store_hashes(root.key, fresh)
    return {**known, **{e.rel: digest for e, digest in fresh}}
