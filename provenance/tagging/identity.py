"""Vendor signing identities: a private key plus a certificate chain for C2PA.

A vendor (or a post house on a vendor's behalf) signs what it delivers with an
identity made here. ``create_identity`` builds a private root → intermediate →
leaf chain whose leaf meets the certificate profile c2pa-rs enforces at sign
and read time (ES256 on P-256, CA:FALSE, KeyUsage digitalSignature critical,
EKU emailProtection + documentSigning, SKI/AKI on every certificate). The root
is written apart as ``trust-anchor.pem``: it is what the receiving side loads
as a trust anchor, and it never goes into the signed chain.

Layout of an identity directory::

    key.pem           leaf private key, PKCS8 PEM, mode 0600
    chain.pem         leaf + intermediate (no root)
    trust-anchor.pem  the root certificate
    identity.json     name, created, SHA-256 fingerprints
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from provenance.errors import UsageError

KEY_FILE = "key.pem"
CHAIN_FILE = "chain.pem"
ANCHOR_FILE = "trust-anchor.pem"
INFO_FILE = "identity.json"

DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# Leaves outlive a delivery cycle but not a career: without a time-stamp
# authority a credential reads as expired once the leaf does.
LEAF_DAYS = 3 * 365
CA_DAYS = 10 * 365


@dataclass(frozen=True)
class Identity:
    """A signing key and the chain that vouches for it, as PEM bytes."""

    name: str
    key_pem: bytes
    chain_pem: bytes  # leaf first, then intermediates; never the root
    anchor_pem: bytes = b""  # the root, when this identity made its own chain

    @classmethod
    def from_files(cls, key_path: str | os.PathLike[str], chain_path: str | os.PathLike[str],
                   anchor_path: str | os.PathLike[str] | None = None) -> Identity:
        """A user's own key and chain (for example from a commercial CA)."""
        key_pem = _read(key_path, "private key")
        chain_pem = _read(chain_path, "certificate chain")
        anchor_pem = _read(anchor_path, "trust anchor") if anchor_path else b""
        _check_pair(key_pem, chain_pem, os.fspath(chain_path))
        leaf = x509.load_pem_x509_certificates(chain_pem)[0]
        names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        name = str(names[0].value) if names else Path(chain_path).stem
        return cls(name=name, key_pem=key_pem, chain_pem=chain_pem, anchor_pem=anchor_pem)

    @property
    def algorithm(self) -> str:
        return signing_algorithm(self.key_pem)

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem)[0]


def create_identity(directory: str | os.PathLike[str], name: str) -> Identity:
    """Make a fresh identity in ``directory``; refuses to replace an existing one."""
    if not name.strip():
        raise UsageError("identity name is empty: pass a name such as the vendor's company name")
    folder = Path(directory)
    existing = [f for f in (KEY_FILE, CHAIN_FILE, ANCHOR_FILE, INFO_FILE) if (folder / f).exists()]
    if existing:
        raise UsageError(f"{folder} already holds an identity ({', '.join(existing)}): choose another directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {folder}: {exc.strerror or exc}; choose a writable directory") from exc

    now = dt.datetime.now(dt.timezone.utc)
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root_name = _name(f"{name} Root CA", name)
    inter_name = _name(f"{name} Signing CA", name)
    leaf_name = _name(f"{name} C2PA Signer", name)
    root = _ca_cert(root_name, root_name, root_key, root_key, now, path_length=1)
    inter = _ca_cert(inter_name, root_name, inter_key, root_key, now, path_length=0)
    leaf = _leaf_cert(leaf_name, inter_name, leaf_key, inter_key, now)

    identity = Identity(
        name=name,
        key_pem=leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()),
        chain_pem=_pem(leaf) + _pem(inter),
        anchor_pem=_pem(root),
    )
    info = {
        "name": name,
        "created": now.replace(microsecond=0).isoformat(),
        "algorithm": "ES256",
        "fingerprints_sha256": {
            "leaf": leaf.fingerprint(hashes.SHA256()).hex(),
            "intermediate": inter.fingerprint(hashes.SHA256()).hex(),
            "root": root.fingerprint(hashes.SHA256()).hex(),
        },
        "leaf_not_after": leaf.not_valid_after_utc.isoformat(),
    }
    _write_new(folder / KEY_FILE, identity.key_pem, 0o600)
    _write_new(folder / CHAIN_FILE, identity.chain_pem, 0o644)
    _write_new(folder / ANCHOR_FILE, identity.anchor_pem, 0o644)
    _write_new(folder / INFO_FILE, (json.dumps(info, indent=2) + "\n").encode(), 0o644)
    return identity


