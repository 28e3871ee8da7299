"""``provenance identity init`` and signing with a user's own key and chain."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.test_tagging_roundtrip import make_image, run, scan


def test_init_writes_a_protected_key_and_the_anchor(tmp_path: Path) -> None:
    folder = tmp_path / "vendor-id"
    code, out, err = run("identity", "init", folder, "--name", "Vendor Ltd")
    assert code == 0, err
    assert stat.S_IMODE((folder / "key.pem").stat().st_mode) == 0o600
    assert "trust-anchor.pem" in out
    anchor = (folder / "trust-anchor.pem").read_text()
    assert anchor.count("BEGIN CERTIFICATE") == 1
    assert anchor not in (folder / "chain.pem").read_text()  # the root never travels in the chain


def test_init_refuses_an_existing_identity(tmp_path: Path) -> None:
    folder = tmp_path / "vendor-id"
    assert run("identity", "init", folder)[0] == 0
    key = (folder / "key.pem").read_bytes()
    code, _out, err = run("identity", "init", folder)
    assert code == 2 and "already holds an identity" in err and len(err.strip().splitlines()) == 1
    assert (folder / "key.pem").read_bytes() == key


def test_identity_signs_files_that_scan_trusted_only_with_its_anchor(tmp_path: Path) -> None:
    folder = tmp_path / "vendor-id"
    assert run("identity", "init", folder, "--name", "Vendor Ltd")[0] == 0
    other = tmp_path / "other-id"
    assert run("identity", "init", other)[0] == 0
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    png = make_image(delivery / "a.png", "PNG")
    code, _out, err = run("tag", png, "--source-type", "trainedAlgorithmicMedia", "--tool", "X 1", "--identity", folder)
    assert code == 0, err
    assert scan(delivery, folder)["a.png"]["c2pa"]["state"] == "trusted"
    assert scan(delivery, other)["a.png"]["c2pa"]["state"] == "valid"  # signed, but not by a trusted anchor


def test_own_key_and_chain_can_sign(tmp_path: Path) -> None:
    # A CA-issued identity arrives as a key and a chain; the recipient holds the CA root.
    folder = tmp_path / "ca-issued"
    assert run("identity", "init", folder)[0] == 0
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    png = make_image(delivery / "a.png", "PNG")
    code, _out, err = run("tag", png, "--source-type", "trainedAlgorithmicMedia", "--tool", "X 1",
                          "--key", folder / "key.pem", "--chain", folder / "chain.pem")
    assert code == 0, err
    assert scan(delivery, folder)["a.png"]["c2pa"]["state"] == "trusted"


def test_key_without_chain_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "id"
    assert run("identity", "init", folder)[0] == 0
    png = make_image(tmp_path / "a.png", "PNG")
    code, _out, err = run("tag", png, "--source-type", "trainedAlgorithmicMedia", "--tool", "X 1",
                          "--key", folder / "key.pem")
    assert code == 2 and "--key and --chain go together" in err
