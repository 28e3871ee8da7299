"""Small things seen in the trial (issue 14, item 11)."""

from __future__ import annotations

from provenance.knowledge.verdict import decide
from provenance.models import Confidence, Evidence, Signal


def _ev(location: str, generator: str) -> Evidence:
    return Evidence("c2pa", location, "x", Signal.GENERATED, Confidence.SIGNED_DECLARATION, generator)


def test_a_generator_named_with_and_without_its_version_is_listed_once():
    verdict = decide([_ev("c2pa:softwareAgent", "VendorGen"), _ev("manifest:digital_source_type", "VendorGen 2.1"),
                      _ev("png:tEXt:parameters", "ComfyUI")])
    assert verdict.generators.count("VendorGen 2.1") == 1
    assert "VendorGen" not in verdict.generators and "ComfyUI" in verdict.generators


def test_different_tools_sharing_a_first_word_stay_apart():
    verdict = decide([_ev("a", "Stable Diffusion"), _ev("b", "Stable Diffusion XL")])
    assert set(verdict.generators) == {"Stable Diffusion", "Stable Diffusion XL"}
