"""Bounded, read-only access to a file's bytes.

A scanner never opens a path itself: it gets a ``ByteSource``. That keeps every
scanner a pure function of the bytes (the same code runs on a local file, an
in-memory buffer in a test, or a ranged read from object storage later) and
makes the read-only promise hold in one place.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .noatime import open_regular_stat

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 64 * 1024


@dataclass(slots=True)
class ByteCount:
    """Bytes one file cost a scan: ranged reads, and whole-object reads through :meth:`ByteSource.stream`."""

    ranged: int = 0
    streamed: int = 0


class ByteSource:
    """Random access to one file's bytes, never writable.

    ``counts`` tallies the bytes read (for a remote object: fetched), so a
    benchmark can show what a scan costs per file. ``count_reads=False`` is for
    a raw reader that counts its own fetches.
    """

    def __init__(self, raw: BinaryIO, size: int, name: str = "", *,
                 counts: ByteCount | None = None, count_reads: bool = True) -> None:
        self._raw = raw
        self.size = size
        self.name = name
        self._head: bytes | None = None
        self._tail: bytes | None = None
        # False when O_NOATIME was refused (another user's file): reading may move its atime.
        self.noatime = True
        self.counts = counts if counts is not None else ByteCount()
        self._count_reads = count_reads
        # Container walks several scanners make over the same file (PNG chunks, JPEG
        # segments), kept by the walker under its own key for as long as the file is open.
        self.memo: dict[str, Any] = {}

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "<bytes>") -> ByteSource:
        return cls(io.BytesIO(data), len(data), name)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> ByteSource:
        # O_NOATIME where the platform allows it, so a scan leaves even atime alone;
        # O_NOFOLLOW: the walk already decided about symlinks.
        fd, quiet, st = open_regular_stat(path, getattr(os, "O_NOFOLLOW", 0))
        source = cls(_Descriptor(fd), st.st_size, os.fspath(path))  # type: ignore[arg-type]
        source.noatime = quiet
        return source

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> ByteSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset``; short at end of file, never past it."""
        head = self._head
        if head is not None and 0 <= offset and 0 < length and offset + length <= len(head):
            # Header walkers make many small reads near the start; serve them from memory
            # (the head never runs past the end of file, so no clamping is needed here).
            return head[offset : offset + length]
        if offset < 0 or length <= 0 or offset >= self.size:
            return b""
        length = min(length, self.size - offset)
        chunks = []
        if head is not None and offset < len(head):
            # A window that starts inside the head (the C2PA marker search reads 256 KiB
            # from 0) fetches only what follows the head: 64 KiB less per large object.
            chunks.append(head[offset:])
            length -= len(head) - offset
            offset = len(head)
        self._raw.seek(offset)
        while length > 0:
            chunk = self._raw.read(length)
            if not chunk:
                break
            chunks.append(chunk)
            length -= len(chunk)
            if self._count_reads:
                self.counts.ranged += len(chunk)
        return b"".join(chunks)

    @property
    def head(self) -> bytes:
        if self._head is None:
            self._head = self.read_at(0, HEAD_BYTES)
        return self._head

    @property
    def tail(self) -> bytes:
        if self._tail is None:
            start = max(0, self.size - TAIL_BYTES)
            self._tail = self.read_at(start, TAIL_BYTES)
        return self._tail

    def read_all(self, limit: int) -> bytes:
        """The whole file when it is at most ``limit`` bytes; raises otherwise."""
        if self.size > limit:
            raise InputTooLarge(self.size, limit)
        return self.read_at(0, self.size)

    def stream(self) -> BinaryIO:
        """A read-only file object over the same bytes, positioned at 0.

        For libraries (mutagen, c2pa-python, Pillow) that want a stream.
        """
        self._raw.seek(0)
        return _ReadOnlyView(self._raw, self.counts if self._count_reads else None)


class _Descriptor:
    """The read side of a file object over a descriptor, read with ``pread``.

    Most files are read a few times at known offsets and closed: a ``FileIO``
    and a seek per read cost more than the reads of a small frame. ``seek``
    only moves a position; ``whence=2`` asks the descriptor for its size.
    """

    __slots__ = ("_fd", "_pos")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := os.pread(self._fd, 1 << 20, self._pos):
                chunks.append(chunk)
                self._pos += len(chunk)
            return b"".join(chunks)
        data = os.pread(self._fd, size, self._pos)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence not in (0, 1, 2):
            raise ValueError(f"invalid whence ({whence})")
        base = (0, self._pos, os.fstat(self._fd).st_size if whence == 2 else 0)[whence]
        if base + offset < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


class InputTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the {limit}-byte limit for this reader")
        self.size = size
        self.limit = limit


class ReadOnlyRaw(io.RawIOBase):
    """Seekable, readable, and explicitly not writable: what a library reading a source gets.

    A subclass supplies ``read``, ``seek`` and ``tell``; ``readinto`` is built on ``read``.
    """

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class _ReadOnlyView(ReadOnlyRaw):
    """A local file's bytes through the source's descriptor; whole-object reads are counted."""

    def __init__(self, raw: BinaryIO, counts: ByteCount | None = None) -> None:
        self._raw = raw
        self._counts = counts

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if self._counts is not None:
            self._counts.streamed += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        # The owning ByteSource closes the descriptor.
        pass


@dataclass(frozen=True)
class ScanOptions:
    """Settings that change what scanners conclude; part of the cache key."""

    trust_anchors_pem: str = ""  # concatenated PEM text of extra trust anchors
    default_trust: bool = True  # the packaged C2PA trust lists (provenance.knowledge.trust)
    stealth_pixel_budget: int = 16_000_000  # pixels read for alpha-LSB payloads


@dataclass(frozen=True)
class ScanInput:
    """One file as a scanner sees it."""

    path: str  # relative, POSIX; for messages only
    media_type: str
    source: ByteSource
    sidecars: Mapping[str, bytes] = field(default_factory=dict)  # {"c2pa": ..., "xmp": ...}
    options: ScanOptions = field(default_factory=ScanOptions)

    @property
    def size(self) -> int:
        return self.source.size


class LocalStorage:
    """Files on a local or network disk; :mod:`provenance.source.remote` has the fsspec twin.

    The executors hand this (or the remote one) to workers with each task, so a
    worker opens a path or a URL the same way: ``open``, ``read_small``, ``sha256``.
    """

    remote = False

    def open(self, path: str, size: int) -> ByteSource:
        return ByteSource.open(path)

    def read_small(self, path: str, limit: int) -> bytes:
        with ByteSource.open(path) as source:
            return source.read_all(limit)

    def sha256(self, path: str) -> str:
        from provenance.hashing import sha256_file

        return sha256_file(path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalStorage)

    def __hash__(self) -> int:
        return hash(LocalStorage)


LOCAL = LocalStorage()
