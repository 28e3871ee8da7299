"""IPTC / C2PA DigitalSourceType terms mapped to signals: a table, not logic.

Terms are matched on the last path segment of the URI, under
``http(s)://cv.iptc.org/newscodes/digitalsourcetype/`` and
``http(s)://c2pa.org/digitalsourcetype/``; bare terms are accepted too.
"""

from __future__ import annotations

import re

from provenance.models import Signal

IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
C2PA_PREFIX = "http://c2pa.org/digitalsourcetype/"

# term -> (signal, meaning). ``INFO`` means the term says nothing either way.
DST_TABLE: dict[str, tuple[Signal, str]] = {
    "trainedAlgorithmicMedia": (Signal.GENERATED, "created by a generative model trained on sampled content"),
    "trainedAlgorithmicData": (Signal.GENERATED, "generative-model output that is data, not media"),
    "compositeWithTrainedAlgorithmicMedia": (Signal.MODIFIED, "edited or augmented with a generative model"),
    "compositedWithTrainedAlgorithmicMedia": (Signal.MODIFIED, "legacy spelling of compositeWithTrainedAlgorithmicMedia"),
    "compositeSynthetic": (Signal.MODIFIED, "composite with at least one generative element"),
    "virtualRecording": (Signal.MODIFIED, "recording of a virtual event that may be generative"),
    "algorithmicMedia": (Signal.NOT_GENERATIVE, "purely algorithmic, no training data (procedural/CGI)"),
    "algorithmicallyEnhanced": (Signal.NOT_GENERATIVE, "algorithmic correction without changing content"),
    "computationalCapture": (Signal.NOT_GENERATIVE, "camera capture with computational processing"),
    "digitalCapture": (Signal.NOT_GENERATIVE, "digital capture of a real-world scene"),
    "compositeCapture": (Signal.NOT_GENERATIVE, "composite of captured elements"),
    "negativeFilm": (Signal.NOT_GENERATIVE, "scanned negative film"),
    "positiveFilm": (Signal.NOT_GENERATIVE, "scanned positive film"),
    "print": (Signal.NOT_GENERATIVE, "scanned print"),
    "humanEdits": (Signal.NOT_GENERATIVE, "human edits with non-generative tools"),
    "minorHumanEdits": (Signal.NOT_GENERATIVE, "minor human edits"),
    "digitalCreation": (Signal.NOT_GENERATIVE, "created by a human with non-generative digital tools"),
    "digitalArt": (Signal.NOT_GENERATIVE, "human-made digital art (retired term)"),
    "dataDrivenMedia": (Signal.NOT_GENERATIVE, "media that represents data"),
    "screenCapture": (Signal.INFO, "screen capture; may show generative content"),
    "composite": (Signal.INFO, "composite; elements may or may not be generative"),
    "softwareImage": (Signal.INFO, "created by software (retired, unspecific)"),
    "empty": (Signal.INFO, "blank or unspecified source"),
}

_LOWER = {term.lower(): term for term in DST_TABLE}
_URI = re.compile(
    r"^\s*(?:https?://(?:cv\.iptc\.org/newscodes/digitalsourcetype|c2pa\.org/digitalsourcetype)/)?"
    r"([A-Za-z]+)/?\s*$"
)


def dst_term(value: str) -> str | None:
    """The canonical term of a DigitalSourceType URI or bare term, or None."""
    match = _URI.match(value or "")
    if not match:
        return None
    return _LOWER.get(match.group(1).lower())


def dst_signal(value: str) -> Signal | None:
    term = dst_term(value)
    return DST_TABLE[term][0] if term else None


def dst_uri(term: str) -> str:
    """The full URI for a canonical term (IPTC namespace unless C2PA-only)."""
    canonical = dst_term(term)
    if canonical is None:
        raise ValueError(f"unknown DigitalSourceType {term!r}")
    if canonical in ("trainedAlgorithmicData", "empty"):
        return C2PA_PREFIX + canonical
    return IPTC_PREFIX + canonical
