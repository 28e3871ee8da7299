"""The C2PA trust bundle: whose signatures read ``trusted``.

By default the public C2PA trust list, the C2PA time-stamping-authority list
and the frozen CAI interim list (anchors, allowed end-entity certificates,
accepted key usages) are trusted. They ship as package data in
``provenance/data/trust`` with their source and date (``SOURCES.toml``);
nothing is ever downloaded. ``--trust-anchors`` adds anchors,
``--no-default-trust`` turns the bundle off.

How the lists map onto the c2pa-python 0.38 settings (c2pa-rs 0.91 ``Trust``).
Unknown keys are silently ignored, so each name below was checked against the
installed library (tests/scanners/test_c2pa_states.py proves the allowed list
takes effect):

* ``trust.anchors``: typed trust-list entries, ``trust_kind`` one of
  ``manifest``, ``tsa``, ``cawg`` (any other kind is refused by the library).
  One ``manifest`` entry holds the C2PA list and the interim anchors, with the
  interim end-entity certificates as its ``allowed_list`` (matched by the
  certificate itself, no chain needed) and its accepted key usages as
  ``trust_config``; one ``tsa`` entry holds the TSA list. A flat
  ``trust.allowed_list`` is read by this library version but has no effect,
  which is why the entries are used. c2pa-rs 0.91 does not yet keep the kinds
  apart: a certificate under any entry is accepted for signers and for
  timestamps alike (SECURITY.md).
* ``trust.trust_config``: the accepted extended key usages, also at the top
  level so ``--trust-anchors`` signers are held to the same list.
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


def c2pa_trust_settings(default_trust: bool, user_pem: str) -> dict[str, Any]:
    """The ``trust`` table of the c2pa settings for this bundle (see the module docstring)."""
    files = default_bundle() if default_trust else ()
    trust: dict[str, Any] = {}
    # Files are joined line by line: the interim lists end without a newline, and
    # "-----END CERTIFICATE----------BEGIN" would drop a certificate silently.
    anchors = _joined(f.text for f in files if f.info.role == "anchors")
    tsa = _joined(f.text for f in files if f.info.role == "tsa-anchors")
    allowed = _joined(f.text for f in files if f.info.role == "allowed")
    ekus = _joined(f.text for f in files if f.info.role == "ekus")
    entries: list[dict[str, str]] = []
    if anchors or allowed:
        entry = {"trust_kind": "manifest", "trust_anchors": anchors}
        if allowed:
            entry["allowed_list"] = allowed
        if ekus:
            entry["trust_config"] = ekus
        entries.append(entry)
    if tsa:
        entries.append({"trust_kind": "tsa", "trust_anchors": tsa})
    if entries:
        trust["anchors"] = entries
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
