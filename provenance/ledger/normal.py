"""A grant payload read without re-normalising it, when it is already in normal form.

The writer stores a grant's payload as ``grant_payload(build_approval(...))``:
every value already validated and spelled the one way ``build_approval`` spells
it. Replaying 100,000 grants (verify, which every audit runs) through the full
parse of every field cost about a second. Here a payload whose every value is
already in that normal form becomes its Approval with cheap checks only; any
other payload (hand-made, edited, from an older writer, or simply unusual)
returns None and goes through ``build_approval``, which accepts, normalises or
refuses it as before. ``tests/test_ledger_normal.py`` checks on hostile inputs
that an answer from here is always the one ``build_approval`` gives.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from .globs import parse_glob
from .model import (
    _DATE_RE,
    _REF_RE,
    _SHA_RE,
    GRANT_FIELDS,
    USES,
    Approval,
    LedgerError,
    Scope,
    normalise_categories,
)

_KEYS = frozenset(GRANT_FIELDS) - {"ref"}  # what grant_payload writes


def normal_grant(ref: str, payload: dict[str, Any]) -> Approval | None:
    """``build_approval(ref=ref, **payload)`` when every value is already normal, else None."""
    if type(ref) is not str or not _REF_RE.fullmatch(ref) or type(payload) is not dict or payload.keys() != _KEYS:
        return None
    approver, title, role, org, document, conditions = (payload["approver"], payload["title"], payload["role"],
                                                        payload["org"], payload["document"], payload["conditions"])
    if approver is None or not all(v is None or (type(v) is str and v and v.strip() == v)
                                   for v in (approver, title, role, org, document, conditions)):
        return None  # free text as parse_text leaves it: None, or a non-empty str without surrounding space
    use = payload["use"]
    if type(use) is not str or use not in USES:
        return None
    start, end = payload["approved_on"], payload["valid_until"]
    start = _parsed_day(start) if type(start) is str else None  # a ledger's days repeat: parsed once each
    if start is None or (end is not None and ((end := _parsed_day(end) if type(end) is str else None) is None
                                              or end < start)):
        return None
    digest = payload["document_sha256"]
    if digest is not None and (type(digest) is not str or not _SHA_RE.fullmatch(digest) or document is None):
        return None
    categories = payload["categories"]
    categories = _categories(tuple(categories)) if type(categories) is list else None
    scopes = _scopes(payload["scopes"])
    if categories is None or scopes is None:
        return None
    # The frozen dataclass's __init__ sets 17 fields one object.__setattr__ at a time (a third of
    # this function's time); filling __dict__ gives the same object (tests compare vars()).
    approval = _new(Approval)
    approval.__dict__.update(ref=ref, title=title, scopes=scopes, categories=categories, use=use, approver=approver,
                             role=role, org=org, approved_on=start, valid_until=end, document=document,
                             document_sha256=digest, conditions=conditions, revoked=False, revoked_reason=None,
                             superseded_by=None, signature=None)
    return approval


_new = object.__new__


@functools.lru_cache(maxsize=4096)
def _parsed_day(text: str) -> datetime.date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day.isoformat() == text else None


@functools.lru_cache(maxsize=1024)
def _categories(given: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The list itself when it is already normal (known, distinct, in guidance order); a ledger has few distinct lists.

    Cached per tuple: tuples equal across element types (1, 1.0, True) all hold a non-str, so share None.
    """
    if not all(type(c) is str for c in given):
        return None
    try:
        normal = normalise_categories(given)
    except LedgerError:
        return None
    return normal if normal == given else None


def _scopes(value: Any) -> tuple[Scope, ...] | None:
    if type(value) is not list or not value:
        return None
    out = []
    previous: tuple[str, str] | None = None
    for item in value:
        if type(item) is not dict or len(item) != 2:
            return None
        kind, text = item.get("kind"), item.get("value")
        if type(kind) is not str or type(text) is not str or not _scope_value(kind, text):
            return None
        if previous is not None and previous >= (kind, text):
            return None  # build_approval stores scopes sorted and without duplicates
        previous = (kind, text)
        out.append(Scope(kind, text))
    return tuple(out)


def _scope_value(kind: str, text: str) -> bool:
    if kind == "sha256":
        return _SHA_RE.fullmatch(text) is not None
    if kind == "path":
        try:
            return parse_glob(text) == text
        except LedgerError:
            return False
    if kind == "c2pa-instance":
        return text != "" and ";" not in text and not any(ch.isspace() for ch in text)
    return False  # timeline scopes (and anything else): the full parse
