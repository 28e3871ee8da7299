"""The audit freezes the ledger's objects out of garbage collection while it runs, and only then."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from provenance.audit.runner import audit_delivery
from provenance.errors import UsageError
from provenance.ledger import open_ledger


def _delivery(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "delivery"
    root.mkdir()
    (root / "notes.txt").write_text("nothing generated here\n", encoding="utf-8")
    ledger = str(tmp_path / "ledger.db")
    with open_ledger(ledger, create=True) as opened:
        opened.add("GA-1", sha256="ab" * 32, categories=["final-deliverable"], approver="Dana Reyes",
                   approved_on="2026-11-02")
    return root, ledger


def test_the_collector_is_as_it_was_after_an_audit_that_ends_or_fails(tmp_path):
    root, ledger = _delivery(tmp_path)
    assert gc.get_freeze_count() == 0
    result = audit_delivery(root, ledger, None)
    assert result.ledger.state == "ok" and result.ledger.approvals == 1
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(UsageError):
        audit_delivery(root, str(tmp_path / "missing.db"), None)  # a named ledger that is not there
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_caller_that_froze_objects_or_paused_the_collector_keeps_that(tmp_path):
    root, ledger = _delivery(tmp_path)
    gc.freeze()
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        audit_delivery(root, ledger, None)
        assert not gc.isenabled()
        assert gc.get_freeze_count() == frozen  # neither thawed nor added to
    finally:
        gc.enable()
        gc.unfreeze()
