"""`provenance ledger ...` end to end: click runner, the sqlite3 shell, real processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.cli.ledger import ledger_group

SHA_A = "a" * 64
SEQ = "shots/sh010/sh010_comp_v003.####.exr"


@pytest.fixture
def db(ledger_location: str) -> str:
    """A fresh ledger on each store (a SQLite file, a PostgreSQL schema): see tests/ledger_stores.py."""
    assert run(ledger_location, "init").exit_code == 0
    return ledger_location


def run(path: Path | str | None, *args: str, env: dict[str, str] | None = None):
    prefix = ["ledger", *(["--ledger", str(path)] if path else [])]
    return CliRunner().invoke(cli, [*prefix, *args], env=env, catch_exceptions=False)


def add(path: Path | str, ref: str, *extra: str):
    result = run(path, "add", "--ref", ref, "--approver", "Dana Reyes", "--approved-on", "2026-11-02", *extra)
    assert result.exit_code == 0, result.output
    return result


def listed(path: Path, *args: str) -> dict[str, str]:
    result = run(path, "list", "--format", "json", "--as-of", "2026-12-15", *args)
    assert result.exit_code == 0, result.output
    return {a["ref"]: a["status"] for a in json.loads(result.output)}


@pytest.mark.parametrize("name", sorted(ledger_group.commands))
def test_every_command_help_ends_with_an_example(name):
    result = CliRunner().invoke(cli, ["ledger", name, "--help"])
    assert result.exit_code == 0
    tail = result.output.rstrip().rsplit("Example:", 1)
    assert len(tail) == 2 and f"provenance ledger {name}" in tail[1]


def test_list_shows_expiry_and_revocation(db):
    add(db, "NFLX-GAI-0001", "--path", SEQ, "--category", "final-deliverable", "--valid-until", "2026-12-01")
    add(db, "NFLX-GAI-0002", "--sha256", SHA_A, "--category", "talent-likeness")
    add(db, "NFLX-GAI-0003", "--c2pa-instance", "xmp:iid:7", "--category", "personal-data,third-party-ip",
        "--valid-until", "2027-03-01")
    assert run(db, "revoke", "NFLX-GAI-0002", "--reason", "consent withdrawn").exit_code == 0
    assert listed(db) == {"NFLX-GAI-0001": "expired", "NFLX-GAI-0002": "revoked", "NFLX-GAI-0003": "active"}
    assert listed(db, "--status", "active") == {"NFLX-GAI-0003": "active"}
    assert listed(db, "--status", "expired") == {"NFLX-GAI-0001": "expired"}
    assert listed(db, "--category", "third-party-ip") == {"NFLX-GAI-0003": "active"}
    assert listed(db, "--expiring-before", "2027-01-01") == {"NFLX-GAI-0001": "expired"}
    table = run(db, "list", "--as-of", "2026-12-15").output
    assert "NFLX-GAI-0002  revoked" in table
    rows = run(db, "list", "--format", "csv", "--as-of", "2026-12-15").output.splitlines()
    assert rows[0].startswith("ref,status,") and rows[2].startswith("NFLX-GAI-0002,revoked,")


@pytest.mark.parametrize(("args", "message"), [
    (["--ref", "bad ref", "--sha256", SHA_A, "--category", "final-deliverable"], "reference 'bad ref'"),
    (["--ref", "R-1", "--sha256", "12ab", "--category", "final-deliverable"], "64 hexadecimal"),
    (["--ref", "R-1", "--sha256", SHA_A, "--category", "vfx"], "category 'vfx' is unknown"),
    (["--ref", "R-1", "--sha256", SHA_A, "--category", "personal-data", "--valid-until", "31/12/2026"],
     "YYYY-MM-DD"),
    (["--ref", "R-1", "--category", "personal-data"], "at least one scope"),
    (["--ref", "R-1", "--path", "/mnt/delivery/x.exr", "--category", "personal-data"], "relative"),
])
def test_bad_input_is_one_line_and_exit_2(db, args, message):
    result = run(db, "add", "--approver", "Dana", *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert json.loads(run(db, "list", "--format", "json").output) == []


def test_ledger_path_from_option_env_or_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(None, "init").exit_code == 0
    assert (tmp_path / "provenance.db").is_file()
    env_db = tmp_path / "env.db"
    assert run(None, "init", env={"PROVENANCE_LEDGER": str(env_db)}).exit_code == 0
    assert env_db.is_file()
    result = CliRunner().invoke(cli, ["ledger", "list", "--ledger", str(tmp_path / "missing.db")])
    assert result.exit_code == 2 and "ledger init" in result.output


def test_amend_supersede_and_show_history(db, tmp_path):
    doc = tmp_path / "approval.pdf"
    doc.write_bytes(b"signed")
    add(db, "NFLX-GAI-0001", "--path", SEQ, "--category", "final-deliverable", "--use", "temporary")
    add(db, "NFLX-GAI-0002", "--path", "shots/sh010/sh010_comp_v*.####.exr", "--category", "final-deliverable")
    amended = run(db, "amend", "NFLX-GAI-0001", "--document", str(doc), "--conditions", "episode 3 only",
                  "--reason", "signed copy received")
    assert amended.exit_code == 0, amended.output
    assert run(db, "supersede", "NFLX-GAI-0001", "--by", "NFLX-GAI-0002").exit_code == 0
    shown = json.loads(run(db, "show", "NFLX-GAI-0001", "--format", "json", "--as-of", "2026-12-01").output)
    assert shown["status"] == "superseded" and shown["superseded_by"] == "NFLX-GAI-0002"
    assert shown["use"] == "temporary" and shown["document"] == "approval.pdf"
    assert [e["event_type"] for e in shown["history"]] == ["grant", "amend", "supersede"]
    assert shown["history"][1]["payload"]["reason"] == "signed copy received"
    text = run(db, "show", "NFLX-GAI-0001").output
    assert "superseded by NFLX-GAI-0002" in text and "episode 3 only" in text
    again = run(db, "amend", "NFLX-GAI-0001", "--conditions", "x")
    assert again.exit_code == 2 and "superseded" in again.output


def test_import_bad_row_imports_nothing_and_names_the_line(db, tmp_path):
    source = tmp_path / "approvals.csv"
    source.write_text("ref,sha256,category,approver\n"
                      f"R-1,{SHA_A},final-deliverable,Dana\n"
                      f"R-2,{SHA_A},final-deliverable;not-a-category,Dana\n", encoding="utf-8")
    result = run(db, "import", str(source))
    assert result.exit_code == 2
    assert "approvals.csv line 3, field category" in result.output
    assert json.loads(run(db, "list", "--format", "json").output) == []


def test_export_round_trips_with_import(db, tmp_path):
    add(db, "NFLX-GAI-0001", "--path", SEQ, "--sha256", SHA_A, "--category", "final-deliverable",
        "--category", "union-role", "--conditions", "background; episode 3", "--valid-until", "2027-01-01",
        "--title", "Show S01E03", "--role", "Exec", "--org", "Netflix")
    add(db, "NFLX-GAI-0002", "--c2pa-instance", "xmp:iid:7", "--category", "misleading-content", "--use", "ideation")
    assert run(db, "revoke", "NFLX-GAI-0002", "--reason", "dropped").exit_code == 0
    for fmt in ("csv", "json"):
        exported = tmp_path / f"export.{fmt}"
        assert run(db, "export", "--format", fmt, "--output", str(exported)).exit_code == 0
        copy = tmp_path / f"copy-{fmt}.db"
        assert run(copy, "init").exit_code == 0
        result = run(copy, "import", str(exported))
        assert result.exit_code == 0, result.output
        assert run(copy, "export", "--format", fmt).output == exported.read_text(encoding="utf-8")
    original = json.loads(run(db, "export").output)
    assert original[0]["conditions"] == "background; episode 3"


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_tamper_with_the_sqlite3_shell_is_named_by_verify(db, store_kind):
    if store_kind != "sqlite":
        pytest.skip("the sqlite3 shell edits SQLite files; PostgreSQL tampering is in test_ledger_store.py")
    add(db, "NFLX-GAI-0001", "--sha256", SHA_A, "--category", "final-deliverable")
    add(db, "NFLX-GAI-0002", "--path", SEQ, "--category", "final-deliverable")
    ok = run(db, "verify")
    assert ok.exit_code == 0 and "intact" in ok.output
    blocked = subprocess.run(["sqlite3", str(db), "UPDATE events SET actor = 'mallory' WHERE seq = 2;"],
                             capture_output=True, text=True)
    assert blocked.returncode != 0 and "append-only" in blocked.stderr
    subprocess.run(["sqlite3", str(db), "DROP TRIGGER events_no_update; "
                    "UPDATE events SET actor = 'mallory' WHERE seq = 2;"], check=True)
    broken = run(db, "verify")
    assert broken.exit_code == 1
    assert broken.output.splitlines()[1].strip().startswith("event 2 (grant NFLX-GAI-0001): hash does not match")
    data = json.loads(run(db, "verify", "--format", "json").output)
    assert not data["ok"] and any("events_no_update is missing" in p for p in data["problems"])


def test_concurrent_cli_adds(db):
    # Each process runs the real console entry point five times, as a shell loop would.
    script = ("import sys\nfrom provenance.cli import main\n"
              "path, worker = sys.argv[1], int(sys.argv[2])\n"
              "for n in range(5):\n"
              "    sys.argv = ['provenance', 'ledger', '--ledger', path, 'add', '--ref', f'P{worker}-{n}',"
              " '--sha256', f'{worker:032x}{n:032x}', '--category', 'final-deliverable', '--approver', 'x']\n"
              "    try:\n        main()\n    except SystemExit as e:\n        assert not e.code, e.code\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), str(w)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for w in range(4)]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    assert len(json.loads(run(db, "list", "--format", "json").output)) == 20
    assert run(db, "verify").exit_code == 0


def test_supersede_back_and_forth_is_refused(db):
    add(db, "H-1", "--sha256", SHA_A, "--category", "final-deliverable")
    add(db, "H-2", "--sha256", SHA_A, "--category", "final-deliverable")
    assert run(db, "supersede", "H-1", "--by", "H-2").exit_code == 0
    back = run(db, "supersede", "H-2", "--by", "H-1")
    assert back.exit_code == 2 and len(back.output.strip().splitlines()) == 1
    assert "H-1 is superseded by H-2" in back.output
    assert listed(db) == {"H-1": "superseded", "H-2": "active"}


def test_import_header_only_with_an_unknown_column_is_refused(db, tmp_path):
    source = tmp_path / "approvals.csv"
    source.write_text("ref,path,category,approver,bogus\n", encoding="utf-8")
    result = run(db, "import", str(source))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "approvals.csv line 1: unknown column 'bogus'" in result.output
    source.write_text("ref,path,category,approver\n", encoding="utf-8")  # known columns, no rows: fine
    assert run(db, "import", str(source)).exit_code == 0


@pytest.mark.parametrize("head", ["abc", "g" * 64, "a" * 63, "a" * 65])
def test_verify_malformed_expect_head_is_a_usage_error(db, head):
    add(db, "NFLX-GAI-0001", "--sha256", SHA_A, "--category", "final-deliverable")
    result = run(db, "verify", "--expect-head", head)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert f"--expect-head {head!r} is not a head hash" in result.output


def test_verify_expect_head_accepts_the_printed_head_in_any_case(db):
    add(db, "NFLX-GAI-0001", "--sha256", SHA_A, "--category", "final-deliverable")
    head = json.loads(run(db, "verify", "--format", "json").output)["head"]
    assert run(db, "verify", "--expect-head", head.upper()).exit_code == 0
    assert run(db, "verify", "--expect-head", "0" * 64).exit_code == 1
