"""The replay's shortcut for grants must give exactly build_approval's answer, or refuse to answer."""

from __future__ import annotations

import datetime
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.ledger import schema
from provenance.ledger.chain import (
    apply_event,
    approval_row,
    canonical,
    direct_approval,
    grant_payload,
)
from provenance.ledger.errors import LedgerError
from provenance.ledger.model import build_approval
from provenance.ledger.normal import grant_from_row, normal_grant

SHA = "ab" * 32
WRITTEN = {
    "title": 'Poster "A" é', "scopes": [{"kind": "c2pa-instance", "value": "xmp:iid:1"},
                                        {"kind": "path", "value": "shots/sh010/*.exr"},
                                        {"kind": "sha256", "value": SHA}],
    "categories": ["final-deliverable", "union-role"], "use": "final", "approver": "Dana Reyes", "role": "Legal",
    "org": None, "approved_on": "2026-01-02", "valid_until": "2026-12-31", "document": "d.pdf",
    "document_sha256": "cd" * 32, "conditions": None,
}

# Values a hand-edited or foreign ledger might hold: each either normal, or something
# build_approval normalises, or something it refuses.
TEXTS = st.sampled_from([None, "", " ", "x", " x", "x ", "Dana\tReyes", "日本", "\u2028", "a;b", 5, 1.5, True,
                         ["x"], {"a": 1}, "\u00a0x"])
DAYS = st.sampled_from(["2026-01-02", "2026-1-2", " 2026-01-02", "2026-02-30", "２０２６-０１-０２", "2026-01-02T00:00",
                        "2025-12-31", "2027-01-01", "", None, 20260102, "0001-01-01"])
KINDS = st.sampled_from(["sha256", "path", "c2pa-instance", "c2pa", "SHA256", "timeline", "", None, 1])
VALUES = st.sampled_from([SHA, SHA.upper(), "sha256:" + SHA, " " + SHA, "shots/*.exr", "./shots/*.exr", "/abs/*.exr",
                          "shots/../x", "a\\b.exr", "xmp:iid:1", "xmp iid", "x;y", "", " y", None, 7,
                          "cut.otio#1-2"])
SCOPE = st.one_of(st.fixed_dictionaries({"kind": KINDS, "value": VALUES}),
                  st.fixed_dictionaries({"kind": KINDS, "value": VALUES, "extra": TEXTS}),
                  st.fixed_dictionaries({"kind": KINDS}), st.just("sha256"), st.none())
CATEGORIES = st.one_of(st.lists(st.sampled_from(["final-deliverable", "union-role", "Final Deliverable",
                                                 "union_role", "nope", "", 3, ("x",), ["y"], {"z": 1}]),
                                max_size=3),
                       st.sampled_from(["final-deliverable", None, ("final-deliverable",)]))
REFS = st.sampled_from(["NF-1", " NF-1", "NF 1", "", "x" * 65, "NF/1.a_b-c", 12, "ÄB"])


def _build(ref, payload):
    try:
        return build_approval(ref=ref, **payload)
    except (LedgerError, TypeError, AttributeError, ValueError):
        return "refused"


# Each example changes some fields of a payload as the writer stores it (hypothesis picks which).
CHANGES = st.fixed_dictionaries({}, optional={
    "title": TEXTS, "approver": TEXTS, "role": TEXTS, "org": TEXTS, "document": TEXTS, "conditions": TEXTS,
    "approved_on": DAYS, "valid_until": DAYS, "scopes": st.one_of(st.lists(SCOPE, max_size=3), st.none(), st.just("x")),
    "categories": CATEGORIES, "use": st.sampled_from(["final", "Final", " final", "temporary", "nope", None, 1]),
    "document_sha256": st.sampled_from([None, "cd" * 32, ("cd" * 32).upper(), "", "zz"])})


@settings(max_examples=800, deadline=None)
@given(ref=st.one_of(st.just("NF-1"), REFS), changes=CHANGES, drop=st.sampled_from([None, None, None, "title", "org"]),
       extra=st.sampled_from([None, None, None, "surprise"]))
def test_a_shortcut_answer_is_always_build_approvals_answer(ref, changes, drop, extra):
    payload = {**WRITTEN, **changes}
    if drop:
        del payload[drop]
    if extra:
        payload[extra] = "x"
    fast = normal_grant(ref, payload)
    if fast is not None:
        assert fast == _build(ref, payload)
        assert vars(fast) == vars(_build(ref, payload))  # every field, those eq ignores included
        assert grant_payload(fast) == payload  # only a payload already in normal form is answered
    elif not changes and not drop and not extra and ref == "NF-1":
        raise AssertionError("the writer's own payload must take the shortcut")


@settings(max_examples=300, deadline=None)
@given(scopes=st.lists(st.tuples(st.sampled_from(["sha256", "path", "c2pa-instance"]),
                                 st.sampled_from([SHA, "cd" * 32, "a/*.exr", "b/**/x.png", "xmp:iid:1", "xmp:iid:2"])),
                       min_size=1, max_size=4))
def test_scope_lists_must_be_sorted_and_distinct_as_the_writer_stores_them(scopes):
    payload = {**WRITTEN, "scopes": [{"kind": k, "value": v} for k, v in scopes]}
    fast = normal_grant("NF-1", payload)
    slow = _build("NF-1", payload)
    if fast is not None:
        assert fast == slow
    if slow != "refused" and grant_payload(slow) == payload:
        assert fast == slow  # a normal payload is never sent the long way


