"""Small things seen in the trial (issue 14, item 11)."""

from __future__ import annotations

from provenance.knowledge.verdict import decide
from provenance.models import Confidence, Evidence, Signal


def _ev(location: str, generator: str) -> Evidence:
    return Evidence("c2pa", location, "x", Signal.GENERATED, Confidence.SIGNED_DECLARATION, generator)


def test_a_generator_named_with_and_without_its_version_is_listed_once():
    verdict = decide([_ev("c2pa:softwareAgent", "VendorGen"), _ev("manifest:digital_source_type", "VendorGen 2.1"),
                      _ev("png:tEXt:parameters", "ComfyUI")])
    assert verdict.generators.count("VendorGen 2.1") == 1
    assert "VendorGen" not in verdict.generators and "ComfyUI" in verdict.generators


def test_different_tools_sharing_a_first_word_stay_apart():
    verdict = decide([_ev("a", "Stable Diffusion"), _ev("b", "Stable Diffusion XL")])
    assert set(verdict.generators) == {"Stable Diffusion", "Stable Diffusion XL"}


def test_conformance_skips_name_the_missing_corpus_path(tmp_path):
    import os
    import subprocess
    import sys

    from .conftest import REPO

    missing = tmp_path / "no-corpus-here"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "tests/test_conformance.py", "-k", "test_corpus_row"], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PROVENANCE_CORPUS": str(missing), "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stdout[-2000:]
    skips = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all(str(missing) in line for line in skips), skips


def test_tool_names_without_a_version_are_accepted():
    import pytest as _pytest

    from provenance.errors import UsageError
    from provenance.tagging.spec import parse_tool

    assert parse_tool("VendorGen 2.1") == ("VendorGen", "2.1")
    assert parse_tool("Midjourney v6") == ("Midjourney", "v6")
    assert parse_tool("Midjourney") == ("Midjourney", "")
    assert parse_tool("Adobe Firefly") == ("Adobe Firefly", "")
    assert parse_tool("Stable  Diffusion   XL") == ("Stable Diffusion XL", "")
    assert parse_tool("Model vNext") == ("Model vNext", "")
    with _pytest.raises(UsageError):
        parse_tool("  ")


def test_identity_init_prints_the_root_fingerprint_openssl_shows(tmp_path):
    from click.testing import CliRunner
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from provenance.cli import cli

    result = CliRunner().invoke(cli, ["identity", "init", str(tmp_path / "vid"), "--name", "Vendor Ltd"])
    assert result.exit_code == 0, result.output
    root = x509.load_pem_x509_certificate((tmp_path / "vid" / "trust-anchor.pem").read_bytes())
    expected = ":".join(f"{b:02X}" for b in root.fingerprint(hashes.SHA256()))
    assert f"root SHA-256  {expected}" in result.stdout


def test_the_tagger_prints_the_c2pa_actions_it_really_wrote(tmp_path):
    import json
    import shutil

    import c2pa
    from click.testing import CliRunner

    from provenance.cli import cli

    from .conftest import REPO

    runner = CliRunner()
    assert runner.invoke(cli, ["identity", "init", str(tmp_path / "vid")]).exit_code == 0
    fresh, signed = tmp_path / "fresh.png", tmp_path / "signed.png"
    shutil.copy(REPO / "sample_assets" / "reference" / "moodboard_city.png", fresh)
    shutil.copy(REPO / "sample_assets" / "final" / "stills" / "bg_plate_vendor_v001.png", signed)  # has a manifest
    printed = {}
    for path, source_type in ((fresh, "trainedAlgorithmicMedia"), (signed, "compositeWithTrainedAlgorithmicMedia")):
        result = runner.invoke(cli, ["tag", str(path), "--source-type", source_type, "--tool", "Adobe Firefly",
                                     "--identity", str(tmp_path / "vid"), "--force"])
        assert result.exit_code == 0, result.output
        printed[path.name] = result.stdout.split("signed C2PA manifest embedded in the file (", 1)[1].split(",")[0]
        store = json.loads(c2pa.Reader(str(path)).json())
        active = store["manifests"][store["active_manifest"]]
        actions = [a["action"] for assertion in active["assertions"] if assertion["label"].startswith("c2pa.actions")
                   for a in assertion["data"]["actions"]]
        assert printed[path.name] == " + ".join(actions)
        agent = next(a["softwareAgent"] for assertion in active["assertions"]
                     if assertion["label"].startswith("c2pa.actions") for a in assertion["data"]["actions"]
                     if "softwareAgent" in a)
        assert agent["name"] == "Adobe Firefly" and not agent.get("version")
    assert printed == {"fresh.png": "c2pa.created", "signed.png": "c2pa.opened + c2pa.edited"}


def test_evidence_order_breaks_ties_on_signal_and_generator() -> None:
    # Two frames of a sequence can read one field differently; their order must not
    # follow set iteration, which changes with the hash seed.
    a = Evidence("png", "png:tEXt:Comment", "x", Signal.GENERATED, Confidence.TOOL_RECORD, "NovelAI")
    b = Evidence("png", "png:tEXt:Comment", "x", Signal.GENERATED, Confidence.TOOL_RECORD, "Stable Diffusion")
    c = Evidence("png", "png:tEXt:Comment", "x", Signal.INFO, Confidence.TOOL_RECORD)
    assert sorted([a, b, c], key=lambda e: e.sort_key) == sorted([c, b, a], key=lambda e: e.sort_key) == [a, b, c]


def test_scan_results_survive_the_trip_to_and_from_a_worker_process() -> None:
    import pickle

    from provenance.models import C2paState, C2paStatus, FileScan, ScanIssue

    scan = FileScan("image/png", (Evidence("png", "png:tEXt:Comment", "x" * 1000, Signal.GENERATED,
                                           Confidence.TOOL_RECORD, "NovelAI"),),
                    C2paStatus(C2paState.VALID, ("f",), "urn:m", ("urn:i",), "CN", True, "https://x"),
                    (ScanIssue("png-truncated", "cut", "png"),), ("note",))
    back = pickle.loads(pickle.dumps(scan, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == scan and hash(back) == hash(scan) and back.to_dict() == scan.to_dict()
