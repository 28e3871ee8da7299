"""The packaged C2PA trust bundle: its data, its c2pa settings, `trust show`, and the scan's record of it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import c2pa
import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.knowledge import trust
from provenance.scan.cache import scan_version
from provenance.scanners import default_registry
from provenance.source import ScanOptions

from .conftest import CORPUS

DATA = Path(__file__).resolve().parent.parent / "provenance" / "data" / "trust"


def test_shipped_files_match_their_recorded_source_digests() -> None:
    recorded = trust.recorded_sha256()
    shipped = {p.name for p in DATA.iterdir() if p.name != "SOURCES.toml"}
    assert shipped == set(recorded)
    for name, digest in recorded.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
    assert [f.info.sha256 for f in trust.default_bundle()] == [recorded[f.info.name] for f in trust.default_bundle()]


def test_every_list_has_a_source_a_date_and_certificates() -> None:
    roles = {}
    for f in trust.default_bundle():
        assert "@" in f.info.source and f.info.date and len(f.info.date) == 10
        roles.setdefault(f.info.role, []).append(f.info)
    assert set(roles) == {"anchors", "tsa-anchors", "allowed", "ekus"}
    counts = {f.info.name: f.info.certificates for f in trust.default_bundle()}
    assert counts == {"C2PA-TRUST-LIST.pem": 30, "C2PA-TSA-TRUST-LIST.pem": 22, "interim-anchors.pem": 18,
                      "interim-allowed.pem": 86, "interim-store.cfg": 0}


def test_settings_map_each_role_onto_the_c2pa_trust_table() -> None:
    settings = trust.c2pa_trust_settings(True, "")
    assert set(settings) == {"anchors", "trust_config"}
    manifest, tsa = settings["anchors"]
    assert (manifest["trust_kind"], tsa["trust_kind"]) == ("manifest", "tsa")
    # Every certificate survives the join (an interim file ends without a newline).
    assert manifest["trust_anchors"].count("-----BEGIN CERTIFICATE-----") == 30 + 18
    assert tsa["trust_anchors"].count("-----BEGIN CERTIFICATE-----") == 22
    assert manifest["allowed_list"].count("-----BEGIN CERTIFICATE-----") == 86
    joined = manifest["trust_anchors"] + manifest["allowed_list"] + tsa["trust_anchors"]
    assert "-----END CERTIFICATE----------BEGIN" not in joined
    assert "1.3.6.1.5.5.7.3.36" in manifest["trust_config"] and settings["trust_config"] == manifest["trust_config"]
    assert trust.c2pa_trust_settings(False, "") == {}
    mine = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    assert trust.c2pa_trust_settings(False, mine) == {"user_anchors": mine}
    assert trust.c2pa_trust_settings(True, mine)["user_anchors"] == mine
    # The installed library accepts the whole table (it parses every anchor when the context is built).
    c2pa.Context.from_dict({"trust": trust.c2pa_trust_settings(True, "")})


def test_certificates_are_listed_with_validity() -> None:
    anchors = next(f for f in trust.default_bundle() if f.info.name == "C2PA-TRUST-LIST.pem")
    certs = trust.certificates(anchors.text)
    assert len(certs) == 30
    google = [c for c in certs if "Google" in c.subject]
    assert google and all(c.not_after >= c.not_before for c in google)


def test_cache_key_follows_the_bundle_and_the_switch() -> None:
    registry = default_registry()
    on, off = scan_version(registry, ScanOptions()), scan_version(registry, ScanOptions(default_trust=False))
    assert on != off
    assert scan_version(registry, ScanOptions()) == on


def test_trust_show_lists_sources_dates_and_certificates() -> None:
    result = CliRunner().invoke(cli, ["trust", "show"])
    assert result.exit_code == 0, result.output
    for f in trust.default_bundle():
        assert f"{f.info.name}  [{f.info.role}]" in result.output
        assert f.info.source in result.output and f.info.date in result.output and f.info.sha256 in result.output
    assert "CN=Google C2PA Root CA G3,O=Google LLC,C=US" in result.output
    files_only = CliRunner().invoke(cli, ["trust", "show", "--files-only"])
    assert "Google C2PA" not in files_only.output and "C2PA-TRUST-LIST.pem" in files_only.output


def test_trust_show_without_default_and_with_user_anchors(tmp_path) -> None:
    empty = CliRunner().invoke(cli, ["trust", "show", "--no-default-trust"])
    assert empty.exit_code == 0 and "Nothing is trusted" in empty.output
    pem = tmp_path / "mine.pem"
    shutil.copy(DATA / "interim-anchors.pem", pem)
    mine = CliRunner().invoke(cli, ["trust", "show", "--no-default-trust", "--trust-anchors", str(pem)])
    assert mine.exit_code == 0 and "--trust-anchors  [anchors]  18 certificate(s)" in mine.output
    assert "C2PA-TRUST-LIST.pem" not in mine.output
    digest = hashlib.sha256((DATA / "interim-anchors.pem").read_text().strip().encode() + b"\n").hexdigest()
    assert digest in mine.output


def _scan_json(args: list[str], folder: Path) -> dict:
    result = CliRunner().invoke(cli, ["scan", str(folder), "--format", "json", "--no-cache", "-q", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_scan_json_records_the_trust_in_use_and_the_switch_changes_states(tmp_path) -> None:
    gemini = CORPUS / "gemini_imagen_c2pa.png"
    if not gemini.is_file():
        pytest.skip(f"real-file corpus not found at {CORPUS} (set PROVENANCE_CORPUS)")
    shutil.copy(gemini, tmp_path / "g.png")
    default = _scan_json([], tmp_path)
    assert [t["name"] for t in default["trust"]] == [f.info.name for f in trust.default_bundle()]
    assert all(t["sha256"] and t["source"] and t["date"] for t in default["trust"])
    assert default["assets"][0]["c2pa"]["state"] == "trusted"
    bare = _scan_json(["--no-default-trust"], tmp_path)
    assert bare["trust"] == []
    assert bare["assets"][0]["c2pa"]["state"] == "expired"


def test_audit_says_what_expired_means_and_does_not_send_it_to_review(tmp_path) -> None:
    chatgpt, tampered = CORPUS / "chatgpt_gpt4o_c2pa.png", CORPUS / "c2pa_tampered_data.jpg"
    if not chatgpt.is_file():
        pytest.skip(f"real-file corpus not found at {CORPUS} (set PROVENANCE_CORPUS)")
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    shutil.copy(chatgpt, delivery / "gpt.png")
    shutil.copy(tampered, delivery / "cam.jpg")
    from provenance.ledger import open_ledger

    open_ledger(tmp_path / "empty.db", create=True).close()
    base = ["audit", str(delivery), "--no-cache", "-q", "--ledger", str(tmp_path / "empty.db")]
    data = json.loads(CliRunner().invoke(cli, [*base, "--format", "json"]).stdout)
    assert [t["name"] for t in data["trust"]] == [f.info.name for f in trust.default_bundle()]
    by_path = {a["path"]: a for a in data["assets"]}
    assert by_path["gpt.png"]["c2pa"]["state"] == "expired"
    assert by_path["gpt.png"]["status"] == "unapproved"  # generated, not approved: not "needs-review"
    assert "C2PA" not in by_path["gpt.png"]["explanation"]
    assert by_path["cam.jpg"]["status"] == "needs-review" and "invalid" in by_path["cam.jpg"]["explanation"]
    for fmt in ("md", "table"):
        text = CliRunner().invoke(cli, [*base, "--format", fmt]).stdout
        assert "C2PA expired: Signature and content hashes check out, but the signing certificate had expired" \
            in text.replace("\\", "")
        assert "C2PA invalid: The content or the manifest was altered after signing" in text
    html = CliRunner().invoke(cli, [*base, "--format", "html"]).stdout
    assert "no trusted timestamp covers it" in html
