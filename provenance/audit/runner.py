"""``audit_delivery``: the one core call behind ``provenance audit``.

Scan → hash what needs a content identity → read and verify the ledger →
evaluate. Every read of the delivery is read-only; nothing is written.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from provenance.audit.evaluate import ApprovalLike, AuditResult, LedgerInfo, evaluate
from provenance.errors import UsageError
from provenance.scan.cache import ScanCache, file_hashes
from provenance.hashing import sequence_digest
from provenance.models import AssetKind, AssetResult, ScanIssue, ScanReport, Skipped
from provenance.audit.policy import Policy, load_policy
from provenance.audit.segments import with_segments
from provenance.knowledge.registry import ScannerRegistry
from provenance.scan.runner import Progress, ScanSettings, scan_tree
from provenance.source import ScanOptions
from provenance.source.noatime import read_text

log = logging.getLogger(__name__)

# A digest no real content has: asking an approval about it reveals whether
# it would match on path or C2PA identity alone, before anything is hashed.
_PROBE = "0" * 64


def audit_delivery(root: Path, ledger_path: Path | None, policy_path: Path | None, trust_pem: str = "",
                   today: date | None = None, *, jobs: int = 1, cache: ScanCache | None = None,
                   progress: Progress | None = None, registry: ScannerRegistry | None = None) -> AuditResult:
    """Audit one delivery folder. ``ledger_path`` is the ``--ledger`` value (resolved here).

    ``jobs``, ``cache`` and ``progress`` go to the scan; the cache also keeps
    the content hashes of unchanged files. ``registry`` defaults to the
    built-in scanners.
    """
    if not root.is_dir():
        raise UsageError(f"delivery folder {root} not found; pass the folder to audit")
    policy = load_policy(policy_path, root)
    pem = trust_pem + _policy_anchors(policy)
    approvals, ledger = read_ledger(ledger_path, policy.ledger_path, delivery=root)
    if registry is None:
        from provenance.scanners import default_registry  # built-ins live outside the core package

        registry = default_registry()
    settings = ScanSettings(options=ScanOptions(trust_anchors_pem=pem), jobs=jobs)
    scan = scan_tree(root, registry, settings, cache=cache, progress=progress)
    scan = drop_ignored(scan, policy)
    day = today or datetime.now(UTC).date()
    # First pass without content hashes tells which assets need one: anything flagged, or touched by an approval.
    first = evaluate(scan, approvals, policy, day, {}, ledger)
    wanted = {a.result.path for a in first.assets if a.status != "clean"}
    wanted |= {a.path for a in scan.assets if any(ap.match(a.path, _PROBE, a.c2pa.instance_ids) for ap in approvals)}
    frames: dict[str, list[str]] = {}
    scan, hashes = hash_assets(scan, root, wanted, cache, frames)
    refine = functools.partial(with_segments, approvals=approvals, policy=policy, today=day, frame_hashes=frames)
    return evaluate(scan, approvals, policy, day, hashes, ledger, refine)


def drop_ignored(scan: ScanReport, policy: Policy) -> ScanReport:
    """Files the policy says are not part of the delivery (its own approvals folder, say) leave the audit."""
    if not policy.ignore:
        return scan
    kept = tuple(a for a in scan.assets if not policy.ignored(a.path))
    gone = tuple(Skipped(a.path, "ignored by the policy (paths.ignore)") for a in scan.assets if policy.ignored(a.path))
    skipped = tuple(sorted((*scan.skipped, *gone), key=lambda s: s.path))
    return dataclasses.replace(scan, assets=kept, skipped=skipped)


def read_ledger(cli_value: Path | None, policy_ledger: Path | None = None, *, delivery: Path | None = None) -> tuple[Sequence[ApprovalLike], LedgerInfo]:
    """Approvals and the ledger's state. A missing file is a warning, a failed verify makes the audit incomplete.

    The ledger is ``--ledger``, else ``$PROVENANCE_LEDGER``, else the policy's ``ledger.path``, else
    ``./provenance.db``. It is opened read-only.
    """
    from provenance.ledger import LedgerError, open_ledger, resolve_ledger_path
    from provenance.ledger.snapshot import open_ledger_snapshot
    from provenance.ledger.store import ENV_VAR

    if cli_value is None and not os.environ.get(ENV_VAR) and policy_ledger is not None:
        path = policy_ledger
    else:
        path = resolve_ledger_path(str(cli_value) if cli_value is not None else None)
    if not path.exists():
        return [], LedgerInfo(path=str(path), state="missing")
    try:
        if delivery is not None and _inside(path, delivery):
            # SQLite would open the file itself and move its atime: read a snapshot through O_NOATIME.
            ledger = open_ledger_snapshot(path)
        else:
            ledger = open_ledger(path, read_only=True)
    except LedgerError as exc:
        raise UsageError(f"cannot open the ledger {path}: {exc}") from None
    try:
        # Verify first: a row edited behind the tool's back may not even parse.
        verdict = ledger.verify()
        head = ledger.head_hash()
        problems = tuple(str(p) for p in verdict.problems)
        try:
            approvals = ledger.approvals()
        except (LedgerError, ValueError, KeyError, TypeError) as exc:
            approvals = []
            problems += (f"approvals table unreadable ({exc}); no approval could be applied",)
    finally:
        ledger.close()
    state = "ok" if verdict.ok and not problems else "unverified"
    return approvals, LedgerInfo(str(path), state, head, len(approvals), problems)


def _inside(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def hash_assets(scan: ScanReport, root: Path, wanted: set[str],
                cache: ScanCache | None = None,
                frame_hashes: dict[str, list[str]] | None = None) -> tuple[ScanReport, dict[str, str]]:
    """SHA-256 of each wanted asset; a file that cannot be hashed becomes an error on its asset.

    Only these assets are hashed (flagged ones, and those an approval could
    bind by hash): hashing is a full read, the scan itself reads headers.
    """
    hashes: dict[str, str] = {}
    assets = []
    for result in scan.assets:
        if result.path not in wanted:
            assets.append(result)
            continue
        try:
            hashes[result.path] = _content_hash(result, root, cache, scan.real_paths, frame_hashes)
            assets.append(result)
        except OSError as exc:
            log.warning("cannot hash %s: %s", result.path, exc)
            issue = ScanIssue("unreadable", f"cannot hash: {exc.strerror or exc}")
            assets.append(dataclasses.replace(result, errors=(*result.errors, issue)))
    return dataclasses.replace(scan, assets=tuple(assets)), hashes


def _content_hash(result: AssetResult, root: Path, cache: ScanCache | None, real_paths: Mapping[str, str],
                  frame_hashes: dict[str, list[str]] | None = None) -> str:
    if result.asset.kind is AssetKind.SEQUENCE:
        members = result.asset.members
        per_file = file_hashes(root, members, cache, real_paths)
        ordered = [per_file[m] for m in members]
        if frame_hashes is not None:  # an approval may pin single frames
            frame_hashes[result.path] = ordered
        return sequence_digest(ordered)
    return file_hashes(root, [result.path], cache, real_paths)[result.path]


def _policy_anchors(policy: Policy) -> str:
    texts = []
    for path in policy.trust_anchors:
        try:
            text = read_text(path, encoding="ascii", errors="replace")[0]  # O_NOATIME: may sit in the delivery
        except OSError as exc:
            raise UsageError(f"{policy.source}: c2pa.trust_anchors: cannot read {path} ({exc.strerror}); "
                             "fix the path (relative to the policy file)") from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise UsageError(f"{policy.source}: c2pa.trust_anchors: {path} holds no PEM certificate; "
                             "point it at a PEM file of root certificates")
        texts.append(text.strip() + "\n")
    return "".join(texts)
