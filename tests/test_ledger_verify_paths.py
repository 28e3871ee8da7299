"""verify's short way for grants (read through their unchanged approvals row) must report exactly what the
long way (decode every payload, replay, compare every row) reports, on intact and on edited ledgers.

Runs on both stores (``ledger_location``). The edits rewrite the chain consistently (every later hash
recomputed), so what is compared is the replay and the row check, not the hash check.
"""

from __future__ import annotations

import json

import pytest

from provenance.ledger import open_ledger, schema
from provenance.ledger import verify as verify_module
from provenance.ledger.chain import event_hash
from provenance.ledger.normal import grant_from_row
from tests.ledger_stores import tamper

SHA = "ab" * 32


def _build(location: str) -> None:
    with open_ledger(location, create=True) as ledger:
        ledger.add("R-1", sha256=SHA, categories=["final-deliverable"], approver="Dana Reyes",
                   approved_on="2026-11-02")
        ledger.add("R-2", path='shots/"q" \\ é/*.exr', title="Poster\u2028 日本", categories=["union-role"],
                   approver="Dana Reyes", approved_on="2026-11-02", valid_until="2027-01-01")
        ledger.add("R-3", c2pa_instance="xmp:iid:1", sha256=SHA, path="a/**/b.png",
                   categories=["final-deliverable", "union-role"], approver="Lee", approved_on="2026-11-03",
                   document="d.pdf", document_sha256="cd" * 32, conditions="none", org="Studio", role="Legal")
        ledger.add("R-4", sha256="ef" * 32, categories=["final-deliverable"], approver="Dana Reyes",
                   approved_on="2026-11-02")
        ledger.add("R-5", sha256="12" * 32, categories=["final-deliverable"], approver="Dana Reyes",
                   approved_on="2026-11-02")
        ledger.amend("R-4", title="amended")
        ledger.revoke("R-5", "withdrawn")


def _rewrite(location: str, payloads: dict[str, tuple[str, str]], rows: str) -> None:
    """Replace text in the payload of ref's grant, re-hash the whole chain, then run ``rows`` (SQL)."""
    tamper(location, "")  # guard triggers dropped, as someone rewriting the chain would
    with open_ledger(location) as ledger:
        store = ledger.store
        events = store.query(f"SELECT * FROM {schema.EVENTS} ORDER BY seq")
        prev = ""
        with store.write():
            for event in events:
                payload = event["payload_json"]
                if event["event_type"] == "grant" and event["ref"] in payloads:
                    edited = payload.replace(*payloads[event["ref"]])
                    assert edited != payload, payloads
                    payload = edited
                digest = event_hash(event["seq"], event["ts"], event["actor"], event["event_type"], event["ref"],
                                    payload, prev)
                store.execute(f"UPDATE {schema.EVENTS} SET payload_json = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                              [payload, prev, digest, event["seq"]])
                prev = digest
    if rows:
        tamper(location, rows)


def _result(location: str) -> dict:
    with open_ledger(location, read_only=True) as ledger:
        result = ledger.verify()
    return {"ok": result.ok, "events": result.events, "head": result.head, "problems": result.problems,
            "signatures": result.signatures, "trust": result.trust,
            "replayed": [vars(a) for a in result.replayed]}


CASES = [
    ({}, ""),
    ({"R-1": ('"approver":"', '"approver": "')}, ""),  # the same payload spelled differently
    ({}, "UPDATE approvals SET title = 'edited' WHERE ref = 'R-1';"),
    ({}, "UPDATE approvals SET scopes_json = replace(scopes_json, ',', ', ') WHERE ref = 'R-2';"),
    ({"R-3": ('"kind":"c2pa-instance"', '"kind": "c2pa-instance"')},
     ("UPDATE approvals SET scopes_json = replace(scopes_json, '\"kind\":\"c2pa-instance\"', "
      "'\"kind\": \"c2pa-instance\"') WHERE ref = 'R-3';")),  # row and payload spelled alike, oddly
    ({"R-1": ('"approver":"Dana Reyes"', '"approver":" Dana Reyes"')},
     "UPDATE approvals SET approver = ' Dana Reyes' WHERE ref = 'R-1';"),  # not normal: build_approval strips it
    ({"R-1": ('"use":"final"', '"use":"Final"')}, "UPDATE approvals SET use = 'Final' WHERE ref = 'R-1';"),
    ({"R-2": ('"valid_until":"2027-01-01"', '"valid_until":"2026-01-01"')},
     "UPDATE approvals SET valid_until = '2026-01-01' WHERE ref = 'R-2';"),  # ends before it starts
    ({}, "UPDATE approvals SET last_seq = last_seq + 1 WHERE ref = 'R-1';"),
    ({}, "UPDATE approvals SET revoked = 1, revoked_reason = 'x' WHERE ref = 'R-1';"),
    ({}, "UPDATE approvals SET ref = 'r-1' WHERE ref = 'R-1';"),
    ({}, "DELETE FROM approvals WHERE ref = 'R-2';"),
    ({}, "UPDATE approvals SET categories_json = '[\"union-role\",\"final-deliverable\"]' WHERE ref = 'R-3';"),
    ({"R-3": ('"categories":["final-deliverable","union-role"]', '"categories":["union-role","final-deliverable"]')},
     "UPDATE approvals SET categories_json = '[\"union-role\",\"final-deliverable\"]' WHERE ref = 'R-3';"),
    ({"R-1": ('"title":null', '"title":"x"')}, ""),
    ({"R-4": ('"title":null', '"title":"x"')}, ""),  # a grant amended later: never the short way
]


@pytest.mark.parametrize(("payloads", "rows"), CASES)
def test_the_short_way_reports_what_the_long_way_reports(ledger_location, monkeypatch, payloads, rows):
    _build(ledger_location)
    _rewrite(ledger_location, payloads, rows)
    taken: list[str] = []
    with monkeypatch.context() as patch:
        def spy(row, ref, payload_json):  # the real function, counted
            found = grant_from_row(row, ref, payload_json)
            taken.extend([ref] if found is not None else [])
            return found
        patch.setattr(verify_module, "grant_from_row", spy)
        short = _result(ledger_location)
    with monkeypatch.context() as patch:
        patch.setattr(verify_module, "grant_from_row", lambda *args: None)  # every grant the long way
        long = _result(ledger_location)
    assert short == long
    if not payloads and not rows:
        assert taken == ["R-1", "R-2", "R-3"]  # R-4 was amended and R-5 revoked since: their rows moved on
        assert [p for p in short["problems"] if "trigger" not in p] == []
        assert json.dumps(short["trust"], sort_keys=True) == json.dumps({f"R-{n}": "unsigned" for n in range(1, 6)},
                                                                        sort_keys=True)


def test_an_event_or_row_holding_bytes_is_reported_not_a_crash(tmp_path):
    # SQLite keeps whatever type a hand edit writes into a TEXT column.
    location = str(tmp_path / "l.db")
    _build(location)
    tamper(location, "UPDATE events SET ref = X'522D31' WHERE seq = 2; UPDATE approvals SET ref = X'522D31' "
                     "WHERE ref = 'R-1';")
    problems = _result(location)["problems"]
    assert any(p.startswith("event 2 (grant b'R-1'): hash does not match") for p in problems), problems
