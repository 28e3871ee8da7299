"""verify's fast paths must spell exactly what the general code spells, or verify would cry wolf (or miss)."""

from __future__ import annotations

import random

import hashlib

from provenance.ledger.chain import approval_row, canonical, event_hash
from provenance.ledger.chain import approval_text as _approval_text
from provenance.ledger.chain import row_to_approval, written_as
from provenance.ledger.chain import stored_text as _stored_text
from provenance.ledger.model import build_approval, normalise_categories
from provenance.ledger.verify import _same

AWKWARD = ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\x01\x1f", "é ü ß 日本", "\u2028\u2029",
           "emoji 🎬", "</script>", "x" * 300]


def _reference_hash(fields):
    """event_hash as the writer defines it: sha256 of json.dumps's canonical spelling of the columns."""
    if any(fields[7:]):
        return hashlib.sha256(canonical(fields).encode("utf-8")).hexdigest()
    return hashlib.sha256(canonical(fields[:7]).encode("utf-8")).hexdigest()


def test_event_hash_material_is_json_canonical_for_every_kind_of_text():
    rng = random.Random(7)
    for _ in range(500):
        fields = [rng.randrange(1, 10**9)] + [rng.choice(AWKWARD) + rng.choice(AWKWARD) for _ in range(6)]
        assert event_hash(*fields) == _reference_hash(fields + [None, None, None])
        signed = fields + [rng.choice([None, "ed25519:k"]), rng.choice([None, "2026-01-01T00:00:00Z"]), "sig"]
        assert event_hash(*signed) == _reference_hash(signed)
    # Anything but an int followed by text falls back to json itself (a bool or a float is no seq).
    for odd in ([True, "a"], [1.5, "a"], ["1", "a"], [1, 2], [1, ["a"]], [1, None]):
        fields = odd + ["t"] * 5
        assert event_hash(*fields) == _reference_hash(fields + [None, None, None])


def test_approval_text_equals_the_row_the_writer_stores():
    approval = build_approval(
        ref="NF-1", title='A "title" é', scopes=[{"kind": "path", "value": "shots/日本/**/*.exr"},
                                                  {"kind": "sha256", "value": "ab" * 32},
                                                  {"kind": "c2pa-instance", "value": "xmp:iid:ü"}],
        categories=["union-role", "final-deliverable"], approver="Dana\tReyes", approved_on="2026-01-02",
        valid_until="2026-12-31", document="d.pdf", document_sha256="cd" * 32, conditions="none\n")
    for candidate in (approval, approval.evolve(revoked=True, revoked_reason="r ü"), approval.evolve(superseded_by="X")):
        row = approval_row(candidate, 7)
        assert _stored_text(row) == _approval_text(candidate)
        assert _same(row, candidate, 7)
        assert written_as(row, candidate) and row_to_approval(row) == candidate  # the audit's read takes this path
        assert not _same(row, candidate, 8)
        for column in ("title", "scopes_json", "categories_json", "approved_on", "revoked", "superseded_by"):
            edited = {**row, column: 1 - row[column] if column == "revoked" else f"{row[column]}x"}
            assert not _same(edited, candidate, 7), column
            assert not written_as(edited, candidate), column
    # The same approval with its JSON spelled differently is still the same approval.
    row = approval_row(approval, 7)
    spaced = {**row, "categories_json": row["categories_json"].replace(",", ", ")}
    assert _same(spaced, approval, 7)


def test_category_lists_are_normalised_the_same_way_from_the_cache():
    assert normalise_categories(["Final Deliverable", "union_role"]) == ("final-deliverable", "union-role")
    assert normalise_categories(("union_role", "Final Deliverable")) == ("final-deliverable", "union-role")
    for bad in (["nope"], []):
        for _ in range(2):  # a refusal is not remembered as an answer
            try:
                normalise_categories(bad)
            except Exception as exc:  # noqa: BLE001 - LedgerError, named by its message
                assert "category" in str(exc)
            else:
                raise AssertionError(bad)
