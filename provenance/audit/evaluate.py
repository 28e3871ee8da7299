"""The audit decision: scan evidence + ledger approvals + policy → a status per asset.

Pure: no I/O, no clock. The caller passes ``today`` and the hashes it computed,
so the same inputs always give the same result and every rule is testable with
hand-built records.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from provenance.scan.manifest import SCANNER_ID as MANIFEST_SCANNER
from provenance.models import AssetResult, Confidence, ScanIssue, ScanReport, Signal
from provenance.audit.declared import DeclaredApproval, cross_check, explain
from provenance.audit.policy import SEVERITY_RANK, Policy
from provenance.ledger.index import ApprovalIndex
from provenance.scan.walk import PACKAGE_MANIFEST_NAME

FAIL_ON = ("blocker", "issue", "fyi", "never")
# Tree-level scan problems that are findings about the delivery, not gaps in the check.
MANIFEST_FINDINGS = ("manifest-missing-file", "manifest-hash-mismatch")
MANIFEST_NAME = PACKAGE_MANIFEST_NAME
DECLARED_UNKNOWN = "declared-approval-unknown"
# More approvals matching nothing than this are reported as one summary finding naming the first few.
UNMATCHED_LISTED = 20
UNMATCHED_SAMPLE = 10
# When several approvals touch one asset and none approves it, the most
# decisive answer is reported: an explicit revocation outranks lapse of time,
# which outranks a content or scope mismatch.
_NOT_APPROVED_ORDER = ("revoked", "expired", "stale", "out-of-scope", "unapproved")
_PLACE = {"final": "the final deliverables", "temporary": "temporary material", "reference": "reference material",
          "ideation": "ideation material"}
_STATUS_FROM_APPROVAL = {"revoked": "revoked", "expired": "expired", "superseded": "stale", "pending": "out-of-scope"}


class ApprovalLike(Protocol):
    """What the audit reads from a ledger ``Approval``."""

    ref: str
    title: str
    categories: tuple[str, ...]
    use: str
    approver: str
    role: str | None
    org: str | None
    approved_on: date
    valid_until: date | None
    document: str | None
    document_sha256: str | None
    conditions: str | None
    superseded_by: str | None

    def status_on(self, day: date) -> str: ...

    def match(self, path: str, sha256: str | None, c2pa_instance_ids: Sequence[str] = ()) -> str | None: ...


@dataclass(frozen=True)
class ApprovalMatch:
    """One approval that touches one asset, and what it means for that asset."""

    ref: str
    title: str
    match: str  # "covered" | "stale"
    approval_status: str  # the approval's own state today
    outcome: str  # the asset status this approval alone would give
    note: str
    use: str
    categories: tuple[str, ...]
    approver: str
    valid_until: str | None
    # What a producer needs to act on the approval, shown in every report format.
    role: str | None = None
    org: str | None = None
    approved_on: str | None = None
    document: str | None = None
    document_sha256: str | None = None
    conditions: str | None = None
    signature: str | None = None  # the approval's signature state, once the ledger records one
    # Set when the approval covers only some frames of a sequence (it pins their sha256).
    frames: str | None = None


@dataclass(frozen=True)
class AssetAudit:
    result: AssetResult
    use: str
    status: str
    severity: str | None
    explanation: str
    approvals: tuple[ApprovalMatch, ...] = ()
    sha256: str | None = None
    checked: bool = True  # False: the file could not be read fully
    declared: tuple[DeclaredApproval, ...] = ()  # approval references the vendor wrote into the file
    # Sequences: the status per frame range (provenance.audit.segments.SegmentAudit).
    segments: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str | None
    message: str
    path: str | None = None
    approval: str | None = None


@dataclass(frozen=True)
class LedgerInfo:
    path: str | None = None  # never holds a password
    state: str = "missing"  # "ok" | "missing" | "unverified"
    head: str | None = None
    approvals: int = 0
    problems: tuple[str, ...] = ()
    events: int = 0
    require_signed: bool = False

    @property
    def checkpoint(self) -> str | None:
        """``N:HASH`` for `provenance ledger verify --checkpoint`: later, the chain must still hold it."""
        return f"{self.events}:{self.head}" if self.events and self.head else None


@dataclass(frozen=True)
class AuditResult:
    scan: ScanReport
    assets: tuple[AssetAudit, ...]
    findings: tuple[Finding, ...]
    policy: Policy
    ledger: LedgerInfo
    today: date
    warnings: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = field(default=())  # why the audit could not check everything
    timelines: tuple[Any, ...] = ()  # audit.cut.CutReport per --timeline: where flagged material sits in the cut

    @property
    def complete(self) -> bool:
        return not self.incomplete


def evaluate(scan: ScanReport, approvals: Sequence[ApprovalLike], policy: Policy, today: date,
             hashes: Mapping[str, str], ledger: LedgerInfo | None = None,
             refine: Callable[[AssetAudit], AssetAudit] | None = None,
             index: ApprovalIndex | None = None) -> AuditResult:
    """Give every asset a status and severity; collect delivery-level findings.

    ``refine`` revises each asset's audit before approvals are counted as matched (the runner
    passes :func:`provenance.audit.segments.with_segments`, which judges sequences per segment).
    ``index`` is an :class:`ApprovalIndex` of ``approvals`` built by the caller (to share it
    between passes); without one it is built here.
    """
    ledger = ledger or LedgerInfo(state="ok", approvals=len(approvals))
    if index is None:
        index = ApprovalIndex(approvals)
    matched_refs: set[str] = set()
    in_ledger = index.refs
    audits = []
    for result in scan.assets:
        audit = assess(result, index, policy, today, hashes.get(result.path))
        if refine is not None:
            audit = refine(audit)
        matched_refs.update(m.ref for m in audit.approvals)
        declared = cross_check(result, {m.ref for m in audit.approvals}, in_ledger)
        if declared:
            # A disagreement sits beside the status; it never changes it: only the ledger approves.
            why = explain(declared)
            audit = dataclasses.replace(audit, declared=declared,
                                        explanation=f"{audit.explanation}; {why}" if why else audit.explanation)
        audits.append(audit)

    findings = [*_manifest_findings(scan, policy), *_stripped_findings(audits, policy),
                *_declared_findings(audits, policy), *_unmatched_findings(index, matched_refs, policy, today),
                *_unsigned_findings(approvals, matched_refs, policy)]
    incomplete = [f"{a.result.path}: {a.result.errors[0].message}" for a in audits if not a.checked]
    for problem in scan.problems:
        if problem.code not in MANIFEST_FINDINGS:
            incomplete.append(problem.message)
    warnings = []
    if ledger.state == "missing":
        warnings.append(f"no approvals ledger at {ledger.path}: every generated asset is treated as unapproved"
                        if ledger.path else "no approvals ledger: every generated asset is treated as unapproved")
    if ledger.state == "unverified":
        incomplete.append("the approvals ledger failed verification: " + "; ".join(ledger.problems[:3]))
    findings.sort(key=lambda f: (_rank(f.severity), f.code, f.path or "", f.approval or "", f.message))
    return AuditResult(scan, tuple(audits), tuple(findings), policy, ledger, today,
                       tuple(warnings), tuple(incomplete))


def assess(result: AssetResult, approvals: Sequence[ApprovalLike] | ApprovalIndex, policy: Policy, today: date,
           sha256: str | None, use: str | None = None) -> AssetAudit:
    """The status of one asset. Order: approvals, then what the verdict demands, then review flags."""
    use = use or policy.classify(result.path)  # a span in the cut passes "final", wherever its file sits
    verdict = str(result.verdict.kind)
    requirement = policy.verdicts[verdict]
    rule = policy.uses[use]
    index = approvals if isinstance(approvals, ApprovalIndex) else ApprovalIndex(approvals)
    matches = []
    for approval, how in index.matches(result.path, sha256, result.c2pa.instance_ids):
        matches.append(judge(approval, how, use, rule.approval_uses, rule.categories, today))
    matches.sort(key=lambda m: m.ref)

    status, why = status_of(verdict, requirement, use, matches)
    review = _review_reasons(result, policy)
    if review and status in ("approved", "clean"):
        status, why = "needs-review", "; ".join(review) + (f" ({why})" if matches else "")
    elif review:
        why += "; also " + "; ".join(review)

    checked = not result.errors
    severity = policy.severity_of(use, status)
    if not checked:
        why += f"; could not be read fully ({result.errors[0].code})"
        if status == "clean":
            # "Could not check" is never clean: flagged for review; it makes the audit incomplete (exit 3).
            status, severity = "needs-review", None
    return AssetAudit(result, use, status, severity, why, tuple(matches), sha256, checked)


def status_of(verdict: str, requirement: str, use: str, matches: Sequence[ApprovalMatch]) -> tuple[str, str]:
    """Status and reason from the approvals that touch some content and what its verdict requires."""
    approved = [m for m in matches if m.outcome == "approved"]
    if approved:
        return "approved", f"covered by {', '.join(m.ref for m in approved)}"
    if matches:
        worst = min(matches, key=lambda m: _NOT_APPROVED_ORDER.index(m.outcome))
        return worst.outcome, f"{worst.ref}: {worst.note}"
    if requirement == "approval":
        return "unapproved", f"{verdict} material in {_PLACE[use]}, with no approval in the ledger"
    if requirement == "provenance" and verdict == "no-evidence":
        return "needs-review", f"no provenance evidence, which the policy demands for {verdict}"
    return "clean", "nothing to approve"


def judge(approval: ApprovalLike, how: str, use: str, accepted_uses: tuple[str, ...],
           needed: tuple[str, ...], today: date) -> ApprovalMatch:
    state = approval.status_on(today)
    missing = [c for c in needed if c not in approval.categories]
    # Set only under the policy's require_signed (see audit.runner.read_ledger).
    signature = getattr(approval, "signature", None)
    if signature not in (None, "valid"):
        outcome, note = "unapproved", f"approval not signed by a trusted key of its approver ({signature}); " \
                                      "under require_signed it counts as no approval"
    elif state != "active":
        outcome = _STATUS_FROM_APPROVAL.get(state, "out-of-scope")
        note = {
            "revoked": "approval revoked",
            "expired": f"approval expired on {approval.valid_until}",
            "superseded": f"approval superseded by {approval.superseded_by or 'a later approval'} "
                          "that does not cover this content",
            "pending": "approval not yet in force",
        }.get(state, f"approval is {state}")
    elif how == "stale":
        outcome, note = "stale", "approval is pinned to other content: the file changed after approval"
    elif approval.use not in accepted_uses:
        outcome, note = "out-of-scope", f"approved for {approval.use} use, but the asset is in {_PLACE[use]}"
    elif missing:
        outcome, note = "out-of-scope", f"approval lacks categor{'y' if len(missing) == 1 else 'ies'} " \
                                        f"{', '.join(missing)} needed for {_PLACE[use]}"
    else:
        outcome, note = "approved", "active approval covers this use"
    return ApprovalMatch(
        ref=approval.ref, title=approval.title, match=how, approval_status=state, outcome=outcome, note=note,
        use=approval.use, categories=tuple(approval.categories), approver=approval.approver,
        valid_until=approval.valid_until.isoformat() if approval.valid_until else None,
        role=approval.role, org=approval.org, approved_on=_iso(approval.approved_on), document=approval.document,
        document_sha256=approval.document_sha256, conditions=approval.conditions,
        signature=_signature_state(approval),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _signature_state(approval: ApprovalLike) -> str | None:
    """The signature state the ledger attached to an approval, if it records one (a str or an object with .state)."""
    sig = getattr(approval, "signature", None)
    if sig is None or isinstance(sig, str):
        return sig
    return str(getattr(sig, "state", sig))


def _review_reasons(result: AssetResult, policy: Policy) -> list[str]:
    reasons = []
    state = str(result.c2pa.state)
    if state in policy.c2pa_review_states:
        detail = f": {result.c2pa.failures[0]}" if result.c2pa.failures else ""
        reasons.append(f"C2PA manifest {state}{detail}")
    decisive = [e for e in result.evidence if e.confidence is not Confidence.HEURISTIC]
    says_ai = any(e.signal in (Signal.GENERATED, Signal.MODIFIED) for e in decisive)
    says_not = any(e.signal is Signal.NOT_GENERATIVE for e in decisive)
    if says_ai and says_not:
        reasons.append("evidence conflicts: generative and non-generative origin both declared")
    return reasons


def _manifest_findings(scan: ScanReport, policy: Policy) -> list[Finding]:
    issues: list[ScanIssue] = [*scan.findings, *scan.problems]
    return [Finding(i.code, policy.finding_severity(i.code), i.message)
            for i in issues if i.code in MANIFEST_FINDINGS]


def _is_manifest_evidence(scanner: str, location: str) -> bool:
    return scanner == MANIFEST_SCANNER or location.startswith(MANIFEST_NAME)


def _stripped_findings(audits: Sequence[AssetAudit], policy: Policy) -> list[Finding]:
    """Declared generated by the vendor's package manifest, but the file itself says nothing."""
    out = []
    for audit in audits:
        ai = [e for e in audit.result.evidence if e.signal in (Signal.GENERATED, Signal.MODIFIED)]
        declared = [e for e in ai if _is_manifest_evidence(e.scanner, e.location)]
        if declared and len(declared) == len(ai):
            out.append(Finding("metadata-stripped", policy.finding_severity("metadata-stripped"),
                               "the package manifest declares this file generated, but its embedded "
                               "metadata carries no generative-AI marker (stripped or re-encoded)",
                               path=audit.result.path))
    return out


