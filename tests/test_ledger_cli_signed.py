"""The CLI for shared, signed ledgers: URLs, keys, bundles, checkpoints, require_signed in the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, PngImagePlugin

from provenance.cli import cli
from provenance.hashing import sha256_file
from tests.ledger_stores import PgServer

INFOTEXT = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def run(location: str | Path, *args: str):
    return CliRunner().invoke(cli, ["ledger", "--ledger", str(location), *args], catch_exceptions=False)


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return str(result.output)


def make_key(folder: Path, name: str) -> tuple[Path, str]:
    out = ok(CliRunner().invoke(cli, ["ledger", "keygen", "--name", name, "--out", str(folder)]))
    key_id = next(line.split('"')[1] for line in out.splitlines() if line.startswith("public_key"))
    return folder / (name.lower().replace(" ", "-") + ".key"), key_id


def trust_file(path: Path, name: str, key_id: str, require_signed: bool = True) -> Path:
    path.write_text(f'schema = 1\n[ledger]\nrequire_signed = {str(require_signed).lower()}\n'
                    f'[ledger.approvers."{name}"]\npublic_key = "{key_id}"\n', encoding="utf-8")
    return path


def test_ledger_url_reaches_the_store_unchanged(ledger_location):
    ok(run(ledger_location, "init"))
    ok(run(ledger_location, "add", "--ref", "U-1", "--sha256", "c" * 64, "--category", "final-deliverable",
           "--approver", "Dana Reyes"))
    out = ok(run(ledger_location, "verify"))
    assert out.startswith("ledger intact: 2 events") and "unsigned events: 2" in out


def test_a_foreign_url_is_refused_without_its_password():
    result = CliRunner().invoke(cli, ["ledger", "--ledger", "mysql://dana:hunter2@db/show", "list"])
    assert result.exit_code == 2 and "hunter2" not in result.output and "dana:***@" in result.output


@pytest.mark.parametrize("how", ["wrong password", "refused", "bad url"])
def test_unusable_url_is_one_line_exit_2_and_never_shows_the_password(pg_server: PgServer, how: str):
    secret = "s3cr3t-Pa55"
    url = {"wrong password": pg_server.url(password=secret),
           "refused": f"postgresql://dana:{secret}@127.0.0.1:1/ledger",
           "bad url": f"postgresql://dana:{secret}@127.0.0.1:notaport/ledger"}[how]
    result = CliRunner().invoke(cli, ["ledger", "--ledger", url, "verify"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert secret not in result.output and "Traceback" not in result.output
    assert "dana:***@" in result.output or "provenance:***@" in result.output


def test_sign_export_import_between_two_companies(tmp_path: Path, ledger_location: str):
    keys = tmp_path / "keys"
    keys.mkdir()
    key, key_id = make_key(keys, "Dana Reyes")
    policy = trust_file(tmp_path / "trust.toml", "Dana Reyes", key_id)
    studio = tmp_path / "studio.db"
    ok(run(studio, "init"))
    ok(run(studio, "add", "--ref", "S-1", "--sha256", "c" * 64, "--category", "final-deliverable",
           "--approver", "Dana Reyes", "--signing-key", str(key)))
    bundle = tmp_path / "studio.bundle.json"
    ok(run(studio, "export", "--signed", "--output", str(bundle)))
    forged = json.loads(bundle.read_text())
    forged["events"][0]["payload"]["approver"] = "Mallory"
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    ok(run(ledger_location, "init"))
    refused = CliRunner().invoke(cli, ["ledger", "--ledger", ledger_location, "import", str(tmp_path / "forged.json"),
                                       "--policy", str(policy)])
    assert refused.exit_code == 2 and "S-1" in refused.output and "forged" in refused.output
    out = ok(run(ledger_location, "import", str(bundle), "--policy", str(policy)))
    assert "imported 1 signed event(s)" in out
    assert "imported 0 signed event(s)" in ok(run(ledger_location, "import", str(bundle), "--policy", str(policy)))
    verified = json.loads(ok(run(ledger_location, "verify", "--policy", str(policy), "--format", "json")))
    assert verified["ok"] and verified["signatures"] == {}
    assert f"by key {key_id}" in ok(run(ledger_location, "show", "S-1"))


def _ai_png(path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", INFOTEXT)
    Image.new("RGB", (64, 64), (30, 90, 160)).save(path, pnginfo=info)


def test_require_signed_counts_only_trusted_signatures_and_only_from_outside_the_delivery(tmp_path: Path):
    delivery = tmp_path / "ep101"
    delivery.mkdir()
    _ai_png(delivery / "poster.png")
    keys = tmp_path / "keys"
    keys.mkdir()
    dana_key, dana_id = make_key(keys, "Dana Reyes")
    vendor_key, vendor_id = make_key(keys, "Vendor")
    ledger = tmp_path / "approvals.db"
    ok(run(ledger, "init"))
    # The vendor signs an approval in Dana's name with its own key, and trusts that key in the delivery's policy.
    ok(run(ledger, "add", "--ref", "V-1", "--sha256", sha256_file(delivery / "poster.png"), "--category",
           "final-deliverable", "--approver", "Dana Reyes", "--signing-key", str(vendor_key)))
    trust_file(delivery / "provenance.toml", "Dana Reyes", vendor_id)

    def audit(*extra: str) -> dict:
        result = CliRunner().invoke(cli, ["audit", str(delivery), "--ledger", str(ledger), "--format", "json",
                                          "--no-cache", *extra])
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    # Without a trusted policy the delivery's own require_signed/approvers do not count: approved as before.
    assert audit()["assets"][0]["status"] == "approved"
    studio_policy = trust_file(tmp_path / "studio.toml", "Dana Reyes", dana_id)
    data = audit("--policy", str(studio_policy))
    assert data["assets"][0]["status"] == "unapproved"
    assert "unknown-key" in data["assets"][0]["explanation"]
    assert [f["approval"] for f in data["findings"] if f["code"] == "unsigned-approval"] == ["V-1"]
    assert data["ledger"]["require_signed"] is True
    # Dana's own signature counts.
    ok(run(ledger, "add", "--ref", "D-1", "--sha256", sha256_file(delivery / "poster.png"), "--category",
           "final-deliverable", "--approver", "Dana Reyes", "--signing-key", str(dana_key)))
    assert audit("--policy", str(studio_policy))["assets"][0]["status"] == "approved"


def test_audit_report_checkpoint_proves_the_ledger_only_grew(tmp_path: Path):
    delivery = tmp_path / "ep101"
    delivery.mkdir()
    _ai_png(delivery / "poster.png")
    ledger = tmp_path / "approvals.db"
    ok(run(ledger, "init"))
    ok(run(ledger, "add", "--ref", "A-1", "--path", "poster.png", "--category", "final-deliverable",
           "--approver", "Dana Reyes"))
    report = CliRunner().invoke(cli, ["audit", str(delivery), "--ledger", str(ledger), "--format", "json",
                                      "--no-cache"])
    checkpoint = json.loads(report.stdout)["ledger"]["checkpoint"]
    assert checkpoint.startswith("2:")
    ok(run(ledger, "add", "--ref", "A-2", "--path", "other.png", "--category", "final-deliverable",
           "--approver", "Dana Reyes"))
    assert "checkpoint 3:" in ok(run(ledger, "verify", "--checkpoint", checkpoint))
    bad = CliRunner().invoke(cli, ["ledger", "--ledger", str(ledger), "verify", "--checkpoint", "2:" + "0" * 64])
    assert bad.exit_code == 1 and "rewritten since the checkpoint" in bad.output


def test_a_delivery_policy_cannot_send_the_audit_to_a_database(tmp_path: Path):
    delivery = tmp_path / "ep101"
    delivery.mkdir()
    _ai_png(delivery / "poster.png")
    (delivery / "provenance.toml").write_text('schema = 1\n[ledger]\npath = "postgresql://v:pw@203.0.113.9/x"\n')
    result = CliRunner().invoke(cli, ["audit", str(delivery), "--no-cache"], env={"PROVENANCE_LEDGER": None})
    assert result.exit_code == 2 and "counts only from --policy" in result.output
    ledger = tmp_path / "approvals.db"
    ok(run(ledger, "init"))
    with_ledger = CliRunner().invoke(cli, ["audit", str(delivery), "--no-cache", "--ledger", str(ledger)])
    assert with_ledger.exit_code in (0, 1), with_ledger.output  # --ledger wins; the URL is never used
