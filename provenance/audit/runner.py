"""``audit_delivery``: the one core call behind ``provenance audit``.

Scan → hash what needs a content identity → read and verify the ledger →
evaluate. Every read of the delivery is read-only; nothing is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from provenance.audit.cut import apply_cuts, load_cuts, plan_cuts
from provenance.audit.cut_approvals import wrap_approvals
from provenance.audit.evaluate import ApprovalLike, AuditResult, LedgerInfo, evaluate
from provenance.ledger.index import ApprovalIndex
from provenance.ledger.trust import LedgerTrust
from provenance.errors import UsageError
from provenance.scan.cache import ScanCache, file_hashes
from provenance.hashing import sequence_digest
from provenance.models import AssetKind, AssetResult, ScanIssue, ScanReport, Skipped
from provenance.audit.policy import POLICY_FILE_NAME, Policy, PolicyError, load_policy, parse_policy
from provenance.audit.segments import with_segments
from provenance.knowledge.registry import ScannerRegistry
from provenance.scan.executors import Session
from provenance.scan.roots import DeliveryRoot, parse_root, storage_error
from provenance.scan.runner import Progress, ScanSettings, note_phase, scan_tree
from provenance.source import InputTooLarge, ScanOptions
from provenance.source.noatime import read_text
from provenance.timeline.listing import media_root_labels

log = logging.getLogger(__name__)

def _ledger_frozen(audit: Callable[..., AuditResult]) -> Callable[..., AuditResult]:
    """Run ``audit`` with the ledger's objects left out of garbage collection (see ``_frozen_once_read``)."""
    @functools.wraps(audit)
    def run(*args: Any, **kwargs: Any) -> AuditResult:
        ours = gc.get_freeze_count() == 0  # a caller that froze objects itself keeps its own arrangement
        try:
            return audit(*args, **kwargs)
        finally:
            if ours:
                gc.unfreeze()  # back to the collector when the audit ends, however it ends
    return run


@contextlib.contextmanager
def _frozen_once_read() -> Iterator[None]:
    """Read the ledger without garbage collection, then freeze what is alive.

    A studio ledger is a million objects that live for the whole audit: collections during
    and after the read walked them all again and again (0.3 s at 100,000 approvals) and
    found nothing. ``_ledger_frozen`` unfreezes them when the audit ends.
    """
    was_enabled, ours = gc.isenabled(), gc.get_freeze_count() == 0
    gc.disable()
    try:
        yield
    finally:
        if ours:
            gc.freeze()
        if was_enabled:
            gc.enable()


