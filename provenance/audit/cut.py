"""The cut-aware audit: where each flagged asset shows in the conform timeline, and whether it is approved.

Pure apart from reading the timeline files: the runner passes the scan, the
approvals and the policy. Rules (docs/audit.md, "Timelines"):

* a span is a run of record frames on one track where a clip shows frames
  of a flagged asset (for a sequence: frames of a segment whose verdict is
  AI-generated or AI-modified; handles under transitions and the frames a
  retime reads included);
* every span is judged as **final** use, wherever its file sits in the folder
  tree: it is in the cut. So an unapproved span is a BLOCKER by default;
* asset rows keep the status their path gives them: the cut never lowers it;
* a ``timeline`` scope (``ledger/cutscope.py``) covers an asset used only
  inside its record range; a span partly outside is split, and the part
  outside is judged without that approval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import fileseq

from provenance.models import AssetKind, AssetResult
from provenance.scan.sequences import frame_range_text
from provenance.timeline.cut import Cut, CutClip
from provenance.timeline.timecode import rate_label
from provenance.timeline.frames import FrameMap, map_frames
from provenance.timeline.resolve import AssetIndex, IndexedAsset, Resolution, resolve

from .cut_approvals import CutApproval, Pinned, boundaries
from .evaluate import AssetAudit, Finding, assess
from .policy import SEVERITY_RANK, Policy
from .segments import judge_segments



@dataclass(frozen=True)
class ClipUse:
    clip: CutClip
    resolution: Resolution
    maps: Mapping[str, FrameMap]  # by asset label, for sequences


@dataclass(frozen=True)
class Shown:
    """Record frames [start, end) of one clip that show flagged frames of one asset."""

    cut: Cut
    use: ClipUse
    asset: str
    start: int
    end: int
    frames: tuple[int, ...]  # sequence frames shown, sorted; () for a single file


@dataclass(frozen=True)
class Span:
    track: str
    clip: str
    clip_index: int
    record_in: int
    record_out: int
    tc_in: str
    tc_out: str
    asset: str
    frames: str | None
    status: str
    severity: str | None
    explanation: str
    approvals: tuple[str, ...] = ()
    ambiguous: bool = False
    note: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "clip": self.clip, "clip_index": self.clip_index,
                "record_in": self.record_in, "record_out": self.record_out, "tc_in": self.tc_in,
                "tc_out": self.tc_out, "asset": self.asset, "frames": self.frames, "status": self.status,
                "severity": self.severity, "explanation": self.explanation, "approvals": list(self.approvals),
                "ambiguous": self.ambiguous, "note": self.note, "line": self.line}


@dataclass(frozen=True)
class CutReport:
    cut: Cut
    uses: tuple[ClipUse, ...]
    spans: tuple[Span, ...]
    unused: tuple[str, ...]  # flagged assets this cut does not use

    def to_dict(self) -> dict[str, Any]:
        c = self.cut
        return {
            "path": c.path, "name": c.name, "sha256": c.sha256, "format": c.format,
            "rate": str(c.rate), "rate_label": rate_label(c.rate), "drop_frame": c.drop_frame,
            "start": c.start, "end": c.end, "tc_start": c.tc(c.start), "tc_end": c.tc(c.end),
            "tracks": list(c.tracks),
            "clips": [_clip_dict(c, u) for u in self.uses],
            "spans": [s.to_dict() for s in self.spans],
            "unused_flagged": list(self.unused),
        }


def _clip_dict(cut: Cut, use: ClipUse) -> dict[str, Any]:
    clip, res = use.clip, use.resolution
    return {"track": clip.track, "index": clip.index, "name": clip.name, "tc_in": cut.tc(clip.record_in),
            "tc_out": cut.tc(clip.record_out), "resolution": res.state, "rule": res.rule, "key": res.key,
            "assets": [a.label for a in res.candidates], "line": clip.line,
            "frames": {k: (frame_range_text(m.used()) if not m.whole else "all") for k, m in use.maps.items()},
            "notes": [m.note for m in use.maps.values() if m.note]}


def index_assets(assets: Iterable[AssetResult], root: str = "") -> list[IndexedAsset]:
    out = []
    for a in assets:
        if a.asset.kind is AssetKind.SEQUENCE:
            out.append(IndexedAsset(root, a.path, "sequence", _frame_list(a.asset.frames)))
        else:
            out.append(IndexedAsset(root, a.path, "file"))
    return out


def _frame_list(text: str | None) -> tuple[int, ...]:
    return tuple(int(f) for f in fileseq.FrameSet(text)) if text else ()


def resolve_cut(cut: Cut, index: AssetIndex) -> tuple[ClipUse, ...]:
    uses = []
    for clip in cut.clips:
        res = resolve(clip, index)
        maps = {a.label: map_frames(clip, a) for a in res.candidates if a.kind == "sequence"}
        uses.append(ClipUse(clip, res, maps))
    return tuple(uses)


def ai_frames(result: AssetResult) -> tuple[int, ...] | None:
    """The frames that carry AI evidence; None: the whole asset (a file, or a sequence without AI segments)."""
    if result.asset.kind is not AssetKind.SEQUENCE:
        return None
    flagged = [s for s in result.segments if s.verdict.kind.is_ai]
    if not flagged:
        return None
    return tuple(sorted({f for s in flagged for f in _frame_list(s.frames)}))


def shown(cut: Cut, uses: Sequence[ClipUse], flagged: Mapping[str, tuple[int, ...] | None]) -> list[Shown]:
    """Where each flagged asset shows: runs of record frames, split where the shown frames stop being flagged."""
    out = []
    for use in uses:
        for asset in use.resolution.candidates:
            if asset.label not in flagged:
                continue
            wanted = flagged[asset.label]
            fmap = use.maps.get(asset.label)
            record = use.clip.record_in
            if fmap is None or fmap.whole:
                frames = () if fmap is None else tuple(wanted or asset.frames)
                out.append(Shown(cut, use, asset.label, record, use.clip.record_out, frames))
                continue
            run: list[int] = []
            run_start = None
            for k, frame in enumerate((*fmap.per_record, None)):
                hit = frame is not None and (wanted is None or frame in wanted)
                if hit:
                    run_start = record + k if run_start is None else run_start
                    run.append(frame)  # type: ignore[arg-type]
                elif run_start is not None:
                    out.append(Shown(cut, use, asset.label, run_start, record + k, tuple(sorted(set(run)))))
                    run, run_start = [], None
    return out


def build_reports(cuts: Sequence[Cut], uses: Mapping[str, tuple[ClipUse, ...]], shown_all: Sequence[Shown],
                  audits: Mapping[str, AssetAudit], approvals: Sequence[CutApproval], policy: Policy,
                  today: date, delivery: Mapping[str, AssetAudit],
                  frame_hashes: Mapping[str, Sequence[str]] | None = None) -> tuple[list[CutReport], list[Finding]]:
    frame_hashes = frame_hashes or {}
    reports, findings = [], []
    flagged = sorted(label for label, a in delivery.items() if a.status != "clean")
    for cut in cuts:
        cut_uses = uses[cut.path]
        pieces = [s for s in shown_all if s.cut is cut]
        edges = boundaries(approvals, cut)
        spans = []
        for piece in pieces:
            for part in _split(piece, edges):
                spans.extend(_judge(part, audits[part.asset], approvals, policy, today, frame_hashes))
        order = {name: i for i, name in enumerate(cut.tracks)}
        spans.sort(key=lambda s: (order.get(s.track, len(order)), s.record_in, s.asset))
        used = {s.asset for s in spans}
        reports.append(CutReport(cut, cut_uses, tuple(spans), tuple(f for f in flagged if f not in used)))
        findings.extend(_clip_findings(cut, cut_uses, policy))
    return reports, findings


def _split(piece: Shown, edges: Sequence[int]) -> list[Shown]:
    cuts = [e for e in edges if piece.start < e < piece.end]
    if not cuts:
        return [piece]
    out = []
    bounds = [piece.start, *cuts, piece.end]
    fmap = piece.use.maps.get(piece.asset)
    for lo, hi in zip(bounds, bounds[1:]):
        frames = piece.frames
        if fmap is not None and not fmap.whole:
            sub = fmap.per_record[lo - piece.use.clip.record_in:hi - piece.use.clip.record_in]
            frames = tuple(sorted({f for f in sub if f is not None and f in set(piece.frames)}))
        out.append(Shown(piece.cut, piece.use, piece.asset, lo, hi, frames))
    return out


def _judge(part: Shown, audit: AssetAudit, approvals: Sequence[CutApproval], policy: Policy, today: date,
           frame_hashes: Mapping[str, Sequence[str]]) -> list[Span]:
    """The spans of one piece: one, or one per segment status of a sequence whose frames are approved apart."""
    pinned = [Pinned(a, part) for a in approvals]
    judged = assess(audit.result, pinned, policy, today, audit.sha256, use="final")
    clip = part.use.clip
    fmap = part.use.maps.get(part.asset)
    notes = [n for n in (fmap.note if fmap else None,) if n]
    ambiguous = part.use.resolution.state == "ambiguous"
    if ambiguous:
        notes.append(part.use.resolution.describe())

    def span(start: int, end: int, frames: Sequence[int], status: str, severity: str | None, why: str,
             refs: Iterable[str]) -> Span:
        return Span(track=clip.track, clip=clip.name, clip_index=clip.index, record_in=start, record_out=end,
                    tc_in=part.cut.tc(start), tc_out=part.cut.tc(end), asset=part.asset,
                    frames=frame_range_text(sorted(frames)) if frames else None, status=status, severity=severity,
                    explanation=why, approvals=tuple(sorted(set(refs))), ambiguous=ambiguous,
                    note="; ".join(notes) or None, line=clip.line)

    whole = span(part.start, part.end, part.frames, judged.status, judged.severity, judged.explanation,
                 (m.ref for m in judged.approvals))
    if not audit.result.segments or not part.frames:
        return [whole]
    # The sequence model of segments.py: approvals pinned to single frames judge the segments holding them.
    segments, pins = judge_segments(judged, pinned, policy, today, frame_hashes.get(part.asset))
    if not pins:
        return [whole]
    by_frame = {f: seg for seg in segments for f in seg.frame_numbers}
    offset = part.start - clip.record_in
    per_record = fmap.per_record[offset:offset + part.end - part.start] if fmap and not fmap.whole else ()
    if len(per_record) != part.end - part.start:  # no exact frame per record frame: the worst segment shown
        shown_segments = {id(by_frame[f]): by_frame[f] for f in part.frames if f in by_frame}
        worst = min(shown_segments.values(), key=lambda g: _rank(g.severity) if g.status != "clean" else 99)
        return [span(part.start, part.end, part.frames, worst.status, worst.severity, worst.explanation,
                     (m.ref for m in worst.approvals))]
    out: list[Span] = []
    run_start, run_seg, run_frames = part.start, None, []
    for k, frame in enumerate((*per_record, None)):
        seg = by_frame.get(frame) if frame is not None else None
        if k < len(per_record) and (run_seg is None or seg is run_seg):
            run_seg = seg if run_seg is None else run_seg
            run_frames.append(frame)
            continue
        if run_seg is not None:
            out.append(span(run_start, part.start + k, run_frames, run_seg.status, run_seg.severity,
                            f"frames {run_seg.frames}: {run_seg.explanation}", (m.ref for m in run_seg.approvals)))
        run_start, run_seg, run_frames = part.start + k, seg, [frame]
    return out or [whole]


def _clip_findings(cut: Cut, uses: Sequence[ClipUse], policy: Policy) -> list[Finding]:
    out = []
    for use in uses:
        clip, res = use.clip, use.resolution
        where = f"{cut.path.rpartition('/')[2]} {clip.track} {cut.tc(clip.record_in)}-{cut.tc(clip.record_out)}" \
                + (f" (line {clip.line})" if clip.line else "")
        if res.state == "unresolved":
            out.append(Finding("timeline-unresolved", policy.finding_severity("timeline-unresolved"),
                               f"{where}: clip {clip.name!r}: {res.describe()}; add the media to the delivery "
                               "or pass --media-root", path=cut.path))
        elif res.state == "ambiguous":
            out.append(Finding("timeline-ambiguous", policy.finding_severity("timeline-ambiguous"),
                               f"{where}: clip {clip.name!r}: {res.describe()}; every candidate is judged",
                               path=cut.path))
    return out


@dataclass(frozen=True)
class CutPlan:
    """The cuts resolved against the scanned assets, before the audit judges anything."""

    cuts: tuple[Cut, ...]
    uses: Mapping[str, tuple[ClipUse, ...]]  # by cut path
    results: Mapping[str, AssetResult]  # by asset label (delivery paths, "root:path" for media roots)
    shown_ai: tuple[Shown, ...]  # where AI-verdict frames show: what timeline scopes are asked about


def load_cuts(paths: Sequence[Any], rate: str | Fraction) -> tuple[Cut, ...]:
    from provenance.timeline.cut import load_cut

    return tuple(load_cut(p, rate) for p in paths)


def plan_cuts(cuts: Sequence[Cut], results: Sequence[tuple[str, AssetResult]]) -> CutPlan:
    """``results``: (root label, scanned asset) for the delivery ("") and every media root."""
    by_label: dict[str, AssetResult] = {}
    indexed = []
    for root, result in results:
        entry = index_assets([result], root)[0]
        by_label[entry.label] = result
        indexed.append(entry)
    index = AssetIndex(indexed)
    uses = {cut.path: resolve_cut(cut, index) for cut in cuts}
    ai = {label: ai_frames(r) for label, r in by_label.items() if r.verdict.kind.is_ai}
    shown_ai = tuple(s for cut in cuts for s in shown(cut, uses[cut.path], ai))
    return CutPlan(tuple(cuts), uses, by_label, shown_ai)


def apply_cuts(result: Any, plan: CutPlan, audits: Mapping[str, AssetAudit], approvals: Sequence[CutApproval],
               policy: Policy, today: date, frame_hashes: Mapping[str, Sequence[str]] | None = None) -> Any:
    """The audit result with its ``timelines`` and the timeline findings added. Asset rows are unchanged."""
    import dataclasses

    flagged = {label: (ai_frames(a.result) if a.result.verdict.kind.is_ai else None)
               for label, a in audits.items() if a.status != "clean"}
    shown_all = [s for cut in plan.cuts for s in shown(cut, plan.uses[cut.path], flagged)]
    delivery_flagged = {a.result.path: a for a in result.assets}
    reports, findings = build_reports(plan.cuts, plan.uses, shown_all, audits, approvals, policy, today,
                                      delivery_flagged, frame_hashes)
    merged = sorted((*result.findings, *findings),
                    key=lambda f: (_rank(f.severity), f.code, f.path or "", f.approval or "", f.message))
    return dataclasses.replace(result, findings=tuple(merged), timelines=tuple(reports))


def _rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", len(SEVERITY_RANK))
