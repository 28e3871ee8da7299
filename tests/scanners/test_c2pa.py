"""The C2PA scanner against files signed here with a fresh identity, and the corpus."""

from __future__ import annotations

import io
from pathlib import Path

import c2pa
import pytest
from PIL import Image

from provenance.tagging.c2pa_signing import build_manifest, sign_asset
from provenance.tagging.identity import create_identity
from provenance.models import C2paState, Confidence, Signal, VerdictKind
from provenance.source import ByteSource, ScanInput, ScanOptions
from provenance.knowledge.verdict import decide
from provenance.scanners._c2pa_lineage import store_evidence
from provenance.scanners.c2pa import C2paScanner, has_c2pa_marker
from ..builders import pcm_wav

SCANNER = C2paScanner()


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return create_identity(tmp_path_factory.mktemp("id") / "vendor", "Test Vendor")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 200, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _wav() -> bytes:
    return pcm_wav(bytes(range(256)) * 16)


MEDIA = {"image/png": _png, "image/jpeg": _jpeg, "audio/wav": _wav}


def _sign(tmp_path: Path, identity, data: bytes, mime: str, manifest=None, *, embed=True, parent=False):
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    src.write_bytes(data)
    manifest = manifest or build_manifest("trainedAlgorithmicMedia", "VendorGen", "2", approval_ref="APP-9")
    store = sign_asset(src, dst, identity=identity, manifest_definition=manifest, mime=mime,
                       embed=embed, parent_manifest=parent)
    return dst.read_bytes(), store


def _scan(data: bytes, mime: str, anchors: str = "", sidecar: bytes | None = None):
    sidecars = {"c2pa": sidecar} if sidecar is not None else {}
    item = ScanInput("f", mime, ByteSource.from_bytes(data), sidecars, ScanOptions(trust_anchors_pem=anchors))
    return SCANNER.scan(item)


@pytest.mark.parametrize("mime", sorted(MEDIA))
def test_signed_generated_asset_is_ai_generated_trusted_with_anchor(mime, tmp_path, identity) -> None:
    signed, _ = _sign(tmp_path, identity, MEDIA[mime](), mime)
    trusted = _scan(signed, mime, identity.anchor_pem.decode())
    assert trusted.c2pa.state is C2paState.TRUSTED and trusted.c2pa.failures == ()
    assert decide(trusted.evidence).kind is VerdictKind.AI_GENERATED
    assert "Test Vendor C2PA Signer" in trusted.c2pa.signer
    untrusted = _scan(signed, mime)
    assert untrusted.c2pa.state is C2paState.VALID
    assert untrusted.c2pa.failures == ("signingCredential.untrusted",)
    # An unknown signer never cancels the declaration.
    generated = [e for e in untrusted.evidence if e.signal is Signal.GENERATED]
    assert generated and all(e.confidence is Confidence.SIGNED_DECLARATION for e in generated)
    assert generated[0].generator == "VendorGen"


def test_one_flipped_byte_makes_it_invalid_but_keeps_the_declaration(tmp_path, identity) -> None:
    signed, _ = _sign(tmp_path, identity, _jpeg(), "image/jpeg")
    tampered = bytearray(signed)
    tampered[-10] ^= 0x01  # entropy-coded pixels, after the APP11 store
    result = _scan(bytes(tampered), "image/jpeg", identity.anchor_pem.decode())
    assert result.c2pa.state is C2paState.INVALID
    assert "assertion.dataHash.mismatch" in result.c2pa.failures
    generated = [e for e in result.evidence if e.signal is Signal.GENERATED]
    assert generated and all(e.confidence is Confidence.DECLARATION for e in generated)


def test_sidecar_on_an_unembeddable_file(tmp_path, identity) -> None:
    exr = b"v/1\x01" + bytes(range(256)) * 64
    asset, sidecar = _sign(tmp_path, identity, exr, "image/x-exr", embed=False)
    assert SCANNER.scan(ScanInput("f", "image/x-exr", ByteSource.from_bytes(asset))).c2pa is None
    result = _scan(asset, "image/x-exr", identity.anchor_pem.decode(), sidecar)
    assert result.c2pa.state is C2paState.TRUSTED and result.c2pa.sidecar
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED
    flipped = bytearray(asset)
    flipped[500] ^= 0x80
    broken = _scan(bytes(flipped), "image/x-exr", identity.anchor_pem.decode(), sidecar)
    assert broken.c2pa.state is C2paState.INVALID and "assertion.dataHash.mismatch" in broken.c2pa.failures


