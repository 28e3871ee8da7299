"""``provenance timeline``: every clip of a cut and how it resolved, for checking the mapping.

Reads folder listings only (no scan): file names are all resolution needs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provenance.models import AssetKind
from provenance.scan.sequences import frame_range_text, group_files
from provenance.scan.walk import walk

from .cut import Cut
from .frames import map_frames
from .resolve import AssetIndex, IndexedAsset, resolve
from .timecode import rate_label


def index_tree(root: Path, label: str = "") -> list[IndexedAsset]:
    groups = group_files(walk(root).files)
    return [IndexedAsset(label, g.path, "sequence" if g.kind is AssetKind.SEQUENCE else "file",
                         tuple(g.frame_numbers)) for g in groups]


def media_root_labels(roots: Sequence[Path]) -> list[str]:
    """A short, unique label per extra media root: its folder name (numbered when two share one)."""
    labels: list[str] = []
    for root in roots:
        base = root.resolve().name or "media"
        label, n = base, 2
        while label in labels or label == "":
            label, n = f"{base}-{n}", n + 1
        labels.append(label)
    return labels


def clip_rows(cut: Cut, index: AssetIndex) -> list[dict[str, Any]]:
    rows = []
    for clip in cut.clips:
        res = resolve(clip, index)
        frames = {}
        notes = []
        for asset in res.candidates:
            if asset.kind == "sequence":
                fmap = map_frames(clip, asset)
                frames[asset.label] = "all" if fmap.whole else frame_range_text(fmap.used())
                if fmap.note:
                    notes.append(fmap.note)
        rows.append({"track": clip.track, "index": clip.index, "name": clip.name, "line": clip.line,
                     "tc_in": cut.tc(clip.record_in), "tc_out": cut.tc(clip.record_out),
                     "resolution": res.state, "rule": res.rule, "key": res.key,
                     "assets": [a.label for a in res.candidates], "frames": frames, "notes": notes,
                     "speed": clip.speed})
    return rows


def render_listing(cut: Cut, rows: list[dict[str, Any]], fmt: str = "table") -> str:
    if fmt == "json":
        data = {"path": cut.path, "name": cut.name, "sha256": cut.sha256, "format": cut.format,
                "rate": str(cut.rate), "drop_frame": cut.drop_frame, "clips": rows}
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    head = (f"{cut.name}  ({cut.format}, {rate_label(cut.rate)} fps{' drop-frame' if cut.drop_frame else ''}, "
            f"{cut.tc(cut.start)}-{cut.tc(cut.end)}, {len(rows)} clips)\nsha256 {cut.sha256}\n")
    table = [("TRACK", "REC IN", "REC OUT", "CLIP", "RESOLVED", "ASSET", "FRAMES")]
    for r in rows:
        how = r["resolution"] if r["resolution"] != "resolved" else f"by {r['rule']}"
        assets = ", ".join(r["assets"]) or "-"
        frames = ", ".join(f for f in r["frames"].values() if f) or "-"
        if r["speed"] != 1.0:
            frames += f" (speed {r['speed']:g})"
        table.append((r["track"], r["tc_in"], r["tc_out"], r["name"] or "-", how, assets, frames))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    lines = ["  ".join([*(c.ljust(widths[i]) for i, c in enumerate(row[:-1])), row[-1]]).rstrip() for row in table]
    notes = [f"  {r['track']} {r['tc_in']} {r['name']}: {n}" for r in rows for n in r["notes"]]
    unresolved = sum(1 for r in rows if r["resolution"] != "resolved")
    tail = f"\n{unresolved} clip(s) not resolved to exactly one asset\n" if unresolved else ""
    return head + "\n".join(lines) + "\n" + ("notes:\n" + "\n".join(notes) + "\n" if notes else "") + tail
