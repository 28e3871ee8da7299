"""Approvals with a ``timeline`` scope (``ledger/cutscope.py``): do they cover a record range of a cut?

Split from ``audit/cut.py``, which finds where flagged material shows in the
cut and judges those spans; this module answers only whether an approval's
record-timecode ranges hold a span, and where its range edges cut a span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Protocol

from provenance.ledger.cutscope import CutScope, parse_cut_scope
from provenance.timeline.cut import Cut
from provenance.timeline.timecode import TimecodeError, parse_rate, tc_to_frames

from .evaluate import ApprovalLike

TIMELINE_KIND = "timeline"


class Shown(Protocol):
    """What is asked of ``audit.cut.Shown`` here (named by its fields: cut.py imports this module)."""

    @property
    def cut(self) -> Cut: ...
    @property
    def asset(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def _names(cut: Cut) -> tuple[str, str, str]:
    """What a scope's ``name=`` may be: the timeline's own name, its file name, or that without the extension."""
    file_name = cut.path.rpartition("/")[2]
    return cut.name, file_name, file_name.rpartition(".")[0]


def _cut_scopes(approval: ApprovalLike) -> list[CutScope]:
    return [parse_cut_scope(s.value) for s in getattr(approval, "scopes", None) or () if s.kind == TIMELINE_KIND]


def scope_frames(scope: CutScope, cut: Cut) -> tuple[int, int] | None:
    """The scope's [in, out) as record frames of ``cut``; None when its timecodes do not exist at that rate."""
    try:
        rate = parse_rate(scope.rate) if scope.rate else cut.rate
        start = tc_to_frames(scope.range_in, rate, scope.drop)
        end = tc_to_frames(scope.range_out, rate, scope.drop)
    except TimecodeError:
        return None
    if rate != cut.rate:  # timecodes counted at another rate: convert through time, widening never
        start = -int(-Fraction(start) / rate * cut.rate)
        end = int(Fraction(end) / rate * cut.rate)
    return start, end


def _inside(scope: CutScope, cut: Cut, start: int, end: int) -> str | None:
    """"covered", "stale" or None: does ``scope`` cover record frames [start, end) of ``cut``?"""
    ident = scope.identity(_names(cut), cut.sha256)
    if ident is None:
        return None
    bounds = scope_frames(scope, cut)
    if bounds is None or not (bounds[0] <= start and end <= bounds[1]):
        return None
    return "covered" if ident == "match" else "stale"


class CutApproval:
    """An approval whose ``match`` also honours its timeline scopes, for one asset's uses in the cuts.

    ``uses`` maps asset label → the record ranges where its flagged frames show;
    the approval covers the asset when every one lies inside one of its
    ranges (pinned scopes and paths keep matching as before).
    """

    def __init__(self, approval: ApprovalLike, uses: Mapping[str, Sequence[Shown]]) -> None:
        self._approval = approval
        self._scopes = _cut_scopes(approval)
        self._uses = uses

    def __getattr__(self, name: str) -> Any:
        return getattr(self._approval, name)

    def match(self, path: str, sha256: str | None, c2pa_instance_ids: Sequence[str] = ()) -> str | None:
        how = self._approval.match(path, sha256, c2pa_instance_ids)
        if how or not self._scopes:
            return how
        return self.match_ranges(self._uses.get(path, ()))

    def match_ranges(self, shown_list: Sequence[Shown]) -> str | None:
        if not shown_list or not self._scopes:
            return None
        results = []
        for s in shown_list:
            answers = [_inside(scope, s.cut, s.start, s.end) for scope in self._scopes]
            results.append("covered" if "covered" in answers else "stale" if "stale" in answers else None)
        if all(r == "covered" for r in results):
            return "covered"
        return "stale" if "stale" in results and None not in results else None


class Pinned:
    """One approval, asked about one piece of the cut only."""

    def __init__(self, approval: CutApproval, piece: Shown) -> None:
        self._approval = approval
        self._piece = piece

    def __getattr__(self, name: str) -> Any:
        return getattr(self._approval, name)

    def match(self, path: str, sha256: str | None, c2pa_instance_ids: Sequence[str] = ()) -> str | None:
        how = self._approval._approval.match(path, sha256, c2pa_instance_ids)
        return how or self._approval.match_ranges([self._piece])


def wrap_approvals(approvals: Sequence[ApprovalLike], shown_all: Sequence[Shown]) -> list[CutApproval]:
    by_asset: dict[str, list[Shown]] = {}
    for s in shown_all:
        by_asset.setdefault(s.asset, []).append(s)
    return [CutApproval(a, by_asset) for a in approvals]


def boundaries(approvals: Sequence[CutApproval], cut: Cut) -> list[int]:
    edges = []
    for a in approvals:
        for scope in a._scopes:
            if scope.identity(_names(cut), cut.sha256):
                edges.extend(scope_frames(scope, cut) or ())
    return sorted(set(edges))
