"""The approval record: categories, scopes, parsing of user input, matching.

Pure: no database, no click. Everything a user types goes through one of the
``parse_*`` functions, so a bad value fails the same way from the CLI, an
import file or the library.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any


from .errors import LedgerError  # noqa: F401 - re-exported: the ledger API names it here
from .cutscope import CutScopeError, parse_cut_scope
from .globs import glob_matches, parse_glob


CATEGORY_HELP: dict[str, str] = {
    "final-deliverable": "generated material appears in the final deliverables (final cut, even in the background)",
    "talent-likeness": "a digital replica of a real performer, or an alteration of a performance (visual ADR, "
                       "re-aging, synthetic voice); needs documented consent",
    "personal-data": "personal data of cast, crew or anyone else is used as tool input or appears in the output",
    "third-party-ip": "output or prompts reference copyrighted works, trademarks, or the likeness of public "
                      "figures or deceased people",
    "key-creative-element": "main characters, key visuals or story-central settings made with GenAI",
    "on-screen-element": "generated on-screen or background elements (signage, posters, documents, news "
                         "clippings); story-relevant ones need review",
    "union-role": "the use replaces or materially affects union-covered work",
    "non-enterprise-tool": "a tool outside an enterprise agreement, which may retain or train on inputs",
    "proprietary-input": "studio-owned unreleased material (scripts, footage, production images) used as tool input",
    "unowned-training-data": "a model trained or fine-tuned on artists', performers' or rights holders' material "
                             "without clearance",
    "misleading-content": "content that could be mistaken for real events, people or statements",
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_HELP)

# Spellings from the guidance's own wording, so "on-screen/background-element"
# or "union-role-impact" in a producer's spreadsheet is not a hard error.
_CATEGORY_ALIASES = {
    "background-element": "on-screen-element",
    "on-screen/background-element": "on-screen-element",
    "union-role-impact": "union-role",
    "digital-replica": "talent-likeness",
    "digital-alteration": "talent-likeness",
    "third-party-ip-or-likeness": "third-party-ip",
}

USES: tuple[str, ...] = ("ideation", "temporary", "final")
SCOPE_KINDS: tuple[str, ...] = ("sha256", "path", "c2pa-instance", "timeline")
STATUSES: tuple[str, ...] = ("active", "revoked", "expired", "superseded", "pending")

_REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_ref(value: str) -> str:
    text = str(value).strip()
    if not _REF_RE.fullmatch(text):
        raise LedgerError(f"reference {value!r} is not valid; use letters, digits and . _ / - "
                          f"(at most 64 characters), e.g. NFLX-GAI-0042")
    return text


def parse_sha256(value: str) -> str:
    text = str(value).strip().lower().removeprefix("sha256:")
    if not _SHA_RE.fullmatch(text):
        raise LedgerError(f"sha256 {value!r} is not 64 hexadecimal digits; pass the full hex digest "
                          f"(e.g. from `sha256sum FILE`)")
    return text


def parse_date(value: str | datetime.date, what: str = "date") -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise LedgerError(f"{what} {value!r} has a time; pass a day as YYYY-MM-DD")
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"{what} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-30") from None


def parse_category(value: str) -> str:
    text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
    text = _CATEGORY_ALIASES.get(text, text)
    if text not in CATEGORY_HELP:
        raise LedgerError(f"category {value!r} is unknown; use one of: {', '.join(CATEGORIES)}")
    return text


def parse_use(value: str) -> str:
    text = str(value).strip().lower()
    if text not in USES:
        raise LedgerError(f"use {value!r} is unknown; use one of: {', '.join(USES)}")
    return text


def parse_text(value: object) -> str | None:
    """Optional free text: empty means absent."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True, order=True)