@_ledger_frozen
def audit_delivery(root: Path | str | DeliveryRoot, ledger_path: str | os.PathLike[str] | None,
                   policy_path: Path | None, trust_pem: str = "",
                   today: date | None = None, *, jobs: int = 1, cache: ScanCache | None = None,
                   progress: Progress | None = None, registry: ScannerRegistry | None = None,
                   default_trust: bool = True, executor: str = "process", scheduler: str | None = None,
                   session: Session | None = None, storage_options: Mapping[str, object] | None = None,
                   timelines: Sequence[Path] = (), timeline_rate: str = "24",
                   media_roots: Sequence[Path] = (), debug: bool = False) -> AuditResult:
    """Audit one delivery folder or object-store prefix. ``ledger_path`` is the ``--ledger`` value (resolved here).

    ``timelines`` are conform timelines (``timeline_rate`` is the EDL rate):
    the result then says where each flagged asset sits in each cut
    (``audit/cut.py``); ``media_roots`` are local folders scanned too, for
    clips whose media is not in the delivery.

    ``jobs``, ``cache``, ``progress``, ``executor``, ``scheduler`` and
    ``session`` go to the scan; the cache also keeps the content hashes of
    unchanged files. ``registry`` defaults to the built-in scanners.
    ``default_trust`` False leaves out the packaged C2PA trust lists. ``debug``
    (``--debug``) lets a scanner bug raise instead of being recorded. ``root``
    may be a URL (``s3://bucket/prefix/``, see :mod:`provenance.scan.roots`).
    """
    where = root if isinstance(root, DeliveryRoot) else parse_root(root, dict(storage_options or {}))
    if not where.remote and not Path(where.path).is_dir():
        raise UsageError(f"delivery folder {root} not found; pass the folder to audit")
    policy = load_policy(policy_path, Path(where.path)) if not where.remote or policy_path else _remote_policy(where)
    cuts = load_cuts(timelines, timeline_rate)  # before the scan: a timeline that cannot be read is exit 2 now
    pem = trust_pem + _policy_anchors(policy)
    policy_ledger = policy.ledger_path
    if isinstance(policy_ledger, str) and policy_path is None and ledger_path is None \
            and not os.environ.get("PROVENANCE_LEDGER"):
        # The delivery's own provenance.toml must not send the audit to a database of the vendor's choosing.
        raise UsageError("the delivery's provenance.toml names a database ledger (ledger.path is a URL), which "
                         "counts only from --policy; pass --ledger URL or --policy FILE")
    # --policy was read once above: its trust settings come from that parse, not a second read of the file.
    trust = policy.trust if policy_path is not None else _ledger_trust(None)
    with _frozen_once_read():
        approvals, ledger = read_ledger(ledger_path, policy_ledger, trust,
                                        delivery=None if where.remote else Path(where.path))
    if registry is None:
        from provenance.scanners import default_registry  # built-ins live outside the core package

        registry = default_registry()
    settings = ScanSettings(options=ScanOptions(trust_anchors_pem=pem, default_trust=default_trust), jobs=jobs,
                            no_grouping=policy.no_grouping, executor=executor, scheduler=scheduler,
                            propagate_bugs=debug)
    scan = scan_tree(where, registry, settings, cache=cache, progress=progress, session=session)
    scan = drop_ignored(scan, policy)
    day = today or datetime.now(UTC).date()
    if cuts:
        extra = [(label, drop_ignored(scan_tree(path, registry, settings), policy))
                 for label, path in zip(media_root_labels(media_roots), media_roots)]
        plan = plan_cuts(cuts, [("", a) for a in scan.assets] + [(lb, a) for lb, s in extra for a in s.assets])
        approvals = wrap_approvals(approvals, plan.shown_ai)
    index = ApprovalIndex(approvals)  # built once: both passes and the probe look approvals up through it
    result, frames = _judge(scan, where, approvals, index, policy, day, ledger, touched=True, cache=cache,
                            progress=progress)
    if not cuts:
        return result
    audits = {a.result.path: a for a in result.assets}
    for (label, extra_scan), path in zip(extra, media_roots):
        # A media root's assets judged like the delivery's, so a clip's media outside the delivery has a status.
        extra_result, extra_frames = _judge(extra_scan, path, approvals, index, policy, day, ledger)
        audits.update({f"{label}:{a.result.path}": a for a in extra_result.assets})
        frames.update({f"{label}:{k}": v for k, v in extra_frames.items()})
    return apply_cuts(result, plan, audits, approvals, policy, day, frames)


def _judge(scan: ScanReport, root: Path | DeliveryRoot, approvals: Sequence[ApprovalLike], index: ApprovalIndex,
           policy: Policy, day: date, ledger: LedgerInfo, *, touched: bool = False, cache: ScanCache | None = None,
           progress: Progress | None = None) -> tuple[AuditResult, dict[str, list[str]]]:
    """Evaluate twice: the first pass, without content hashes, tells which assets need one.

    Those are anything flagged and, with ``touched``, anything an approval could bind by path or
    C2PA identity. Returns the result and each hashed sequence's frame hashes.
    """
    first = evaluate(scan, approvals, policy, day, {}, ledger, index=index)
    wanted = {a.result.path for a in first.assets if a.status != "clean"}
    if touched:
        wanted |= {a.path for a in scan.assets if index.touches(a.path, a.c2pa.instance_ids)}
    frames: dict[str, list[str]] = {}
    scan, hashes = hash_assets(scan, root, wanted, cache, frames, progress)
    refine = functools.partial(with_segments, approvals=index, policy=policy, today=day, frame_hashes=frames)
    return evaluate(scan, approvals, policy, day, hashes, ledger, refine, index), frames


