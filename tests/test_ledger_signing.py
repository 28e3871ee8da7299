"""Signed events, trusted approver keys, signed bundles, checkpoints and migrations, on both stores."""

from __future__ import annotations

import datetime
import json
import os
import stat
from pathlib import Path

import pytest

from provenance.ledger import LedgerError, keygen, load_signing_key, open_ledger
from provenance.ledger.bundle import export_bundle, parse_bundle
from provenance.ledger.chain import event_hash
from provenance.ledger.signing import Approver
from provenance.ledger.trust import parse_trust
from tests.ledger_stores import tamper

SHA = "b" * 64


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("keys")
    out: dict[str, object] = {}
    for name in ("Dana Reyes", "Sam Lee"):
        key_path, _, key_id = keygen(name, folder)
        out[name] = load_signing_key(key_path)
    return out


def trusted(keys, *names: str, categories: tuple[str, ...] = ()) -> dict[str, Approver]:
    return {keys[n].key_id: Approver(n, keys[n].key_id, categories) for n in names}


def grant(ledger, ref: str, key=None, approver: str = "Dana Reyes", **over):
    fields = dict(sha256=SHA, categories=["final-deliverable"], approver=approver, approved_on="2026-11-02")
    fields.update(over)
    return ledger.add(ref, signing_key=key, **fields)


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path):
    key_path, pub_path, key_id = keygen("Dana Reyes", tmp_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert pub_path.read_text().strip() == key_id and key_id.startswith("ed25519:")
    assert load_signing_key(key_path).warnings == ()
    with pytest.raises(LedgerError, match="already exists"):
        keygen("Dana Reyes", tmp_path)  # never overwrites a key
    os.chmod(key_path, 0o644)
    assert "readable by others" in load_signing_key(key_path).warnings[0]


def test_a_signed_event_verifies_and_verify_lists_the_rest_by_number(ledger_location, keys):
    with open_ledger(ledger_location, create=True) as ledger:
        grant(ledger, "S-1", keys["Dana Reyes"])                       # event 2: signed, trusted
        grant(ledger, "S-2")                                           # event 3: unsigned
        grant(ledger, "S-3", keys["Sam Lee"], approver="Sam Lee")      # event 4: key not in the policy
        ledger.revoke("S-2", "withdrawn", signing_key=keys["Dana Reyes"])  # event 5
        result = ledger.verify(approvers=trusted(keys, "Dana Reyes"))
    assert result.ok, result.problems
    assert dict(result.signatures) == {"unsigned": "3", "unknown-key": "4"}
    assert result.trust == {"S-1": "valid", "S-2": "unsigned", "S-3": "unknown-key"}


def test_a_signature_counts_only_for_its_own_approver_and_categories(ledger_location, keys):
    with open_ledger(ledger_location, create=True) as ledger:
        grant(ledger, "S-1", keys["Sam Lee"], approver="Dana Reyes")   # Sam signs Dana's approval
        grant(ledger, "S-2", keys["Dana Reyes"], categories=["talent-likeness"])
        grant(ledger, "S-3", keys["Dana Reyes"])
        ledger.amend("S-3", conditions="background only")               # unsigned amend taints it
        result = ledger.verify(approvers={**trusted(keys, "Sam Lee"),
                                          **trusted(keys, "Dana Reyes", categories=("final-deliverable",))})
    assert result.trust == {"S-1": "wrong-approver", "S-2": "category-not-allowed", "S-3": "unsigned"}


def test_an_edited_signed_event_is_a_bad_signature_even_with_the_chain_recomputed(ledger_location, keys):
    with open_ledger(ledger_location, create=True) as ledger:
        grant(ledger, "S-1", keys["Dana Reyes"])
        row = ledger.store.query("SELECT * FROM events WHERE seq = 2")[0]
    payload = row["payload_json"].replace('"final"', '"temporary"')
    digest = event_hash(2, row["ts"], row["actor"], "grant", "S-1", payload, row["prev_hash"], row["key_id"],
                        row["signed_at"], row["signature"])
    tamper(ledger_location, f"UPDATE events SET payload_json = '{payload}', hash = '{digest}' WHERE seq = 2;"
                            f"UPDATE approvals SET use = 'temporary' WHERE ref = 'S-1';")
    with open_ledger(ledger_location, read_only=True) as ledger:
        result = ledger.verify()
    assert dict(result.signatures)["bad-signature"] == "2"
    assert result.problems[0].startswith("event 2 (grant S-1): the signature does not match")


def test_signed_bundle_travels_and_imports_all_or_nothing(ledger_location, tmp_path, keys):
    dana = keys["Dana Reyes"]
    with open_ledger(tmp_path / "studio.db", create=True) as studio:
        grant(studio, "S-1", dana)
        grant(studio, "S-2", dana)
        grant(studio, "LOCAL-1")  # unsigned: left out of the bundle
        text, unsigned = export_bundle(studio)
        assert unsigned == ["LOCAL-1"]
        studio.revoke("S-2", "rights lapsed", signing_key=dana)
        newer, _ = export_bundle(studio)
    trust = trusted(keys, "Dana Reyes")
    records = parse_bundle(json.loads(text), "b.json")
    # Each record is verifiable on its own: a forged one is refused by ref, and nothing is written.
    forged = json.loads(text)
    forged["events"][1]["payload"]["use"] = "temporary"
    with open_ledger(ledger_location, create=True) as post:
        head = post.head_hash()
        with pytest.raises(LedgerError, match="grant of S-2 .*altered or forged"):
            post.import_signed(parse_bundle(forged, "b.json"), trust)
        assert post.head_hash() == head and post.approvals() == []
        with pytest.raises(LedgerError, match="does not trust"):
            post.import_signed(records, trusted(keys, "Sam Lee"))
        # A trusted key whose signature does not count for the approval it leaves (approver or
        # category) is refused after its event was applied: the whole import still rolls back.
        misnamed = {dana.key_id: Approver("Sam Lee", dana.key_id)}
        for policy, worth in ((misnamed, "wrong-approver"),
                              (trusted(keys, "Dana Reyes", categories=("union-role",)), "category-not-allowed")):
            with pytest.raises(LedgerError, match=f"grant of S-1: its signature does not count \\({worth}"):
                post.import_signed(records, policy)
            assert post.head_hash() == head and post.approvals() == [] and len(post.events()) == 1
        assert post.import_signed(records, trust) == (2, 0)
        # A newer bundle from the same source appends only what is new.
        assert post.import_signed(parse_bundle(json.loads(newer), "b2.json"), trust) == (1, 2)
        assert {a.ref: a.revoked for a in post.approvals()} == {"S-1": False, "S-2": True}
        result = post.verify(approvers=trust)
    assert result.ok and result.signatures == ()  # every event there is signed by a trusted key


def test_a_full_chain_rewrite_is_caught_by_an_earlier_checkpoint(ledger_location):
    with open_ledger(ledger_location, create=True) as ledger:
        for ref in ("C-1", "C-2", "C-3"):
            grant(ledger, ref)
        checkpoint = ledger.verify().checkpoint
        grant(ledger, "C-4")
        assert ledger.verify(checkpoint=checkpoint).ok  # the ledger only grew since
        events = ledger.store.query("SELECT * FROM events ORDER BY seq")
    # Rewrite event 2 and recompute every hash after it: consistent with itself.
    statements, prev = [], ""
    for row in events:
        payload = row["payload_json"].replace("Dana Reyes", "Mallory") if row["seq"] == 2 else row["payload_json"]
        digest = event_hash(row["seq"], row["ts"], row["actor"], row["event_type"], row["ref"], payload, prev)
        statements.append(f"UPDATE events SET payload_json = '{payload}', prev_hash = '{prev}', hash = '{digest}' "
                          f"WHERE seq = {row['seq']};")
        prev = digest
    statements.append("UPDATE approvals SET approver = 'Mallory' WHERE ref = 'C-1';")
    tamper(ledger_location, "".join(statements))
    with open_ledger(ledger_location) as ledger:
        ledger.init()  # restores the dropped guard triggers, as the rewriter would
        assert ledger.verify().ok  # the rewrite is self-consistent...
        result = ledger.verify(checkpoint=checkpoint)  # ...but not with what the audit recorded
        with pytest.raises(LedgerError, match="not N:HASH"):
            ledger.verify(checkpoint="4:nothex")
    assert not result.ok
    assert result.problems[0].startswith("event 4 (grant C-3): hash is not the checkpoint's")


def test_v1_ledger_built_by_the_v1_code_path_migrates_to_v2(ledger_location, keys):
    with open_ledger(ledger_location, create=True, schema_version=1) as old:
        grant(old, "M-1")
        assert "signature" not in old.store.columns("events")
        with pytest.raises(LedgerError, match="schema 1"):
            grant(old, "M-2", keys["Dana Reyes"])  # a v1 ledger cannot hold a signature
        head = old.head_hash()
    with open_ledger(ledger_location, read_only=True) as reader:  # a reader never migrates
        assert reader.version == 1 and reader.verify().ok
    with open_ledger(ledger_location) as ledger:
        assert ledger.version == 2
        events = ledger.events()
        assert [e.event_type for e in events] == ["init", "grant", "migrate"]
        assert events[1].hash == head and events[2].payload == {"from": 1, "to": 2}
        grant(ledger, "M-2", keys["Dana Reyes"])
        result = ledger.verify(approvers=trusted(keys, "Dana Reyes"))
    assert result.ok, result.problems
    assert result.trust == {"M-1": "unsigned", "M-2": "valid"}


def test_policy_trust_settings_are_validated(keys):
    table = {"require_signed": True, "approvers": {"Dana Reyes": {"public_key": keys["Dana Reyes"].key_id,
                                                                  "categories": ["final-deliverable"]}}}
    trust = parse_trust(table, "p.toml")
    assert trust.require_signed and trust.by_key[keys["Dana Reyes"].key_id].name == "Dana Reyes"
    with pytest.raises(LedgerError, match="not an Ed25519 public key"):
        parse_trust({"approvers": {"Dana": {"public_key": "ed25519:xyz"}}}, "p.toml")
    with pytest.raises(LedgerError, match="true or false"):
        parse_trust({"require_signed": "yes"}, "p.toml")


def test_sign_material_is_independent_of_the_chain(tmp_path, keys):
    # The same signed grant imported into two ledgers keeps its signature; seq/ts/prev differ.
    dana = keys["Dana Reyes"]
    with open_ledger(tmp_path / "a.db", create=True) as a:
        grant(a, "X-0")
        grant(a, "S-1", dana)
        bundle, _ = export_bundle(a)
    with open_ledger(tmp_path / "b.db", create=True) as b:
        b.import_signed(parse_bundle(json.loads(bundle), "x"), trusted(keys, "Dana Reyes"))
        event = b.events()[-1]
    assert event.seq == 2 and event.signed is not None
    assert Path(tmp_path / "b.db").exists()


V1_FILE = Path(__file__).parent / "fixtures" / "ledger_v1.db"  # written by the v1 code (commit de3befe)
V1_CHECKPOINT = "6:b478133cd7c3b97582b26aff7a8869a7928aad2a1a4a6b133f8fec9149544f84"


def test_a_ledger_file_written_by_the_released_v1_code_migrates(tmp_path, keys):
    path = tmp_path / "v1.db"
    path.write_bytes(V1_FILE.read_bytes())
    with open_ledger(path, read_only=True) as reader:
        assert reader.version == 1 and reader.verify(checkpoint=V1_CHECKPOINT).ok
        before = reader.approvals()
    with open_ledger(path) as ledger:  # opening for writing migrates
        assert ledger.version == 2 and ledger.approvals() == before
        assert [e.event_type for e in ledger.events()][-1] == "migrate"
        grant(ledger, "V2-0001", keys["Dana Reyes"])
        result = ledger.verify(checkpoint=V1_CHECKPOINT, approvers=trusted(keys, "Dana Reyes"))
    assert result.ok, result.problems
    assert result.trust["V2-0001"] == "valid" and result.trust["V1-0002"] == "unsigned"
    assert {a.ref: a.status_on(datetime.date(2026, 12, 1)) for a in before} == {"V1-0001": "superseded",
                                                                               "V1-0002": "revoked"}
