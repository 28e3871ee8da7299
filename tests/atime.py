"""Access times in tests: age a file so a read would move its atime, and see whether reads do here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def age(path: Path) -> int:
    """Set ``path``'s atime three days before its mtime, where relatime moves it on any read; returns it."""
    st = path.stat()
    old = st.st_mtime_ns - 3 * 86400 * 10**9
    os.utime(path, ns=(old, st.st_mtime_ns))
    return old


def skip_unless_reads_move_atime(where: Path) -> None:
    """Skip where a plain read leaves atime alone (a noatime mount): a careless read could not show."""
    probe = where / ".atime-probe"
    probe.write_bytes(b"x")
    old = age(probe)
    probe.read_bytes()
    moved = probe.stat().st_atime_ns != old
    probe.unlink()
    if not moved:
        pytest.skip("reads do not move atime on this filesystem (noatime mount), so there is nothing to see")
