from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

import pytest

from provenance.knowledge.dst import IPTC_PREFIX
from provenance.scan.manifest import (
    INVALID,
    MAX_MANIFEST_BYTES,
    MISMATCH,
    MISSING,
    SCHEMA,
    ManifestEntry,
    ManifestError,
    check_manifest,
    load_manifest,
    parse_manifest,
    upsert_entries,
)
from provenance.models import Confidence, Signal
from provenance.scan.walk import PACKAGE_MANIFEST_NAME, walk

GENERATED = IPTC_PREFIX + "trainedAlgorithmicMedia"
CAPTURED = IPTC_PREFIX + "digitalCapture"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_manifest(root, assets, **top) -> None:
    doc = {"schema": SCHEMA, "vendor": "Acme VFX", "created": "2026-11-25T08:00:00Z", "assets": assets, **top}
    (root / PACKAGE_MANIFEST_NAME).write_text(json.dumps(doc), encoding="utf-8")


def item(path: str, data: bytes, dst: str = GENERATED, **extra) -> dict:
    return {"path": path, "sha256": sha(data), "size": len(data), "digital_source_type": dst, **extra}


def check(root):
    tree = walk(root)
    assert tree.package_manifest is not None
    skipped = {s.path: s.reason for s in tree.skipped}
    return check_manifest(load_manifest(tree.package_manifest), tree.files, skipped)


def test_listed_file_gets_declaration_and_approval_evidence(tmp_path):
    (tmp_path / "shots").mkdir()
    data = b"matte painting bytes"
    (tmp_path / "shots" / "mp.png").write_bytes(data)
    write_manifest(tmp_path, [item("shots/mp.png", data, tool="VendorGen 2.1", approval="NFLX-GAI-0042")])
    result = check(tmp_path)
    assert result.problems == () and result.findings == ()
    [dst, approval] = result.evidence["shots/mp.png"]
    assert (dst.scanner, dst.location, dst.signal, dst.confidence, dst.generator) == (
        "manifest", "manifest:digital_source_type", Signal.GENERATED, Confidence.DECLARATION, "VendorGen 2.1")
    assert "trainedAlgorithmicMedia" in dst.value and "VendorGen 2.1" in dst.value
    assert (approval.location, approval.value, approval.signal) == ("manifest:approval", "NFLX-GAI-0042", Signal.INFO)


def test_not_generative_declaration_maps_through_the_dst_table(tmp_path):
    data = b"plate"
    (tmp_path / "plate.dpx").write_bytes(data)
    write_manifest(tmp_path, [item("plate.dpx", data, dst="digitalCapture")])
    [dst] = check(tmp_path).evidence["plate.dpx"]
    assert dst.signal is Signal.NOT_GENERATIVE


def test_missing_listed_file_is_a_finding_naming_the_path(tmp_path):
    (tmp_path / "here.png").write_bytes(b"x")
    write_manifest(tmp_path, [item("here.png", b"x"), item("shots/gone.exr", b"y")])
    result = check(tmp_path)
    assert [(f.code, "shots/gone.exr" in f.message) for f in result.findings] == [(MISSING, True)]
    assert result.problems == ()
    assert "shots/gone.exr" not in result.evidence


def test_listed_file_that_the_walk_skipped_says_why(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "a.png.xmp").write_bytes(b"<x/>")
    write_manifest(tmp_path, [item("a.png.xmp", b"<x/>")])
    [finding] = check(tmp_path).findings
    assert finding.code == MISSING and "sidecar" in finding.message


def test_hash_mismatch_is_a_finding_with_both_hashes(tmp_path):
    (tmp_path / "f.exr").write_bytes(b"new bytes!")
    write_manifest(tmp_path, [item("f.exr", b"old bytes!")])  # same size, other content
    result = check(tmp_path)
    [finding] = result.findings
    assert finding.code == MISMATCH
    assert "f.exr" in finding.message and sha(b"new bytes!") in finding.message and sha(b"old bytes!") in finding.message
    assert result.problems == ()


def test_size_mismatch_is_reported_without_hashing(tmp_path):
    (tmp_path / "f.exr").write_bytes(b"longer content")
    write_manifest(tmp_path, [item("f.exr", b"short")])
    [finding] = check(tmp_path).findings
    assert finding.code == MISMATCH and "size" in finding.message


def test_on_mismatch_a_clearing_claim_and_approval_lose_weight_but_an_ai_claim_keeps_it(tmp_path):
    (tmp_path / "gen.png").write_bytes(b"AAAA")
    (tmp_path / "cap.png").write_bytes(b"BBBB")
    write_manifest(tmp_path, [
        item("gen.png", b"aaaa", approval="NFLX-1"),
        item("cap.png", b"bbbb", dst=CAPTURED, approval="NFLX-2"),
    ])
    ev = check(tmp_path).evidence
    gen = {e.location: e for e in ev["gen.png"]}
    cap = {e.location: e for e in ev["cap.png"]}
    assert gen["manifest:digital_source_type"].confidence is Confidence.DECLARATION
    assert cap["manifest:digital_source_type"].confidence is Confidence.HEURISTIC
    assert gen["manifest:approval"].confidence is Confidence.HEURISTIC


