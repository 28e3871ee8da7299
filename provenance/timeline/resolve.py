"""Which scanned asset a clip uses. The rules (docs/audit.md, "Timelines"):

A clip is tried against the assets by these keys, in order; the first key
that finds any asset decides, and two or more assets found by it is an
**ambiguous** match, reported with every candidate and never picked silently.

1. **path**: the media reference's target URL (or an EDL's ``* SOURCE FILE:``),
   as a path. ``file://`` URLs are decoded. Every asset whose name matches
   (rule 2's comparison) is scored by how many folder names at the end of
   its path equal those of the target's; the single best score wins, a tie is
   ambiguous. So ``/mnt/job/shots/a/plate.exr`` picks ``shots/a/plate.exr``
   over ``shots/b/plate.exr``.
2. **file name**: the file name of the target (or the media reference's
   name), compared case-insensitively with each asset's file name. A frame
   sequence matches by its name with the frame number taken out: the
   scanned ``sh010.####.exr`` matches ``sh010.1001.exr``, ``sh010.%04d.exr``,
   ``sh010.####.exr``, ``sh010.[1001-1300].exr`` and ``sh010.@@@@.exr``.
3. **clip name**: the clip's name (an EDL's ``* FROM CLIP NAME:``), as a file
   name when it has an extension, else compared with asset names without
   their extension (and a sequence's name without its frame part).
4. **reel**: the reel or tape name, compared like a clip name without
   extension. The EDL reels ``AX``, ``BL`` and ``BLACK`` name no media.

A clip none of these finds is **unresolved** (finding ``timeline-unresolved``).
Assets of the delivery and of every ``--media-root`` are one pool; a name
found in two roots is ambiguous like any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from .cut import CutClip, MediaHints

_SEQ_TOKEN = re.compile(r"(#+|@+|%0?\d*d|\[-?\d+-?-?\d+\]|<[Ff][Rr][Aa][Mm][Ee]>)")
_NUMBERED = re.compile(r"^(.*?)(-?\d+)(\.[A-Za-z0-9]+)$")
_NO_MEDIA_REELS = {"AX", "BL", "BLK", "BLACK"}


@dataclass(frozen=True)
class IndexedAsset:
    """An asset a clip can resolve to. ``root`` is "" for the delivery, else the media root's label."""

    root: str
    path: str  # relative to its root; a pattern (``sh010.####.exr``) for sequences
    kind: str  # "file" | "sequence"
    frames: tuple[int, ...] = ()  # a sequence's frame numbers, sorted

    @property
    def label(self) -> str:
        return f"{self.root}:{self.path}" if self.root else self.path

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass(frozen=True)
class Resolution:
    state: str  # "resolved" | "ambiguous" | "unresolved"
    rule: str | None  # "path" | "file name" | "clip name" | "reel"
    key: str | None  # the value that found the assets
    candidates: tuple[IndexedAsset, ...] = ()

    @property
    def asset(self) -> IndexedAsset | None:
        return self.candidates[0] if self.state == "resolved" else None

    def describe(self) -> str:
        if self.state == "unresolved":
            return "no media found (tried path, file name, clip name, reel)"
        names = ", ".join(c.label for c in self.candidates)
        if self.state == "ambiguous":
            return f"ambiguous by {self.rule} {self.key!r}: {names}"
        return f"by {self.rule} {self.key!r}"


def _name_keys(name: str) -> set[tuple[str, str]]:
    """Keys a file name can match: ("file", name) and ("seq", head|ext) when it names a frame."""
    low = name.casefold()
    keys = {("file", low)}
    token = _SEQ_TOKEN.search(low)
    if token:
        head, tail = low[:token.start()], low[token.end():]
        keys.add(("seq", f"{head}|{tail}"))
        return keys
    m = _NUMBERED.match(low)
    if m:
        keys.add(("seq", f"{m[1]}|{m[3]}"))
    return keys