def test_generated_parent_then_generative_edit_stays_generated(tmp_path, identity) -> None:
    first, _ = _sign(tmp_path, identity, _png(), "image/png")
    edit = build_manifest("compositeWithTrainedAlgorithmicMedia", "Fill", "1", action="c2pa.edited")
    second, _ = _sign(tmp_path, identity, first, "image/png", edit, parent=True)
    result = _scan(second, "image/png", identity.anchor_pem.decode())
    assert result.c2pa.state is C2paState.TRUSTED and len(result.c2pa.instance_ids) == 2
    signals = {e.signal for e in result.evidence}
    assert {Signal.GENERATED, Signal.MODIFIED} <= signals
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


def test_human_made_parent_with_generative_edit_is_modified(tmp_path, identity) -> None:
    first, _ = _sign(tmp_path, identity, _png(), "image/png", build_manifest("digitalCapture", "Camera", "1"))
    assert decide(_scan(first, "image/png").evidence).kind is VerdictKind.NO_AI_DECLARED
    edit = build_manifest("trainedAlgorithmicMedia", "Fill", "1", action="c2pa.edited")
    second, _ = _sign(tmp_path, identity, first, "image/png", edit, parent=True)
    assert decide(_scan(second, "image/png").evidence).kind is VerdictKind.AI_MODIFIED


def test_algorithmic_media_is_not_ai(tmp_path, identity) -> None:
    signed, _ = _sign(tmp_path, identity, _png(), "image/png", build_manifest("algorithmicMedia", "Houdini", "20"))
    result = _scan(signed, "image/png")
    assert decide(result.evidence).kind is VerdictKind.NO_AI_DECLARED


def test_remote_pointer_is_reported_not_fetched(identity) -> None:
    # c2pa only writes the pointer: with fetching off the reader stops at it.
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, identity.chain_pem, identity.key_pem, None)
    ctx = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(build_manifest("trainedAlgorithmicMedia", "G", "1"),
                                                              ctx) as builder:
        builder.set_no_embed()
        builder.set_remote_url("https://manifests.invalid/store/abc.c2pa")
        out = io.BytesIO()
        builder.sign(signer, "image/jpeg", io.BytesIO(_jpeg()), out)
    result = _scan(out.getvalue(), "image/jpeg")
    assert result.c2pa.state is C2paState.REMOTE
    assert result.c2pa.remote_url == "https://manifests.invalid/store/abc.c2pa"
    assert result.evidence == ()


@pytest.mark.parametrize("cut", [300, 0.5, -200])
def test_truncated_signed_file_is_a_clean_per_file_error(cut, tmp_path, identity) -> None:
    signed, _ = _sign(tmp_path, identity, _jpeg(), "image/jpeg")
    end = int(len(signed) * cut) if isinstance(cut, float) else cut
    result = _scan(signed[:end], "image/jpeg")
    assert [e.code for e in result.errors] == ["c2pa-unreadable"]
    assert result.c2pa.state is C2paState.ERROR


def test_corrupt_store_is_a_clean_per_file_error(tmp_path, identity) -> None:
    signed, _ = _sign(tmp_path, identity, _png(), "image/png")
    corrupt = bytearray(signed)
    at = corrupt.find(b"jumdc2pa")
    corrupt[at + 40 : at + 80] = b"\xff" * 40
    result = _scan(bytes(corrupt), "image/png")
    assert [e.code for e in result.errors] == ["c2pa-unreadable"]


def test_files_without_markers_are_skipped_and_text_mentions_are_not_stores() -> None:
    assert not has_c2pa_marker(ByteSource.from_bytes(_png()))
    assert _scan(_png(), "image/png").c2pa is None
    text = b"notes: the PNG caBX chunk and dcterms:provenance hold C2PA data\n" * 10
    assert _scan(text, "text/plain") == _scan(b"", "text/plain")


