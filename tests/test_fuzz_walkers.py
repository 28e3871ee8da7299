"""A short fuzz run of every container walker, in the normal suite.

The targets and the mutation strategy are those of scripts/fuzz.py (the long
run); here Hypothesis drives them for a few hundred inputs each. A target
fails only on a bug: an exception other than InputError (ChunkStorm for PNG).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent


def _load_fuzz():
    spec = importlib.util.spec_from_file_location("provenance_fuzz", REPO / "scripts" / "fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FUZZ = _load_fuzz()
WALKERS = ["png", "jpeg", "riff", "bmff", "id3", "exr", "dpx", "xmp"]
SCANS = [name for name in FUZZ.TARGETS if name.startswith("scan-")]


def _run(name: str, examples: int) -> None:
    target, seed_fmt = FUZZ.TARGETS[name]

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(FUZZ.mutated(st, FUZZ.BASES[seed_fmt]))
    def check(data: bytes) -> None:
        target(data)

    check()


@pytest.mark.parametrize("name", WALKERS)
def test_walker_survives_mutations(name: str) -> None:
    _run(name, 300)


@pytest.mark.parametrize("name", SCANS)
def test_all_scanners_survive_mutations(name: str) -> None:
    _run(name, 60)


@pytest.mark.parametrize("name", WALKERS)
def test_base_file_is_accepted(name: str) -> None:
    # The seeds must be valid, or the mutations only ever explore the first byte check.
    target, seed_fmt = FUZZ.TARGETS[name]
    target(FUZZ.BASES[seed_fmt])


def test_id3_guard_refuses_what_mutagen_cannot_bound() -> None:
    from provenance.errors import InputError
    from provenance.scanners import _id3_frames

    nuls = b"ID3\x04\0\0" + _syncsafe(10 + 5000) + b"TXXX" + _syncsafe(5000) + b"\0\0" \
        + b"\0" * 5000
    with pytest.raises(InputError, match="NUL-separated"):
        _id3_frames.check_tag(nuls)
    _id3_frames.check_tag(FUZZ.BASES["mp3"])  # an honest tag passes


def _syncsafe(n: int) -> bytes:
    return bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))
