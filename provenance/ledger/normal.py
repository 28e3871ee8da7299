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
import json
import re
from json.encoder import encode_basestring as _json_str
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
    if type(payload) is not dict or payload.keys() != _KEYS:
        return None
    return _normal(ref, payload["title"], _scope_pairs(payload["scopes"]), payload["categories"], payload["use"],
                   payload["approver"], payload["role"], payload["org"], payload["approved_on"],
                   payload["valid_until"], payload["document"], payload["document_sha256"], payload["conditions"])


def _normal(ref: Any, title: Any, scopes: list[tuple[str, str]] | None, categories: Any, use: Any, approver: Any,
            role: Any, org: Any, approved_on: Any, valid_until: Any, document: Any, digest: Any,
            conditions: Any) -> Approval | None:
    fields = _fields(title, categories, use, approver, role, org, approved_on, valid_until, document, digest,
                     conditions)
    return None if fields is None or scopes is None else _approval(ref, scopes, fields)


def _approval(ref: Any, scopes: list[tuple[str, str]], fields: dict[str, Any]) -> Approval | None:
    """The Approval of a normal ref, normal scopes and the other fields as ``_fields`` gives them."""
    if type(ref) is not str or not _REF_RE.fullmatch(ref):
        return None
    normal_scopes = _scope_tuple(scopes)
    if normal_scopes is None:
        return None
    # The frozen dataclass's __init__ sets 17 fields one object.__setattr__ at a time (a third of
    # this function's time); filling __dict__ gives the same object (tests compare vars()).
    approval = _new(Approval)
    approval.__dict__.update(fields, ref=ref, scopes=normal_scopes)
    return approval


def _fields(title: Any, categories: Any, use: Any, approver: Any, role: Any, org: Any, approved_on: Any,
            valid_until: Any, document: Any, digest: Any, conditions: Any) -> dict[str, Any] | None:
    """Every Approval field but ref and scopes, when each value is already normal; else None."""
    if type(approver) is not str or not approver or approver.strip() != approver:
        return None
    for text in (title, role, org, document, conditions):
        if text is not None and (type(text) is not str or not text or text.strip() != text):
            return None  # free text as parse_text leaves it: None, or a non-empty str without surrounding space
    if type(use) is not str or use not in USES:
        return None
    start = _parsed_day(approved_on) if type(approved_on) is str else None  # a ledger's days repeat: parsed once
    end = valid_until
    if start is None or (end is not None and ((end := _parsed_day(end) if type(end) is str else None) is None
                                              or end < start)):
        return None
    if digest is not None and (type(digest) is not str or not _SHA_RE.fullmatch(digest) or document is None):
        return None
    try:
        categories = _categories(tuple(categories)) if type(categories) is list else None
    except TypeError:  # an unhashable item (a list in the list): build_approval names what is wrong
        return None
    if categories is None:
        return None
    return {"title": title, "categories": categories, "use": use, "approver": approver, "role": role, "org": org,
            "approved_on": start, "valid_until": end, "document": document, "document_sha256": digest,
            "conditions": conditions, "revoked": False, "revoked_reason": None, "superseded_by": None,
            "signature": None}


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


def _scope_pairs(value: Any) -> list[tuple[str, str]] | None:
    """(kind, value) of each scope of a decoded payload, or None unless each is exactly {kind, value} of text."""
    if type(value) is not list:
        return None
    pairs = []
    for item in value:
        if type(item) is not dict or len(item) != 2:
            return None
        kind, text = item.get("kind"), item.get("value")
        if type(kind) is not str or type(text) is not str:
            return None
        pairs.append((kind, text))
    return pairs


def _scope_tuple(pairs: list[tuple[str, str]]) -> tuple[Scope, ...] | None:
    if not pairs:
        return None
    previous: tuple[str, str] | None = None
    for pair in pairs:
        if not _scope_value(*pair) or (previous is not None and previous >= pair):
            return None  # build_approval stores scopes sorted and without duplicates
        previous = pair
    return tuple([Scope(kind, text) for kind, text in pairs])


