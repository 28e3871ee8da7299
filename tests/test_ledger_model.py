"""The approval model: parsing, status on a day, scope matching and path globs."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance.ledger import CATEGORIES, CATEGORY_HELP, Approval, LedgerError, Scope, glob_matches
from provenance.ledger.chain import apply_event, event_hash, grant_payload
from provenance.ledger.model import build_approval, parse_category, parse_date, parse_ref, parse_sha256

SHA_A = "a" * 64
SHA_B = "b" * 64
SEQ = "shots/sh010/sh010_comp_v003.####.exr"
D = datetime.date


def approval(**over: object) -> Approval:
    fields: dict[str, object] = dict(ref="NFLX-GAI-0042", scopes=[("path", SEQ)], categories=["final-deliverable"],
                                     approver="Dana Reyes", approved_on="2026-11-02")
    fields.update(over)
    return build_approval(**fields)  # type: ignore[arg-type]


def test_every_category_has_a_meaning():
    assert set(CATEGORIES) == set(CATEGORY_HELP)
    assert all(CATEGORY_HELP[c].strip() for c in CATEGORIES)


@pytest.mark.parametrize("bad", ["", "has space", "-leading", "NFLX;GAI", "x" * 65])
def test_bad_reference_is_rejected_with_an_example(bad):
    with pytest.raises(LedgerError, match="NFLX-GAI-0042"):
        parse_ref(bad)


def test_sha256_is_normalised_and_checked():
    assert parse_sha256("SHA256:" + "AB" * 32) == "ab" * 32
    with pytest.raises(LedgerError, match="64 hexadecimal"):
        parse_sha256("ab" * 31)


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "20261101", "01/11/2026", "tomorrow"])
def test_bad_date_is_rejected(bad):
    with pytest.raises(LedgerError, match="YYYY-MM-DD"):
        parse_date(bad)


def test_category_spellings_from_the_guidance_are_accepted():
    assert parse_category("On_Screen/Background-Element") == "on-screen-element"
    assert parse_category("union-role-impact") == "union-role"
    with pytest.raises(LedgerError, match="final-deliverable"):
        parse_category("vfx")


def test_valid_until_before_approved_on_is_rejected():
    with pytest.raises(LedgerError, match="before approved_on"):
        approval(valid_until="2026-11-01")


def test_needs_a_scope_a_category_and_an_approver():
    with pytest.raises(LedgerError, match="scope"):
        approval(scopes=[])
    with pytest.raises(LedgerError, match="category"):
        approval(categories=[])
    with pytest.raises(LedgerError, match="approver"):
        approval(approver="  ")


@pytest.mark.parametrize("glob", ["/abs/path.exr", "../outside.exr", "shots/../x", "C:/x.exr", "a;b"])
def test_path_scope_must_stay_inside_the_delivery(glob):
    with pytest.raises(LedgerError, match="path glob"):
        Scope.parse("path", glob)


def test_status_on_a_day():
    a = approval(valid_until="2026-12-31")
    assert a.status_on(D(2026, 11, 1)) == "pending"
    assert a.status_on(D(2026, 11, 2)) == "active"
    assert a.status_on(D(2026, 12, 31)) == "active"  # valid_until is the last valid day
    assert a.status_on(D(2027, 1, 1)) == "expired"
    assert a.evolve(superseded_by="NFLX-GAI-0050").status_on(D(2026, 11, 5)) == "superseded"
    assert a.evolve(revoked=True, superseded_by="X").status_on(D(2027, 1, 1)) == "revoked"


@pytest.mark.parametrize(("glob", "path", "expected"), [
    (SEQ, SEQ, True),
    (SEQ, "shots/sh010/sh010_comp_v004.####.exr", False),  # the version token is literal
    ("shots/sh010/sh010_comp_v*.####.exr", "shots/sh010/sh010_comp_v004.####.exr", True),
    ("shots/sh010/sh010_comp_v003.####.exr", "shots/sh010/sh010_comp_v003.@@@@.exr", False),  # padding is literal
    ("shots/*/sh0?0_comp_v003.####.exr", SEQ, True),
    ("shots/*.exr", SEQ, False),  # * does not cross a folder
    ("shots/**/*.exr", SEQ, True),
    ("**/sh010_comp_v00[1-3].####.exr", SEQ, True),
    ("**/sh010_comp_v00[!3].####.exr", SEQ, False),
    ("shots/**/sh010/*.exr", SEQ, True),  # ** may match no folder at all
    ("shots/**", SEQ, True),
    ("./shots\\sh010\\*.exr", SEQ, True),
    ("Shots/sh010/*.exr", SEQ, False),  # case-sensitive, like the delivery's file system
])
def test_glob_semantics(glob, path, expected):
    assert glob_matches(glob, path) is expected


@given(st.text(alphabet="abc_.#/v0123", min_size=1, max_size=30))
def test_a_path_without_wildcards_matches_only_itself(path):
    assert glob_matches(path, path)
    assert not glob_matches(path, path + "x")


def test_match_by_path_without_pinned_content_covers():
    a = approval()
    assert a.match(SEQ, SHA_B) == "covered"
    assert a.match("shots/sh020/other.exr", SHA_B) is None


def test_match_pinned_content_that_changed_is_stale():
    a = approval(scopes=[("path", SEQ), ("sha256", SHA_A)])
    assert a.match(SEQ, SHA_A.upper()) == "covered"
    assert a.match(SEQ, SHA_B) == "stale"
    assert a.match(SEQ, None) == "stale"
    assert a.match("elsewhere/copy.exr", SHA_A) == "covered"  # exact content is covered wherever it sits


def test_match_by_c2pa_instance():
    a = approval(scopes=[("c2pa-instance", "xmp:iid:42")])
    assert a.match("any.jpg", None, ["xmp:iid:1", "xmp:iid:42"]) == "covered"
    assert a.match("any.jpg", None, ["xmp:iid:1"]) is None


def test_to_dict_round_trips_and_has_no_status():
    a = approval(valid_until="2027-01-31", conditions="background only", title="Show")
    data = a.to_dict()
    assert data["ref"] == "NFLX-GAI-0042" and "status" not in data
    assert Approval.from_dict(data) == a


def test_event_hash_covers_every_column():
    base = (3, "2026-11-25T00:00:00.000000Z", "dana", "grant", "R-1", "{}", "f" * 64)
    reference = event_hash(*base)
    for index in range(len(base)):
        changed = list(base)
        changed[index] = changed[index] + 1 if isinstance(changed[index], int) else changed[index] + "x"
        assert event_hash(*changed) != reference


def test_fold_rules():
    a = approval()
    state = apply_event({}, "grant", a.ref, grant_payload(a))
    with pytest.raises(LedgerError, match="already exists"):
        apply_event(state, "grant", "nflx-gai-0042", grant_payload(a))  # refs differing by case clash
    revoked = apply_event(state, "revoke", a.ref, {"reason": "consent withdrawn"})
    assert revoked[a.ref.casefold()].revoked
    with pytest.raises(LedgerError, match="revoked"):
        apply_event(revoked, "amend", a.ref, {"changes": {"conditions": "x"}})
    with pytest.raises(LedgerError, match="itself"):
        apply_event(state, "supersede", a.ref, {"by": a.ref})
    with pytest.raises(LedgerError, match="no approval"):
        apply_event(state, "revoke", "NFLX-GAI-9999", {"reason": "x"})
