"""Content hashes: one file streamed, and one frame sequence as a whole.

File hash: SHA-256 of the bytes, read in 1 MiB chunks through a read-only
descriptor (``O_NOATIME`` where allowed, so even the access time is left
alone). Memory use is one chunk, whatever the file size.

Sequence digest: SHA-256 over the member files' SHA-256 hex digests, one
lowercase line per frame (``<hex>\\n``), in frame order. It is a hash of
hashes, like an MHL directory content hash, so it can be rebuilt from a
vendor's per-file list without re-reading terabytes, and it changes when a
frame changes, is added, removed or reordered.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable

from .source.noatime import open_regular

CHUNK_BYTES = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def open_read_only(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor on a regular file, with ``O_NOATIME`` where the kernel allows it."""
    return open_regular(path)[0]


def sha256_file(path: str | os.PathLike[str], chunk_bytes: int = CHUNK_BYTES) -> str:
    """Lowercase hex SHA-256 of the file at ``path``; raises ``OSError``."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk_bytes)
    view = memoryview(buffer)
    fd = open_read_only(path)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        while True:
            n = fh.readinto(view)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest()


def is_sha256_hex(text: object) -> bool:
    return isinstance(text, str) and _HEX64.match(text) is not None


def sequence_digest(frame_hashes: Iterable[str]) -> str:
    """SHA-256 over ``<sha256 hex>\\n`` per frame, in the order given (frame order)."""
    digest = hashlib.sha256()
    for value in frame_hashes:
        if not is_sha256_hex(value):
            raise ValueError(f"not a lowercase sha256 hex digest: {value!r}")
        digest.update(value.encode("ascii") + b"\n")
    return digest.hexdigest()
