"""CAWG identity assertions: who put their name to a manifest, and whether that checks out.

An identity assertion (``cawg.identity``, ``cawg.identity__1`` …) binds a
named actor to the manifest, signed apart from the claim: by an X.509
certificate (``cawg.x509.cose``) or through an identity claims aggregator
that vouches for verified accounts (``cawg.identity_claims_aggregation``).
c2pa-rs decodes and checks both; this module names the identity and turns
the CAWG status codes into one verification state:

* ``verified``: the identity signature checks out and its signer is trusted;
* ``signature-valid``: the signature checks out, its signer is on no trust list;
* ``unverifiable``: it could not be checked offline (the aggregator's DID
  document would have to be fetched; the scanner never does);
* ``invalid``: the identity signature or its binding to the manifest fails;
* ``not-checked``: no CAWG status was reported for it.

An identity says who, never whether AI was used: the evidence is ``info``.
"""

from __future__ import annotations

from typing import Any

from provenance.models import Confidence, Evidence, Signal

from ._c2pa_state import codes, status_blocks

SCANNER = "c2pa"
LABEL = "cawg.identity"
MAX_IDENTITIES = 20  # per store; a hostile store may repeat the assertion endlessly
_SIGNATURE_OK = frozenset({"cawg.x509.signature.validated", "cawg.ica.credential_valid"})
_TRUSTED = frozenset({"cawg.x509.credential.trusted"})
_UNTRUSTED = frozenset({"cawg.x509.credential.untrusted", "cawg.ica.untrusted_issuer"})
_UNRESOLVED = frozenset({"cawg.ica.did_unavailable"})
_STATE_TEXT = {
    "verified": "identity verified, signer trusted",
    "signature-valid": "identity signature valid, signer not on a trust list",
    "unverifiable": "identity not verifiable offline",
    "invalid": "identity signature or binding invalid",
    "not-checked": "identity not checked",
}


def identity_evidence(store: dict[str, Any], results: dict[str, Any]) -> list[Evidence]:
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    statuses = _statuses(results)
    out: list[Evidence] = []
    for label, manifest in manifests.items():
        if not isinstance(manifest, dict) or not isinstance(manifest.get("assertions"), list):
            continue
        for assertion in manifest["assertions"]:
            if len(out) >= MAX_IDENTITIES:
                return out
            if not isinstance(assertion, dict):
                continue
            name = assertion.get("label")
            if not isinstance(name, str) or not (name == LABEL or name.startswith(LABEL + "__")):
                continue
            data = assertion.get("data") if isinstance(assertion.get("data"), dict) else {}
            found = statuses.get((label, name), {})
            state, code = _state(found)
            who = _named(data)
            # The state first: a long list of names is what gets trimmed, never the verdict on them.
            value = _STATE_TEXT[state] + (f" [{code}]" if code else "") + f": {who}"
            confidence = Confidence.SIGNED_DECLARATION if state == "verified" else Confidence.DECLARATION
            out.append(Evidence(SCANNER, f"c2pa:{label}:{name}", value, Signal.INFO, confidence))
    return out


def _statuses(results: dict[str, Any]) -> dict[tuple[str, str], dict[str, set[str]]]:
    """CAWG status codes per (manifest label, assertion label), from the status entries' URLs."""
    out: dict[tuple[str, str], dict[str, set[str]]] = {}
    for block in status_blocks(results):
        for kind in ("success", "informational", "failure"):
            for entry in block.get(kind) or []:
                if not isinstance(entry, dict) or not str(entry.get("code", "")).startswith("cawg."):
                    continue
                key = _assertion_of(str(entry.get("url") or ""))
                if key is not None:
                    out.setdefault(key, {}).setdefault(kind, set()).add(str(entry["code"]))
    return out


def _assertion_of(url: str) -> tuple[str, str] | None:
    # self#jumbf=/c2pa/<manifest label>/c2pa.assertions/<assertion label>
    _, _, path = url.partition("/c2pa/")
    manifest, sep, assertion = path.rpartition("/c2pa.assertions/")
    return (manifest, assertion) if sep and manifest and assertion else None


def _state(found: dict[str, set[str]]) -> tuple[str, str | None]:
    failures = found.get("failure", set())
    every = failures | found.get("success", set()) | found.get("informational", set())
    hard = sorted(failures - _UNTRUSTED - _UNRESOLVED)
    if hard:
        return "invalid", hard[0]
    if every & _UNRESOLVED:
        return "unverifiable", sorted(every & _UNRESOLVED)[0]
    if every & _TRUSTED and not every & _UNTRUSTED:
        return "verified", None
    if every & _UNTRUSTED:
        return "signature-valid", sorted(every & _UNTRUSTED)[0]
    if every & _SIGNATURE_OK:
        return "signature-valid", None
    return "not-checked", None


def _named(data: dict[str, Any]) -> str:
    """Who the assertion names: verified accounts for an aggregator, the certificate subject for X.509."""
    names = []
    for ident in data.get("verifiedIdentities") or [] if isinstance(data.get("verifiedIdentities"), list) else []:
        if not isinstance(ident, dict):
            continue
        kind = ident.get("type") if isinstance(ident.get("type"), str) else "identity"
        provider = ident.get("provider") if isinstance(ident.get("provider"), dict) else {}
        via = next((v for v in (provider.get("name"), provider.get("id")) if isinstance(v, str) and v), None)
        who = next((ident[k] for k in ("name", "username", "uri") if isinstance(ident.get(k), str) and ident[k]),
                   via or "unnamed")
        names.append(f"{who} ({kind}{f' via {via}' if via and via != who else ''})")
    if names:
        issuer = data.get("issuer") if isinstance(data.get("issuer"), str) else None
        return "; ".join(names[:5]) + (f", issued by {_short(issuer)}" if issuer else "")
    info = data.get("signature_info") if isinstance(data.get("signature_info"), dict) else {}
    parts = [info.get("common_name"), info.get("issuer")]
    cert = " / ".join(p for p in parts if isinstance(p, str) and p)
    if cert:
        return f"X.509 {cert}"
    sig_type = data.get("signer_payload", {}).get("sig_type") if isinstance(data.get("signer_payload"), dict) else None
    return f"identity assertion ({sig_type})" if isinstance(sig_type, str) else "identity assertion"


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
