"""SMPTE timecode and frame rates, in pure Python (no OpenTimelineIO needed).

Rates are exact ``Fraction``s: 23.976, 29.97, 47.952 and 59.94 mean the NTSC
rationals 24000/1001, 30000/1001, 48000/1001 and 60000/1001, never the
decimals, so an hour of 29.97 drop-frame timecode lands on the right frame.

Drop-frame (``;`` before the frames, or the caller says so) exists only at
29.97 and 59.94: frame numbers 0 and 1 (0–3 at 59.94) are skipped at the start
of every minute except each tenth, so the displayed clock tracks wall time.
"""

from __future__ import annotations

import re
from fractions import Fraction

from provenance.errors import UsageError

NTSC = {"23.976": Fraction(24000, 1001), "23.98": Fraction(24000, 1001), "29.97": Fraction(30000, 1001),
        "47.952": Fraction(48000, 1001), "59.94": Fraction(60000, 1001), "119.88": Fraction(120000, 1001)}
_TC_RE = re.compile(r"(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})")


class TimecodeError(UsageError):
    """A timecode or rate that cannot be read; the message says what is wrong."""


def parse_rate(text: str | float | Fraction) -> Fraction:
    """``24``, ``25``, ``23.976``/``29.97``/``59.94`` (NTSC), or a ratio ``30000/1001``."""
    if isinstance(text, Fraction):
        rate = text
    else:
        raw = str(text).strip()
        if raw in NTSC:
            return NTSC[raw]
        try:
            rate = Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise TimecodeError(f"frame rate {text!r} is not a number; use e.g. 24, 25, 23.976, 29.97 "
                                "or 30000/1001") from None
        # A float that is an NTSC rate spelled with more digits (29.97002997) is that rate.
        for ntsc in NTSC.values():
            if abs(float(rate) - float(ntsc)) < 1e-3 and rate != round(rate):
                return ntsc
    if rate <= 0 or rate > 1000:
        raise TimecodeError(f"frame rate {text!r} is out of range; use e.g. 24, 25 or 29.97")
    return rate


def rate_label(rate: Fraction) -> str:
    if rate.denominator == 1:
        return str(rate.numerator)
    if rate.denominator == 1001:
        return f"{float(rate):.3f}".rstrip("0").rstrip(".") + f" ({rate.numerator}/1001)"
    return f"{float(rate):g}"


def nominal(rate: Fraction) -> int:
    """Frames counted per timecode second: 30 for 29.97."""
    return round(rate)


def drop_allowed(rate: Fraction) -> bool:
    return rate.denominator == 1001 and nominal(rate) in (30, 60)


def _drop_count(rate: Fraction) -> int:
    return 2 * nominal(rate) // 30


def tc_to_frames(tc: str, rate: Fraction, drop: bool | None = None) -> int:
    """Frames since 00:00:00:00. ``drop`` None: drop-frame when the text has ``;``."""
    m = _TC_RE.fullmatch(tc.strip())
    if not m:
        raise TimecodeError(f"{tc!r} is not a timecode HH:MM:SS:FF")
    hh, mm, ss, sep, ff = int(m[1]), int(m[2]), int(m[3]), m[4], int(m[5])
    is_drop = (sep in ";," or ";" in tc) if drop is None else drop
    fps = nominal(rate)
    if mm > 59 or ss > 59 or ff >= fps:
        raise TimecodeError(f"timecode {tc} is out of range at {rate_label(rate)} fps "
                            f"(minutes and seconds < 60, frames < {fps})")
    if is_drop and not drop_allowed(rate):
        raise TimecodeError(f"timecode {tc} is drop-frame, which exists only at 29.97 and 59.94; "
                            f"the rate is {rate_label(rate)} (set it with --timeline-rate)")
    total = (hh * 3600 + mm * 60 + ss) * fps + ff
    if is_drop:
        drop_n = _drop_count(rate)
        if ss == 0 and ff < drop_n and mm % 10 != 0:
            raise TimecodeError(f"drop-frame timecode {tc} does not exist (frames 0-{drop_n - 1} are "
                                f"skipped at minute {mm})")
        minutes = hh * 60 + mm
        total -= drop_n * (minutes - minutes // 10)
    return total


def frames_to_tc(frames: int, rate: Fraction, drop: bool = False) -> str:
    fps = nominal(rate)
    sign = "-" if frames < 0 else ""
    frames = abs(frames)
    if drop and drop_allowed(rate):
        drop_n = _drop_count(rate)
        per_10min = fps * 600 - drop_n * 9
        per_min = fps * 60 - drop_n
        tens, rest = divmod(frames, per_10min)
        extra = 0 if rest < drop_n else drop_n * ((rest - drop_n) // per_min)
        frames += drop_n * 9 * tens + extra
        sep = ";"
    else:
        sep = ":"
    ff = frames % fps
    secs = frames // fps
    return f"{sign}{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{sep}{ff:02d}"