def load_identity(directory: str | os.PathLike[str]) -> Identity:
    """An identity made by :func:`create_identity`."""
    folder = Path(directory)
    if not (folder / KEY_FILE).is_file() or not (folder / CHAIN_FILE).is_file():
        raise UsageError(f"{folder} holds no identity ({KEY_FILE} and {CHAIN_FILE}): create one first")
    anchor = folder / ANCHOR_FILE
    identity = Identity.from_files(folder / KEY_FILE, folder / CHAIN_FILE, anchor if anchor.is_file() else None)
    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
        name = str(info["name"])
    except (OSError, ValueError, KeyError, TypeError):
        name = identity.name  # identity.json is informative; the key and chain are what sign
    return Identity(name=name, key_pem=identity.key_pem, chain_pem=identity.chain_pem, anchor_pem=identity.anchor_pem)


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ])


def _base(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
          issuer_key: ec.EllipticCurvePrivateKey, now: dt.datetime, days: int) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A day of slack so clocks that lag the signer's still accept the chain.
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )


def _ca_cert(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
             issuer_key: ec.EllipticCurvePrivateKey, now: dt.datetime, path_length: int) -> x509.Certificate:
    builder = (
        _base(subject, issuer, key, issuer_key, now, CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
               issuer_key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    builder = (
        _base(subject, issuer, key, issuer_key, now, LEAF_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
                       critical=False)
    )
    cert = builder.sign(issuer_key, hashes.SHA256())
    check_leaf_profile(cert)
    return cert


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def check_leaf_profile(cert: x509.Certificate) -> None:
    """Raise ``UsageError`` unless ``cert`` can sign C2PA claims (the c2pa-rs certificate profile)."""
    problems: list[str] = []
    ext = cert.extensions
    try:
        if ext.get_extension_for_class(x509.BasicConstraints).value.ca:
            problems.append("it is a CA certificate")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = ext.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature or usage.key_cert_sign:
            problems.append("KeyUsage lacks digitalSignature or allows keyCertSign")
    except x509.ExtensionNotFound:
        problems.append("KeyUsage is missing")
    try:
        ekus = set(ext.get_extension_for_class(x509.ExtendedKeyUsage).value)
        if not ekus & {ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING}:
            problems.append("ExtendedKeyUsage has neither emailProtection nor documentSigning")
    except x509.ExtensionNotFound:
        problems.append("ExtendedKeyUsage is missing")
    try:
        ext.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        problems.append("AuthorityKeyIdentifier is missing")
    if problems:
        raise UsageError(f"certificate {cert.subject.rfc4514_string()} cannot sign C2PA: {'; '.join(problems)}; "
                         "issue a leaf with CA:FALSE, digitalSignature and EKU emailProtection/documentSigning")


def _check_pair(key_pem: bytes, chain_pem: bytes, chain_path: str) -> None:
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"private key is not an unencrypted PEM key ({exc}): export it as PKCS8 PEM") from exc
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise UsageError(f"{chain_path} is not a PEM certificate chain: put the leaf first, then intermediates") from exc
    leaf = certs[0]
    same = leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if not same:
        raise UsageError(f"the first certificate in {chain_path} does not match the private key: put the leaf first")
    signing_algorithm(key_pem)
    check_leaf_profile(leaf)


def signing_algorithm(key_pem: bytes) -> str:
    """The C2PA signing algorithm name (``es256``...) for a PEM private key."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"private key is not an unencrypted PEM key ({exc}): export it as PKCS8 PEM") from exc
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
    elif isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "ps256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise UsageError("unsupported signing key: use EC P-256/P-384/P-521, RSA >= 2048 bits or Ed25519")


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} {os.fspath(path)}: {exc.strerror or exc}; check the path") from exc


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: a concurrent create in the same folder fails instead of mixing two identities.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise UsageError(f"{path} already exists: choose another directory") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)  # the umask may have narrowed or (for the key) must never widen it


def anchor_fingerprint(identity: Identity) -> str:
    """SHA-256 of the root certificate, as ``AB:CD:…``, the way `openssl x509 -fingerprint -sha256` prints it.

    Read to the recipient out of band (a phone call), it proves the trust anchor they received is yours.
    """
    root = x509.load_pem_x509_certificate(identity.anchor_pem)
    return ":".join(f"{b:02X}" for b in root.fingerprint(hashes.SHA256()))
