"""The pure audit decision: one test per status, the findings and the exit code."""

from __future__ import annotations

from datetime import date

import pytest

from provenance.audit.evaluate import LedgerInfo, evaluate, exit_code
from provenance.ledger import Approval, Scope
from provenance.models import (
    NO_C2PA,
    Asset,
    AssetKind,
    AssetResult,
    C2paState,
    C2paStatus,
    Confidence,
    Evidence,
    ScanIssue,
    ScanReport,
    Signal,
)
from provenance.audit.policy import default_policy_text, parse_policy
from provenance.knowledge.verdict import decide

TODAY = date(2026, 11, 20)
SHA_A = "a" * 64
SHA_B = "b" * 64
POLICY = parse_policy(default_policy_text(), "built-in", None)
AI = Evidence("png", "png:tEXt:parameters", "a cat\nSteps: 20", Signal.GENERATED, Confidence.TOOL_RECORD, "AUTOMATIC1111")
CAMERA = Evidence("exif", "exif:Make", "Canon", Signal.NOT_GENERATIVE, Confidence.DECLARATION)
FROM_MANIFEST = Evidence("manifest", "manifest:digital_source_type", "trainedAlgorithmicMedia",
                         Signal.GENERATED, Confidence.DECLARATION, "vendor tool")


def asset(path: str, *evidence: Evidence, c2pa: C2paStatus = NO_C2PA, errors: tuple[ScanIssue, ...] = ()) -> AssetResult:
    return AssetResult(Asset(path, AssetKind.FILE, 100, "image/png"), decide(evidence), tuple(evidence), c2pa, errors)


def approval(ref: str = "GA-1", *, scopes=(Scope("sha256", SHA_A),), categories=("final-deliverable",),
             use: str = "final", valid_until: date | None = None, revoked: bool = False,
             superseded_by: str | None = None, approved_on: date = date(2026, 1, 5)) -> Approval:
    return Approval(ref=ref, title="Poster in sc. 12", scopes=tuple(scopes), categories=tuple(categories), use=use,
                    approver="Jane Doe", role="Legal", org="Studio", approved_on=approved_on,
                    valid_until=valid_until, document=None, document_sha256=None, conditions=None,
                    revoked=revoked, revoked_reason="withdrawn" if revoked else None, superseded_by=superseded_by)


def run(assets, approvals=(), hashes=None, scan_kwargs=None, ledger=None):
    scan = ScanReport("/d", tuple(assets), **(scan_kwargs or {}))
    return evaluate(scan, list(approvals), POLICY, TODAY, hashes or {}, ledger)


def only(result):
    (a,) = result.assets
    return a


def test_approved_by_sha256_stays_listed_as_fyi():
    a = only(run([asset("final/poster.png", AI)], [approval()], {"final/poster.png": SHA_A}))
    assert (a.status, a.severity) == ("approved", "FYI")
    assert [m.ref for m in a.approvals] == ["GA-1"]


def test_generated_in_final_without_approval_is_an_unapproved_blocker():
    a = only(run([asset("final/poster.png", AI)], [approval()], {"final/poster.png": SHA_B}))
    assert (a.status, a.severity) == ("unapproved", "BLOCKER")


def test_generated_in_temp_is_disclosed_not_blocked():
    a = only(run([asset("shots/temp/poster.png", AI)]))
    assert (a.use, a.status, a.severity) == ("temporary", "unapproved", "FYI")


def test_expired_approval():
    a = only(run([asset("p.png", AI)], [approval(valid_until=date(2026, 6, 30))], {"p.png": SHA_A}))
    assert (a.status, a.severity) == ("expired", "ISSUE")


def test_revoked_approval_outranks_a_stale_one():
    stale = approval("GA-2", scopes=(Scope("path", "final/*.png"), Scope("sha256", SHA_B)))
    a = only(run([asset("final/p.png", AI)], [approval(revoked=True), stale], {"final/p.png": SHA_A}))
    assert (a.status, a.severity) == ("revoked", "BLOCKER")
    assert {m.outcome for m in a.approvals} == {"revoked", "stale"}


def test_an_active_approval_outranks_a_revoked_one():
    newer = approval("GA-2")
    a = only(run([asset("p.png", AI)], [approval(revoked=True), newer], {"p.png": SHA_A}))
    assert a.status == "approved"


