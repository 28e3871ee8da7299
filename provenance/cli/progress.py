"""A one-line progress display on stderr, for people watching a long scan or audit.

It draws only on a terminal: a redirected stderr (CI logs, a pipe) would fill
with carriage returns, so there it stays silent and starts no threads.
``start`` runs a fast listing pass in a background thread, ahead of the
scan, so the total is known early (the scan itself walks and reads folder by
folder and learns its total only at the end), and a ticker that redraws four
times a second, so the line moves even while one large file is being read.
The line shows the phase (listing, scanning, hashing, writing), the count,
the rate, the ETA and the folder being worked on.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from provenance.scan.render import terminal_safe

REDRAW_SECONDS = 0.1
TICK_SECONDS = 0.25
BAR_WIDTH = 24
WHERE_WIDTH = 40


def format_eta(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def render_line(done: int, total: int, elapsed: float, unit: str = "files") -> str:
    """``[#####-----]  1200/20000 files  850 files/s  ETA 00:19``.

    A negative ``total`` is not known yet (the walk is still finding files): the count shows, no bar or ETA.
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    if total < 0:
        return f"[{'.' * BAR_WIDTH}] {done}/? {unit}  {rate:,.0f} {unit}/s"
    fraction = min(done / total, 1.0) if total else 1.0
    filled = int(BAR_WIDTH * fraction)
    eta = format_eta((total - done) / rate) if rate > 0 and total >= done else "--:--"
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    return f"[{bar}] {done}/{total} {unit}  {rate:,.0f} {unit}/s  ETA {eta}"


def render_status(phase: str, done: int, total: int, elapsed: float, where: str = "", listed: int = 0) -> str:
    """``scanning [####----] 1200/20000 files  850 files/s  ETA 00:19  ep101/sh010``."""
    if phase == "listing" and total < 0:
        line = f"listing  {listed:,} files found"
    elif phase == "writing":
        line = "writing "
    else:
        line = f"{phase:<8} {render_line(done, total, elapsed, 'assets' if phase == 'hashing' else 'files')}"
    if where:
        # A vendor's folder name: never raw control characters on the terminal.
        where = terminal_safe(" ".join(where.split()))
        short = where if len(where) <= WHERE_WIDTH else "…" + where[-(WHERE_WIDTH - 1):]
        line += f"  {short}"
    return line


class ProgressBar:
    """Callable as ``progress(done, total)``, with ``phase(name, where)``; does nothing when disabled."""

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
        self._lock = threading.Lock()
        self._phase = "scanning"
        self._where = ""
        self._done = 0
        self._total = -1      # what the caller reported (-1: not known yet)
        self._listed = 0      # files the listing pass has found so far
        self._list_total = -1  # the listing pass's final count
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- what the scan and the audit call ---------------------------------------------------
    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._done, self._total = done, total
            if self._phase == "listing" and done:
                self._phase = "scanning"
            force = total >= 0 and done >= total
        self._draw(force)

    def phase(self, name: str, where: str = "") -> None:
        """The phase (listing, scanning, hashing, writing) and the folder or file being worked on."""
        if not self.enabled:
            return
        with self._lock:
            if name != self._phase:  # the next tick draws it, after the new phase's first count
                self._done, self._total = 0, -1
            self._phase, self._where = name, where
        if name == "writing" and self._threads and not self._stop.is_set():
            self._draw(force=True)  # no count follows to trigger a draw, and writing may be quick

    def start(self, root: str | os.PathLike[str] | None = None, follow_symlinks: bool = False) -> None:
        """List ``root`` in the background for an early total, and redraw on a timer."""
        if not self.enabled or self._threads:
            return
        if root is not None and os.path.isdir(root):
            self._phase = "listing"
            self._spawn(self._list, os.fspath(root), follow_symlinks)
        self._spawn(self._tick)

    def close(self) -> None:
        """Stop the threads and end the line, so what follows on stderr starts at column 0."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        with self._lock:
            if self.enabled and self._drawn:
                self._stream.write("\n")
                self._stream.flush()
                self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- drawing ------------------------------------------------------------------------------
    def _draw(self, force: bool = False) -> None:
        with self._lock:
            now = self._clock()  # type: ignore[operator]
            if self._start is None:
                self._start = now
            if not force and now - self._last_draw < REDRAW_SECONDS:
                return
            self._last_draw = now
            total = self._total
            if total < 0 and self._phase == "scanning" and self._list_total >= 0:
                total = max(self._list_total, self._done)
            line = render_status(self._phase, self._done, total, now - self._start, self._where, self._listed)
            if self._stop.is_set() and self._threads:
                return  # closing: the final newline is on its way
            self._stream.write("\r" + line + "\x1b[K")
            self._stream.flush()
            self._drawn = True

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self._draw(force=True)

    def _list(self, root: str, follow_symlinks: bool) -> None:
        """Count the files the scan will see; the scan's own walk applies the same rules."""
        try:
            from provenance.scan.walk import TreeWalk

            found = 0
            for batch in TreeWalk(root, follow_symlinks=follow_symlinks).directories():
                if self._stop.is_set():
                    return
                found += len(batch)
                with self._lock:
                    self._listed = found
                    if self._phase == "listing" and batch:
                        self._where = os.path.dirname(batch[0][1].rel)
            with self._lock:
                self._list_total = found
                if self._phase == "listing":  # listed before the first file came back
                    self._phase, self._where = "scanning", ""
        except Exception:  # noqa: BLE001 - a listing that fails costs only the early total
            return


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