def _stem_keys(name: str) -> set[str]:
    low = name.casefold()
    stems = {low}
    dot = low.rfind(".")
    if dot > 0:
        stems.add(low[:dot])
    return stems


class AssetIndex:
    """Assets by the keys the rules compare, built once per audit."""

    def __init__(self, assets: Iterable[IndexedAsset]) -> None:
        self.assets = tuple(sorted(assets, key=lambda a: (a.root, a.path)))
        self._by_name: dict[tuple[str, str], list[IndexedAsset]] = {}
        self._by_stem: dict[str, list[IndexedAsset]] = {}
        for asset in self.assets:
            name = asset.name.casefold()
            if asset.kind == "sequence":
                token = _SEQ_TOKEN.search(name)
                head, tail = (name[:token.start()], name[token.end():]) if token else (name, "")
                self._by_name.setdefault(("seq", f"{head}|{tail}"), []).append(asset)
                stem = head.rstrip("._- ")
            else:
                self._by_name.setdefault(("file", name), []).append(asset)
                stem = name.rpartition(".")[0] if "." in name.lstrip(".") else name
            self._by_stem.setdefault(stem, []).append(asset)

    def by_name(self, name: str) -> list[IndexedAsset]:
        found: dict[str, IndexedAsset] = {}
        for key in _name_keys(name):
            for asset in self._by_name.get(key, ()):
                found[asset.label] = asset
        return sorted(found.values(), key=lambda a: a.label)

    def by_stem(self, name: str) -> list[IndexedAsset]:
        if "." in name.strip(".") and self.by_name(name):
            return self.by_name(name)
        found: dict[str, IndexedAsset] = {}
        for stem in _stem_keys(name):
            for asset in self._by_stem.get(stem, ()):
                found[asset.label] = asset
        return sorted(found.values(), key=lambda a: a.label)


def url_path(url: str) -> str:
    """A target URL or path as a "/"-separated path (``file://localhost/D%3a/x.mov`` → ``D:/x.mov``)."""
    text = url.strip()
    if "://" in text:
        parsed = urlparse(text)
        text = unquote(parsed.path)
        if re.match(r"^/[A-Za-z]:/", text):
            text = text[1:]
    return text.replace("\\", "/")


def resolve(clip: CutClip, index: AssetIndex) -> Resolution:
    hints = clip.hints
    for rule, key, finder in _attempts(hints, index):
        found = finder(key)
        if not found:
            continue
        if rule == "path":
            found = _best_suffix(key, found)
        state = "resolved" if len(found) == 1 else "ambiguous"
        return Resolution(state, rule, key, tuple(found))
    return Resolution("unresolved", None, None)


def _attempts(hints: MediaHints, index: AssetIndex) -> list[tuple[str, str, object]]:
    out: list[tuple[str, str, object]] = []
    for url in dict.fromkeys(u for u in (hints.target_url, hints.source_file) if u):
        path = url_path(url)
        if path.rpartition("/")[2]:
            out.append(("path", path, lambda p: index.by_name(p.rpartition("/")[2])))
    if hints.media_name:
        out.append(("file name", hints.media_name, index.by_name))
    if hints.clip_name:
        out.append(("clip name", hints.clip_name, index.by_stem))
    if hints.reel and hints.reel.upper() not in _NO_MEDIA_REELS:
        out.append(("reel", hints.reel, index.by_stem))
    return out  # type: ignore[return-value]


def _best_suffix(path: str, found: Sequence[IndexedAsset]) -> list[IndexedAsset]:
    """The candidates whose folders agree longest with the target's, from the end."""
    target = [p.casefold() for p in path.split("/")[:-1] if p]

    def score(asset: IndexedAsset) -> int:
        folders = [p.casefold() for p in asset.path.split("/")[:-1]]
        n = 0
        while n < len(folders) and n < len(target) and folders[-1 - n] == target[-1 - n]:
            n += 1
        return n

    best = max(score(a) for a in found)
    return [a for a in found if score(a) == best]
