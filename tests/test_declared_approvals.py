"""Approval references a vendor declared (XMP, C2PA action parameter, package manifest) against the ledger."""

from __future__ import annotations

import json
from pathlib import Path

from provenance.ledger import Scope
from provenance.models import Confidence, Evidence, Signal
from provenance.reports import render_report
from provenance.reports.json_report import build
from provenance.scanners._c2pa_lineage import store_evidence

from .test_audit import AI, SHA_A, SHA_B, approval, asset, only, run
from .test_audit_cli import invoke, make_ai_png, make_ledger


def _declares(ref: str, location: str = "xmp:provenance:ApprovalRef", scanner: str = "xmp") -> Evidence:
    return Evidence(scanner, location, ref, Signal.INFO, Confidence.DECLARATION)


MANIFEST = ("manifest:approval", "manifest")
C2PA = ("c2pa:urn:uuid:1:c2pa.actions:org.provenance.approval", "c2pa")


def test_a_declared_reference_the_ledger_applies_is_corroboration():
    result = run([asset("final/a.png", AI, _declares("GA-1"), _declares("GA-1", *MANIFEST), _declares("GA-1", *C2PA))],
                 [approval("GA-1")], {"final/a.png": SHA_A})
    a = only(result)
    assert a.status == "approved"
    assert [(d.ref, d.sources, d.state) for d in a.declared] == [("GA-1", ("c2pa", "manifest", "xmp"), "match")]
    assert not result.findings and "vendor declares" not in a.explanation


def test_a_declared_reference_that_covers_other_content_is_shown_beside_the_status():
    result = run([asset("final/a.png", AI, _declares("GA-2"))],
                 [approval("GA-2", scopes=(Scope("sha256", SHA_B),))], {"final/a.png": SHA_A})
    a = only(result)
    assert a.status == "unapproved"  # the claim never approves anything: the ledger decides
    assert [d.state for d in a.declared] == ["does-not-cover"]
    assert "vendor declares GA-2 (xmp), which does not cover this file" in a.explanation
    assert [f.code for f in result.findings if f.code.startswith("declared")] == []


def test_an_unknown_declared_reference_is_an_issue_in_final_and_fyi_elsewhere():
    result = run([asset("final/a.png", AI, _declares("FAKE-9", *MANIFEST)),
                  asset("temp/b.png", AI, _declares("FAKE-8"))], [])
    found = {(f.path, f.approval, f.severity) for f in result.findings if f.code == "declared-approval-unknown"}
    assert found == {("final/a.png", "FAKE-9", "ISSUE"), ("temp/b.png", "FAKE-8", "FYI")}
    data = build(result, "issue")
    entry = next(a for a in data["assets"] if a["path"] == "final/a.png")
    assert entry["declared_approvals"] == [{"ref": "FAKE-9", "sources": ["manifest"], "state": "unknown"}]
    for fmt in ("csv", "md", "table", "html"):
        shown = render_report(data, fmt)
        assert "FAKE-9" in shown and "not in the ledger" in shown, fmt
    assert "declared  final/a.png: FAKE-9 (manifest): not in the ledger" in render_report(data, "table")


def test_the_manifest_note_on_a_mismatched_file_is_not_part_of_the_reference():
    noted = Evidence("manifest", "manifest:approval", "GA-1 [bytes differ from the manifest]", Signal.INFO,
                     Confidence.HEURISTIC)
    a = only(run([asset("final/a.png", AI, noted)], [approval("GA-1")], {"final/a.png": SHA_A}))
    assert [(d.ref, d.state) for d in a.declared] == [("GA-1", "match")]


def test_c2pa_action_parameter_of_the_active_manifest_is_read():
    store = {"active_manifest": "m1", "manifests": {"m1": {"assertions": [{"label": "c2pa.actions.v2", "data": {
        "actions": [{"action": "c2pa.created",
                     "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                     "parameters": {"org.provenance.approval": "GA-7"}}]}}]}}}
    refs = [e for e in store_evidence(store, integrity_failed=False) if e.location.endswith("org.provenance.approval")]
    assert [(e.value, e.signal) for e in refs] == [("GA-7", Signal.INFO)]


def test_an_xmp_sidecar_reference_missing_from_the_ledger_fails_a_final_delivery(tmp_path: Path):
    root = tmp_path / "d" / "final"
    root.mkdir(parents=True)
    make_ai_png(root / "shot.png")
    (root / "shot.png.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:p="http://ns.provenance-cli.org/tag/1.0/">'
        '<p:ApprovalRef>NOT-IN-LEDGER-1</p:ApprovalRef></rdf:Description></rdf:RDF></x:xmpmeta>')
    ledger = make_ledger(tmp_path / "l.db", **{"OTHER-1": {"path": "nothing/*",
                                                           "categories": ["final-deliverable"], "use": "final"}})
    result = invoke("audit", str(tmp_path / "d"), "--ledger", str(ledger), "--format", "json")
    data = json.loads(result.stdout)
    finding = next(f for f in data["findings"] if f["code"] == "declared-approval-unknown")
    assert finding["severity"] == "ISSUE" and finding["path"] == "final/shot.png"
    assert finding["approval"] == "NOT-IN-LEDGER-1"
    page = render_report(data, "html")
    assert "NOT-IN-LEDGER-1" in page and "is not in the ledger" in page


def test_the_taggers_approval_reference_is_read_back_from_id3_vorbis_mp4_and_the_manifest(tmp_path: Path):
    """Round trip: `provenance tag --approval` writes the reference; the audit reads every copy of it."""
    from .conftest import REPO

    root = tmp_path / "d"
    root.mkdir()
    demo = REPO / "sample_assets" / "final"
    for src, name in (("audio/score_cue_12_suno.mp3", "a.mp3"), ("audio/music_bed_v001.flac", "b.flac"),
                      ("movie/teaser_previz_v001.mp4", "c.mp4"), ("audio/dialogue_sc12_t3.wav", "e.wav")):
        (root / name).write_bytes((demo / src).read_bytes())
    tagged = invoke("tag", *(str(p) for p in sorted(root.iterdir())), "--source-type", "trainedAlgorithmicMedia",
                    "--tool", "Gen 1.0", "--approval", "REF-77", "--c2pa", "off")
    assert tagged.exit_code == 0, tagged.output
    ledger = make_ledger(tmp_path / "l.db")
    data = json.loads(invoke("audit", str(root), "--ledger", str(ledger), "--format", "json").stdout)
    declared = {a["path"]: a["declared_approvals"] for a in data["assets"]}
    expect = {"a.mp3": "id3", "b.flac": "vorbis", "c.mp4": "mp4", "e.wav": "id3"}
    assert declared == {p: [{"ref": "REF-77", "sources": sorted([s, "manifest"]), "state": "unknown"}]
                        for p, s in expect.items()}
    assert sorted(f["path"] for f in data["findings"] if f["code"] == "declared-approval-unknown") == sorted(expect)
