"""The data model: what a scan finds, as frozen, JSON-ready records.

This module imports nothing else from the package, so every other module can
depend on it without cycles.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

# Values read from files are attacker-controlled and may be megabytes long
# (a ComfyUI workflow graph); reports keep a readable prefix only.
MAX_VALUE_CHARS = 400


class Signal(enum.StrEnum):
    """What one piece of evidence says about generative AI."""

    GENERATED = "generated"
    MODIFIED = "modified"
    NOT_GENERATIVE = "not-generative"
    INFO = "info"


class Confidence(enum.StrEnum):
    """How far one piece of evidence can be trusted, strongest first."""

    SIGNED_DECLARATION = "signed-declaration"
    DECLARATION = "declaration"
    TOOL_RECORD = "tool-record"
    HEURISTIC = "heuristic"


CONFIDENCE_RANK = {
    Confidence.SIGNED_DECLARATION: 0,
    Confidence.DECLARATION: 1,
    Confidence.TOOL_RECORD: 2,
    Confidence.HEURISTIC: 3,
}


class VerdictKind(enum.StrEnum):
    AI_GENERATED = "ai-generated"
    AI_MODIFIED = "ai-modified"
    NO_AI_DECLARED = "no-ai-declared"
    NO_EVIDENCE = "no-evidence"

    @property
    def is_ai(self) -> bool:
        return self in (VerdictKind.AI_GENERATED, VerdictKind.AI_MODIFIED)


class C2paState(enum.StrEnum):
    TRUSTED = "trusted"
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"
    REMOTE = "remote"
    ERROR = "error"
    ABSENT = "absent"


# One plain sentence per state, for reports and docs (a producer reads these, not status codes).
C2PA_STATE_MEANING = {
    C2paState.TRUSTED: "Signature and content hashes check out, and the signer is on a trust list in use.",
    C2paState.VALID: "Signature and content hashes check out, but the signer is on no trust list in use.",
    C2paState.EXPIRED: "Signature and content hashes check out, but the signing certificate had expired "
                       "and no trusted timestamp covers it; the content was not altered.",
    C2paState.INVALID: "The content or the manifest was altered after signing, or the signature is forged or broken.",
    C2paState.REMOTE: "The manifest is only referenced by a web address, which an offline scan never fetches.",
    C2paState.ERROR: "The file carries C2PA data that could not be read.",
    C2paState.ABSENT: "The file carries no C2PA manifest.",
}


def c2pa_state_notes(states: Iterable[str]) -> list[str]:
    """One plain sentence for each C2PA state present (``absent`` left out), in the states' order."""
    present = {str(s) for s in states}
    return [f"C2PA {state}: {C2PA_STATE_MEANING[state]}" for state in C2paState
            if state is not C2paState.ABSENT and str(state) in present]


class AssetKind(enum.StrEnum):
    FILE = "file"
    SEQUENCE = "sequence"


def trim(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """A printable, bounded rendering of a raw metadata value."""
    if isinstance(value, bytes):
        text = value[: limit * 4].decode("utf-8", "replace")
    else:
        text = str(value)
    text = text[: limit + 1]
    # The per-character pass only for a value that needs it (multi-line text does not).
    if not text.isprintable() and not text.replace("\n", "").replace("\t", "").isprintable():
        text = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)
    if len(text) > limit:
        return text[:limit] + "…"
    return text


