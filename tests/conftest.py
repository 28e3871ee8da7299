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
