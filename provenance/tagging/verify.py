"""Read staged output back before it replaces anything.

Three independent checks: our own reader finds every value written; c2pa-python
validates the new credential against the identity's own anchor and finds the
declared source type; the project's scanners read the staged file without
error (what the post house's audit will run).
"""

from __future__ import annotations

import json
from pathlib import Path

import c2pa

from provenance.knowledge.dst import dst_term
from provenance.tagging.identity import Identity
from provenance.models import C2paState
from provenance.scan.file_scan import scan_path
from provenance.source import ScanOptions

from . import formats, xmp_packet
from .audio_write import declaration_values
from .plan import FilePlan, Placement
from .spec import TagError


def verify_staged(plan: FilePlan, asset: Path, staged_xmp: Path | None, staged_c2pa: Path | None,
                  identity: Identity | None) -> None:
    path = str(plan.path)
    sidecar = staged_c2pa.read_bytes() if staged_c2pa else None
    expected = {k: v for k, v in declaration_values(plan.declaration).items() if v}
    if plan.family is formats.Family.SIDECAR:
        found = xmp_packet.read_values(staged_xmp.read_bytes()) if staged_xmp else {}
    else:
        try:
            found = formats.read_plain(asset, plan.family, plan.media_type)
        except Exception as exc:  # noqa: BLE001 - unreadable output is exactly what this catches
            raise TagError(path, f"verification failed: the written tags cannot be read back ({exc})") from exc
    missing = [k for k, v in expected.items() if found.get(k) != v]
    if missing:
        raise TagError(path, f"verification failed: {', '.join(missing)} did not read back as written")

    anchor = identity.anchor_pem.decode("ascii", "replace") if identity and identity.anchor_pem else ""
    if plan.c2pa is not Placement.OFF:
        _verify_c2pa(path, plan, asset, sidecar, anchor)
    _verify_scan(path, plan, asset, staged_xmp, staged_c2pa, anchor)


def _verify_c2pa(path: str, plan: FilePlan, asset: Path, sidecar: bytes | None, anchor: str) -> None:
    settings: dict[str, object] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchor:
        settings["trust"] = {"user_anchors": anchor}
    fmt = plan.media_type if sidecar is None else _sidecar_format(plan.media_type)
    try:
        context = c2pa.Context.from_dict(settings)
        with open(asset, "rb") as fh, c2pa.Reader(fmt, fh, sidecar, context=context) as reader:
            state = reader.get_validation_state()
            store = json.loads(reader.json())
            results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        raise TagError(path, f"verification failed: the new C2PA manifest cannot be read ({exc})") from exc
    failures = [s.get("code") for s in results.get("activeManifest", {}).get("failure", [])]
    wanted = "Trusted" if anchor else "Valid"
    if state != wanted and not (state == "Trusted" and wanted == "Valid"):
        raise TagError(path, f"verification failed: C2PA state {state}, expected {wanted} ({', '.join(map(str, failures))})")
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    declared = {
        dst_term(str(action.get("digitalSourceType", "")))
        for assertion in active.get("assertions", [])
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for action in assertion.get("data", {}).get("actions", [])
    }
    if plan.declaration.source_type not in declared:
        raise TagError(path, "verification failed: the signed manifest does not carry the declared source type")


def _sidecar_format(media_type: str) -> str:
    from provenance.tagging.c2pa_signing import embeddable

    return media_type if embeddable(media_type) else "application/octet-stream"


def _verify_scan(path: str, plan: FilePlan, asset: Path, staged_xmp: Path | None, staged_c2pa: Path | None,
                 anchor: str) -> None:
    from provenance.scanners import default_registry

    sidecars: list[tuple[str, str]] = []
    if staged_xmp is not None:
        sidecars.append(("xmp", str(staged_xmp)))
    if staged_c2pa is not None:
        sidecars.append(("c2pa", str(staged_c2pa)))
    result = scan_path(str(asset), plan.path.name, default_registry(), ScanOptions(trust_anchors_pem=anchor),
                       sidecars)
    if result.errors:
        first = result.errors[0]
        raise TagError(path, f"verification failed: the project's {first.scanner or 'scan'} reader rejects the "
                             f"tagged file ({first.code}: {first.message})")
    if plan.c2pa is not Placement.OFF and result.c2pa.state in (C2paState.INVALID, C2paState.ERROR):
        raise TagError(path, f"verification failed: the scan reads the new credential as {result.c2pa.state}")