class Scope:
    """One selector of the material an approval covers."""

    kind: str  # "sha256" | "path" | "c2pa-instance" | "timeline" (a record range of one cut: cutscope.py)
    value: str

    @classmethod
    def parse(cls, kind: str, value: str) -> Scope:
        kind = str(kind).strip().lower().replace("_", "-")
        if kind == "sha256":
            return cls(kind, parse_sha256(value))
        if kind == "path":
            return cls(kind, parse_glob(value))
        if kind in ("c2pa-instance", "c2pa"):
            text = str(value).strip()
            if not text or any(ch.isspace() for ch in text) or ";" in text:
                raise LedgerError(f"C2PA instance id {value!r} is not valid; pass the xmp:iid value, "
                                  f"e.g. xmp:iid:1d2c3b4a-…")
            return cls("c2pa-instance", text)
        if kind == "timeline":
            try:
                return cls(kind, parse_cut_scope(value).text())
            except CutScopeError as exc:
                raise LedgerError(str(exc)) from None
        raise LedgerError(f"scope kind {kind!r} is unknown; use one of: {', '.join(SCOPE_KINDS)}")

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


def normalise_scopes(scopes: Iterable[Scope | tuple[str, str] | dict[str, str]]) -> tuple[Scope, ...]:
    out: set[Scope] = set()
    for s in scopes:
        if isinstance(s, Scope):
            out.add(Scope.parse(s.kind, s.value))
        elif isinstance(s, dict):
            out.add(Scope.parse(s.get("kind", ""), s.get("value", "")))
        else:
            out.add(Scope.parse(*s))
    if not out:
        raise LedgerError("an approval needs at least one scope; pass --sha256, --path, --c2pa-instance or --timeline")
    return tuple(sorted(out))


def normalise_categories(categories: Iterable[str]) -> tuple[str, ...]:
    values = tuple(categories)
    if all(type(c) is str for c in values):
        return _normalised_categories(values)  # a replay of 100,000 grants sees a handful of distinct lists
    return _normalise_categories(values)


@functools.lru_cache(maxsize=1024)
def _normalised_categories(values: tuple[str, ...]) -> tuple[str, ...]:
    return _normalise_categories(values)  # a refusal raises, and is not cached


def _normalise_categories(categories: Iterable[str]) -> tuple[str, ...]:
    cats = {parse_category(c) for c in categories}
    if not cats:
        raise LedgerError(f"an approval needs at least one --category; one of: {', '.join(CATEGORIES)}")
    return tuple(c for c in CATEGORIES if c in cats)  # guidance order, not alphabetical


@dataclass(frozen=True)
class Approval:
    """The current state of one approval, derived from its events."""

    ref: str
    title: str | None
    scopes: tuple[Scope, ...]
    categories: tuple[str, ...]
    use: str
    approver: str
    role: str | None
    org: str | None
    approved_on: datetime.date
    valid_until: datetime.date | None
    document: str | None
    document_sha256: str | None
    conditions: str | None
    revoked: bool = False
    revoked_reason: str | None = None
    superseded_by: str | None = None
    # What the signatures of its grant and amends are worth under the policy's
    # approver keys ("valid", "unsigned", "bad-signature", "unknown-key", ...);
    # None until a verify judged them. Not part of the record itself.
    signature: str | None = field(default=None, compare=False)

    def status_on(self, day: datetime.date) -> str:
        # A revocation outranks everything: the approver withdrew it.
        if self.revoked:
            return "revoked"
        if self.superseded_by:
            return "superseded"
        if day < self.approved_on:
            return "pending"
        if self.valid_until is not None and day > self.valid_until:
            return "expired"  # valid_until is the last valid day
        return "active"

    def match(self, path: str, sha256: str | None, c2pa_instance_ids: Iterable[str] = ()) -> str | None:
        """"covered", "stale" (path matches but pinned content changed) or None."""
        digest = sha256.lower() if sha256 else None
        pinned = [s.value for s in self.scopes if s.kind == "sha256"]
        if digest and digest in pinned:
            return "covered"
        ids = set(c2pa_instance_ids)
        if any(s.kind == "c2pa-instance" and s.value in ids for s in self.scopes):
            return "covered"
        if any(s.kind == "path" and glob_matches(s.value, path) for s in self.scopes):
            return "stale" if pinned else "covered"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "scopes": [s.to_dict() for s in self.scopes],
            "categories": list(self.categories),
            "use": self.use,
            "approver": self.approver,
            "role": self.role,
            "org": self.org,
            "approved_on": self.approved_on.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "document": self.document,
            "document_sha256": self.document_sha256,
            "conditions": self.conditions,
            "revoked": self.revoked,
            "revoked_reason": self.revoked_reason,
            "superseded_by": self.superseded_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Approval:
        return build_approval(**{k: v for k, v in data.items() if k in GRANT_FIELDS}).evolve(
            revoked=bool(data.get("revoked", False)),
            revoked_reason=data.get("revoked_reason"),
            superseded_by=data.get("superseded_by"),
        )

    def evolve(self, **changes: Any) -> Approval:
        return replace(self, **changes)


