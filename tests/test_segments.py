"""An approval pinned to single frames' sha256 is judged against the sequence segment holding them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from PIL import Image, PngImagePlugin

from provenance.cli import cli
from provenance.hashing import sha256_file
from provenance.ledger import open_ledger

INFOTEXT = "a neon sign\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {seed}, Size: 64x64"


def frame(path: Path, n: int, generated: bool) -> None:
    info = PngImagePlugin.PngInfo()
    if generated:
        info.add_text("parameters", INFOTEXT.format(seed=n))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), (n % 256, 90, 160)).save(path, pnginfo=info)


def shot(root: Path) -> list[Path]:
    """sh010.1001-1010.png; frames 1004-1006 carry A1111 parameters, the rest nothing."""
    paths = []
    for n in range(1001, 1011):
        path = root / "final" / "sh010" / f"sh010.{n}.png"
        frame(path, n, 1004 <= n <= 1006)
        paths.append(path)
    return paths


def audit(root: Path, ledger: Path) -> dict:
    result = CliRunner().invoke(cli, ["audit", str(root), "--ledger", str(ledger), "--format", "json", "-j", "1",
                                      "--no-cache", "-q"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def grant(ledger: Path, **grants) -> None:
    store = open_ledger(ledger, create=True)
    try:
        for ref, kwargs in grants.items():
            store.add(ref, approver="Jane Doe", approved_on="2026-01-05", categories=["final-deliverable"],
                      use="final", **kwargs)
    finally:
        store.close()


def only_asset(data: dict) -> dict:
    [asset] = data["assets"]
    assert asset["kind"] == "sequence" and asset["frames"] == "1001-1010"
    return asset


def test_one_pinned_frame_is_reported_against_its_segment_and_the_rest_stays_unapproved(tmp_path: Path) -> None:
    root = tmp_path / "delivery"
    paths = shot(root)
    ledger = tmp_path / "ledger.db"
    grant(ledger, **{"GA-1": {"title": "frame 1005", "sha256": sha256_file(paths[4])}})
    data = audit(root, ledger)
    asset = only_asset(data)
    # Not "matches nothing": the approval is on the asset, for frame 1005.
    assert not [f for f in data["findings"] if f["code"] == "unmatched-approval"]
    assert [(a["ref"], a.get("frames"), a["outcome"]) for a in asset["approvals"]] == [("GA-1", "1005", "approved")]
    by_frames = {s["frames"]: s for s in asset["segment_audit"]}
    assert by_frames["1005"]["status"] == "approved" and by_frames["1005"]["approvals"] == ["GA-1"]
    assert by_frames["1004"]["status"] == "unapproved" and by_frames["1006"]["status"] == "unapproved"
    assert by_frames["1001-1003"]["status"] == "clean" and by_frames["1007-1010"]["status"] == "clean"
    # Two generated frames are still without approval: the asset says so, with the frames.
    assert asset["status"] == "unapproved"
    assert "frames 1004: unapproved" in asset["explanation"] and "frames 1005 approved" in asset["explanation"]


def test_pins_on_every_generated_frame_approve_the_sequence(tmp_path: Path) -> None:
    root = tmp_path / "delivery"
    paths = shot(root)
    ledger = tmp_path / "ledger.db"
    grant(ledger, **{f"GA-{n}": {"title": f"frame {n}", "sha256": sha256_file(paths[n - 1001])} for n in (1004, 1005, 1006)})
    asset = only_asset(audit(root, ledger))
    assert asset["status"] == "approved"
    assert [s["status"] for s in asset["segment_audit"]] == ["clean", "approved", "approved", "approved", "clean"]
    assert {a["ref"]: a["frames"] for a in asset["approvals"]} == {"GA-1004": "1004", "GA-1005": "1005", "GA-1006": "1006"}


def test_without_frame_pins_the_whole_sequence_judgment_stands(tmp_path: Path) -> None:
    root = tmp_path / "delivery"
    shot(root)
    ledger = tmp_path / "ledger.db"
    grant(ledger, **{"GA-9": {"title": "the shot", "path": "final/sh010/sh010.####.png"}})
    asset = only_asset(audit(root, ledger))
    assert asset["status"] == "approved" and asset["explanation"] == "covered by GA-9"
    assert all(s["status"] in ("approved", "clean") for s in asset["segment_audit"])
    assert all("frames" not in a for a in asset["approvals"])


def test_a_cut_wrapped_approval_keeps_its_frame_pins_visible() -> None:
    # An approval with a timeline range and a sha256 frame pin: the range is asked through match(),
    # the pin must still reach the index's pinning() and the segment judgment (frame_pins).
    from provenance.audit.cut_approvals import CutApproval
    from provenance.audit.segments import frame_pins
    from provenance.ledger.index import ApprovalIndex
    from provenance.ledger.model import build_approval

    pin, other = "5" * 64, "6" * 64
    plain = build_approval(ref="GA-1", scopes=[("timeline", "name=REEL2_CONFORM,range=01:00:00:00-01:00:01:00"),
                                               ("sha256", pin)],
                           categories=["final-deliverable"], approver="Dana", approved_on="2026-01-01")
    wrapped = CutApproval(plain, {})
    assert frame_pins(wrapped) == (pin,)
    for approval in (plain, wrapped):
        index = ApprovalIndex([approval])
        assert index.pinning(pin) == [approval]
        assert [how for _, how in index.matches("shots/a.exr", pin)] == ["covered"]
        assert index.matches("shots/a.exr", other) == []