def _by_fields(self: Any) -> tuple[Any, tuple[Any, ...]]:
    # Scan results cross from worker processes as a constructor call: a frozen, slotted
    # dataclass's own pickling (state list, setattr per field) cost ~4 us a file there.
    return type(self), tuple(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation about one file, from one scanner."""

    __reduce__ = _by_fields

    scanner: str
    location: str
    value: str
    signal: Signal
    confidence: Confidence
    generator: str | None = None

    def __post_init__(self) -> None:
        if len(self.value) > MAX_VALUE_CHARS + 1:
            object.__setattr__(self, "value", trim(self.value))

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanner": self.scanner,
            "location": self.location,
            "value": self.value,
            "signal": str(self.signal),
            "confidence": str(self.confidence),
            "generator": self.generator,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            scanner=data["scanner"],
            location=data["location"],
            value=data["value"],
            signal=Signal(data["signal"]),
            confidence=Confidence(data["confidence"]),
            generator=data.get("generator"),
        )

    @property
    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        # Signal and generator too: two frames of a sequence can say different things in the
        # same field, and a tie would leave their order to set iteration (the hash seed).
        return (CONFIDENCE_RANK[self.confidence], self.scanner, self.location, self.value, self.signal,
                self.generator or "")


@dataclass(frozen=True, slots=True)
class ScanIssue:
    """A per-file input problem: the file is listed, the scan goes on."""

    __reduce__ = _by_fields

    code: str
    message: str
    scanner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "scanner": self.scanner}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanIssue:
        return cls(code=data["code"], message=data["message"], scanner=data.get("scanner"))


@dataclass(frozen=True, slots=True)
class C2paStatus:
    """The validation outcome of the C2PA manifest store bound to a file."""

    __reduce__ = _by_fields

    state: C2paState = C2paState.ABSENT
    failures: tuple[str, ...] = ()
    active_manifest: str | None = None
    instance_ids: tuple[str, ...] = ()
    signer: str | None = None
    sidecar: bool = False
    remote_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": str(self.state),
            "failures": list(self.failures),
            "active_manifest": self.active_manifest,
            "instance_ids": list(self.instance_ids),
            "signer": self.signer,
            "sidecar": self.sidecar,
            "remote_url": self.remote_url,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> C2paStatus:
        return cls(
            state=C2paState(data.get("state", "absent")),
            failures=tuple(data.get("failures", ())),
            active_manifest=data.get("active_manifest"),
            instance_ids=tuple(data.get("instance_ids", ())),
            signer=data.get("signer"),
            sidecar=bool(data.get("sidecar", False)),
            remote_url=data.get("remote_url"),
        )


NO_C2PA = C2paStatus()


@dataclass(frozen=True, slots=True)
class ScannerResult:
    """What one scanner reports for one file."""

    evidence: tuple[Evidence, ...] = ()
    errors: tuple[ScanIssue, ...] = ()
    c2pa: C2paStatus | None = None


@dataclass(frozen=True, slots=True)
class FileScan:
    """Everything the scanners found in one file: a pure function of its bytes."""

    __reduce__ = _by_fields

    media_type: str
    evidence: tuple[Evidence, ...] = ()
    c2pa: C2paStatus = NO_C2PA
    errors: tuple[ScanIssue, ...] = ()
    # Worth saying but not a read failure (a library warning about the file): unlike
    # ``errors``, notes leave the scan complete.
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = {
            "media_type": self.media_type,
            "evidence": [e.to_dict() for e in self.evidence],
            "c2pa": self.c2pa.to_dict(),
            "errors": [e.to_dict() for e in self.errors],
        }
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileScan:
        return cls(
            media_type=data["media_type"],
            evidence=tuple(Evidence.from_dict(e) for e in data["evidence"]),
            c2pa=C2paStatus.from_dict(data["c2pa"]),
            errors=tuple(ScanIssue.from_dict(e) for e in data["errors"]),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    reason: str
    generators: tuple[str, ...] = ()


class FrameNames(Sequence[str]):
    """A sequence's member paths, made from its name parts when asked for.

    ``stem + f"{frame:0{width}d}" + ext`` for each frame, as the frames were
    grouped (see :mod:`provenance.sequences`). A 200,000-frame delivery then
    keeps one small object per sequence instead of a path string per frame.
    Equal to the tuple of the same paths.
    """

    __slots__ = ("_stem", "_width", "_ext", "_frames")

    def __init__(self, stem: str, width: int, ext: str, frames: Sequence[int]) -> None:
        self._stem, self._width, self._ext = stem, width, ext
        contiguous = len(frames) > 0 and frames[-1] - frames[0] + 1 == len(frames)
        self._frames: Sequence[int] = range(frames[0], frames[-1] + 1) if contiguous else tuple(frames)

    def _name(self, frame: int) -> str:
        return f"{self._stem}{frame:0{self._width}d}{self._ext}"

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._name(f) for f in self._frames[index])
        return self._name(self._frames[index])

    def __iter__(self) -> Iterator[str]:
        return (self._name(f) for f in self._frames)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrameNames | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True, slots=True)
class Asset:
    """A deliverable: one file, or one frame sequence counted as a single asset."""

    path: str  # relative to the scanned root, POSIX; a pattern for sequences
    kind: AssetKind
    size: int
    media_type: str
    frames: str | None = None  # "1001-1300" for sequences
    missing_frames: str | None = None
    members: Sequence[str] = ()  # member file paths of a sequence, in frame order (a tuple or FrameNames)


@dataclass(frozen=True, slots=True)
class Segment:
    """A frame sub-range of a sequence whose frames share the same evidence."""

    frames: str
    verdict: Verdict
    evidence: tuple[Evidence, ...]
    c2pa_states: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "verdict": str(self.verdict.kind),
            "reason": self.verdict.reason,
            "generators": list(self.verdict.generators),
            "evidence": [e.to_dict() for e in self.evidence],
            "c2pa_states": list(self.c2pa_states),
        }


@dataclass(frozen=True, slots=True)
class AssetResult:
    asset: Asset
    verdict: Verdict
    evidence: tuple[Evidence, ...]
    c2pa: C2paStatus
    errors: tuple[ScanIssue, ...] = ()
    segments: tuple[Segment, ...] = ()
    sha256: str | None = None
    notes: tuple[str, ...] = ()  # see FileScan.notes: said in reports, never incomplete

    @property
    def path(self) -> str:
        return self.asset.path

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.asset.path,
            "kind": str(self.asset.kind),
            "size": self.asset.size,
            "media_type": self.asset.media_type,
            "verdict": str(self.verdict.kind),
            "reason": self.verdict.reason,
            "generators": list(self.verdict.generators),
            "confidence": strongest_confidence(self.evidence, self.verdict.kind),
            "c2pa": self.c2pa.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
            "errors": [e.to_dict() for e in self.errors],
            "notes": list(self.notes),
        }
        if self.sha256:
            data["sha256"] = self.sha256
        if self.asset.kind is AssetKind.SEQUENCE:
            data["frames"] = self.asset.frames
            data["missing_frames"] = self.asset.missing_frames
            data["frame_count"] = len(self.asset.members)
            data["segments"] = [s.to_dict() for s in self.segments]
        return data


def strongest_confidence(evidence: tuple[Evidence, ...], kind: VerdictKind) -> str | None:
    """The confidence of the strongest evidence that supports the verdict."""
    wanted = {
        VerdictKind.AI_GENERATED: {Signal.GENERATED},
        VerdictKind.AI_MODIFIED: {Signal.MODIFIED},
        VerdictKind.NO_AI_DECLARED: {Signal.NOT_GENERATIVE},
        VerdictKind.NO_EVIDENCE: set(),
    }[kind]
    ranks = [CONFIDENCE_RANK[e.confidence] for e in evidence if e.signal in wanted]
    if not ranks:
        return None
    best = min(ranks)
    return next(str(c) for c, r in CONFIDENCE_RANK.items() if r == best)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ScannerInfo:
    id: str
    version: str


@dataclass(frozen=True, slots=True)
class TrustSource:
    """One trust list a scan used to decide which C2PA signers are trusted."""

    name: str
    list: str
    role: str  # anchors | tsa-anchors | allowed | ekus
    source: str  # owner/repo@commit:path, or "user"
    date: str | None
    sha256: str
    certificates: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "list": self.list, "role": self.role, "source": self.source,
                "date": self.date, "sha256": self.sha256, "certificates": self.certificates}


@dataclass(frozen=True, slots=True)
class ScanReport:
    root: str
    assets: tuple[AssetResult, ...]
    skipped: tuple[Skipped, ...] = ()
    scanners: tuple[ScannerInfo, ...] = ()
    tool_version: str = ""
    problems: tuple[ScanIssue, ...] = field(default=())  # tree-level problems (manifest, walk)
    # Tree-level results that are not read failures (a manifest's missing file or
    # hash mismatch): reported, but they leave the scan complete.
    findings: tuple[ScanIssue, ...] = field(default=())
    trust: tuple[TrustSource, ...] = ()  # the C2PA trust lists in use
    # Assets whose file is not simply root/path (a name that is not UTF-8, a followed symlink):
    # where to read them. Not part of any report.
    real_paths: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def complete(self) -> bool:
        return not self.problems and all(not a.errors for a in self.assets)
