"""Warm rescans at listing speed: a folder whose listing is unchanged reuses its assembled assets.

The per-file cache saves reading files, but a rescan still looked each file up
and grouped every folder's frames into sequences again (fileseq alone was
about half of a warm rescan). Here a folder's assets, as assembled, are kept
under a *listing key*: a digest of every file's name, size, mtime, inode,
ctime, ETag, sidecar identity and notes in that folder, plus the scan version
and the grouping settings. When the walk lists the same folder again, one
look-up returns its assets: no per-file look-ups, no grouping.

The same rules as the per-file cache apply: a folder is stored only when every
file in it had been still for :data:`~provenance.scan.cache.RACY_NS` when the
scan began (or carries an ETag), and only when no file had a transient error.
Folders are not kept while a package manifest is read (its declarations and
checks run per file) or a caller adds evidence of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from provenance.models import (
    Asset,
    AssetKind,
    AssetResult,
    C2paStatus,
    Evidence,
    FrameNames,
    ScanIssue,
    Segment,
    Verdict,
    VerdictKind,
)
from provenance.scan.sequences import RULES_VERSION
from provenance.scan.walk import FileEntry


# One line per file of the key: rel, whether it sits where nothing moved it, size, mtime,
# inode, ctime, ETag, sidecar identity, notes. Both key functions below spell it with this.
_ROW = "{}\0{}\0{}\0{}\0{}\0{}\0{}\0{}\0{}".format


def listing_key(files: Sequence[FileEntry], version: str, no_grouping: Sequence[str],
                sidecar_signature: Callable[[FileEntry], str], prefix: str) -> str:
    """What must be equal for a folder's assets to be reused.

    ``prefix`` is where the walk puts a file that nothing moved (``root/``): a
    file read at another path (a followed symlink, an odd name) changes the key.
    One string per folder, hashed once: this runs for every file of a warm rescan.
    """
    return _digest(version, no_grouping, [
        _ROW(e.rel, e.abspath == prefix + e.rel, e.size, e.mtime_ns, e.inode, e.ctime_ns, e.etag,
             sidecar_signature(e) if e.sidecars else "", "|".join(e.notes)) for e in files])


def plain_listing_key(files: Sequence[tuple[str, str, int, int, int, int]], notes: Sequence[str], version: str,
                      no_grouping: Sequence[str], prefix: str) -> str:
    """:func:`listing_key` of a folder of plain files, from the walk's raw listing.

    Raw rows are ``(rel, abspath, size, mtime_ns, inode, ctime_ns)`` of files
    that are each an asset unchanged: ASCII names (printed as they are), no
    sidecars, at ``prefix + rel``, no ETag. The key is the same string, so a
    folder stored by a scan that paired it is found by one that did not.
    """
    said = "|".join(notes)
    return _digest(version, no_grouping, [
        _ROW(rel, path == prefix + rel, size, mtime_ns, inode, ctime_ns, "", "", said)
        for rel, path, size, mtime_ns, inode, ctime_ns in files])


def _digest(version: str, no_grouping: Sequence[str], rows: list[str]) -> str:
    lines = [json.dumps([version, RULES_VERSION, list(no_grouping)]), *rows]
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def still(files: Sequence[FileEntry], started_ns: int, racy_ns: int) -> bool:
    """Every file unchanged for a while before the scan began (or identified by an ETag)."""
    return all(e.etag or e.mtime_ns < started_ns - racy_ns for e in files)


def encode(assets: Sequence[AssetResult]) -> str:
    # Each distinct piece of evidence once, referred to by index: a folder of frames repeats the
    # same evidence in every asset and segment, and decoding it once per use was most of a warm rescan.
    table: dict[Evidence, int] = {}
    records = [_asset(a, table) for a in assets]
    return json.dumps({"E": [e.to_dict() for e in table], "A": records}, separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> list[AssetResult]:
    data = json.loads(text)
    evidence = [Evidence.from_dict(e) for e in data["E"]]
    return [_unasset(d, evidence) for d in data["A"]]


def _members(members: Sequence[str]) -> Any:
    if isinstance(members, FrameNames):
        # Its parts, not its names: a 10,000-frame sequence stays one small record.
        stem, width, ext, frames = members._stem, members._width, members._ext, members._frames  # noqa: SLF001
        if isinstance(frames, range):
            return {"stem": stem, "width": width, "ext": ext, "first": frames.start, "last": frames.stop - 1}
        return {"stem": stem, "width": width, "ext": ext, "frames": list(frames)}
    return list(members)


def _unmembers(data: Any) -> Sequence[str]:
    if isinstance(data, dict):
        frames = data["frames"] if "frames" in data else range(data["first"], data["last"] + 1)
        return FrameNames(data["stem"], data["width"], data["ext"], frames)
    return tuple(data)


def _verdict(v: Verdict) -> list[Any]:
    return [str(v.kind), v.reason, list(v.generators)]


_VERDICT_KINDS = {str(kind): kind for kind in VerdictKind}  # a dict look-up: Enum(value) is slow
_ASSET_KINDS = {str(kind): kind for kind in AssetKind}


def _unverdict(d: list[Any]) -> Verdict:
    return Verdict(_VERDICT_KINDS[d[0]], d[1], tuple(d[2]))


def _asset(a: AssetResult, table: dict[Evidence, int]) -> dict[str, Any]:
    x = a.asset
    return {
        "a": [x.path, str(x.kind), x.size, x.media_type, x.frames, x.missing_frames, _members(x.members)],
        "v": _verdict(a.verdict),
        "e": [table.setdefault(e, len(table)) for e in a.evidence],
        "c": a.c2pa.to_dict(),
        "r": [e.to_dict() for e in a.errors],
        "s": [[s.frames, _verdict(s.verdict), [table.setdefault(e, len(table)) for e in s.evidence], list(s.c2pa_states)]
              for s in a.segments],
        "h": a.sha256,
        "n": list(a.notes),
    }


def _unasset(d: dict[str, Any], evidence: list[Evidence]) -> AssetResult:
    path, kind, size, media_type, frames, missing, members = d["a"]
    return AssetResult(
        asset=Asset(path, _ASSET_KINDS[kind], size, media_type, frames, missing, _unmembers(members)),
        verdict=_unverdict(d["v"]),
        evidence=tuple(evidence[i] for i in d["e"]),
        c2pa=C2paStatus.from_dict(d["c"]),
        errors=tuple(ScanIssue.from_dict(e) for e in d["r"]),
        segments=tuple(Segment(s[0], _unverdict(s[1]), tuple(evidence[i] for i in s[2]), tuple(s[3]))
                       for s in d["s"]),
        sha256=d["h"],
        notes=tuple(d["n"]),
    )
