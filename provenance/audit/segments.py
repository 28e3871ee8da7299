"""Approval judgment per frame range of a sequence.

A sequence asset is judged as a whole (its path, its sequence digest, its C2PA
ids). An approval can also pin single frames by their own sha256: a vendor
approves the ten generated frames of a shot, or a still that renders happened
to number. Such an approval covers exactly the frames it pins, so the status is
given per segment: the scan's segments (frames with the same evidence), split
further where the set of frame-pinning approvals changes.

The model is one small function for other judges to reuse (the timeline audit
intersects a clip's frames with these segments):

* :func:`judge_segments` gives the :class:`SegmentAudit` of every frame range;
* :func:`with_segments` puts them on an :class:`AssetAudit` and, when some
  approval pins frames, derives the asset's status from them (the most severe
  segment); without frame pins the asset's status is the whole-asset one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import fileseq

from provenance.audit.evaluate import ApprovalLike, ApprovalMatch, AssetAudit, judge, status_of
from provenance.audit.policy import SEVERITY_RANK, Policy
from provenance.ledger.index import ApprovalIndex
from provenance.models import AssetResult
from provenance.scan.sequences import frame_range_text


@dataclass(frozen=True)
class SegmentAudit:
    """The audit of one frame range of a sequence."""

    frames: str  # "1040-1060", fileseq notation
    frame_numbers: tuple[int, ...]
    verdict: str  # the scan verdict of these frames
    status: str  # same vocabulary as AssetAudit.status
    severity: str | None
    explanation: str
    approvals: tuple[ApprovalMatch, ...] = ()  # whole-asset matches plus the ones pinning these frames

    def to_dict(self) -> dict[str, object]:
        return {"frames": self.frames, "verdict": self.verdict, "status": self.status, "severity": self.severity,
                "explanation": self.explanation, "approvals": [m.ref for m in self.approvals]}


def frame_pins(approval: ApprovalLike) -> tuple[str, ...]:
    """The sha256 values an approval pins (its ``sha256`` scopes)."""
    scopes = getattr(approval, "scopes", None) or ()  # None: a hand-built record without scopes
    return tuple(str(s.value).lower() for s in scopes if getattr(s, "kind", "") == "sha256")


def frame_numbers(result: AssetResult) -> tuple[int, ...]:
    """Frame numbers of a sequence in frame order, from its segments (which tile the sequence)."""
    out: list[int] = []
    for segment in result.segments:
        out.extend(int(f) for f in fileseq.FrameSet(segment.frames))
    return tuple(out)


def judge_segments(audit: AssetAudit, approvals: Sequence[ApprovalLike] | ApprovalIndex, policy: Policy, today: date,
                   frame_hashes: Sequence[str] | None) -> tuple[tuple[SegmentAudit, ...], bool]:
    """Every frame range of ``audit``'s sequence with its status, and whether any approval pins a frame.

    ``frame_hashes``: each frame's sha256 in frame order (``None`` when the frames were not
    hashed; then only the whole-asset matches in ``audit.approvals`` apply).
    """
    result = audit.result
    frames = frame_numbers(result)
    index: dict[str, list[int]] = {}
    if frame_hashes is not None and len(frame_hashes) == len(frames):
        for i, digest in enumerate(frame_hashes):
            index.setdefault(digest, []).append(i)
    whole = {m.ref for m in audit.approvals if m.match == "covered"}
    pinned: dict[int, list[ApprovalLike]] = {}  # frame index -> approvals pinning that frame
    if index:
        # Looked up by digest (a ledger of 100,000 approvals is not walked per sequence).
        lookup = approvals if isinstance(approvals, ApprovalIndex) else ApprovalIndex(approvals)
        for digest, at in index.items():
            for approval in lookup.pinning(digest):
                if approval.ref not in whole:
                    for i in at:
                        pinned.setdefault(i, []).append(approval)
    rule = policy.uses[audit.use]
    out: list[SegmentAudit] = []
    start = 0
    for segment in result.segments:
        count = len(fileseq.FrameSet(segment.frames))
        verdict = str(segment.verdict.kind)
        run = start
        for i in range(start, start + count + 1):
            if i < start + count and _refs(pinned, i) == _refs(pinned, run):
                continue
            span = frames[run:i]
            text = frame_range_text(span)
            own = [judge(a, "covered", audit.use, rule.approval_uses, rule.categories, today)
                   for a in pinned.get(run, ())]
            own = [replace(m, frames=text) for m in own]
            refs = {m.ref for m in own}
            matches = sorted([*(m for m in audit.approvals if m.ref not in refs), *own], key=lambda m: m.ref)
            status, why = status_of(verdict, policy.verdicts[verdict], audit.use, matches)
            out.append(SegmentAudit(text, tuple(span), verdict, status, policy.severity_of(audit.use, status), why,
                                    tuple(matches)))
            run = i
        start += count
    return tuple(out), bool(pinned)


def _refs(pinned: Mapping[int, list[ApprovalLike]], i: int) -> tuple[str, ...]:
    return tuple(sorted(a.ref for a in pinned.get(i, ())))


def _rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", len(SEVERITY_RANK))


def with_segments(audit: AssetAudit, approvals: Sequence[ApprovalLike] | ApprovalIndex, policy: Policy, today: date,
                  frame_hashes: Mapping[str, Sequence[str]]) -> AssetAudit:
    """``audit`` with its segments; when an approval pins frames, the status comes from the segments.

    ``frame_hashes``: {sequence path: each frame's sha256 in frame order} for the hashed sequences.
    """
    if not audit.result.segments:
        return audit
    segments, pins = judge_segments(audit, approvals, policy, today, frame_hashes.get(audit.result.path))
    if not pins:
        return replace(audit, segments=segments)
    frame_matches = {m.ref: m for s in segments for m in s.approvals if m.frames is not None}
    matches = tuple(sorted([*audit.approvals, *frame_matches.values()], key=lambda m: m.ref))
    open_ = [s for s in segments if s.status not in ("approved", "clean")]
    if open_:
        worst = min(open_, key=lambda s: (_rank(s.severity), s.frame_numbers))
        status = worst.status
        why = "; ".join(f"frames {s.frames}: {s.status} ({s.explanation})" for s in open_)
        covered = [s.frames for s in segments if s.status == "approved"]
        if covered:
            why += f"; frames {', '.join(covered)} approved"
    elif any(s.status == "approved" for s in segments):
        status = "approved"
        why = "; ".join(f"frames {s.frames}: {s.explanation}" for s in segments if s.status == "approved")
    else:
        status, why = "clean", "nothing to approve"
    if audit.status == "needs-review" and status in ("approved", "clean"):
        return replace(audit, approvals=matches, segments=segments)  # a review flag still stands
    severity = policy.severity_of(audit.use, status)
    if not audit.checked:
        why += f"; could not be read fully ({audit.result.errors[0].code})"
        if status == "clean":
            status, severity = "needs-review", None
    return replace(audit, status=status, severity=severity, explanation=why, approvals=matches, segments=segments)