def _scope_value(kind: str, text: str) -> bool:
    if kind == "sha256":
        return _SHA_RE.fullmatch(text) is not None
    if kind == "path":
        try:
            return parse_glob(text) == text
        except LedgerError:
            return False
    if kind == "c2pa-instance":
        return ";" not in text and text.split() == [text]  # not empty, and no whitespace anywhere
    return False  # timeline scopes (and anything else): the full parse


# A grant's payload as canonical JSON (keys sorted), cut where the scopes go: the approvals
# row's own scopes_json and categories_json text sit in it verbatim.
_GRANT_HEAD = ('{"approved_on":%s,"approver":%s,"categories":%s,"conditions":%s,"document":%s,'
               '"document_sha256":%s,"org":%s,"role":%s,"scopes":')
_GRANT_TAIL = ',"title":%s,"use":%s,"valid_until":%s}'


def _json_or_null(value: Any) -> str:
    return "null" if value is None else _json_str(value)  # _json_str refuses anything but a str (TypeError)


@functools.lru_cache(maxsize=4096, typed=True)
def _common(title: Any, categories_json: Any, use: Any, approver: Any, role: Any, org: Any, approved_on: Any,
            valid_until: Any, document: Any, digest: Any, conditions: Any
            ) -> tuple[str, str, dict[str, Any]] | None:
    """Payload text before and after the scopes, and the checked fields, for one combination of values.

    Approvals come in batches that share approver, dates, categories and the rest: each
    combination is spelled and checked once. ``typed``: values equal across types (1, 1.0,
    True) are cached apart.
    """
    if type(categories_json) is not str:
        return None
    try:
        head = _GRANT_HEAD % (_json_str(approved_on), _json_str(approver), categories_json, _json_or_null(conditions),
                              _json_or_null(document), _json_or_null(digest), _json_or_null(org), _json_or_null(role))
        tail = _GRANT_TAIL % (_json_or_null(title), _json_str(use), _json_or_null(valid_until))
        categories = json.loads(categories_json)
    except (TypeError, ValueError):
        return None
    fields = _fields(title, categories, use, approver, role, org, approved_on, valid_until, document, digest,
                     conditions)
    return None if fields is None else (head, tail, fields)


def grant_from_row(row: tuple[Any, ...], ref: str, payload_json: str) -> Approval | None:
    """The approval a grant made, read through the approvals row that still holds it unchanged.

    ``row`` is the ref's approvals row in ``schema.APPROVAL_COLUMNS`` order. When the
    payload's text is exactly the row's values spelled as a grant payload, the
    payload decodes to those values (the row's scopes and categories text sits in it
    verbatim, and each decodes on its own), so the approval built from them is the one
    the full replay would build from the payload, and the row holds exactly that
    approval: verify need neither decode the payload nor compare the row again.
    Anything else: None, and verify takes the long way.
    """
    (row_ref, title, scopes_json, categories_json, use, approver, role, org, approved_on, valid_until, document,
     document_sha256, conditions, revoked, revoked_reason, superseded_by, _) = row
    if (row_ref != ref or revoked != 0 or type(revoked) is not int or revoked_reason is not None or
            superseded_by is not None or type(scopes_json) is not str):
        return None
    try:
        common = _common(title, categories_json, use, approver, role, org, approved_on, valid_until, document,
                         document_sha256, conditions)
    except TypeError:  # an unhashable value: not one this tool stores
        return None
    if common is None or payload_json != common[0] + scopes_json + common[1]:
        return None
    one = _ONE_SCOPE.fullmatch(scopes_json)
    try:
        scopes = [one.group(1, 2)] if one else _scope_pairs(json.loads(scopes_json))
    except ValueError:
        return None
    return None if scopes is None else _approval(ref, scopes, common[2])


# One scope whose value needs no JSON escape (no quote, backslash or control character):
# what json.loads would read is the text itself. Anything else is decoded by json.loads.
_ONE_SCOPE = re.compile(r'\[\{"kind":"([a-z0-9-]+)","value":"([^"\\\x00-\x1f]*)"\}\]')
