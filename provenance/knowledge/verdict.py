"""From evidence to a verdict. One rule, in one place.

Only generated/modified evidence that is more than a heuristic makes an asset
AI; heuristics are shown as hints. A declared non-generative origin yields
``no-ai-declared``. Nothing at all yields ``no-evidence``, never "not AI".
"""

from __future__ import annotations

from collections.abc import Iterable

from provenance.models import Confidence, Evidence, Signal, Verdict, VerdictKind


def decide(evidence: Iterable[Evidence]) -> Verdict:
    items = sorted(set(evidence), key=lambda e: e.sort_key)
    decisive = [e for e in items if e.confidence is not Confidence.HEURISTIC]
    generated = [e for e in decisive if e.signal is Signal.GENERATED]
    modified = [e for e in decisive if e.signal is Signal.MODIFIED]
    declared_not = [e for e in decisive if e.signal is Signal.NOT_GENERATIVE]
    hints = [e for e in items if e.confidence is Confidence.HEURISTIC and e.signal in (Signal.GENERATED, Signal.MODIFIED)]

    if generated:
        return Verdict(VerdictKind.AI_GENERATED, _reason("generated", generated), _generators(generated + modified))
    if modified:
        return Verdict(VerdictKind.AI_MODIFIED, _reason("modified", modified), _generators(modified))
    if declared_not:
        return Verdict(VerdictKind.NO_AI_DECLARED, _reason("non-generative origin declared", declared_not), ())
    if hints:
        return Verdict(VerdictKind.NO_EVIDENCE, "no declaration or generation record; heuristic hints: "
                       + ", ".join(_generators(hints) or (hints[0].location,)), ())
    return Verdict(VerdictKind.NO_EVIDENCE, "no generative-AI marker and no declared origin found", ())


def _reason(what: str, items: list[Evidence]) -> str:
    # Among equally strong evidence, a DigitalSourceType names the kind of use most plainly.
    best = min(items, key=lambda e: (e.sort_key[0], "digitalsourcetype" not in e.location.lower()))
    extra = f" (+{len(items) - 1} more)" if len(items) > 1 else ""
    who = f" by {best.generator}" if best.generator else ""
    return f"{what}{who}: {best.location} [{best.confidence}]{extra}"


def _generators(items: list[Evidence]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for e in items:
        if e.generator:
            seen.setdefault(e.generator, None)
    # One tool named by one source with its version ("VendorGen 2.1", a manifest) and by another
    # without ("VendorGen", a C2PA softwareAgent name) is one generator: keep the fuller name.
    return tuple(g for g in seen if not any(other != g and _same_tool(g, other) for other in seen))


def _same_tool(bare: str, versioned: str) -> bool:
    name, _, version = versioned.rpartition(" ")
    return name.casefold() == bare.casefold() and is_version(version)


def is_version(word: str) -> bool:
    """A version word starts with a digit, or with ``v`` and a digit (``2.1``, ``v6``)."""
    return bool(word) and (word[0].isdigit() or (len(word) > 1 and word[0] in "vV" and word[1].isdigit()))