@pytest.mark.parametrize("bad_path", ["../outside.png", "/etc/passwd", "shots/../../x.png", "C:/x.png",
                                      "shots\\x.png", "./x.png", "shots//x.png", ""])
def test_traversal_and_unsafe_paths_are_error_entries(tmp_path, bad_path):
    (tmp_path / "ok.png").write_bytes(b"ok")
    write_manifest(tmp_path, [item(bad_path, b"z"), item("ok.png", b"ok")])
    result = check(tmp_path)
    assert [p.code for p in result.problems] == [INVALID]
    assert "assets[0]" in result.problems[0].message
    assert set(result.evidence) == {"ok.png"}  # the rest of the manifest still counts


def test_traversal_never_reads_outside_the_delivery(tmp_path):
    root = tmp_path / "delivery"
    root.mkdir()
    (tmp_path / "secret.png").write_bytes(b"secret")
    write_manifest(root, [item("../secret.png", b"secret")])
    result = check(root)
    assert result.evidence == {} and result.findings == ()
    assert [p.code for p in result.problems] == [INVALID]


@pytest.mark.parametrize("content, words", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe garbage", "UTF-8"),
    (b"[]", "not a JSON object"),
    (json.dumps({"schema": "provenance.package/9", "assets": []}).encode(), "unsupported schema"),
    (json.dumps({"schema": SCHEMA, "assets": {}}).encode(), "'assets' must be a list"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),  # nesting bomb: RecursionError, not a traceback
    (json.dumps({"schema": SCHEMA, "assets": [], "x": float("nan")}).encode(), "not valid JSON"),
])
def test_malformed_manifest_is_one_clear_error(tmp_path, content, words):
    (tmp_path / PACKAGE_MANIFEST_NAME).write_bytes(content)
    manifest = load_manifest(tmp_path / PACKAGE_MANIFEST_NAME)
    assert not manifest.readable and manifest.entries == ()
    [error] = manifest.errors
    assert error.code == INVALID and words in error.message and PACKAGE_MANIFEST_NAME in error.message


@pytest.mark.parametrize("field, value", [
    ("sha256", "abc"), ("digital_source_type", "madeUpTerm"), ("size", -1), ("size", True),
    ("tool", 5), ("c2pa", "maybe"),
])
def test_invalid_fields_reject_only_that_entry(field, value):
    good = item("a.png", b"a")
    bad = {**item("b.png", b"b"), field: value}
    manifest = parse_manifest(json.dumps({"schema": SCHEMA, "assets": [bad, good]}).encode())
    assert [e.path for e in manifest.entries] == ["a.png"]
    [error] = manifest.errors
    assert error.code == INVALID and "b.png" in error.message and field.split("_")[0] in error.message


def test_duplicate_paths_keep_the_first_entry():
    doc = {"schema": SCHEMA, "assets": [item("a.png", b"1"), item("a.png", b"2")]}
    manifest = parse_manifest(json.dumps(doc).encode())
    assert [e.sha256 for e in manifest.entries] == [sha(b"1")]
    assert "listed twice" in manifest.errors[0].message


def test_huge_manifest_is_refused_before_reading(tmp_path):
    path = tmp_path / PACKAGE_MANIFEST_NAME
    with open(path, "wb") as fh:
        fh.truncate(MAX_MANIFEST_BYTES + 1)  # sparse: costs no disk
    manifest = load_manifest(path)
    assert not manifest.readable and "limit" in manifest.errors[0].message


def test_too_many_entries_is_refused():
    doc = {"schema": SCHEMA, "assets": [item(f"f{i}.png", b"x") for i in range(11)]}
    manifest = parse_manifest(json.dumps(doc).encode(), max_entries=10)
    assert not manifest.readable and "limit" in manifest.errors[0].message


def test_container_bomb_is_refused_without_parsing():
    bomb = b'{"schema": "provenance.package/1", "assets": [' + b"[]," * 3_000_000 + b"[]]}"
    manifest = parse_manifest(bomb)
    assert not manifest.readable and "too many" in manifest.errors[0].message


def test_unreadable_manifest_is_an_error_not_a_traceback(tmp_path):
    manifest = load_manifest(tmp_path / "does-not-exist.json")
    assert not manifest.readable and "cannot read" in manifest.errors[0].message


# --- writer ---------------------------------------------------------------------

def entry(path: str, data: bytes, **kw) -> ManifestEntry:
    return ManifestEntry(path=path, sha256=sha(data), digital_source_type=kw.pop("dst", "trainedAlgorithmicMedia"),
                         size=len(data), **kw)


NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone.utc)


def test_upsert_writes_sorted_deterministic_json_that_reads_back(tmp_path):
    path = tmp_path / PACKAGE_MANIFEST_NAME
    upsert_entries(path, [entry("b/x.exr", b"2", tool="Gen"), entry("a.png", b"1", approval="NFLX-7")],
                   vendor="Acme", now=NOW)
    first = path.read_bytes()
    doc = json.loads(first)
    assert doc["schema"] == SCHEMA and doc["vendor"] == "Acme" and doc["created"] == "2026-11-25T09:30:00Z"
    assert [a["path"] for a in doc["assets"]] == ["a.png", "b/x.exr"]
    assert doc["assets"][0]["digital_source_type"] == GENERATED  # canonical URI on disk
    loaded = load_manifest(path)
    assert loaded.errors == () and [e.path for e in loaded.entries] == ["a.png", "b/x.exr"]
    # Same entries again: byte-identical file.
    upsert_entries(path, [entry("a.png", b"1", approval="NFLX-7")], now=NOW + dt.timedelta(days=1))
    assert path.read_bytes() == first


def test_upsert_replaces_by_path_and_keeps_others(tmp_path):
    path = tmp_path / PACKAGE_MANIFEST_NAME
    upsert_entries(path, [entry("a.png", b"1"), entry("b.png", b"2")], now=NOW)
    upsert_entries(path, [entry("a.png", b"changed", dst="digitalCapture")], now=NOW)
    loaded = {e.path: e for e in load_manifest(path).entries}
    assert loaded["a.png"].sha256 == sha(b"changed") and loaded["a.png"].signal is Signal.NOT_GENERATIVE
    assert loaded["b.png"].sha256 == sha(b"2")


def test_upsert_rejects_invalid_entries_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / PACKAGE_MANIFEST_NAME
    upsert_entries(path, [entry("a.png", b"1")], now=NOW)
    before = path.read_bytes()
    with pytest.raises(ManifestError):
        upsert_entries(path, [entry("../escape.png", b"1")])
    with pytest.raises(ManifestError):
        upsert_entries(path, [ManifestEntry("c.png", "", "trainedAlgorithmicMedia")])
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [PACKAGE_MANIFEST_NAME]  # no temp files left behind


def test_upsert_will_not_clobber_a_manifest_it_cannot_read(tmp_path):
    path = tmp_path / PACKAGE_MANIFEST_NAME
    path.write_bytes(b"{vendor's half-written file")
    with pytest.raises(ManifestError):
        upsert_entries(path, [entry("a.png", b"1")])
    assert path.read_bytes() == b"{vendor's half-written file"


def test_upsert_keeps_vendor_extension_keys_per_entry_and_top_level(tmp_path):
    data = b"plate"
    (tmp_path / "a.png").write_bytes(data)
    write_manifest(tmp_path, [item("a.png", data, **{"x-shot": "sh010", "x-artist": {"name": "Ana", "id": 7}})],
                   **{"x-vendor-job": "J-1234"})
    path = tmp_path / PACKAGE_MANIFEST_NAME
    assert load_manifest(path).entries[0].extra == {"x-shot": "sh010", "x-artist": {"name": "Ana", "id": 7}}
    upsert_entries(path, [entry("b.png", b"2")], now=NOW)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["x-vendor-job"] == "J-1234"
    first = {a["path"]: a for a in doc["assets"]}["a.png"]
    assert first["x-shot"] == "sh010" and first["x-artist"] == {"name": "Ana", "id": 7}
    # Re-tagging the same path replaces the declared fields and keeps the vendor's own keys,
    # unless the new entry sets them.
    upsert_entries(path, [ManifestEntry("a.png", sha(b"new"), "trainedAlgorithmicMedia", extra={"x-shot": "sh020"})],
                   now=NOW)
    again = {a["path"]: a for a in json.loads(path.read_text(encoding="utf-8"))["assets"]}["a.png"]
    assert again["sha256"] == sha(b"new") and again["x-shot"] == "sh020" and again["x-artist"]["name"] == "Ana"
    assert load_manifest(path).errors == ()


def test_upsert_keeps_the_first_vendor_unless_one_is_set_explicitly(tmp_path):
    path = tmp_path / PACKAGE_MANIFEST_NAME
    upsert_entries(path, [entry("a.png", b"1")], default_vendor="Acme VFX", now=NOW)
    assert load_manifest(path).vendor == "Acme VFX"
    upsert_entries(path, [entry("b.png", b"2")], default_vendor="Other Studio", now=NOW)
    assert load_manifest(path).vendor == "Acme VFX"
    upsert_entries(path, [entry("c.png", b"3")], vendor="Acme VFX Ltd", default_vendor="Other Studio", now=NOW)
    assert load_manifest(path).vendor == "Acme VFX Ltd"
