"""The offline signing helper, checked by reading back with the real c2pa Reader."""

from __future__ import annotations

import hashlib
import io
import json
import os

import c2pa
import pytest
from PIL import Image

from provenance.tagging.c2pa_signing import APPROVAL_PARAM, build_manifest, embeddable, sign_asset
from provenance.knowledge.dst import IPTC_PREFIX
from provenance.errors import UsageError
from provenance.tagging.identity import create_identity

TAM = IPTC_PREFIX + "trainedAlgorithmicMedia"


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return create_identity(tmp_path_factory.mktemp("id") / "vendor", "Test Vendor")


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "plate.png"
    Image.new("RGB", (24, 16), (10, 120, 200)).save(path)
    return path


def _read(path, identity, mime="image/png", sidecar=None):
    ctx = c2pa.Context.from_dict({"trust": {"user_anchors": identity.anchor_pem.decode()},
                                  "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})
    with open(path, "rb") as fh, c2pa.Reader(mime, fh, sidecar, context=ctx) as reader:
        return reader.get_validation_state(), json.loads(reader.json())


def _actions(manifest):
    return [a for asr in manifest["assertions"] if asr["label"].startswith("c2pa.actions")
            for a in asr["data"]["actions"]]


def test_build_manifest_declares_source_type_agent_and_approval() -> None:
    m = build_manifest("trainedAlgorithmicMedia", "VendorGen", "2.1", approval_ref="APPROVAL-42",
                       prompt_info="matte painting", title="plate")
    (action,) = m["assertions"][0]["data"]["actions"]
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"] == TAM
    assert action["softwareAgent"] == {"name": "VendorGen", "version": "2.1"}
    assert action["parameters"][APPROVAL_PARAM] == "APPROVAL-42"
    assert m["title"] == "plate"


@pytest.mark.parametrize("kwargs", [{"dst_uri_or_term": "madeUpTerm"}, {"action": "c2pa.opened"}])
def test_build_manifest_rejects_bad_input(kwargs) -> None:
    args = {"dst_uri_or_term": "trainedAlgorithmicMedia", "tool_name": "G", "tool_version": "1", **kwargs}
    with pytest.raises(UsageError):
        build_manifest(**args)


def test_embeddable_follows_the_sdk() -> None:
    assert embeddable("image/png") and embeddable("audio/wav") and embeddable("video/mp4")
    assert not embeddable("image/x-exr") and not embeddable("application/mxf")


def test_embedded_signature_reads_back_trusted_and_source_is_untouched(png, tmp_path, identity) -> None:
    before = (hashlib.sha256(png.read_bytes()).hexdigest(), os.stat(png).st_mtime_ns)
    out = tmp_path / "signed.png"
    store = sign_asset(png, out, identity=identity, mime="image/png", embed=True, parent_manifest=False,
                       manifest_definition=build_manifest("trainedAlgorithmicMedia", "VendorGen", "2",
                                                          approval_ref="APP-1"))
    assert (hashlib.sha256(png.read_bytes()).hexdigest(), os.stat(png).st_mtime_ns) == before
    assert b"jumdc2pa" in store and b"jumdc2pa" in out.read_bytes()
    state, data = _read(out, identity)
    assert state == "Trusted"
    manifest = data["manifests"][data["active_manifest"]]
    (action,) = _actions(manifest)
    assert action["digitalSourceType"] == TAM and action["parameters"][APPROVAL_PARAM] == "APP-1"
    assert "thumbnail" not in manifest


def test_sidecar_binds_to_the_written_bytes(tmp_path, identity) -> None:
    src = tmp_path / "shot.exr"
    src.write_bytes(b"v/1\x01" + bytes(range(256)) * 8)
    out = tmp_path / "out.exr"
    sidecar = sign_asset(src, out, identity=identity, mime="image/x-exr", embed=False, parent_manifest=False,
                         manifest_definition=build_manifest("trainedAlgorithmicMedia", "G", "1"))
    assert out.read_bytes() == src.read_bytes()
    assert _read(out, identity, "application/octet-stream", sidecar)[0] == "Trusted"


def test_signed_source_becomes_the_parent_ingredient(png, tmp_path, identity) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    sign_asset(png, first, identity=identity, mime="image/png", embed=True, parent_manifest=True,
               manifest_definition=build_manifest("trainedAlgorithmicMedia", "Gen", "1"))
    sign_asset(first, second, identity=identity, mime="image/png", embed=True, parent_manifest=True,
               manifest_definition=build_manifest("compositeWithTrainedAlgorithmicMedia", "Fill", "1",
                                                  action="c2pa.edited"))
    state, data = _read(second, identity)
    assert state == "Trusted" and len(data["manifests"]) == 2
    active = data["manifests"][data["active_manifest"]]
    assert [a["action"] for a in _actions(active)] == ["c2pa.opened", "c2pa.edited"]
    (ingredient,) = active["ingredients"]
    assert ingredient["relationship"] == "parentOf" and ingredient["active_manifest"] in data["manifests"]


def test_refuses_to_write_over_the_source_or_embed_where_impossible(png, tmp_path, identity) -> None:
    manifest = build_manifest("trainedAlgorithmicMedia", "G", "1")
    before = png.read_bytes()
    with pytest.raises(UsageError, match="source"):
        sign_asset(png, png, identity=identity, mime="image/png", embed=True, parent_manifest=False,
                   manifest_definition=manifest)
    assert png.read_bytes() == before
    with pytest.raises(UsageError, match="sidecar"):
        sign_asset(png, tmp_path / "x.exr", identity=identity, mime="image/x-exr", embed=True,
                   parent_manifest=False, manifest_definition=manifest)


def test_builder_output_matches_its_stream_form(png, tmp_path, identity) -> None:
    # The returned store is the archival copy of what was embedded.
    out = tmp_path / "s.png"
    store = sign_asset(png, out, identity=identity, mime="image/png", embed=True, parent_manifest=False,
                       manifest_definition=build_manifest("digitalCreation", "Paint", "1"))
    ctx = c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False}})
    with c2pa.Reader("application/c2pa", io.BytesIO(store), context=ctx) as reader:
        assert json.loads(reader.json())["active_manifest"] == _read(out, identity)[1]["active_manifest"]
