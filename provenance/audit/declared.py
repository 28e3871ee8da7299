"""Approval references a vendor declared in the delivery, checked against the ledger.

A vendor can write the approval it was given into the file (XMP
``provenance:ApprovalRef``; the ``ApprovalRef`` tag of ID3, Vorbis and MP4;
the ``org.provenance.approval`` parameter of a C2PA action) or into the
package manifest. Such a reference is a claim, never an approval: only the
ledger approves. The audit shows whether the claim agrees with the ledger.

Pure: reads evidence the scanners already extracted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from provenance.models import AssetResult

C2PA_PARAMETER = "org.provenance.approval"
_MAX_REF = 64  # the ledger's own limit; a longer value cannot be a reference


@dataclass(frozen=True)
class DeclaredApproval:
    """One approval reference the vendor declared for one asset, and what the ledger says about it."""

    ref: str
    sources: tuple[str, ...]  # "xmp", "c2pa", "manifest", "id3", "vorbis", "mp4", …
    state: str  # "match" (an approval the ledger applies to this asset) | "does-not-cover" | "unknown"

    def to_dict(self) -> dict[str, object]:
        return {"ref": self.ref, "sources": list(self.sources), "state": self.state}


def declared_refs(result: AssetResult) -> dict[str, tuple[str, ...]]:
    """``{reference: sources}`` for every approval reference found in the asset's evidence."""
    found: dict[str, set[str]] = {}
    for ev in result.evidence:
        source = _source(ev.scanner, ev.location)
        if source is None:
            continue
        # The manifest scanner appends a note ("[bytes differ …]"); a reference has no spaces.
        words = str(ev.value).split()
        if words and len(words[0]) <= _MAX_REF:
            found.setdefault(words[0], set()).add(source)
    return {ref: tuple(sorted(srcs)) for ref, srcs in sorted(found.items())}


def cross_check(result: AssetResult, applied: Collection[str], in_ledger: Collection[str]) -> tuple[DeclaredApproval, ...]:
    """Each declared reference against the approvals the audit applied to the asset and all the ledger holds."""
    out = []
    for ref, sources in declared_refs(result).items():
        state = "match" if ref in applied else "does-not-cover" if ref in in_ledger else "unknown"
        out.append(DeclaredApproval(ref, sources, state))
    return tuple(out)


def explain(declared: tuple[DeclaredApproval, ...]) -> str:
    """The disagreements, for the asset's explanation (a match needs no words there)."""
    parts = []
    for d in declared:
        where = ", ".join(d.sources)
        if d.state == "does-not-cover":
            parts.append(f"vendor declares {d.ref} ({where}), which does not cover this file")
        elif d.state == "unknown":
            parts.append(f"vendor declares {d.ref} ({where}), which is not in the ledger")
    return "; ".join(parts)


def _source(scanner: str, location: str) -> str | None:
    loc = location.lower()
    if loc == "manifest:approval":
        return "manifest"
    if loc.endswith(":" + C2PA_PARAMETER):
        return "c2pa"
    if loc.endswith("approvalref"):
        return "xmp" if loc.startswith("xmp:") else scanner
    return None
