"""The C2PA trust bundle: whose signatures read ``trusted``.

By default the public C2PA trust list, the C2PA time-stamping-authority list
and the frozen CAI interim list (anchors, allowed end-entity certificates,
accepted key usages) are trusted. They ship as package data in
``provenance/data/trust`` with their source and date (``SOURCES.toml``);
nothing is ever downloaded. ``--trust-anchors`` adds anchors,
``--no-default-trust`` turns the bundle off.

How the lists map onto the c2pa-python 0.38 settings (c2pa-rs 0.91 ``Trust``
has exactly these four fields; unknown keys are silently ignored, so no other
name may be guessed):

* ``trust.trust_anchors``: the C2PA list, the TSA list and the interim
  anchors. c2pa-rs checks a timestamp's certificate against the same anchors
  as the signer's; it has no separate TSA setting.
* ``trust.allowed_list``: the interim end-entity certificates, matched by
  the SHA-256 of the certificate itself (no chain needed).
* ``trust.trust_config``: the accepted extended key usages.
* ``trust.user_anchors``: what the user passed with ``--trust-anchors``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from provenance.models import TrustSource

ANCHOR_ROLES = ("anchors", "tsa-anchors")
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)


@dataclass(frozen=True)
class BundleFile:
    info: TrustSource
    text: str


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    not_before: str  # ISO 8601 UTC
    not_after: str
    expired: bool


def _data_dir() -> Any:
    return resources.files("provenance").joinpath("data", "trust")


@functools.cache
def default_bundle() -> tuple[BundleFile, ...]:
    """The packaged lists, in SOURCES.toml order, with the sha256 of the bytes actually shipped."""
    directory = _data_dir()
    meta = tomllib.loads(directory.joinpath("SOURCES.toml").read_text(encoding="utf-8"))
    out = []
    for entry in meta["file"]:
        data = directory.joinpath(entry["name"]).read_bytes()
        info = TrustSource(name=entry["name"], list=entry["list"], role=entry["role"], source=entry["source"],
                           date=entry["date"], sha256=hashlib.sha256(data).hexdigest(),
                           certificates=len(_PEM.findall(data)))
        out.append(BundleFile(info, data.decode("ascii")))
    return tuple(out)


def recorded_sha256() -> dict[str, str]:
    """The digests SOURCES.toml promises, for the check that the shipped bytes match them."""
    meta = tomllib.loads(_data_dir().joinpath("SOURCES.toml").read_text(encoding="utf-8"))
    return {entry["name"]: entry["sha256"] for entry in meta["file"]}


@functools.cache
def bundle_digest() -> str:
    """One digest over the default bundle: part of the scan cache key."""
    digest = hashlib.sha256()
    for f in default_bundle():
        digest.update(f"{f.info.name}={f.info.sha256}\0".encode())
    return digest.hexdigest()


def c2pa_trust_settings(default_trust: bool, user_pem: str) -> dict[str, str]:
    """The ``trust`` table of the c2pa settings for this bundle."""
    files = default_bundle() if default_trust else ()
    trust: dict[str, str] = {}
    # Files are joined line by line: the interim lists end without a newline, and
    # "-----END CERTIFICATE----------BEGIN" would drop a certificate silently.
    anchors = _joined(f.text for f in files if f.info.role in ANCHOR_ROLES)
    allowed = _joined(f.text for f in files if f.info.role == "allowed")
    ekus = _joined(f.text for f in files if f.info.role == "ekus")
    if anchors:
        trust["trust_anchors"] = anchors
    if allowed:
        trust["allowed_list"] = allowed
    if ekus:
        trust["trust_config"] = ekus
    if user_pem.strip():
        trust["user_anchors"] = user_pem
    return trust


def _joined(texts: Any) -> str:
    return "".join(t if t.endswith("\n") else t + "\n" for t in texts)


def in_use(default_trust: bool, user_pem: str) -> tuple[TrustSource, ...]:
    """What a scan with these options trusts, for the record in its report."""
    sources = [f.info for f in default_bundle()] if default_trust else []
    if user_pem.strip():
        data = user_pem.encode("utf-8", "surrogateescape")
        sources.append(TrustSource(name="--trust-anchors", list="trust anchors passed for this run",
                                   role="anchors", source="user", date=None,
                                   sha256=hashlib.sha256(data).hexdigest(), certificates=len(_PEM.findall(data))))
    return tuple(sources)


def certificates(text: str, now: Any = None) -> list[CertificateInfo]:
    """Subject and validity of each certificate in a PEM text; an unparsable block is named, not fatal."""
    import datetime

    from cryptography import x509

    moment = now or datetime.datetime.now(datetime.UTC)
    out = []
    for block in _PEM.findall(text.encode("utf-8", "surrogateescape")):
        try:
            cert = x509.load_pem_x509_certificate(block)
        except ValueError as exc:
            out.append(CertificateInfo(f"(unreadable certificate: {exc})", "", "", False))
            continue
        before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
        out.append(CertificateInfo(cert.subject.rfc4514_string(), before.strftime("%Y-%m-%d"),
                                   after.strftime("%Y-%m-%d"), after < moment))
    return out