# The fields a grant (and an amend) may set; the rest is lifecycle state.
GRANT_FIELDS = ("ref", "title", "scopes", "categories", "use", "approver", "role", "org",
                "approved_on", "valid_until", "document", "document_sha256", "conditions")


def build_approval(*, ref: str, scopes: Iterable[Any], categories: Iterable[str], approver: str,
                   approved_on: str | datetime.date, title: str | None = None, use: str = "final",
                   role: str | None = None, org: str | None = None,
                   valid_until: str | datetime.date | None = None, document: str | None = None,
                   document_sha256: str | None = None, conditions: str | None = None) -> Approval:
    """Validate every field; raises LedgerError naming the first bad one."""
    who = parse_text(approver)
    if not who:
        raise LedgerError("an approval needs an approver; pass --approver NAME")
    start = parse_date(approved_on, "approved_on")
    end = parse_date(valid_until, "valid_until") if parse_text(valid_until) else None
    if end is not None and end < start:
        raise LedgerError(f"valid_until {end} is before approved_on {start}; fix one of the dates")
    doc = parse_text(document)
    doc_sha = parse_sha256(document_sha256) if parse_text(document_sha256) else None
    if doc_sha and not doc:
        raise LedgerError("document_sha256 was given without a document; pass the document's name too")
    return Approval(
        ref=parse_ref(ref), title=parse_text(title), scopes=normalise_scopes(scopes),
        categories=normalise_categories(categories), use=parse_use(use), approver=who,
        role=parse_text(role), org=parse_text(org), approved_on=start, valid_until=end,
        document=doc, document_sha256=doc_sha, conditions=parse_text(conditions),
    )


@dataclass(frozen=True)
class Signed:
    """The signature columns of one event: the public key, when, and the Ed25519 signature."""

    key_id: str
    signed_at: str
    signature: str

    def to_dict(self) -> dict[str, str]:
        return {"key_id": self.key_id, "signed_at": self.signed_at, "signature": self.signature}


@dataclass(frozen=True)
class LedgerEvent:
    """One appended, hash-chained change."""

    seq: int
    ts: str
    actor: str
    event_type: str  # "init" | "migrate" | "grant" | "amend" | "revoke" | "supersede"
    ref: str
    payload: dict[str, Any] = field(hash=False)
    prev_hash: str
    hash: str
    signed: Signed | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"seq": self.seq, "ts": self.ts, "actor": self.actor, "event_type": self.event_type,
               "ref": self.ref, "payload": self.payload, "prev_hash": self.prev_hash, "hash": self.hash}
        if self.signed is not None:
            out["signed"] = self.signed.to_dict()
        return out


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    head: str
    problems: tuple[str, ...] = ()
    # (what, event numbers) for events whose signature does not count, e.g.
    # ("unsigned", "2-40, 42"); bad signatures are also problems.
    signatures: tuple[tuple[str, str], ...] = ()
    # ref -> what its signatures are worth (see Approval.signature).
    trust: dict[str, str] = field(default_factory=dict, compare=False)
    # The approvals as replayed from the events, by ref: when ``ok``, the same as the
    # approvals table, so a reader that verified need not read and parse the table again.
    replayed: tuple[Approval, ...] = field(default=(), compare=False, repr=False)

    @property
    def checkpoint(self) -> str:
        """``N:HASH``: the event count and head, for `ledger verify --checkpoint` later."""
        return f"{self.events}:{self.head}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "head": self.head, "checkpoint": self.checkpoint,
                "problems": list(self.problems), "signatures": {k: v for k, v in self.signatures}}
