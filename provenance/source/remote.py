"""Byte sources for objects behind fsspec (``s3://``, ``gs://``, ``az://`` …): ranged reads only.

A scanner reads the head, the tail and whatever boxes or chunks it asks for;
here each of those becomes one ranged GET of at least :data:`BLOCK` bytes, kept
in a few small windows so the many small reads of a header walk cost one
request. Nothing fetches a whole object except a consumer that reads it all
through :meth:`ByteSource.stream` (c2pa-python validating a hard binding);
those bytes are counted apart (:class:`ByteCount`).

The object's size comes from the listing: opening a source makes no request
(no HEAD per object). An object deleted or shortened after the listing reads
short and raises ``OSError``, which the scan records against that file.
"""

from __future__ import annotations

import errno
import hashlib
from typing import Any

from provenance.source import ByteCount, ByteSource, InputTooLarge, ReadOnlyRaw

BLOCK = 64 * 1024
# Sequential readers (c2pa hashing a whole asset) get a window that doubles up to this.
MAX_STREAM_BLOCK = 8 * 1024 * 1024
# Windows kept per reader: a header walk hops between the head, a box and the tail.
WINDOWS = 4
HASH_CHUNK = 8 * 1024 * 1024


class FsspecStorage:
    """Where remote objects are read from: an fsspec protocol and its options; picklable.

    Workers receive this (a protocol name and a small dict), never bytes, and
    build their own filesystem instance from it.
    """

    remote = True

    def __init__(self, protocol: str, options: dict[str, Any] | None = None) -> None:
        self.protocol = protocol
        self.options = dict(options or {})
        self._fs: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.protocol = state["protocol"]
        self.options = state["options"]
        self._fs = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FsspecStorage) and (self.protocol, self.options) == (other.protocol, other.options)

    def __hash__(self) -> int:
        return hash((self.protocol, repr(sorted(self.options.items()))))

    def __repr__(self) -> str:
        return f"FsspecStorage({self.protocol!r})"

    @property
    def fs(self) -> Any:
        if self._fs is None:
            import fsspec

            self._fs = fsspec.filesystem(self.protocol, **self.options)
        return self._fs

    def open(self, path: str, size: int) -> ByteSource:
        return RemoteByteSource(self.fs, path, size)

    def read_small(self, path: str, limit: int) -> bytes:
        """A whole small object (a sidecar, the manifest, the policy): one GET, refused over ``limit``."""
        data = self.fs.cat_file(path, start=0, end=limit + 1)
        if len(data) > limit:
            raise InputTooLarge(len(data), limit)
        return data

    def sha256(self, path: str) -> str:
        """SHA-256 of an object, streamed in ranged chunks (memory: one chunk)."""
        digest = hashlib.sha256()
        with self.fs.open(path, "rb", block_size=HASH_CHUNK, cache_type="none") as fh:
            while True:
                chunk = fh.read(HASH_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
        return digest.hexdigest()


class RemoteByteSource(ByteSource):
    """A :class:`ByteSource` over ranged reads of one object; counts the bytes fetched."""

    def __init__(self, fs: Any, path: str, size: int) -> None:
        counts = ByteCount()
        super().__init__(_Ranged(fs, path, size, counts, streamed=False), size, path, counts=counts, count_reads=False)
        self._fs = fs

    def stream(self):  # type: ignore[no-untyped-def]
        # A reader of its own, with growing windows, counted as whole-object bytes.
        return _Ranged(self._fs, self.name, self.size, self.counts, streamed=True)


class _Ranged(ReadOnlyRaw):
    """Seekable, read-only file over an object, fetched in ranged GETs."""

    def __init__(self, fs: Any, path: str, size: int, counts: ByteCount, *, streamed: bool) -> None:
        self._fs = fs
        self._path = path
        self._size = size
        self._counts = counts
        self._streamed = streamed
        self._pos = 0
        self._block = BLOCK
        self._windows: list[tuple[int, bytes]] = []  # most recent last

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readall(self) -> bytes:
        return self.read(-1)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._pos
        size = min(size, self._size - self._pos)
        if size <= 0:
            return b""
        data = self._get(self._pos, size)
        self._pos += len(data)
        return data

    def _get(self, offset: int, length: int) -> bytes:
        for start, data in reversed(self._windows):
            if start <= offset and offset + length <= start + len(data):
                return data[offset - start : offset - start + length]
        last = self._windows[-1] if self._windows else None
        if self._streamed and last is not None and offset == last[0] + len(last[1]):
            self._block = min(MAX_STREAM_BLOCK, self._block * 2)  # sequential: read ahead further
        end = min(self._size, offset + max(length, self._block))
        data = self._fs.cat_file(self._path, start=offset, end=end)
        if self._streamed:
            self._counts.streamed += len(data)
        else:
            self._counts.ranged += len(data)
        if len(data) != end - offset:
            raise OSError(errno.EIO, f"object is shorter than listed ({offset + len(data)} < {end} bytes): "
                                     "changed since the listing", self._path)
        if end - offset <= MAX_STREAM_BLOCK:
            self._windows.append((offset, data))
            # A sequential reader only ever needs its last window.
            del self._windows[: -(1 if self._streamed else WINDOWS)]
        return data[:length]
