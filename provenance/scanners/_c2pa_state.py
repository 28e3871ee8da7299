"""From c2pa-rs validation results to the state a producer reads.

c2pa-rs folds everything into ``Invalid | Valid | Trusted``: an expired
signing certificate, or a CAWG identity whose issuer cannot be resolved
offline, reads ``Invalid`` exactly like altered pixels. That is what made
genuine OpenAI and Google files look tampered. The state here is worked out
from the status codes instead:

* ``invalid``: any failure that says the content, the manifest or the
  signature is not what was signed (hash mismatch, signature mismatch, a
  missing or malformed part, a revoked or malformed signing certificate);
* ``expired``: signature and hashes good, but the signing certificate had
  expired and no trusted timestamp covers it (on a trust list or not);
* ``trusted``: good, and the signer chains to a trust anchor in use (or is an
  allowed end-entity certificate);
* ``valid``: good, and the signer is on no trust list in use.

Timestamp problems, skipped revocation checks and CAWG identity results do
not decide the manifest's state: a timestamp only moves the moment the
certificate is checked at, and identity assertions are reported on their own
(see ``_c2pa_identity``).
"""

from __future__ import annotations

from typing import Any

from provenance.models import C2paState

EXPIRED = "signingCredential.expired"
UNTRUSTED = "signingCredential.untrusted"
TRUSTED = "signingCredential.trusted"
# Failure codes that say nothing about whether the bytes or the claim were altered.
_NOT_INTEGRITY = frozenset({UNTRUSTED, EXPIRED, "signingCredential.ocsp.skipped",
                            "signingCredential.ocsp.inaccessible"})
_NOT_INTEGRITY_PREFIXES = ("timeStamp.", "cawg.")


def status_blocks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The active manifest's status block, then each ingredient's."""
    blocks = [results.get("activeManifest")]
    blocks += [d.get("validationDeltas") for d in results.get("ingredientDeltas") or [] if isinstance(d, dict)]
    return [b for b in blocks if isinstance(b, dict)]


def codes(block: dict[str, Any], kind: str) -> set[str]:
    return {str(s["code"]) for s in block.get(kind) or [] if isinstance(s, dict) and "code" in s}


def failures(results: dict[str, Any]) -> tuple[str, ...]:
    found: set[str] = set()
    for block in status_blocks(results):
        found |= codes(block, "failure")
    return tuple(sorted(found))


def is_integrity_failure(code: str) -> bool:
    return code not in _NOT_INTEGRITY and not code.startswith(_NOT_INTEGRITY_PREFIXES)


def classify(native_state: str | None, results: dict[str, Any]) -> C2paState:
    """The manifest store's state from c2pa-rs's own state and status codes."""
    all_failures = failures(results)
    if any(is_integrity_failure(c) for c in all_failures):
        return C2paState.INVALID
    if native_state not in ("Valid", "Trusted") and not all_failures:
        return C2paState.INVALID  # validation said no and gave no reason that could excuse it
    active = results.get("activeManifest") if isinstance(results.get("activeManifest"), dict) else {}
    active_failures = codes(active, "failure")
    if EXPIRED in active_failures:
        return C2paState.EXPIRED
    if native_state == "Trusted" or (TRUSTED in codes(active, "success") and UNTRUSTED not in active_failures):
        return C2paState.TRUSTED
    return C2paState.VALID
