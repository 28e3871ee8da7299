"""The approval index gives exactly the answers of asking every approval, only faster."""

from __future__ import annotations

import random

from provenance.ledger.index import ApprovalIndex
from provenance.ledger.model import build_approval

FOLDERS = ("shots", "shots/sh010", "shots/sh020", "plates", "gfx/posters", "audio")
GLOBS = ("shots/sh010/*.exr", "shots/**", "**/*.png", "shots/sh0[12]0/*_v003.####.exr", "gfx/posters/poster?.png",
         "plates/a.mov", "*", "shots/*/x_*.exr", "gfx/**/final/*.png", "audio/take[!3].wav")
NAMES = ("a.mov", "poster1.png", "x_v003.####.exr", "take1.wav", "take3.wav", "img.png", "x_a.exr")


def _sha(n: int) -> str:
    return f"{n:064x}"


def test_index_agrees_with_every_approval_asked_in_turn():
    rng = random.Random(7)
    approvals = []
    for n in range(200):
        scopes = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(("sha256", "path", "path", "c2pa-instance"))
            value = {"sha256": _sha(rng.randint(0, 40)), "path": rng.choice(GLOBS),
                     "c2pa-instance": f"xmp:iid:{rng.randint(0, 30)}"}[kind]
            scopes.append((kind, value))
        approvals.append(build_approval(ref=f"R-{n}", scopes=scopes, categories=["final-deliverable"],
                                        approver="Dana", approved_on="2026-01-01"))
    index = ApprovalIndex(approvals)
    for _ in range(250):
        path = f"{rng.choice(FOLDERS)}/{rng.choice(NAMES)}" if rng.random() < 0.9 else rng.choice(NAMES)
        sha = _sha(rng.randint(0, 60)) if rng.random() < 0.5 else None
        ids = [f"xmp:iid:{rng.randint(0, 60)}"] if rng.random() < 0.5 else []
        brute = [(a.ref, how) for a in approvals if (how := a.match(path, sha, ids))]
        assert [(a.ref, how) for a, how in index.matches(path, sha, ids)] == brute, (path, sha, ids)