def test_every_payload_the_writer_stores_takes_the_shortcut():
    for payload in (WRITTEN, {**WRITTEN, "valid_until": None, "document": None, "document_sha256": None},
                    {**WRITTEN, "scopes": [{"kind": "path", "value": "日本/**/*.exr"}], "title": None}):
        approval = build_approval(ref="NF-1", **payload)
        written = grant_payload(approval)
        assert normal_grant("NF-1", written) == approval
        assert vars(normal_grant("NF-1", written)) == vars(approval)
        assert repr(normal_grant("NF-1", written)) == repr(approval)
        assert normal_grant("NF-1", written).evolve(revoked=True) == approval.evolve(revoked=True)
        assert apply_event({}, "grant", "NF-1", written) == {"nf-1": approval}


def test_what_the_writer_would_normalise_or_refuse_is_left_to_build_approval():
    for change in ({"approver": " Dana"}, {"use": "Final"}, {"categories": ["union-role", "final-deliverable"]},
                   {"scopes": [{"kind": "sha256", "value": SHA.upper()}]}, {"title": ""},
                   {"approved_on": "2027-01-01"}, {"valid_until": datetime.date(2026, 12, 31)},
                   {"scopes": [{"kind": "timeline", "value": "cut.otio#1-2"}]}):
        assert normal_grant("NF-1", {**WRITTEN, **change}) is None, change
    assert normal_grant("NF 1", WRITTEN) is None
    assert normal_grant("NF-1", {**WRITTEN, "surprise": 1}) is None


def _row(approval, seq=7):
    return tuple(approval_row(approval, seq)[c] for c in schema.APPROVAL_COLUMNS)


ROW_EDITS = st.sampled_from(schema.APPROVAL_COLUMNS[:16])
ROW_VALUES = st.one_of(TEXTS, st.sampled_from([
    '[{"kind":"sha256","value":"' + SHA + '"}]', '[{"kind": "sha256", "value": "' + SHA + '"}]',
    '[{"kind":"sha256","value":"' + SHA.upper() + '"}]', '[{"kind":"path","value":"a\\u002fb.exr"}]',
    '[{"kind":"path","value":"a/b.exr"}] ', '[{"kind":"path","value":"a/b.exr"}],"x":1', '[]', '[1]', 'null',
    '["final-deliverable"]', '["union-role","final-deliverable"]', '["final-deliverable"] ', '{"a":1}',
    "2026-01-02", "2026-12-31", "final", 0, 1, "0"]))
PAYLOAD_EDITS = st.sampled_from([("", ""), ('"approver":"', '"approver": "'), ('"use":"final"', '"use":"fin\\u0061l"'),
                                 ('"title":null', '"title":"x"'), (',"valid_until":null}', ',"valid_until":null,"x":1}'),
                                 ('{"approved_on"', '{"approved_on":"2026-01-01","approved_on"'),
                                 ("sha256", "SHA256")])


@settings(max_examples=500, deadline=None)
@given(scopes=st.sampled_from([[{"kind": "sha256", "value": SHA}], [{"kind": "path", "value": 'a "q" \\ é/*.exr'}],
                               WRITTEN["scopes"], [{"kind": "c2pa-instance", "value": "xmp:iid:\u2028"}]]),
       title=st.sampled_from([None, 'T "q"', "日本\u2028"]), edits=st.lists(st.tuples(ROW_EDITS, ROW_VALUES), max_size=2),
       payload_edit=PAYLOAD_EDITS, ref=st.sampled_from(["NF-1", "nf-1", "NF-2"]))
def test_a_grant_read_through_its_row_is_what_the_full_replay_reads_and_the_row_holds_it(scopes, title, edits,
                                                                                         payload_edit, ref):
    approval = build_approval(ref="NF-1", **{**WRITTEN, "scopes": scopes, "title": title})
    payload_json = canonical(grant_payload(approval)).replace(*payload_edit)
    row = dict(zip(schema.APPROVAL_COLUMNS, _row(approval)))
    for column, value in edits:
        row[column] = value
    fast = grant_from_row(tuple(row.values()), ref, payload_json)
    if fast is None:
        return
    assert fast == _build(ref, json.loads(payload_json))  # what verify's full replay builds from the event
    assert vars(fast) == vars(_build(ref, json.loads(payload_json)))
    assert direct_approval(row) == fast  # and the row check would pass: the row holds that approval


def test_the_writers_own_row_and_payload_take_the_short_way():
    for payload in (WRITTEN, {**WRITTEN, "scopes": [{"kind": "sha256", "value": SHA}], "title": None},
                    {**WRITTEN, "scopes": [{"kind": "path", "value": 'a "q" \\ é/*.exr'}]}):
        approval = build_approval(ref="NF-1", **payload)
        assert grant_from_row(_row(approval), "NF-1", canonical(grant_payload(approval))) == approval
    approval = build_approval(ref="NF-1", **WRITTEN)
    assert grant_from_row(_row(approval.evolve(revoked=True, revoked_reason="r")), "NF-1",
                          canonical(grant_payload(approval))) is None  # the row moved on: the long way