def _remote_policy(where: DeliveryRoot) -> Policy:
    """``provenance.toml`` at the root of a bucket prefix, else the built-in policy."""
    url = f"{where.display}/{POLICY_FILE_NAME}"
    try:
        data = where.storage.read_small(where.path_of(POLICY_FILE_NAME), 1024 * 1024)
    except FileNotFoundError:
        return load_policy(None, None)
    except InputTooLarge as exc:
        raise UsageError(f"cannot read the policy {url} ({exc}); fix it or pass a local file with --policy") from None
    except Exception as exc:  # noqa: BLE001 - storage libraries raise their own types
        raise storage_error(exc, where.display) from None
    try:
        return parse_policy(data.decode("utf-8"), url, base_dir=None)
    except UnicodeDecodeError:
        raise UsageError(f"{url} is not UTF-8 text; fix it or pass a local file with --policy") from None
    except PolicyError as exc:
        if "relative to" in str(exc):
            raise UsageError(f"{url}: ledger.path and c2pa.trust_anchors cannot point into object storage; "
                             "pass --policy with a local copy of the policy (and --ledger)") from None
        raise


def _ledger_trust(policy_path: Path | None) -> LedgerTrust:
    """Approver keys and require_signed from --policy or the user's configuration, never the delivery's file."""
    from provenance.ledger import LedgerError
    from provenance.ledger.trust import load_trust

    try:
        return load_trust(policy_path)
    except LedgerError as exc:
        raise UsageError(str(exc)) from None


def drop_ignored(scan: ScanReport, policy: Policy) -> ScanReport:
    """Files the policy says are not part of the delivery (its own approvals folder, say) leave the audit."""
    if not policy.ignore:
        return scan
    kept = tuple(a for a in scan.assets if not policy.ignored(a.path))
    gone = tuple(Skipped(a.path, "ignored by the policy (paths.ignore)") for a in scan.assets if policy.ignored(a.path))
    skipped = tuple(sorted((*scan.skipped, *gone), key=lambda s: s.path))
    return dataclasses.replace(scan, assets=kept, skipped=skipped)


