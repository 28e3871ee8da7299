"""The scan runner and registry: errors per file, bugs propagate, verdict rules."""

from __future__ import annotations

import pytest

from provenance.errors import InputError
from provenance.models import Confidence, Evidence, ScannerResult, Signal, VerdictKind
from provenance.knowledge.registry import DuplicateScannerError, ScannerRegistry
from provenance.scan import scan_bytes
from provenance.source import ByteSource, ScanInput
from provenance.knowledge.verdict import decide


class _Fixed:
    """A scanner that reports fixed evidence: a test double for the *other* scanners."""

    version = "1"

    def __init__(self, scanner_id: str, *evidence: Evidence, accepts: str = "image/png") -> None:
        self.id = scanner_id
        self._evidence = evidence
        self._accepts = accepts

    def accepts(self, media_type: str) -> bool:
        return media_type == self._accepts

    def scan(self, item: ScanInput) -> ScannerResult:
        return ScannerResult(evidence=self._evidence)


class _Broken:
    id = "broken"
    version = "1"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def accepts(self, media_type: str) -> bool:
        return True

    def scan(self, item: ScanInput) -> ScannerResult:
        raise self.exc


def _ev(signal: Signal, confidence: Confidence = Confidence.TOOL_RECORD, gen: str | None = None, loc: str = "x:y") -> Evidence:
    return Evidence("t", loc, "v", signal, confidence, gen)


def _item() -> ScanInput:
    return ScanInput(path="a.png", media_type="image/png", source=ByteSource.from_bytes(b"\x89PNG"))


def test_registry_rejects_duplicate_ids_and_names_known_ones() -> None:
    reg = ScannerRegistry([_Fixed("a")])
    with pytest.raises(DuplicateScannerError):
        reg.register(_Fixed("a"))
    with pytest.raises(KeyError, match="known scanners: a"):
        reg.get("zzz")


def test_registry_filters_on_media_type() -> None:
    reg = ScannerRegistry([_Fixed("png"), _Fixed("wav", accepts="audio/wav")])
    assert [s.id for s in reg.for_media_type("audio/wav")] == ["wav"]


def test_input_error_becomes_per_file_error_and_other_scanners_still_run() -> None:
    gen = _ev(Signal.GENERATED, gen="ComfyUI")
    reg = ScannerRegistry([_Broken(InputError("png-truncated", "cut short")), _Fixed("ok", gen)])
    result = scan_bytes(_item(), reg)
    assert [(e.code, e.scanner) for e in result.errors] == [("png-truncated", "broken")]
    assert result.evidence == (gen,)


def test_bug_propagates_when_asked_and_is_recorded_otherwise() -> None:
    reg = ScannerRegistry([_Broken(ZeroDivisionError("oops"))])
    with pytest.raises(ZeroDivisionError):
        scan_bytes(_item(), reg, propagate_bugs=True)
    result = scan_bytes(_item(), reg)
    assert [e.code for e in result.errors] == ["scanner-bug"]


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ([Signal.GENERATED, Signal.MODIFIED], VerdictKind.AI_GENERATED),
        ([Signal.MODIFIED, Signal.NOT_GENERATIVE], VerdictKind.AI_MODIFIED),
        ([Signal.NOT_GENERATIVE, Signal.INFO], VerdictKind.NO_AI_DECLARED),
        ([Signal.INFO], VerdictKind.NO_EVIDENCE),
        ([], VerdictKind.NO_EVIDENCE),
    ],
)
def test_verdict_precedence(signals: list[Signal], expected: VerdictKind) -> None:
    evidence = [_ev(s, loc=f"l{i}") for i, s in enumerate(signals)]
    assert decide(evidence).kind is expected


def test_heuristics_alone_never_make_an_asset_ai() -> None:
    hint = _ev(Signal.GENERATED, Confidence.HEURISTIC, gen="Suno")
    verdict = decide([hint])
    assert verdict.kind is VerdictKind.NO_EVIDENCE
    assert "Suno" in verdict.reason


def test_verdict_names_generators_and_strongest_evidence_first() -> None:
    weak = _ev(Signal.GENERATED, Confidence.TOOL_RECORD, gen="ComfyUI", loc="png:tEXt:prompt")
    strong = _ev(Signal.GENERATED, Confidence.SIGNED_DECLARATION, gen="Adobe Firefly", loc="c2pa:m:c2pa.actions")
    verdict = decide([weak, strong])
    assert verdict.generators == ("Adobe Firefly", "ComfyUI")
    assert "c2pa:m:c2pa.actions" in verdict.reason and "signed-declaration" in verdict.reason


def test_evidence_values_are_trimmed() -> None:
    ev = Evidence("t", "l", "x" * 100_000, Signal.INFO, Confidence.HEURISTIC)
    assert len(ev.value) <= 401


def test_reads_inside_the_head_match_reads_from_the_file(tmp_path) -> None:
    data = bytes(range(256)) * 600  # larger than the cached head
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    with ByteSource.open(path) as source:
        _ = source.head
        for offset, length in [(0, 10), (65_530, 20), (100_000, 50), (len(data) - 5, 50), (len(data), 1)]:
            assert source.read_at(offset, length) == data[offset : offset + length]
