"""The vendor package manifest: ``provenance-manifest.json`` at a delivery's root.

A vendor lists, per file, what it declares about the file's origin: the IPTC
DigitalSourceType, the generating tool and the approval reference, bound to the
file's bytes by SHA-256. Entries are per file, not per sequence, so a vendor
can declare frames 1040-1060 of a render as generated and the rest as not.
The schema is in docs/scanning.md ("Package manifest").

The file comes from outside, so it is read as hostile input: bounded in bytes
and entries, every entry validated, paths confined to the delivery. Problems
become ``ScanIssue`` records, never exceptions. Reading never writes; the
writer (:func:`upsert_entries`, for the tagger) replaces the file atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from provenance import __version__
from provenance.knowledge.dst import DST_TABLE, dst_term, dst_uri
from provenance.hashing import is_sha256_hex, open_read_only, sha256_file
from provenance.source import InputTooLarge
from provenance.models import Confidence, Evidence, ScanIssue, Signal, trim
from provenance.scan.walk import PACKAGE_MANIFEST_NAME, FileEntry

SCHEMA = "provenance.package/1"
SCANNER_ID = "manifest"
C2PA_MODES = ("embedded", "none", "sidecar")

# Per-entry JSON is ~300 bytes, so these admit ~200k listed frames. Memory
# during parsing is bounded by a cheap pre-count of JSON containers and
# separators: 64 MiB of "[[],[],…]" would otherwise become gigabytes of lists.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 250_000
MAX_CONTAINERS = 8 * MAX_ENTRIES
MAX_SEPARATORS = 64 * MAX_ENTRIES
MAX_PATH_CHARS = 4096

INVALID = "manifest-invalid"
MISSING = "manifest-missing-file"
MISMATCH = "manifest-hash-mismatch"
UNVERIFIED = "manifest-unverified"

_DRIVE = re.compile(r"^[A-Za-z]:")


class ManifestError(ValueError):
    """The manifest cannot be written (invalid entry, or an unreadable file we must not clobber)."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What a vendor declares about one file of the delivery."""

    path: str  # POSIX, relative to the manifest's folder
    sha256: str  # lowercase hex
    digital_source_type: str  # IPTC/C2PA URI or bare term
    size: int | None = None
    tool: str | None = None
    approval: str | None = None
    prompt_info: str | None = None
    c2pa: str | None = None  # "embedded" | "sidecar" | "none"
    # Keys this schema does not define (vendor extensions such as "x-shot"), kept as read so a
    # rewrite does not drop them. Never evidence: the scan ignores them.
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def signal(self) -> Signal:
        term = dst_term(self.digital_source_type)
        return DST_TABLE[term][0] if term else Signal.INFO

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.extra,
            "path": self.path,
            "sha256": self.sha256,
            "digital_source_type": self.digital_source_type,
        }
        for key in ("size", "tool", "approval", "prompt_info", "c2pa"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class PackageManifest:
    """A parsed manifest. ``errors`` name what was rejected; the rest is usable."""

    entries: tuple[ManifestEntry, ...] = ()
    vendor: str | None = None
    created: str | None = None
    tool: str | None = None
    errors: tuple[ScanIssue, ...] = ()
    readable: bool = True  # False: nothing in the file could be used
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown top-level keys, kept on rewrite


@dataclass(frozen=True)
class ManifestCheck:
    """The manifest held against the files on disk.

    ``problems`` are input failures (an invalid manifest, a listed file that
    could not be read) and make a scan incomplete; ``findings`` are what the
    check established (a listed file is missing, or its bytes differ) and do not.
    """

    evidence: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)
    problems: tuple[ScanIssue, ...] = ()
    findings: tuple[ScanIssue, ...] = ()


ENTRY_KEYS = ("path", "sha256", "digital_source_type", "size", "tool", "approval", "prompt_info", "c2pa")
TOP_KEYS = ("schema", "vendor", "created", "tool", "assets")


# --- validation -----------------------------------------------------------------

def path_problem(path: object) -> str | None:
    """Why ``path`` is not a safe relative POSIX path inside the delivery, or None."""
    if not isinstance(path, str) or not path:
        return "path must be a non-empty string"
    if len(path) > MAX_PATH_CHARS:
        return f"path longer than {MAX_PATH_CHARS} characters"
    if "\x00" in path:
        return "path contains a NUL character"
    if "\\" in path:
        return "path contains a backslash (use POSIX '/' separators)"
    if path.startswith("/") or _DRIVE.match(path):
        return "absolute path (paths are relative to the manifest's folder)"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "path has an empty, '.' or '..' segment (it must stay inside the delivery)"
    return None


