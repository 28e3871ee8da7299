from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.hashing import CHUNK_BYTES, is_sha256_hex, sequence_digest, sha256_file


def test_streamed_hash_matches_hashlib_on_multi_mib_file(tmp_path):
    # Not a multiple of the chunk size, so the last short read is exercised too.
    data = os.urandom(3 * CHUNK_BYTES + 12345)
    path = tmp_path / "plate.dpx"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=700))
def test_any_chunk_size_gives_the_same_digest(tmp_path_factory, data, chunk):
    path = tmp_path_factory.mktemp("h") / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk_bytes=chunk) == hashlib.sha256(data).hexdigest()


def test_empty_file(tmp_path):
    path = tmp_path / "empty.exr"
    path.write_bytes(b"")
    assert sha256_file(path) == hashlib.sha256(b"").hexdigest()


def test_hashing_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "frame.exr"
    path.write_bytes(b"v/1\x01" + b"x" * 5000)
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    before = os.stat(path)
    sha256_file(path)
    after = os.stat(path)
    assert (after.st_mtime_ns, after.st_size, after.st_mode) == (before.st_mtime_ns, before.st_size, before.st_mode)
    assert path.read_bytes() == b"v/1\x01" + b"x" * 5000


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        sha256_file(tmp_path / "nope.exr")


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_sequence_digest_is_sha256_of_hex_lines_in_frame_order():
    frames = [_h("1001"), _h("1002"), _h("1003")]
    expected = hashlib.sha256("".join(f + "\n" for f in frames).encode("ascii")).hexdigest()
    assert sequence_digest(frames) == expected


def test_sequence_digest_is_order_sensitive():
    a, b = _h("a"), _h("b")
    assert sequence_digest([a, b]) != sequence_digest([b, a])


def test_sequence_digest_sees_a_dropped_frame():
    frames = [_h(str(i)) for i in range(10)]
    assert sequence_digest(frames) != sequence_digest(frames[:5] + frames[6:])


def test_sequence_digest_rejects_non_digests():
    with pytest.raises(ValueError):
        sequence_digest(["not-a-hash"])
    with pytest.raises(ValueError):
        sequence_digest([_h("x").upper()])


def test_is_sha256_hex():
    assert is_sha256_hex(_h("x"))
    assert not is_sha256_hex(_h("x")[:-1])
    assert not is_sha256_hex(None)