def test_stale_when_the_path_matches_but_the_pinned_content_changed():
    pinned = approval(scopes=(Scope("path", "final/p.png"), Scope("sha256", SHA_A)))
    a = only(run([asset("final/p.png", AI)], [pinned], {"final/p.png": SHA_B}))
    assert (a.status, a.severity) == ("stale", "ISSUE")


def test_superseded_approval_that_no_longer_covers_the_content_is_stale():
    a = only(run([asset("p.png", AI)], [approval(superseded_by="GA-9")], {"p.png": SHA_A}))
    assert a.status == "stale" and "GA-9" in a.explanation


@pytest.mark.parametrize("kwargs, why", [
    ({"categories": ("on-screen-element",)}, "final-deliverable"),
    ({"use": "temporary"}, "temporary use"),
])
def test_out_of_scope_when_category_or_use_does_not_cover_final(kwargs, why):
    a = only(run([asset("p.png", AI)], [approval(**kwargs)], {"p.png": SHA_A}))
    assert (a.status, a.severity) == ("out-of-scope", "ISSUE")
    assert why in a.explanation


def test_temporary_approval_covers_temporary_material():
    a = only(run([asset("wip/p.png", AI)], [approval(use="temporary", categories=("on-screen-element",))],
                 {"wip/p.png": SHA_A}))
    assert a.status == "approved"


def test_pending_approval_is_out_of_scope():
    a = only(run([asset("p.png", AI)], [approval(approved_on=date(2027, 1, 1))], {"p.png": SHA_A}))
    assert a.status == "out-of-scope"


def test_tampered_c2pa_on_otherwise_approved_asset_needs_review():
    bad = C2paStatus(C2paState.INVALID, failures=("assertion.dataHash.mismatch",))
    a = only(run([asset("p.png", AI, c2pa=bad)], [approval()], {"p.png": SHA_A}))
    assert (a.status, a.severity) == ("needs-review", "ISSUE")
    assert "dataHash" in a.explanation


def test_conflicting_evidence_needs_review_when_nothing_else_is_wrong():
    a = only(run([asset("p.png", AI, CAMERA)], [approval()], {"p.png": SHA_A}))
    assert a.status == "needs-review" and "conflict" in a.explanation


def test_unapproved_is_not_softened_by_a_review_flag():
    bad = C2paStatus(C2paState.INVALID)
    a = only(run([asset("p.png", AI, c2pa=bad)]))
    assert a.status == "unapproved" and "C2PA manifest invalid" in a.explanation


def test_camera_file_is_clean_and_no_evidence_is_clean_by_default():
    result = run([asset("cam.jpg", CAMERA), asset("plain.jpg")])
    assert [(a.status, a.severity) for a in result.assets] == [("clean", None), ("clean", None)]


def test_policy_demanding_provenance_flags_no_evidence():
    strict = parse_policy(default_policy_text().replace('no-evidence = "none"', 'no-evidence = "provenance"'), "s", None)
    result = evaluate(ScanReport("/d", (asset("plain.jpg"),)), [], strict, TODAY, {})
    assert only(result).status == "needs-review"


def test_an_unreadable_file_is_never_clean_and_makes_the_audit_incomplete():
    result = run([asset("bad.png", errors=(ScanIssue("unreadable", "cannot open: Permission denied"),))])
    a = only(result)
    assert (a.status, a.severity, a.checked) == ("needs-review", None, False)
    assert not result.complete
    assert exit_code([a.severity], result.complete, "issue") == 3


def test_approval_matching_nothing_is_an_fyi_finding_but_revoked_ones_are_not():
    result = run([asset("p.png", AI)], [approval("GA-1"), approval("GA-2", scopes=(Scope("sha256", SHA_B),)),
                                        approval("GA-3", scopes=(Scope("sha256", SHA_B),), revoked=True)],
                 {"p.png": SHA_A})
    unmatched = [(f.code, f.approval, f.severity) for f in result.findings]
    assert unmatched == [("unmatched-approval", "GA-2", "FYI")]