def entry_from_dict(data: object) -> ManifestEntry:
    """Validate one ``assets[]`` item; raises ``ManifestError`` naming the field."""
    if not isinstance(data, dict):
        raise ManifestError("entry is not a JSON object")
    path = data.get("path")
    problem = path_problem(path)
    if problem:
        raise ManifestError(problem)
    sha = data.get("sha256")
    if not isinstance(sha, str) or not is_sha256_hex(sha.lower()):
        raise ManifestError("sha256 must be 64 hexadecimal characters")
    dst = data.get("digital_source_type")
    if not isinstance(dst, str) or dst_term(dst) is None:
        raise ManifestError(f"unknown digital_source_type {trim(dst, 120)!r}")
    size = data.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ManifestError("size must be a non-negative integer")
    texts = {}
    for key in ("tool", "approval", "prompt_info"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ManifestError(f"{key} must be a string")
        texts[key] = value or None
    c2pa = data.get("c2pa")
    if c2pa is not None and c2pa not in C2PA_MODES:
        raise ManifestError(f"c2pa must be one of {', '.join(C2PA_MODES)}")
    assert isinstance(path, str)
    extra = {k: v for k, v in data.items() if k not in ENTRY_KEYS}
    return ManifestEntry(path=path, sha256=sha.lower(), digital_source_type=dst, size=size, c2pa=c2pa,
                         extra=extra, **texts)


# --- reading --------------------------------------------------------------------

def _invalid(message: str) -> PackageManifest:
    return PackageManifest(errors=(ScanIssue(INVALID, f"{PACKAGE_MANIFEST_NAME}: {message}", SCANNER_ID),),
                           readable=False)


def _read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    fd = open_read_only(path)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        if os.fstat(fd).st_size > limit:
            raise _TooLarge
        chunks, total = [], 0
        while total <= limit:  # the file may grow after fstat: read at most limit+1
            chunk = fh.read(min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _TooLarge
        return b"".join(chunks)


class _TooLarge(Exception):
    pass


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_manifest(data: bytes, max_entries: int = MAX_ENTRIES) -> PackageManifest:
    """A manifest from its bytes; every problem becomes an error record."""
    if data.count(b"{") + data.count(b"[") > max(MAX_CONTAINERS, 8 * max_entries) \
            or data.count(b",") + data.count(b":") > max(MAX_SEPARATORS, 64 * max_entries):
        return _invalid(f"too many JSON values (limit {max_entries} entries)")
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        return _invalid("not UTF-8 text")
    except (ValueError, RecursionError) as exc:
        return _invalid(f"not valid JSON ({trim(exc, 160)})")
    if not isinstance(doc, dict):
        return _invalid("top level is not a JSON object")
    if doc.get("schema") != SCHEMA:
        return _invalid(f"unsupported schema {trim(doc.get('schema'), 80)!r} (expected {SCHEMA!r})")
    assets = doc.get("assets")
    if not isinstance(assets, list):
        return _invalid("'assets' must be a list")
    if len(assets) > max_entries:
        return _invalid(f"{len(assets)} entries is over the limit of {max_entries}")

    entries: list[ManifestEntry] = []
    errors: list[ScanIssue] = []
    seen: set[str] = set()
    for index, item in enumerate(assets):
        label = f"assets[{index}]"
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            label += f" ({trim(item['path'], 200)})"
        try:
            entry = entry_from_dict(item)
        except ManifestError as exc:
            errors.append(ScanIssue(INVALID, f"{PACKAGE_MANIFEST_NAME}: {label}: {exc}", SCANNER_ID))
            continue
        if entry.path in seen:
            errors.append(ScanIssue(INVALID, f"{PACKAGE_MANIFEST_NAME}: {label}: listed twice; later entry ignored",
                                    SCANNER_ID))
            continue
        seen.add(entry.path)
        entries.append(entry)

    def text(key: str) -> str | None:
        value = doc.get(key)
        return trim(value, 200) if isinstance(value, str) else None

    return PackageManifest(
        entries=tuple(sorted(entries, key=lambda e: e.path)),
        vendor=text("vendor"),
        created=text("created"),
        tool=text("tool"),
        errors=tuple(errors),
        extra={k: v for k, v in doc.items() if k not in TOP_KEYS},
    )


def load_manifest(path: str | os.PathLike[str], *, max_bytes: int = MAX_MANIFEST_BYTES,
                  max_entries: int = MAX_ENTRIES,
                  read: Callable[[str, int], bytes] | None = None) -> PackageManifest:
    """Read and validate a manifest file. Never raises for bad content or I/O.

    ``read(path, limit)`` replaces the local read (an object store's ranged
    read); it raises ``InputTooLarge`` over the limit.
    """
    try:
        data = read(os.fspath(path), max_bytes) if read is not None else _read_bounded(path, max_bytes)
    except (_TooLarge, InputTooLarge):
        return _invalid(f"larger than the {max_bytes}-byte limit")
    except OSError as exc:
        return _invalid(f"cannot read: {exc.strerror or exc}")
    return parse_manifest(data, max_entries)


# --- checking against the delivery ------------------------------------------------

def check_manifest(
    manifest: PackageManifest,
    files: Sequence[FileEntry],
    skipped: Mapping[str, str] | None = None,
) -> ManifestCheck:
    """Bind each entry to a file on disk: verify its bytes, derive its evidence.

    Only listed files are hashed. A size difference settles a mismatch without
    reading the file. On a mismatch the declaration is about other bytes, so
    only what raises scrutiny keeps its weight: a generated/modified
    declaration still counts (err towards flagging AI); a not-generative
    declaration and the approval reference drop to heuristic, so they can
    neither clear nor approve bytes they were not made for.
    """
    checker = ManifestChecker(manifest)
    checker.check(files)
    return checker.finish(skipped)


class ManifestChecker:
    """:func:`check_manifest` a folder at a time: :meth:`check` each folder's files, then :meth:`finish`."""

    def __init__(self, manifest: PackageManifest, hasher: Callable[[str], str] = sha256_file) -> None:
        # ``hasher``: SHA-256 of a file by its walk path (an object store streams it instead).
        self._hasher = hasher
        self._by_path: dict[str, list[ManifestEntry]] = {}
        for entry in manifest.entries:
            self._by_path.setdefault(entry.path, []).append(entry)
        self._manifest = manifest
        self._found: set[str] = set()
        self._evidence: dict[str, tuple[Evidence, ...]] = {}
        self._problems: list[ScanIssue] = list(manifest.errors)
        self._findings: list[ScanIssue] = []

    def check(self, files: Iterable[FileEntry]) -> dict[str, tuple[Evidence, ...]]:
        """The evidence the manifest gives about these files (only listed ones are hashed)."""
        evidence: dict[str, tuple[Evidence, ...]] = {}
        for target in files:
            entries = self._by_path.get(target.rel)
            if not entries:
                continue
            self._found.add(target.rel)
            for entry in entries:
                evidence[entry.path] = self._check_entry(entry, target)
        self._evidence.update(evidence)
        return evidence

    def finish(self, skipped: Mapping[str, str] | None = None) -> ManifestCheck:
        """The whole check; entries no checked file matched are missing (``skipped``: why, path to reason)."""
        skipped = skipped or {}
        findings = list(self._findings)
        for entry in self._manifest.entries:
            if entry.path in self._found:
                continue
            shown = trim(entry.path, 200)
            why = f"skipped by the scan ({skipped[entry.path]})" if entry.path in skipped else "not in the delivery"
            findings.append(ScanIssue(MISSING, f"{shown}: listed in {PACKAGE_MANIFEST_NAME} but {why}", SCANNER_ID))
        return ManifestCheck(
            evidence=dict(self._evidence),
            problems=tuple(sorted(self._problems, key=lambda i: (i.code, i.message))),
            findings=tuple(sorted(findings, key=lambda i: (i.code, i.message))),
        )

    def _check_entry(self, entry: ManifestEntry, target: FileEntry) -> tuple[Evidence, ...]:
        shown = trim(entry.path, 200)
        matches = True
        if entry.size is not None and entry.size != target.size:
            matches = False
            self._findings.append(ScanIssue(MISMATCH, f"{shown}: size {target.size} bytes on disk, "
                                                      f"{entry.size} in {PACKAGE_MANIFEST_NAME}", SCANNER_ID))
        else:
            try:
                actual = self._hasher(target.abspath)
            except OSError as exc:
                self._problems.append(ScanIssue(UNVERIFIED, f"{shown}: cannot hash to check {PACKAGE_MANIFEST_NAME}: "
                                                            f"{exc.strerror or exc}", SCANNER_ID))
                actual = None
            if actual is not None and actual != entry.sha256:
                matches = False
                self._findings.append(ScanIssue(MISMATCH, f"{shown}: sha256 {actual} on disk, {entry.sha256} in "
                                                          f"{PACKAGE_MANIFEST_NAME}", SCANNER_ID))
        return entry_evidence(entry, bound=matches)


def entry_evidence(entry: ManifestEntry, *, bound: bool = True) -> tuple[Evidence, ...]:
    """The evidence one entry gives about its file (``bound``: the bytes matched)."""
    term = dst_term(entry.digital_source_type) or entry.digital_source_type
    signal = entry.signal
    raises_scrutiny = signal in (Signal.GENERATED, Signal.MODIFIED)
    weight = Confidence.DECLARATION if bound or raises_scrutiny else Confidence.HEURISTIC
    note = "" if bound else " [bytes differ from the manifest]"
    value = term + (f" (tool: {entry.tool})" if entry.tool else "") + note
    items = [Evidence(SCANNER_ID, "manifest:digital_source_type", value, signal, weight, entry.tool)]
    info_weight = Confidence.DECLARATION if bound else Confidence.HEURISTIC
    if entry.approval:
        items.append(Evidence(SCANNER_ID, "manifest:approval", entry.approval + note, Signal.INFO, info_weight))
    if entry.prompt_info:
        items.append(Evidence(SCANNER_ID, "manifest:prompt_info", entry.prompt_info, Signal.INFO, info_weight))
    return tuple(items)


# --- writing (the tagger) ----------------------------------------------------------

def manifest_to_dict(manifest: PackageManifest) -> dict[str, Any]:
    data: dict[str, Any] = {**manifest.extra, "schema": SCHEMA}
    for key in ("vendor", "created", "tool"):
        value = getattr(manifest, key)
        if value is not None:
            data[key] = value
    data["assets"] = [e.to_dict() for e in sorted(manifest.entries, key=lambda e: e.path)]
    return data


def dumps_manifest(manifest: PackageManifest) -> str:
    """Deterministic JSON: sorted keys, entries sorted by path, trailing newline."""
    return json.dumps(manifest_to_dict(manifest), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def upsert_entries(
    manifest_path: str | os.PathLike[str],
    entries: Iterable[ManifestEntry],
    *,
    vendor: str | None = None,
    default_vendor: str | None = None,
    now: dt.datetime | None = None,
) -> PackageManifest:
    """Add or replace entries (by path) and write the manifest atomically.

    Refuses to overwrite a manifest it cannot fully read, so a vendor's file is
    never lost to a parse error. Entries are validated as the reader would.

    Keys the schema does not define (vendor extensions, per entry and at the
    top level) are kept. A replaced entry keeps the old entry's extension keys
    unless the new entry sets them: the tagger owns the declared fields, the
    vendor owns its own keys.

    ``vendor`` replaces the recorded vendor; ``default_vendor`` (what the
    tagger passes: its identity's name) is recorded only when the manifest
    names none yet. So when a second vendor tags files into an existing
    manifest, ``vendor`` still names the one who started it; who signed each
    file is in that file's C2PA credential.
    """
    new = [_validated(e) for e in entries]
    path = os.fspath(manifest_path)
    current = load_for_update(path)
    merged = {e.path: e for e in current.entries}
    for entry in new:
        old = merged.get(entry.path)
        if old is not None and old.extra:
            entry = replace(entry, extra={**old.extra, **entry.extra})
        merged[entry.path] = entry
    stamp = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    result = PackageManifest(
        entries=tuple(sorted(merged.values(), key=lambda e: e.path)),
        vendor=vendor or current.vendor or default_vendor,
        created=current.created or stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool=f"provenance {__version__}",
        extra=current.extra,
    )
    _write_atomic(path, dumps_manifest(result).encode("utf-8"))
    return result


def load_for_update(manifest_path: str | os.PathLike[str]) -> PackageManifest:
    """The manifest :func:`upsert_entries` would extend (empty if there is none yet).

    Raises ``ManifestError`` when the file exists but cannot be fully read:
    it would be lost if rewritten. The tagger calls this before writing any
    file, so a bad manifest stops the run before anything changes.
    """
    path = os.fspath(manifest_path)
    if not os.path.exists(path):
        return PackageManifest()
    current = load_manifest(path)
    if current.errors:
        raise ManifestError(f"{path}: will not rewrite a manifest with errors: {current.errors[0].message}")
    return current


def _validated(entry: ManifestEntry) -> ManifestEntry:
    try:
        checked = entry_from_dict(entry.to_dict())
    except ManifestError as exc:
        raise ManifestError(f"{trim(entry.path, 200)}: {exc}") from None
    # Written with the canonical URI so every reader sees the same form.
    return replace(checked, digital_source_type=dst_uri(checked.digital_source_type))


def _write_atomic(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
