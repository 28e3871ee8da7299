from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PROVENANCE_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "INDEX.tsv").is_file():
        pytest.skip(f"real-file corpus not found at {CORPUS} (set PROVENANCE_CORPUS)")
    return CORPUS


@pytest.fixture(autouse=True)
def _private_scan_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans and audits in tests cache into a temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    # Nor does a user's own policy (trusted approver keys) leak into a test.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


from tests.ledger_stores import ledger_location, pg_server, store_kind  # noqa: E402,F401  (shared ledger fixtures)
