"""The signature material's canonical JSON must be RFC 8785's, byte for byte, or signatures would not travel."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ledger.signing import canonical_bytes

# Text that stresses every difference between json's spelling and RFC 8785's: control characters,
# quotes and backslashes, DEL, U+2028, characters just below and above U+E000 and U+FFFF, astral
# characters (UTF-16 surrogate pairs sort before U+E000..U+FFFF), lone surrogates.
AWKWARD = st.sampled_from(["", "a", "\x00", "\x1f", "\x7f", '"', "\\", "\b\f\n\r\t", "\u2028", "é", "日本",
                           "\ud7ff", "\ue000", "\uffff", "\U00010000", "\U0001f3ac", "\U0010ffff", "\ud800", "z"])
TEXT = st.one_of(st.text(max_size=6), st.lists(AWKWARD, max_size=4).map("".join))
NUMBERS = st.one_of(st.integers(min_value=-(2**60), max_value=2**60),
                    st.sampled_from([2**53 - 1, -(2**53) + 1, 2**53, -(2**53), 0]),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.0, 1e21, 5e-324]))
SCALARS = st.one_of(st.none(), st.booleans(), TEXT, NUMBERS)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(TEXT, inner, max_size=4),
                                                       st.tuples(inner, inner)), max_leaves=12)


def _outcome(fn, value):
    try:
        return fn(value)
    except (ValueError, TypeError) as exc:  # rfc8785 refuses some input (CanonicalizationError is a ValueError)
        return type(exc)


@settings(max_examples=1500, deadline=None)
@given(VALUES)
def test_canonical_bytes_are_rfc8785s_on_hostile_input(value):
    assert _outcome(canonical_bytes, value) == _outcome(rfc8785.dumps, value)


def test_key_order_follows_utf16_where_it_differs_from_code_points():
    # U+1F3AC is D83C DFAC in UTF-16, so it sorts before U+E000 there, after it by code point.
    value = {"\ue000": 1, "\U0001f3ac": 2, "a": {"\uffff": 3, "\U00010000": 4}}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).index("\U0001f3ac".encode()) < canonical_bytes(value).index("\ue000".encode())


def test_an_event_payload_takes_the_fast_spelling_and_matches():
    payload = {"event_type": "grant", "ref": "NF-1", "key_id": "ed25519:AAAA", "signed_at": "2026-11-30T00:00:00Z",
               "payload": {"approver": "Dana Reyes", "categories": ["final-deliverable"], "title": 'Poster "A" é\n',
                           "scopes": [{"kind": "path", "value": "shots/日本/*.exr"}], "valid_until": None}}
    assert canonical_bytes(payload) == rfc8785.dumps(payload)
