"""Reading a delivery without moving access times.

Linux updates a file's or folder's atime on read (``relatime``: when the atime
is older than the mtime or a day old), and archive and forensic workflows read
those atimes. ``O_NOATIME`` on the descriptor stops it, for files and for
folder listings alike. The kernel allows the flag only to the file's owner or
a process with ``CAP_FOWNER`` (root); for anyone else ``open`` fails with
``EPERM``, and the read falls back to a plain read-only descriptor. Callers
learn which one they got, so the fallback can be said on the asset.

Every read the tool makes inside a delivery goes through here or through
:meth:`provenance.source.ByteSource.open`, which uses the same flags.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

O_NOATIME = getattr(os, "O_NOATIME", 0)
# A file swapped for a FIFO after the walk would block open() forever.
_BASE = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
# The note put on an asset (or printed as a warning) when the flag was refused.
FALLBACK_NOTE = ("read without O_NOATIME (the file belongs to another user and provenance is not root): "
                 "its access time may have moved")
FOLDER_FALLBACK_NOTE = ("its folder was listed without O_NOATIME (owned by another user and provenance "
                        "is not root): the folder's access time may have moved")


def open_fd(path: str | os.PathLike[str], flags: int = 0) -> tuple[int, bool]:
    """A read-only descriptor and whether ``O_NOATIME`` holds on it.

    ``flags`` adds to the read-only base (``O_NOFOLLOW``, ``O_DIRECTORY``).
    Raises ``OSError`` as ``os.open`` does.
    """
    if O_NOATIME:
        try:
            return os.open(path, _BASE | flags | O_NOATIME), True
        except PermissionError:
            pass  # EPERM: not ours and not root; a plain read-only open still is allowed
    return os.open(path, _BASE | flags), False


def open_regular(path: str | os.PathLike[str], flags: int = 0) -> tuple[int, bool]:
    """:func:`open_fd` for a regular file; anything else (a FIFO, a folder) is refused."""
    fd, quiet, _ = open_regular_stat(path, flags)
    return fd, quiet


def open_regular_stat(path: str | os.PathLike[str], flags: int = 0) -> tuple[int, bool, os.stat_result]:
    """:func:`open_regular` and the descriptor's ``fstat``, so a caller needing the size stats once."""
    fd, quiet = open_fd(path, flags)
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file (changed since the folder was listed)", os.fspath(path))
    return fd, quiet, st


def open_binary(path: str | os.PathLike[str]) -> tuple[BinaryIO, bool]:
    """An unbuffered read-only file object (for Pillow and other libraries that take one)."""
    fd, quiet = open_regular(path)
    return os.fdopen(fd, "rb", buffering=0), quiet


def read_bytes(path: str | os.PathLike[str], limit: int | None = None) -> tuple[bytes, bool]:
    """The whole file; with ``limit``, raises ``OSError(EFBIG)`` past that many bytes."""
    fd, quiet = open_regular(path)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        chunks, total = [], 0
        while True:
            want = 1 << 20 if limit is None else min(1 << 20, limit + 1 - total)
            if want <= 0:
                break
            chunk = fh.read(want)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if limit is not None and total > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", os.fspath(path))
    return b"".join(chunks), quiet


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8", errors: str = "strict") -> tuple[str, bool]:
    data, quiet = read_bytes(path)
    return data.decode(encoding, errors), quiet


def open_folder(path: str | os.PathLike[str]) -> tuple[int, bool]:
    """A descriptor for listing a folder (``os.scandir(fd)``) without moving its atime."""
    return open_fd(path, getattr(os, "O_DIRECTORY", 0))
