"""Writing C2PA manifests offline: a small helper for the tagger.

Everything here runs without a network: no time-stamp authority, no OCSP, no
remote manifests, and no thumbnails (they would copy delivery pixels into the
credential). The source file is only ever opened for reading; the caller
writes to a temporary ``dst`` and renames it into place itself.

Without a time-stamp the credential reads as valid only while the signing
leaf certificate is; ``identity.LEAF_DAYS`` sets that horizon.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import c2pa

from provenance import __version__
from provenance.knowledge.dst import dst_uri
from provenance.errors import InputError, UsageError
from provenance.tagging.identity import Identity

# Parameter keys this tool writes into the declaring action, so an audit can
# tie a credential back to the written approval.
APPROVAL_PARAM = "org.provenance.approval"
PROMPT_PARAM = "org.provenance.prompt"
PARENT_LABEL = "parent"

_ALGORITHMS = {
    "es256": c2pa.C2paSigningAlg.ES256,
    "es384": c2pa.C2paSigningAlg.ES384,
    "es512": c2pa.C2paSigningAlg.ES512,
    "ps256": c2pa.C2paSigningAlg.PS256,
    "ed25519": c2pa.C2paSigningAlg.ED25519,
}
_SETTINGS = {
    "builder": {"thumbnail": {"enabled": False}},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}


def build_manifest(
    dst_uri_or_term: str,
    tool_name: str,
    tool_version: str,
    approval_ref: str | None = None,
    prompt_info: str | None = None,
    title: str | None = None,
    action: str = "c2pa.created",
) -> dict[str, Any]:
    """A manifest definition with one action declaring the digital source type.

    ``action`` is ``c2pa.created`` (the tool made the asset) or ``c2pa.edited``
    (the tool changed an existing one; pair it with a parent manifest).
    """
    if action not in ("c2pa.created", "c2pa.edited"):
        raise UsageError(f"action {action!r} is not supported: use c2pa.created or c2pa.edited")
    try:
        source_type = dst_uri(dst_uri_or_term)
    except ValueError as exc:
        raise UsageError(f"{exc}: use an IPTC term such as trainedAlgorithmicMedia") from exc
    if not tool_name.strip():
        raise UsageError("tool name is empty: name the generative tool that made the asset")
    parameters: dict[str, Any] = {}
    if approval_ref:
        parameters[APPROVAL_PARAM] = approval_ref
    if prompt_info:
        parameters[PROMPT_PARAM] = prompt_info
    entry: dict[str, Any] = {
        "action": action,
        "digitalSourceType": source_type,
        # A tool named without a version gets no empty version field.
        "softwareAgent": {"name": tool_name, **({"version": tool_version} if tool_version else {})},
    }
    if parameters:
        entry["parameters"] = parameters
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": "provenance", "version": __version__}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [entry]}}],
    }
    if title:
        manifest["title"] = title
    return manifest


@functools.cache
def _builder_types() -> frozenset[str]:
    return frozenset(c2pa.Builder.get_supported_mime_types())


def embeddable(mime: str) -> bool:
    """Whether c2pa can embed a manifest in this media type (else: sidecar)."""
    return mime.lower() in _builder_types()


def sign_asset(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    *,
    identity: Identity,
    manifest_definition: dict[str, Any],
    mime: str,
    embed: bool,
    parent_manifest: bool,
) -> bytes:
    """Sign ``src_path`` into ``dst_path`` and return the manifest-store bytes.

    ``embed=True`` writes the asset with the store inside it. ``embed=False``
    writes the bytes the store binds to (for most types identical to the
    source; c2pa rewrites MP3, FLAC and PDF) and the returned bytes are the
    ``.c2pa`` sidecar: deliver them together. With ``parent_manifest`` a
    manifest already embedded in the source becomes the parent ingredient, so
    its history (and any AI declaration in it) is kept rather than replaced.
    """
    if os.path.exists(dst_path) and os.path.samefile(src_path, dst_path):
        raise UsageError(f"{os.fspath(dst_path)} is the source file: sign into a new file")
    if embed and not embeddable(mime):
        raise UsageError(f"c2pa cannot embed into {mime}: sign with a .c2pa sidecar instead")
    # Unknown types sign fine as opaque bytes when the store lives in a sidecar.
    fmt = mime if embeddable(mime) else "application/octet-stream"
    definition = manifest_definition
    context = c2pa.Context.from_dict(_SETTINGS)
    info = c2pa.C2paSignerInfo(_ALGORITHMS[identity.algorithm], identity.chain_pem, identity.key_pem, None)
    try:
        with c2pa.Signer.from_info(info) as signer:
            has_parent = parent_manifest and _has_manifest(src_path, fmt, context)
            if has_parent:
                definition = with_parent(manifest_definition)
            with c2pa.Builder(definition, context) as builder:
                if has_parent:
                    with open(src_path, "rb") as parent:
                        builder.add_ingredient(
                            {"title": os.path.basename(src_path), "relationship": "parentOf", "label": PARENT_LABEL},
                            fmt, parent)
                if not embed:
                    builder.set_no_embed()
                with open(src_path, "rb") as src, open(dst_path, "w+b") as dst:
                    return builder.sign(signer, fmt, src, dst)
    except c2pa.C2paError.Signature as exc:
        raise UsageError(f"signing identity rejected: {exc}; use a leaf that meets the C2PA profile") from exc
    except c2pa.C2paError.NotSupported as exc:
        raise UsageError(f"c2pa cannot sign {mime}: {exc}; use a .c2pa sidecar") from exc
    except c2pa.C2paError as exc:
        raise InputError("c2pa-sign-failed", f"{os.path.basename(src_path)}: {exc}") from exc


def written_actions(source_type: str, action: str, has_parent: bool) -> list[str]:
    """The actions the signed manifest really carries: what a tagger must tell its user.

    With a parent manifest, ``c2pa.created`` is written as ``c2pa.opened`` and an edit
    is preceded by ``c2pa.opened`` (see :func:`with_parent`).
    """
    definition = build_manifest(source_type, "tool", "", action=action)
    if has_parent:
        definition = with_parent(definition)
    return [str(a.get("action")) for assertion in definition["assertions"]
            if str(assertion.get("label", "")).startswith("c2pa.actions")
            for a in assertion["data"]["actions"]]


def with_parent(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition rewritten so its first action opens the parent ingredient.

    A ``c2pa.created`` becomes ``c2pa.opened`` carrying the same source type:
    C2PA forbids a parentOf ingredient under ``created``, and a generative
    source type on the opening action still declares the asset generated.
    An edit gets a plain ``c2pa.opened`` in front of it.
    """
    out = dict(definition)
    assertions = []
    for assertion in definition.get("assertions", []):
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            assertions.append(assertion)
            continue
        actions = [dict(a) for a in assertion.get("data", {}).get("actions", [])]
        opens = {"ingredientIds": [PARENT_LABEL]}
        if actions and actions[0].get("action") == "c2pa.created":
            first = actions[0]
            first["action"] = "c2pa.opened"
            first["parameters"] = {**first.get("parameters", {}), **opens}
        else:
            actions.insert(0, {"action": "c2pa.opened", "parameters": opens})
        assertions.append({**assertion, "data": {**assertion.get("data", {}), "actions": actions}})
    out["assertions"] = assertions
    return out


def _has_manifest(path: str | os.PathLike[str], fmt: str, context: c2pa.Context) -> bool:
    try:
        with open(path, "rb") as fh:
            reader = c2pa.Reader.try_create(fmt, fh, context=context)
    except (c2pa.C2paError.NotSupported, c2pa.C2paError.Other, c2pa.C2paError.Verify):
        return False
    except c2pa.C2paError as exc:
        # A remote-only manifest cannot become an ingredient offline.
        if str(exc).startswith("Remote"):
            return False
        raise
    if reader is None:
        return False
    reader.close()
    return True
