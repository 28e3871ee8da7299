"""``provenance audit --timeline`` and ``provenance timeline`` end to end: real scans, a real SQLite ledger."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

if os.environ.get("CI") == "true":  # the project's rule (tests/external.py): in CI a missing extra fails
    import opentimelineio  # noqa: F401
else:
    pytest.importorskip("opentimelineio", reason="the timeline extra (opentimelineio) is not installed")

from provenance.cli import cli  # noqa: E402
from provenance.ledger import open_ledger  # noqa: E402

from .builders import png_file  # noqa: E402
from .timeline_builders import INFOTEXT, edl, file_clip, make_sequence, seq_clip, timeline, write_otio  # noqa: E402


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames 1001-1300 of sh010 (AI-generated frames 1050-1100), an AI slap comp in temp/, an unused AI poster."""
    root = tmp_path_factory.mktemp("master") / "ep101"
    make_sequence(root / "shots" / "sh010", 1001, 1300, ai=range(1050, 1101))
    png_file(root / "temp" / "slap.png", {"parameters": INFOTEXT})
    png_file(root / "final" / "poster.png", {"parameters": INFOTEXT})
    png_file(root / "final" / "plate.png")
    return root


@pytest.fixture()
def delivery(master: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ep101"
    shutil.copytree(master, root)
    return root


def empty_ledger(tmp_path: Path) -> Path:
    """A ledger with no approvals: every generated asset is unapproved."""
    path = tmp_path / "none.db"
    if not path.exists():
        open_ledger(path, create=True).close()
    return path


def audit_json(delivery: Path, tmp_path: Path, *timelines: Path, ledger: Path | None = None) -> tuple[int, dict]:
    args = ["audit", str(delivery), "--ledger", str(ledger or empty_ledger(tmp_path)), "--format", "json",
            "--no-cache", "--quiet"]
    for t in timelines:
        args += ["--timeline", str(t)]
    result = invoke(*args)
    return result.exit_code, json.loads(result.stdout)


def reel1(tmp_path: Path) -> Path:
    """V1: sh010 frames 1040-1060, the slap comp, sh010 again (frames 1090-1109), a clip with no media."""
    return write_otio(timeline("REEL1", ("V1", [
        seq_clip("sh010 A", 1040, 21),
        file_clip("slap", "file:///mnt/job/temp/slap.png", count=12),
        seq_clip("sh010 B", 1090, 20),
        file_clip("missing", None, count=5),
    ])), tmp_path / "reel1.otio")


def test_spans_give_record_tc_track_clip_frames_and_status(delivery: Path, tmp_path: Path):
    code, data = audit_json(delivery, tmp_path, reel1(tmp_path))
    assert code == 1
    (cut,) = data["timelines"]
    assert (cut["name"], cut["tc_start"], cut["rate"]) == ("REEL1", "01:00:00:00", "24")
    spans = [(s["clip"], s["tc_in"], s["tc_out"], s["track"], s["asset"], s["frames"], s["status"], s["severity"])
             for s in cut["spans"]]
    seq = "shots/sh010/sh010_comp.####.png"
    assert spans == [
        # Partly used sequence: frames 1040-1060 are in the cut, only 1050-1060 carry AI (record frame 10 on).
        ("sh010 A", "01:00:00:10", "01:00:00:21", "V1", seq, "1050-1060", "unapproved", "BLOCKER"),
        # A temp/ file in the cut is final use: a BLOCKER, although its own row is FYI.
        ("slap", "01:00:00:21", "01:00:01:09", "V1", "temp/slap.png", None, "unapproved", "BLOCKER"),
        # The same sequence reused: frames 1090-1100 of the 1090-1109 used.
        ("sh010 B", "01:00:01:09", "01:00:01:20", "V1", seq, "1090-1100", "unapproved", "BLOCKER"),
    ]
    rows = {a["path"]: (a["status"], a["severity"]) for a in data["assets"]}
    assert rows["temp/slap.png"] == ("unapproved", "FYI")  # the timeline never changes an asset's row
    assert cut["unused_flagged"] == ["final/poster.png"] and rows["final/poster.png"] == ("unapproved", "BLOCKER")
    unresolved = [f for f in data["findings"] if f["code"] == "timeline-unresolved"]
    assert len(unresolved) == 1 and "'missing'" in unresolved[0]["message"] and unresolved[0]["severity"] == "ISSUE"
    assert data["summary"]["by_severity"]["BLOCKER"] == 2 + 3  # two asset rows, three spans


def test_clean_frames_of_a_flagged_sequence_make_no_span(delivery: Path, tmp_path: Path):
    cut = write_otio(timeline("REEL2", ("V1", [seq_clip("clean part", 1200, 30)])), tmp_path / "reel2.otio")
    _, data = audit_json(delivery, tmp_path, cut)
    assert data["timelines"][0]["spans"] == []


def test_html_draws_a_strip_per_track_with_spans_coloured_by_status(delivery: Path, tmp_path: Path):
    tl = timeline("REEL1", ("V1", [seq_clip("sh010 A", 1040, 21)]),
                  ("V2", [file_clip("slap", "file:///mnt/job/temp/slap.png", count=12)]),
                  ("A1", [file_clip("dialogue", None, count=12)]))
    cut = write_otio(tl, tmp_path / "reel1.otio")
    out = tmp_path / "audit.html"
    invoke("audit", str(delivery), "--ledger", str(empty_ledger(tmp_path)), "--timeline", str(cut),
           "--format", "html", "-o", str(out), "--no-cache", "--quiet")
    page = out.read_text(encoding="utf-8")
    assert "In the cut (1 timeline)" in page
    assert page.count('<div class="strip">') == 3  # V1, V2, A1
    assert page.count('class="sp"') == 2 and page.count("background:#b3261e") >= 2  # unapproved: red
    assert "01:00:00:10" in page and "1050-1060" in page


def test_table_shows_the_cut_section(delivery: Path, tmp_path: Path):
    result = invoke("audit", str(delivery), "--ledger", str(empty_ledger(tmp_path)), "--timeline",
                    str(reel1(tmp_path)), "--no-cache", "--quiet")
    assert "In the cut: REEL1" in result.output
    assert "BLOCKER   V1     01:00:00:21  01:00:01:09  slap     unapproved  temp/slap.png" in result.output


def test_malformed_edl_is_a_one_line_error_naming_the_line_exit_2(delivery: Path, tmp_path: Path):
    bad = edl(tmp_path / "reel9.edl",
              "001  SH010    V     C        00:00:43:08 00:00:44:05 01:00:00:00 01:00:00:21",
              "002  SH010    V     C        00:00:43:08 00:00:44:05 01:00:00:21")
    result = invoke("audit", str(delivery), "--timeline", str(bad), "--no-cache", "--quiet")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "reel9.edl line 5" in lines[0] and "Traceback" not in result.output
    listing = invoke("timeline", str(bad), str(delivery))
    assert listing.exit_code == 2 and "reel9.edl line 5" in listing.output


def test_edl_drop_frame_audit_reports_drop_frame_record_timecode(delivery: Path, tmp_path: Path):
    cut = edl(tmp_path / "df.edl",
              "001  SLAP     V     C        00:00:00;00 00:00:01;00 01:00:00;00 01:00:01;00",
              "* FROM CLIP NAME: slap.png", fcm="DROP FRAME")
    result = invoke("audit", str(delivery), "--ledger", str(empty_ledger(tmp_path)), "--timeline", str(cut),
                    "--timeline-rate", "29.97", "--format", "json", "--no-cache", "--quiet")
    (span,) = json.loads(result.stdout)["timelines"][0]["spans"]
    assert (span["tc_in"], span["tc_out"], span["record_in"]) == ("01:00:00;00", "01:00:01;00", 107892)


def test_two_files_with_one_name_are_reported_and_both_judged(delivery: Path, tmp_path: Path):
    png_file(delivery / "vfx" / "a" / "sign.png", {"parameters": INFOTEXT})
    png_file(delivery / "vfx" / "b" / "sign.png", {"parameters": INFOTEXT})
    cut = write_otio(timeline("REEL3", ("V1", [file_clip("sign.png", None, count=6)])), tmp_path / "reel3.otio")
    listing = invoke("timeline", str(cut), str(delivery))
    assert listing.exit_code == 1 and "ambiguous" in listing.output
    _, data = audit_json(delivery, tmp_path, cut)
    spans = data["timelines"][0]["spans"]
    assert [s["asset"] for s in spans] == ["vfx/a/sign.png", "vfx/b/sign.png"] and all(s["ambiguous"] for s in spans)
    (finding,) = [f for f in data["findings"] if f["code"] == "timeline-ambiguous"]
    assert "vfx/a/sign.png, vfx/b/sign.png" in finding["message"]


def test_media_root_resolves_a_clip_outside_the_delivery(delivery: Path, tmp_path: Path):
    plates = tmp_path / "plates"
    png_file(plates / "gen_bg.png", {"parameters": INFOTEXT})
    cut = write_otio(timeline("REEL4", ("V1", [file_clip("gen_bg.png", None, count=6)])), tmp_path / "reel4.otio")
    result = invoke("audit", str(delivery), "--ledger", str(empty_ledger(tmp_path)), "--timeline", str(cut),
                    "--media-root", str(plates), "--format", "json", "--no-cache", "--quiet")
    (span,) = json.loads(result.stdout)["timelines"][0]["spans"]
    assert (span["asset"], span["status"]) == ("plates:gen_bg.png", "unapproved")
    listing = invoke("timeline", str(cut), str(delivery), "--media-root", str(plates))
    assert listing.exit_code == 0 and "plates:gen_bg.png" in listing.output


def test_listing_shows_resolution_and_frames(delivery: Path, tmp_path: Path):
    result = invoke("timeline", str(reel1(tmp_path)), str(delivery))
    assert result.exit_code == 1  # the clip with no media
    assert "shots/sh010/sh010_comp.####.png  1040-1060" in result.output
    assert "unresolved" in result.output


# -- approvals that name a cut range ---------------------------------------------------------------

def grant(ledger: Path, ref: str, *scope: str) -> None:
    result = invoke("ledger", "--ledger", str(ledger), "add", "--ref", ref, "--category", "final-deliverable",
                    "--approver", "Dana Reyes", "--approved-on", "2026-01-05", *scope)
    assert result.exit_code == 0, result.output


def test_a_range_approval_covers_the_span_inside_and_not_the_part_outside(delivery: Path, tmp_path: Path):
    ledger = tmp_path / "approvals.db"
    open_ledger(ledger, create=True).close()
    # Covers record 01:00:00:00-01:00:00:15: the first span (00:10-00:21) only partly.
    grant(ledger, "GA-CUT-1", "--timeline", "name=REEL1,range=01:00:00:00-01:00:00:15")
    _, data = audit_json(delivery, tmp_path, reel1(tmp_path), ledger=ledger)
    first = [s for s in data["timelines"][0]["spans"] if s["clip"] == "sh010 A"]
    assert [(s["tc_in"], s["tc_out"], s["frames"], s["status"], s["severity"], s["approvals"]) for s in first] == [
        ("01:00:00:10", "01:00:00:15", "1050-1054", "approved", "FYI", ["GA-CUT-1"]),
        ("01:00:00:15", "01:00:00:21", "1055-1060", "unapproved", "BLOCKER", []),
    ]
    # The asset is used outside the range too, so its own row stays unapproved.
    row = next(a for a in data["assets"] if a["path"] == "shots/sh010/sh010_comp.####.png")
    assert row["status"] == "unapproved"


def test_a_range_approval_covering_every_use_approves_the_asset(delivery: Path, tmp_path: Path):
    ledger = tmp_path / "approvals.db"
    open_ledger(ledger, create=True).close()
    grant(ledger, "GA-CUT-2", "--timeline", "name=reel1.otio,range=01:00:00:21-01:00:01:09")
    _, data = audit_json(delivery, tmp_path, reel1(tmp_path), ledger=ledger)
    (slap,) = [s for s in data["timelines"][0]["spans"] if s["clip"] == "slap"]
    assert (slap["status"], slap["approvals"]) == ("approved", ["GA-CUT-2"])
    row = next(a for a in data["assets"] if a["path"] == "temp/slap.png")
    assert row["status"] == "approved"
    assert "unmatched-approval" not in [f["code"] for f in data["findings"]]


def test_a_range_approval_pinned_to_another_version_of_the_cut_is_stale(delivery: Path, tmp_path: Path):
    ledger = tmp_path / "approvals.db"
    open_ledger(ledger, create=True).close()
    grant(ledger, "GA-CUT-3", "--timeline", f"name=REEL1,sha256={'ab' * 32},range=01:00:00:00-01:00:02:00")
    _, data = audit_json(delivery, tmp_path, reel1(tmp_path), ledger=ledger)
    (slap,) = [s for s in data["timelines"][0]["spans"] if s["clip"] == "slap"]
    assert slap["status"] == "stale" and slap["severity"] == "ISSUE"


def test_ledger_export_and_import_carry_the_timeline_scope(tmp_path: Path):
    ledger = tmp_path / "studio.db"
    open_ledger(ledger, create=True).close()
    scope = "name=REEL2_CONFORM,rate=23.976,drop=false,range=01:02:03:00-01:02:09:12"
    grant(ledger, "GA-0107", "--timeline", scope, "--path", "vfx/signage/**")
    for fmt in ("json", "csv"):
        exported = tmp_path / f"export.{fmt}"
        assert invoke("ledger", "--ledger", str(ledger), "export", "--format", fmt, "-o", str(exported)).exit_code == 0
        other = tmp_path / f"post_{fmt}.db"
        open_ledger(other, create=True).close()
        result = invoke("ledger", "--ledger", str(other), "import", str(exported))
        assert result.exit_code == 0, result.output
        handle = open_ledger(other, read_only=True)
        try:
            (approval,) = handle.approvals()
        finally:
            handle.close()
        kinds = {(s.kind, s.value) for s in approval.scopes}
        assert ("timeline", "name=REEL2_CONFORM,rate=23.976,range=01:02:03:00-01:02:09:12") in kinds


def test_a_bad_timeline_scope_is_refused_with_the_fix(tmp_path: Path):
    ledger = tmp_path / "approvals.db"
    open_ledger(ledger, create=True).close()
    result = invoke("ledger", "--ledger", str(ledger), "add", "--ref", "GA-X", "--category", "final-deliverable",
                    "--approver", "Dana Reyes", "--timeline", "name=REEL1,range=01:00:09:00-01:00:01:00")
    assert result.exit_code == 2 and "ends at or before it starts" in result.output


def test_demo_conform_timeline_shows_where_ai_sits_in_the_cut():
    from .conftest import REPO

    edl_path = REPO / "sample_assets" / "_editorial" / "ep101_reel1_conform.edl"
    result = invoke("audit", str(REPO / "sample_assets"), "--timeline", str(edl_path), "--format", "json",
                    "--no-cache", "--quiet")
    data = json.loads(result.stdout)
    assert not any(a["path"].startswith("_editorial/") for a in data["assets"])  # the timeline is not a deliverable
    spans = [(s["track"], s["tc_in"], s["tc_out"], s["asset"], s["frames"], s["status"], s["severity"])
             for s in data["timelines"][0]["spans"]]
    assert spans == [
        ("V1", "01:00:02:05", "01:00:02:10", "final/vfx/sh010/sh010_comp_v003.####.exr", "1010-1014", "approved", "FYI"),
        ("V1", "01:00:02:16", "01:00:03:16", "temp/slapcomp_sh010.png", None, "unapproved", "BLOCKER"),
        ("V1", "01:00:03:16", "01:00:06:04", "final/stills/keyart_character_v002.png", None, "unapproved", "BLOCKER"),
        ("V1", "01:00:05:16", "01:00:07:16", "final/stills/matte_sky_v004.png", None, "expired", "ISSUE"),
        ("A1", "01:00:00:00", "01:00:08:16", "final/audio/score_cue_12_suno.mp3", None, "unapproved", "BLOCKER"),
    ]
    assert [f["code"] for f in data["findings"]].count("timeline-unresolved") == 1
    # The README shows this run.
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "01:00:02:16  01:00:03:16  slapcomp_sh010.png         unapproved  temp/slapcomp_sh010.png" in readme


def test_an_approval_pinned_to_one_frame_covers_only_that_frames_span(delivery: Path, tmp_path: Path):
    # The sequence model of audit/segments.py: frame 1055's own sha256 is approved, so in the cut only the
    # record frame showing 1055 is approved; the frames around it stay unapproved.
    from provenance.hashing import sha256_file

    ledger = tmp_path / "approvals.db"
    open_ledger(ledger, create=True).close()
    grant(ledger, "GA-FRAME-1055", "--sha256", sha256_file(delivery / "shots" / "sh010" / "sh010_comp.1055.png"))
    _, data = audit_json(delivery, tmp_path, reel1(tmp_path), ledger=ledger)
    first = [(s["tc_in"], s["tc_out"], s["frames"], s["status"], s["approvals"])
             for s in data["timelines"][0]["spans"] if s["clip"] == "sh010 A"]
    assert first == [
        ("01:00:00:10", "01:00:00:15", "1050-1054", "unapproved", []),
        ("01:00:00:15", "01:00:00:16", "1055", "approved", ["GA-FRAME-1055"]),
        ("01:00:00:16", "01:00:00:21", "1056-1060", "unapproved", []),
    ]


def test_signed_bundles_carry_the_timeline_scope_and_refuse_an_altered_range(tmp_path: Path):
    keys = tmp_path / "keys"
    keys.mkdir()
    assert invoke("ledger", "keygen", "--name", "Dana Reyes", "--out", str(keys)).exit_code == 0
    public = (keys / "dana-reyes.pub").read_text(encoding="utf-8").split()[0]
    trust = tmp_path / "trust.toml"
    trust.write_text(f'schema = 1\n[ledger.approvers."Dana Reyes"]\npublic_key = "{public}"\n', encoding="utf-8")
    studio = tmp_path / "studio.db"
    open_ledger(studio, create=True).close()
    grant(studio, "GA-CUT-9", "--timeline", "name=REEL1,range=01:00:00:00-01:00:01:00",
          "--signing-key", str(keys / "dana-reyes.key"))
    bundle = tmp_path / "bundle.json"
    assert invoke("ledger", "--ledger", str(studio), "export", "--signed", "-o", str(bundle)).exit_code == 0
    post = tmp_path / "post.db"
    open_ledger(post, create=True).close()
    assert invoke("ledger", "--ledger", str(post), "import", str(bundle), "--policy", str(trust)).exit_code == 0
    shown = invoke("ledger", "--ledger", str(post), "show", "GA-CUT-9").output
    assert "timeline name=REEL1,range=01:00:00:00-01:00:01:00" in shown
    bundle.write_text(bundle.read_text(encoding="utf-8").replace("01:00:01:00", "01:00:09:00"), encoding="utf-8")
    other = tmp_path / "other.db"
    open_ledger(other, create=True).close()
    refused = invoke("ledger", "--ledger", str(other), "import", str(bundle), "--policy", str(trust))
    assert refused.exit_code == 2 and "GA-CUT-9" in refused.output and "altered" in refused.output


def test_a_timeline_inside_the_delivery_keeps_its_atime(delivery: Path, tmp_path: Path):
    """The audit reads the timeline through O_NOATIME (a conform EDL often ships inside the delivery)."""
    from tests.atime import age, skip_unless_reads_move_atime

    (delivery / "_editorial").mkdir()
    cut = edl(delivery / "_editorial" / "reel1.edl",
              "001  SLAP     V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00",
              "* FROM CLIP NAME: slap.png")
    old = age(cut)
    skip_unless_reads_move_atime(tmp_path)
    code, data = audit_json(delivery, tmp_path, cut)
    assert data["timelines"][0]["spans"]
    assert cut.stat().st_atime_ns == old