def _declared_findings(audits: Sequence[AssetAudit], policy: Policy) -> list[Finding]:
    """A declared approval reference the ledger does not know: a claim nobody can check."""
    out = []
    for audit in audits:
        for d in audit.declared:
            if d.state != "unknown":
                continue
            severity = policy.finding_severity(DECLARED_UNKNOWN)
            if audit.use != "final" and severity is not None:
                severity = "FYI"  # outside the final deliverables an unverifiable claim is worth a note, no more
            out.append(Finding(DECLARED_UNKNOWN, severity,
                               f"the vendor declares approval {d.ref} ({', '.join(d.sources)}) for this file, "
                               f"but the ledger has no approval {d.ref}", path=audit.result.path, approval=d.ref))
    return out


def _unmatched_findings(index: ApprovalIndex, matched: set[str], policy: Policy, today: date) -> list[Finding]:
    """One finding per approval that matches nothing here; above ``UNMATCHED_LISTED``, one summary.

    A studio ledger holds the approvals of a whole production, so most match
    nothing in any one delivery: 100,000 one-line findings would bury the report.
    """
    severity = policy.finding_severity("unmatched-approval")
    idle = [a for a in index.in_force(today) if a.ref not in matched]  # revoked or superseded: nothing to say
    if len(idle) <= UNMATCHED_LISTED:
        return [Finding("unmatched-approval", severity, f"approval {a.ref} ({a.title}) matches nothing in this "
                        f"delivery", approval=a.ref) for a in idle]
    first = heapq.nsmallest(UNMATCHED_SAMPLE, (a.ref for a in idle))
    return [Finding("unmatched-approval", severity,
                    f"{len(idle)} approvals match nothing in this delivery: {', '.join(first)} "
                    f"and {len(idle) - UNMATCHED_SAMPLE} more (`provenance ledger list` lists every approval)")]


