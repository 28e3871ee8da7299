"""Signing identities: files, permissions, and the C2PA leaf profile."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provenance.errors import UsageError
from provenance.tagging.identity import (
    DOCUMENT_SIGNING,
    Identity,
    check_leaf_profile,
    create_identity,
    load_identity,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ids") / "acme"
    return folder, create_identity(folder, "Acme VFX")


def test_files_and_key_permissions(made) -> None:
    folder, _ = made
    assert sorted(os.listdir(folder)) == ["chain.pem", "identity.json", "key.pem", "trust-anchor.pem"]
    assert stat.S_IMODE(os.stat(folder / "key.pem").st_mode) == 0o600
    key = serialization.load_pem_private_key((folder / "key.pem").read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert b"BEGIN PRIVATE KEY" in (folder / "key.pem").read_bytes()  # PKCS8, unencrypted


def test_chain_is_leaf_then_intermediate_and_anchor_is_the_root(made) -> None:
    folder, identity = made
    chain = x509.load_pem_x509_certificates((folder / "chain.pem").read_bytes())
    (root,) = x509.load_pem_x509_certificates((folder / "trust-anchor.pem").read_bytes())
    assert len(chain) == 2
    leaf, inter = chain
    assert root.subject == root.issuer and root not in chain
    leaf.verify_directly_issued_by(inter)
    inter.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert identity.chain_pem == (folder / "chain.pem").read_bytes()


def test_leaf_meets_the_c2pa_profile(made) -> None:
    _, identity = made
    leaf = identity.leaf
    ext = leaf.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    ekus = set(ext.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert {ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING} <= ekus
    ext.get_extension_for_class(x509.SubjectKeyIdentifier)
    ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert leaf.not_valid_after_utc > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)


def test_identity_json_fingerprints_match(made) -> None:
    folder, identity = made
    info = json.loads((folder / "identity.json").read_text())
    assert info["name"] == "Acme VFX"
    assert info["fingerprints_sha256"]["leaf"] == identity.leaf.fingerprint(hashes.SHA256()).hex()
    assert "PRIVATE" not in (folder / "identity.json").read_text()


def test_refuses_to_overwrite(made) -> None:
    folder, _ = made
    before = (folder / "key.pem").read_bytes()
    with pytest.raises(UsageError, match="already holds an identity"):
        create_identity(folder, "Someone Else")
    assert (folder / "key.pem").read_bytes() == before


def test_load_round_trip(made) -> None:
    folder, identity = made
    loaded = load_identity(folder)
    assert loaded == identity
    assert loaded.algorithm == "es256"


def test_load_empty_directory_names_the_fix(tmp_path) -> None:
    with pytest.raises(UsageError, match="create one first"):
        load_identity(tmp_path)


def test_from_files_rejects_a_key_that_does_not_match(made, tmp_path) -> None:
    folder, _ = made
    other = create_identity(tmp_path / "other", "Other")
    with pytest.raises(UsageError, match="does not match"):
        Identity.from_files(tmp_path / "other" / "key.pem", folder / "chain.pem")
    assert Identity.from_files(tmp_path / "other" / "key.pem", tmp_path / "other" / "chain.pem").key_pem == other.key_pem


def _self_signed(*, ca: bool, eku: bool) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bad")])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize("ca,eku", [(True, False), (False, False), (False, True)])
def test_profile_check_rejects_bad_leaves(ca: bool, eku: bool) -> None:
    with pytest.raises(UsageError, match="cannot sign C2PA"):
        check_leaf_profile(_self_signed(ca=ca, eku=eku))