def read_ledger(cli_value: str | os.PathLike[str] | None, policy_ledger: Path | str | None = None,
                trust: LedgerTrust | None = None, *, delivery: Path | None = None
                ) -> tuple[Sequence[ApprovalLike], LedgerInfo]:
    """Approvals and the ledger's state. A missing file is a warning, a failed verify makes the audit incomplete.

    The ledger is ``--ledger``, else ``$PROVENANCE_LEDGER``, else the policy's ``ledger.path``, else
    ``./provenance.db``: a file path or a postgresql:// URL. It is opened read-only, and verify, head and
    approvals are read in one snapshot, so approvals added meanwhile never read as tampering.
    ``trust`` (from --policy or the user's configuration) says which approver keys count and whether
    approvals must be signed.
    """
    from provenance.ledger import LedgerError, is_url, open_ledger, redact, resolve_ledger_path
    from provenance.ledger.snapshot import open_ledger_snapshot
    from provenance.ledger.store import ENV_VAR

    trust = trust or LedgerTrust()
    if cli_value is None and not os.environ.get(ENV_VAR) and policy_ledger is not None:
        location = str(policy_ledger)
    else:
        location = resolve_ledger_path(str(cli_value) if cli_value is not None else None)
    shown = redact(location)  # a password in the URL never reaches a report
    named_by = ledger_named_by(cli_value, policy_ledger)
    if not is_url(location) and not Path(location).exists():
        return _missing(shown, named_by)
    try:
        if delivery is not None and not is_url(location) and _inside(Path(location), delivery):
            # SQLite would open the file itself and move its atime: read a snapshot through O_NOATIME.
            ledger = open_ledger_snapshot(location)
        else:
            ledger = open_ledger(location, read_only=True)
    except (LedgerError, MemoryError) as exc:  # SQLite's deserialize takes an empty file for MemoryError
        if not is_url(location) and not _holds_ledger_tables(Path(location)):
            return _missing(shown, named_by)  # a database, but not a ledger: as good as missing
        raise UsageError(str(exc) if shown in str(exc) else f"cannot open the ledger {shown}: {exc}") from None
    try:
        with ledger.snapshot():
            # Verify first: a row edited behind the tool's back may not even parse.
            verdict = ledger.verify(approvers=trust.by_key)
            problems = tuple(str(p) for p in verdict.problems)
            try:
                # An intact ledger's table equals the replayed state verify just built: use that.
                approvals = list(verdict.replayed) if verdict.ok else ledger.approvals()
            except (LedgerError, ValueError, KeyError, TypeError) as exc:
                approvals = []
                problems += (f"approvals table unreadable ({exc}); no approval could be applied",)
    except LedgerError as exc:
        raise UsageError(f"cannot read the ledger {shown}: {exc}") from None
    finally:
        ledger.close()
    if trust.require_signed:
        # Judged per approval: its grant and every amend signed by a trusted key of its approver.
        approvals = [a.evolve(signature=verdict.trust.get(a.ref, "unsigned")) for a in approvals]
    state = "ok" if verdict.ok and not problems else "unverified"
    return approvals, LedgerInfo(shown, state, verdict.head, len(approvals), problems, events=verdict.events,
                                 require_signed=trust.require_signed)


def _inside(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def ledger_named_by(cli_value: object, policy_ledger: object) -> str | None:
    """Who named the ledger: ``--ledger``, ``$PROVENANCE_LEDGER`` or the policy; None for the default."""
    from provenance.ledger.store import ENV_VAR

    if cli_value is not None:
        return "--ledger"
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}"
    return "the policy's ledger.path" if policy_ledger is not None else None


def _missing(path: str, named_by: str | None) -> tuple[Sequence[ApprovalLike], LedgerInfo]:
    if named_by is not None:
        # A ledger someone named and that is not there must stop the audit: going on would
        # call every generated asset unapproved because of a typo in a path.
        raise UsageError(f"no approvals ledger at {path} (named by {named_by}); fix the path, or create it "
                         f"with `provenance ledger init --ledger {path}`")
    return [], LedgerInfo(path=str(path), state="missing")


def _holds_ledger_tables(path: Path) -> bool:
    """False for a SQLite database without ledger tables; True when unsure (not SQLite, a URL).

    Read through the O_NOATIME snapshot reader, so a ledger inside the delivery keeps its atime.
    """
    from provenance.ledger import LedgerError, schema
    from provenance.ledger.snapshot import read_database

    if "://" in str(path) or not path.is_file():
        return True
    try:
        data = read_database(path)
        if not data:
            return False  # SQLite takes an empty file for an empty database: no tables, so no ledger
        conn = sqlite3.connect(":memory:")
        try:
            conn.deserialize(data)
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except (sqlite3.DatabaseError, OSError, LedgerError):
        return True
    return schema.META in tables


def hash_assets(scan: ScanReport, root: Path | DeliveryRoot, wanted: set[str],
                cache: ScanCache | None = None,
                frame_hashes: dict[str, list[str]] | None = None,
                progress: Progress | None = None) -> tuple[ScanReport, dict[str, str]]:
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
        if progress is not None:
            note_phase(progress, "hashing", result.path)
            progress(len(hashes), len(wanted))
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