def _unsigned_findings(approvals: Sequence[ApprovalLike], matched: set[str], policy: Policy) -> list[Finding]:
    """Under require_signed: each approval whose signatures do not count, named once.

    Those that touch this delivery are always named one by one. Those that match
    nothing here are named one by one up to ``UNMATCHED_LISTED``, and above that
    summed up in one finding, as unmatched approvals are: an unsigned production
    ledger would otherwise give one finding per approval it holds.
    """
    severity = policy.finding_severity("unsigned-approval")
    unsigned = [(a, sig) for a in approvals if (sig := getattr(a, "signature", None)) not in (None, "valid")]
    idle = [(a, sig) for a, sig in unsigned if a.ref not in matched]
    named = unsigned if len(idle) <= UNMATCHED_LISTED else [(a, sig) for a, sig in unsigned if a.ref in matched]
    out = [Finding("unsigned-approval", severity,
                   f"approval {a.ref} is not signed by a trusted key of {a.approver} ({sig}); the policy requires "
                   "signed approvals, so it counts as none", approval=a.ref) for a, sig in named]
    if len(idle) > UNMATCHED_LISTED:
        first = heapq.nsmallest(UNMATCHED_SAMPLE, (a.ref for a, _ in idle))
        out.append(Finding("unsigned-approval", severity,
                           f"{len(idle)} approvals that match nothing in this delivery are not signed by a trusted "
                           f"key; the policy requires signed approvals, so they count as none: {', '.join(first)} "
                           f"and {len(idle) - UNMATCHED_SAMPLE} more (`provenance ledger verify` lists them)"))
    return out


def _rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", len(SEVERITY_RANK))


def exit_code(severities: Sequence[str | None], complete: bool, fail_on: str) -> int:
    """0 nothing at or above the threshold; 1 something is; 3 incomplete and nothing reached it."""
    if fail_on != "never":
        limit = SEVERITY_RANK[fail_on.upper()]
        if any(s is not None and SEVERITY_RANK[s] <= limit for s in severities):
            return 1
    return 0 if complete else 3


def outcome_label(code: int) -> str:
    return {0: "PASS", 1: "FAIL", 3: "INCOMPLETE"}[code]


def severities_of(data: Mapping[str, Any]) -> list[str | None]:
    """Every severity in a canonical audit dict: assets, findings and spans in the cut."""
    spans = [s.get("severity") for t in data.get("timelines", []) for s in t.get("spans", [])]
    return [a.get("severity") for a in data.get("assets", [])] + [f.get("severity") for f in data.get("findings", [])] \
        + spans