def test_many_approvals_matching_nothing_are_one_summary_finding_naming_the_first_refs():
    # A studio ledger holds a production's approvals; one finding each would bury the report.
    idle = [approval(f"GA-{n:03d}", scopes=(Scope("sha256", SHA_B),)) for n in range(40, 0, -1)]
    gone = [approval("GA-900", scopes=(Scope("sha256", SHA_B),), revoked=True)]
    result = run([asset("p.png", AI)], [approval("GA-000"), *idle, *gone], {"p.png": SHA_A})
    (finding,) = result.findings
    assert (finding.code, finding.severity, finding.approval) == ("unmatched-approval", "FYI", None)
    assert finding.message.startswith("40 approvals match nothing in this delivery: GA-001, GA-002, ")
    assert "GA-010 and 30 more" in finding.message and "GA-011" not in finding.message
    assert "GA-000" not in finding.message and "GA-900" not in finding.message
    # Twenty or fewer are still named one by one, so a small ledger reads as before.
    few = run([asset("p.png", AI)], [approval("GA-000"), *idle[-20:]], {"p.png": SHA_A})
    assert [f.approval for f in few.findings] == [f"GA-{n:03d}" for n in range(1, 21)]


def test_manifest_findings_and_stripped_metadata():
    missing = ScanIssue("manifest-missing-file", "sh010.png: listed but not in the delivery", "manifest")
    mismatch = ScanIssue("manifest-hash-mismatch", "sh020.png: sha256 differs", "manifest")
    result = run([asset("sh030.png", FROM_MANIFEST), asset("sh040.png", FROM_MANIFEST, AI)],
                 scan_kwargs={"findings": (missing, mismatch)})
    codes = sorted((f.code, f.path, f.severity) for f in result.findings)
    assert codes == [("manifest-hash-mismatch", None, "ISSUE"), ("manifest-missing-file", None, "ISSUE"),
                     ("metadata-stripped", "sh030.png", "ISSUE")]
    assert result.complete


def test_tree_problems_and_an_unverified_ledger_make_the_audit_incomplete():
    result = run([], scan_kwargs={"problems": (ScanIssue("unreadable-folder", "shots: Permission denied"),)},
                 ledger=LedgerInfo("l.db", "unverified", None, 0, ("event 3: hash mismatch",)))
    assert not result.complete
    assert any("ledger failed verification" in r for r in result.incomplete)


def test_missing_ledger_is_a_warning_not_an_incomplete_audit():
    result = run([asset("p.png", AI)], ledger=LedgerInfo("none.db", "missing"))
    assert result.complete and "none.db" in result.warnings[0]


@pytest.mark.parametrize("severities, complete, fail_on, code", [
    (["FYI"], True, "issue", 0),
    (["ISSUE"], True, "issue", 1),
    (["BLOCKER"], False, "issue", 1),
    (["ISSUE"], True, "blocker", 0),
    (["ISSUE"], False, "blocker", 3),
    (["FYI"], True, "fyi", 1),
    (["BLOCKER"], True, "never", 0),
    ([None], False, "never", 3),
])
def test_exit_code(severities, complete, fail_on, code):
    assert exit_code(severities, complete, fail_on) == code


def test_many_unsigned_approvals_matching_nothing_are_one_summary_but_one_this_delivery_uses_is_named():
    import dataclasses

    def unsigned(a):
        return dataclasses.replace(a, signature="unsigned")

    used = unsigned(approval("GA-USED"))  # pins SHA_A, the poster's hash
    idle = [unsigned(approval(f"GA-{n:03d}", scopes=(Scope("sha256", SHA_B),))) for n in range(30, 0, -1)]
    result = run([asset("final/poster.png", AI)], [used, *idle], {"final/poster.png": SHA_A})
    unsigned_findings = [f for f in result.findings if f.code == "unsigned-approval"]
    assert [f.approval for f in unsigned_findings] == [None, "GA-USED"]  # findings sort by approval ref
    summary = unsigned_findings[0].message
    assert summary.startswith("30 approvals that match nothing in this delivery are not signed by a trusted key")
    assert "GA-001, GA-002" in summary and "GA-010 and 20 more" in summary and "GA-011" not in summary


def test_a_few_unsigned_approvals_matching_nothing_are_each_named():
    import dataclasses

    idle = [dataclasses.replace(approval(f"GA-{n}", scopes=(Scope("sha256", SHA_B),)), signature="unknown-key")
            for n in range(3)]
    result = run([asset("final/poster.png", AI)], idle, {"final/poster.png": SHA_A})
    assert sorted(f.approval for f in result.findings if f.code == "unsigned-approval") == ["GA-0", "GA-1", "GA-2"]
