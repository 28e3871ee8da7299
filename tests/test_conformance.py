"""Conformance over the shared real-file corpus: every row of INDEX.tsv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from provenance.models import C2paState, VerdictKind
from provenance.scan import ScanSettings, scan_tree
from provenance.scanners import default_registry

from .conftest import CORPUS


def _rows() -> list[dict[str, str]]:
    index = CORPUS / "INDEX.tsv"
    if not index.is_file():
        return []
    with index.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _rows()
# Without the corpus, one skipped case that names where it looked (an empty parameter set
# would skip with pytest's generic "got empty parameter set" and no path).
_PARAMS = [pytest.param(r, id=r["file"]) for r in ROWS] or [pytest.param(
    None, id="no-corpus", marks=pytest.mark.skip(reason=f"real-file corpus not found at {CORPUS / 'INDEX.tsv'} "
                                                          "(set PROVENANCE_CORPUS)"))]


@pytest.fixture(scope="module")
def corpus_report(corpus: Path):
    report = scan_tree(corpus, default_registry(), ScanSettings(propagate_bugs=True))
    return {a.path: a for a in report.assets}


@pytest.mark.parametrize("row", _PARAMS)
def test_corpus_row(row: dict[str, str], corpus_report) -> None:
    result = corpus_report[row["file"]]
    expected = row["expected"]
    if expected in ("ai-generated", "ai-modified"):
        assert result.verdict.kind.is_ai, f"{row['file']}: expected {expected}, got {result.verdict.kind}: {result.verdict.reason}"
    else:
        assert not result.verdict.kind.is_ai, f"{row['file']}: false positive: {result.verdict.reason}"
    c2pa = row["c2pa"]
    if c2pa == "invalid":
        assert result.c2pa.state is C2paState.INVALID
    elif c2pa == "remote":
        assert result.c2pa.state is C2paState.REMOTE
    elif c2pa == "valid":
        assert result.c2pa.state in (C2paState.VALID, C2paState.TRUSTED)
    elif c2pa == "error":
        assert result.errors, f"{row['file']}: a hostile container must carry a per-file error"


@pytest.mark.parametrize("row", _PARAMS)
def test_corpus_row_exact_verdict(row: dict[str, str], corpus_report) -> None:
    """Stricter than the class check: generated vs modified too."""
    result = corpus_report[row["file"]]
    if row["expected"] in ("ai-generated", "ai-modified"):
        assert result.verdict.kind is VerdictKind(row["expected"])