def test_marker_walk_finds_a_store_in_the_middle_of_a_large_riff() -> None:
    filler = b"\x00" * (600 * 1024)
    def riff(*chunks: bytes) -> bytes:
        body = b"WAVE" + b"".join(chunks)
        return b"RIFF" + len(body).to_bytes(4, "little") + body
    def chunk(cid: bytes, data: bytes) -> bytes:
        return cid + len(data).to_bytes(4, "little") + data
    with_store = riff(chunk(b"data", filler), chunk(b"C2PA", b"\x00" * 16), chunk(b"LIST", filler))
    without = riff(chunk(b"data", filler), chunk(b"LIST", filler))
    assert has_c2pa_marker(ByteSource.from_bytes(with_store))
    assert not has_c2pa_marker(ByteSource.from_bytes(without))


def test_lineage_names_a_generator_without_source_type() -> None:
    store = {"active_manifest": "m1", "manifests": {"m1": {
        "claim_generator_info": [{"name": "Microsoft_Responsible_AI"}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created", "softwareAgent": "Bing Image Creator"}]}}]}}}
    (named,) = [e for e in store_evidence(store, integrity_failed=False) if e.signal is Signal.GENERATED]
    assert named.confidence is Confidence.TOOL_RECORD and named.generator == "Microsoft Responsible AI"


def test_lineage_survives_cycles_and_hostile_shapes() -> None:
    ing = lambda target: {"relationship": "parentOf", "active_manifest": target, "title": target}  # noqa: E731
    opened = {"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.opened", "parameters": "junk"}]}}
    store = {"active_manifest": "a", "manifests": {
        "a": {"assertions": [opened], "ingredients": [ing("b")]},
        "b": {"assertions": [opened, {"label": "c2pa.actions", "data": None}], "ingredients": [ing("a"), 7]},
        "c": "not a manifest"}}
    evidence = store_evidence(store, integrity_failed=False)
    assert decide(evidence).kind is VerdictKind.NO_AI_DECLARED


CORPUS_EXPECT = {
    "firefly_then_ps_genfill_c2pa.jpg": VerdictKind.AI_GENERATED,
    "c2pa_ai_ingredient.pdf": VerdictKind.AI_MODIFIED,
    "chatgpt_gpt4o_c2pa.png": VerdictKind.AI_GENERATED,
    "gemini_imagen_c2pa.png": VerdictKind.AI_GENERATED,
    "veo_google_c2pa.mp4": VerdictKind.AI_GENERATED,
    "c2pa_test_algorithmicMedia.jpg": VerdictKind.NO_AI_DECLARED,
    "c2pa_ca.jpg": VerdictKind.NO_AI_DECLARED,
    "c2pa_video_noai.mp4": VerdictKind.NO_AI_DECLARED,
    "c2pa_wav_empty_dst.wav": VerdictKind.NO_AI_DECLARED,
    "c2pa_tampered_data.jpg": VerdictKind.NO_EVIDENCE,
}


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECT))
def test_corpus_verdicts_from_c2pa_alone(name, corpus) -> None:
    from provenance.knowledge.sniff import sniff

    with ByteSource.open(corpus / name) as source:
        result = SCANNER.scan(ScanInput(name, sniff(source.head), source))
    assert decide(result.evidence).kind is CORPUS_EXPECT[name]


def test_corpus_remote_manifest_is_not_fetched(corpus) -> None:
    with ByteSource.open(corpus / "c2pa_remote_manifest.jpg") as source:
        result = SCANNER.scan(ScanInput("r", "image/jpeg", source))
    assert result.c2pa.state is C2paState.REMOTE
    assert result.c2pa.remote_url.startswith("https://cai-manifests.adobe.com/")


@pytest.mark.parametrize("compressed", [False, True])
def test_remote_pointer_in_png_xmp_is_remote_even_when_compressed(tmp_path, compressed) -> None:
    """c2pa-rs misses a pointer in compressed iTXt XMP; the file still says its credentials are remote."""
    from PIL import Image, PngImagePlugin

    from provenance.models import C2paState
    from provenance.scan import scan_path
    from provenance.scanners import default_registry

    url = "https://manifests.example.com/manifests/urn-uuid-1234"
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           f'<rdf:Description rdf:about="" xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}"/>'
           '</rdf:RDF></x:xmpmeta>')
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp, zip=compressed)
    path = tmp_path / "pointer.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    result = scan_path(str(path), "pointer.png", default_registry(), ScanOptions(), propagate_bugs=True)
    assert result.c2pa.state is C2paState.REMOTE
    assert result.c2pa.remote_url == url
