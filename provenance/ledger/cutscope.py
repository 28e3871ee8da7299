"""The ``timeline`` scope kind: an approval for a record-timecode range of one cut.

Written as comma-separated ``key=value`` pairs (``;`` is the list separator of
CSV imports, so drop-frame is ``drop=true``, not a ``;`` in the timecode)::

    name=REEL2_CONFORM,range=01:02:03:00-01:02:09:12
    name=REEL2_CONFORM,sha256=<64 hex>,rate=24000/1001,drop=true,range=01:02:03:00-01:02:09:12

* ``name``: the timeline's name (an EDL's ``TITLE:``, an OTIO/XML timeline's
  name) or its file name, compared case-insensitively. Required.
* ``sha256``: the timeline file's content hash. Optional; when given, the
  approval covers only that version of the cut, and a changed timeline makes
  it ``stale``, like a pinned asset that changed.
* ``rate``: the rate the timecodes count in (24, 25, 23.976, 29.97,
  30000/1001 …). Optional: the timeline's own rate when absent.
* ``drop``: the timecodes are drop-frame (29.97 and 59.94 only).
* ``range``: record timecode in (first frame covered) to out (first frame not
  covered), as an EDL's record in/out. Required.

It covers AI material used *only* inside the range: the part of a span
outside it is not covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEYS = ("name", "sha256", "rate", "drop", "range")
_SHA = re.compile(r"[0-9a-f]{64}")
_RATE = re.compile(r"\d{1,4}(\.\d{1,4})?(/\d{1,5})?")
_TC = r"(\d\d):([0-5]\d):([0-5]\d)[:;.](\d\d)"


class CutScopeError(ValueError):
    """A timeline scope that cannot be read; the message names the fix."""


@dataclass(frozen=True)
class CutScope:
    name: str
    range_in: str  # "HH:MM:SS:FF"
    range_out: str
    sha256: str | None = None
    rate: str | None = None  # as written: "24", "29.97", "30000/1001"; the timeline decides how it counts
    drop: bool = False

    def text(self) -> str:
        parts = [f"name={self.name}"]
        if self.sha256:
            parts.append(f"sha256={self.sha256}")
        if self.rate is not None:
            parts.append(f"rate={self.rate}")
        if self.drop:
            parts.append("drop=true")
        parts.append(f"range={self.range_in}-{self.range_out}")
        return ",".join(parts)

    def identity(self, names: tuple[str, ...], sha256: str) -> str | None:
        """"covered"-able ("match"), "stale" (same name, other content) or None for another timeline."""
        if self.name.casefold() not in {n.casefold() for n in names if n}:
            return None
        if self.sha256 and self.sha256 != sha256:
            return "stale"
        return "match"

    def describe(self) -> str:
        return f"{self.name} {self.range_in}–{self.range_out}" + (f" at {self.rate} fps" if self.rate else "")


def parse_cut_scope(value: str) -> CutScope:
    text = str(value).strip()
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, eq, val = part.partition("=")
        key = key.strip().lower()
        if not eq or key not in _KEYS:
            raise CutScopeError(f"timeline scope {value!r}: {part.strip()!r} is not one of "
                                f"{', '.join(k + '=' for k in _KEYS)}; e.g. name=REEL2,range=01:02:03:00-01:02:09:12")
        if key in fields:
            raise CutScopeError(f"timeline scope {value!r}: {key}= is given twice")
        fields[key] = val.strip()
    name = fields.get("name", "")
    if not name or any(c in name for c in ";,=\n"):
        raise CutScopeError(f"timeline scope {value!r}: name= is missing or has , ; or =; give the timeline's "
                            "name or file name")
    sha = fields.get("sha256", "").lower().removeprefix("sha256:") or None
    if sha is not None and not _SHA.fullmatch(sha):
        raise CutScopeError(f"timeline scope {value!r}: sha256= is not 64 hexadecimal digits")
    rate = fields.get("rate") or None
    if rate is not None and not _RATE.fullmatch(rate):
        raise CutScopeError(f"timeline scope {value!r}: rate= {rate!r} is not a frame rate; use e.g. 24, 25, "
                            "23.976, 29.97 or 30000/1001")
    drop_text = fields.get("drop", "false").lower()
    if drop_text not in ("true", "false", "yes", "no", "1", "0"):
        raise CutScopeError(f"timeline scope {value!r}: drop= must be true or false")
    span = fields.get("range", "")
    m = re.fullmatch(rf"\s*({_TC})\s*[-–]\s*({_TC})\s*", span)
    if not m:
        raise CutScopeError(f"timeline scope {value!r}: range= must be IN-OUT record timecodes, "
                            "e.g. range=01:02:03:00-01:02:09:12")
    drop = drop_text in ("true", "yes", "1") or ";" in span
    start = tuple(int(m[i]) for i in (2, 3, 4, 5))
    end = tuple(int(m[i]) for i in (7, 8, 9, 10))
    if end <= start:
        raise CutScopeError(f"timeline scope {value!r}: the range ends at or before it starts")
    tc_in, tc_out = ("{:02d}:{:02d}:{:02d}:{:02d}".format(*t) for t in (start, end))
    return CutScope(name, tc_in, tc_out, sha, rate, drop)
