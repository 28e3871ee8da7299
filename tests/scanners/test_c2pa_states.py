"""C2PA states (trusted/valid/expired/invalid) with the default trust lists, and CAWG identities."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import c2pa
import pytest
from PIL import Image

from provenance.errors import UsageError
from provenance.knowledge import trust
from provenance.knowledge.verdict import decide
from provenance.models import C2PA_STATE_MEANING, C2paState, Confidence, Signal, VerdictKind
from provenance.scanners._c2pa_state import classify
from provenance.scanners.c2pa import C2paScanner
from provenance.source import ByteSource, ScanInput, ScanOptions
from provenance.tagging import identity as identity_module
from provenance.tagging.c2pa_signing import build_manifest, sign_asset

from ..conftest import CORPUS
from tests.external import require_tool

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cawg"
SCANNER = C2paScanner()
NO_DEFAULT = ScanOptions(default_trust=False)


def _scan(data: bytes, mime: str, options: ScanOptions = ScanOptions()):
    return SCANNER.scan(ScanInput("f", mime, ByteSource.from_bytes(data), {}, options))


def _corpus(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"real-file corpus not found at {CORPUS} (set PROVENANCE_CORPUS)")
    return path.read_bytes()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 30, 200)).save(buf, "JPEG")
    return buf.getvalue()


# ----------------------------------------------------------------------------- genuine vendor files

@pytest.mark.parametrize(("name", "mime", "state"), [
    ("gemini_imagen_c2pa.png", "image/png", C2paState.TRUSTED),  # Google, on the C2PA trust list
    ("veo_google_c2pa.mp4", "video/mp4", C2paState.TRUSTED),
    ("firefly_then_ps_genfill_c2pa.jpg", "image/jpeg", C2paState.TRUSTED),  # Adobe, on the interim list
    ("c2pa_ai_ingredient.pdf", "application/pdf", C2paState.TRUSTED),
    # OpenAI's Truepic-signed file: certificate expired, no timestamp at all.
    ("chatgpt_gpt4o_c2pa.png", "image/png", C2paState.EXPIRED),
])
def test_genuine_vendor_files_are_trusted_or_expired_by_default(name, mime, state) -> None:
    result = _scan(_corpus(name), mime)
    assert result.c2pa.state is state, result.c2pa.failures
    assert decide(result.evidence).kind.is_ai
    ai = [e for e in result.evidence if e.signal in (Signal.GENERATED, Signal.MODIFIED)]
    assert ai and all(e.confidence is Confidence.SIGNED_DECLARATION for e in ai if e.scanner == "c2pa"
                      and "c2pa.actions" in e.location)


def test_without_default_trust_google_reads_expired_not_invalid() -> None:
    # Google's leaf expired long ago; only a trusted timestamp covers it. Without
    # the lists the timestamp is untrusted: expired, but never "tampered".
    result = _scan(_corpus("gemini_imagen_c2pa.png"), "image/png", NO_DEFAULT)
    assert result.c2pa.state is C2paState.EXPIRED
    assert "signingCredential.expired" in result.c2pa.failures


def test_tampered_and_forged_corpus_files_stay_invalid_with_default_trust() -> None:
    for name, code in (("c2pa_tampered_data.jpg", "assertion.dataHash.mismatch"),
                       ("c2pa_bad_signature.jpg", "claimSignature.mismatch")):
        result = _scan(_corpus(name), "image/jpeg")
        assert result.c2pa.state is C2paState.INVALID and code in result.c2pa.failures


# ----------------------------------------------------------------------------- files signed here

def test_expired_signer_keeps_signed_declaration_and_says_so(tmp_path, monkeypatch) -> None:
    # A leaf valid for a few more seconds: signing works now, reading later finds it expired.
    # c2pa refuses to sign with a leaf that has already expired, so on a loaded machine where
    # key generation and signing outlast the window, try again with a longer one.
    src, dst = tmp_path / "src.jpg", tmp_path / "dst.jpg"
    src.write_bytes(_jpeg())
    for attempt, seconds in enumerate((2, 8, 30)):
        monkeypatch.setattr(identity_module, "LEAF_DAYS", seconds / 86400)
        ident = identity_module.create_identity(tmp_path / f"id{attempt}", "Short Lived")
        try:
            sign_asset(src, dst, identity=ident, mime="image/jpeg",
                       manifest_definition=build_manifest("trainedAlgorithmicMedia", "VendorGen", "2"), embed=True,
                       parent_manifest=False)
            break
        except UsageError:
            if seconds == 30:
                raise
    time.sleep(max(0.0, ident.leaf.not_valid_after_utc.timestamp() - time.time()) + 1.2)
    anchors = ScanOptions(trust_anchors_pem=ident.anchor_pem.decode())
    for options in (anchors, ScanOptions()):  # on a trust list or not, expired is expired
        result = _scan(dst.read_bytes(), "image/jpeg", options)
        assert result.c2pa.state is C2paState.EXPIRED, result.c2pa.failures
        generated = [e for e in result.evidence if e.signal is Signal.GENERATED]
        assert generated and all(e.confidence is Confidence.SIGNED_DECLARATION for e in generated)
        notes = [e for e in result.evidence if e.location.endswith(":c2pa.signature")]
        assert [n.value for n in notes] == [C2PA_STATE_MEANING[C2paState.EXPIRED]]
        assert decide(result.evidence).kind is VerdictKind.AI_GENERATED


def test_allowed_list_setting_trusts_an_end_entity_certificate(tmp_path) -> None:
    # c2pa silently ignores unknown setting names (and c2pa-rs 0.91 reads a flat
    # trust.allowed_list without using it): prove that where the bundle puts the
    # allowed end-entity certificates, the installed library honours them.
    ident = identity_module.create_identity(tmp_path / "id", "Allowed Vendor")
    src, dst = tmp_path / "src.jpg", tmp_path / "dst.jpg"
    src.write_bytes(_jpeg())
    sign_asset(src, dst, identity=ident, mime="image/jpeg",
               manifest_definition=build_manifest("trainedAlgorithmicMedia", "VendorGen", "2"), embed=True,
               parent_manifest=False)
    leaf_pem = ident.chain_pem.decode().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    settings = trust.c2pa_trust_settings(True, "")
    [manifest_entry] = [e for e in settings["anchors"] if e["trust_kind"] == "manifest"]
    for allowed, expected in ((manifest_entry["allowed_list"], "Valid"),
                              (manifest_entry["allowed_list"] + leaf_pem, "Trusted")):
        table = {**settings, "anchors": [{**e, "allowed_list": allowed} if e is manifest_entry else e
                                         for e in settings["anchors"]]}
        ctx = c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                                      "trust": table})
        with c2pa.Reader("image/jpeg", io.BytesIO(dst.read_bytes()), context=ctx) as reader:
            assert reader.get_validation_state() == expected


# ----------------------------------------------------------------------------- the state rule itself

def _results(active_fail=(), active_success=(), ingredient_fail=()):
    block = lambda codes: [{"code": c, "url": "self#jumbf=/c2pa/x/c2pa.signature"} for c in codes]  # noqa: E731
    return {"activeManifest": {"failure": block(active_fail), "success": block(active_success)},
            "ingredientDeltas": [{"validationDeltas": {"failure": block(ingredient_fail)}}]}


@pytest.mark.parametrize(("native", "results", "state"), [
    ("Trusted", _results(active_success=["signingCredential.trusted"]), C2paState.TRUSTED),
    ("Valid", _results(["signingCredential.untrusted"]), C2paState.VALID),
    ("Invalid", _results(["signingCredential.untrusted", "signingCredential.expired"]), C2paState.EXPIRED),
    ("Invalid", _results(["signingCredential.expired"], ["signingCredential.trusted"]), C2paState.EXPIRED),
    ("Invalid", _results(["signingCredential.untrusted", "assertion.dataHash.mismatch"]), C2paState.INVALID),
    ("Invalid", _results(["signingCredential.expired", "claimSignature.mismatch"]), C2paState.INVALID),
    ("Invalid", _results(["signingCredential.ocsp.revoked"]), C2paState.INVALID),
    ("Invalid", _results(ingredient_fail=["assertion.hashedURI.mismatch"]), C2paState.INVALID),
    # A CAWG identity problem is the identity's, not the manifest's.
    ("Invalid", _results(["cawg.ica.did_unavailable"], ["signingCredential.trusted"]), C2paState.TRUSTED),
    ("Valid", _results(["signingCredential.untrusted"], ingredient_fail=["signingCredential.expired"]),
     C2paState.VALID),
    ("Invalid", _results(), C2paState.INVALID),  # refused with no reason given: not excusable
    (None, _results(), C2paState.INVALID),
])
def test_state_rule(native, results, state) -> None:
    assert classify(native, results) is state


# ----------------------------------------------------------------------------- CAWG identity assertions

def _identities(name: str):
    result = _scan((FIXTURES / name).read_bytes(), "image/jpeg")
    return result, [e for e in result.evidence if ":cawg.identity" in e.location]


def test_x509_identity_is_named_with_its_verification_state() -> None:
    result, ids = _identities("x509_identity.jpg")
    assert len(ids) == 1
    assert ids[0].value.startswith("identity signature valid, signer not on a trust list "
                                   "[cawg.x509.credential.untrusted]: X.509 C2PA Signer / C2PA Test Signing Cert")
    assert ids[0].signal is Signal.INFO and ids[0].confidence is Confidence.DECLARATION
    assert result.c2pa.state is C2paState.VALID  # test-certificate signer: on no list


def test_aggregated_identity_with_a_bad_signature_is_invalid_but_the_manifest_is_not() -> None:
    result, ids = _identities("ica_signature_mismatch.jpg")
    assert len(ids) == 1
    assert ids[0].value.startswith("identity signature or binding invalid [cawg.ica.signature_mismatch]: "
                                   "First-Name Last-Name (cawg.document_verification via Example ID Verifier)")
    assert result.c2pa.state is C2paState.VALID


def test_did_web_identity_is_unverifiable_offline() -> None:
    result, ids = _identities("ica_did_web.jpg")
    assert [e.value.split(":", 1)[0] for e in ids] == ["identity not verifiable offline [cawg.ica.did_unavailable]"]
    assert "testuser23 (cawg.social_media via behance)" in ids[0].value
    assert result.c2pa.state is C2paState.TRUSTED  # Adobe's staging signer is on the interim list


def test_reading_a_did_web_identity_opens_no_network_socket(tmp_path) -> None:
    # c2pa-rs resolves a did:web issuer itself (native code, not Python's socket
    # module), so watch the system calls: without `allowed_network_hosts = []`
    # it asks DNS for the issuer's host.
    strace = require_tool("strace", "strace")
    code = ("import sys; from provenance.scanners.c2pa import C2paScanner; "
            "from provenance.source import ByteSource, ScanInput; "
            "r = C2paScanner().scan(ScanInput('f', 'image/jpeg', ByteSource.from_bytes(open(sys.argv[1], 'rb').read()))); "
            "print(r.c2pa.state)")
    log = tmp_path / "trace"
    run = subprocess.run([strace, "-f", "-e", "trace=connect,sendto,sendmsg", "-o", str(log), sys.executable, "-c",
                          code, str(FIXTURES / "ica_did_web.jpg")], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert run.returncode == 0 and run.stdout.strip() == "trusted", run.stderr[-2000:]
    network = [line for line in log.read_text().splitlines() if "AF_INET" in line]
    assert network == []


def test_identity_json_round_trip_keeps_the_state() -> None:
    result, ids = _identities("x509_identity.jpg")
    data = json.loads(json.dumps([e.to_dict() for e in ids]))
    assert data[0]["location"].endswith(":cawg.identity") and data[0]["signal"] == "info"
