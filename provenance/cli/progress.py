"""A one-line progress bar on stderr, for people watching a long scan.

It draws only on a terminal: a redirected stderr (CI logs, a pipe) would fill
with carriage returns, so there it stays silent. Redraws are throttled so a
warm rescan of 200,000 cached files is not slowed by its own progress bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REDRAW_SECONDS = 0.1
BAR_WIDTH = 24


def format_eta(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def render_line(done: int, total: int, elapsed: float) -> str:
    """``[#####-----]  1200/20000 files  850 files/s  ETA 00:19``.

    A negative ``total`` is not known yet (the walk is still finding files): the count shows, no bar or ETA.
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    if total < 0:
        return f"[{'.' * BAR_WIDTH}] {done}/? files  {rate:,.0f} files/s"
    fraction = done / total if total else 1.0
    filled = int(BAR_WIDTH * fraction)
    eta = format_eta((total - done) / rate) if rate > 0 else "--:--"
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    return f"[{bar}] {done}/{total} files  {rate:,.0f} files/s  ETA {eta}"


class ProgressBar:
    """Callable as ``progress(done, total)``; does nothing when disabled."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None,
                 clock: object = time.monotonic) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _is_terminal(self._stream)
        self.enabled = enabled
        self._clock = clock
        self._start: float | None = None
        self._last_draw = float("-inf")
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self._clock()  # type: ignore[operator]
        if self._start is None:
            self._start = now
        if (total < 0 or done < total) and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        self._stream.write("\r" + render_line(done, total, now - self._start) + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the line, so what follows on stderr starts at column 0."""
        if self.enabled and self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
