"""The signature table: generators it must name, and values it must never read as AI."""

from __future__ import annotations

import pytest

from provenance.models import Confidence, Signal
from provenance.knowledge.signatures import Field, match_fields
from provenance.knowledge.verdict import decide

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
INFOTEXT = "a duck\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8"


def verdict(*fields: tuple[str, str]):
    return decide(match_fields("test", [Field(loc, val) for loc, val in fields]))


@pytest.mark.parametrize("fields,generator", [
    ([("png:tEXt:parameters", INFOTEXT)], "AUTOMATIC1111"),
    ([("png:tEXt:parameters", INFOTEXT + ", Version: f2.0.1v1.10.1")], "Forge"),
    ([("png:tEXt:parameters", INFOTEXT + ", App: SD.Next, Parser: a1111")], "SD.Next"),
    ([("png:tEXt:prompt", '{"3": {"class_type": "KSampler"}}')], "ComfyUI"),
    ([("exif:IFD0:Make", 'workflow:{"nodes": []}')], "ComfyUI"),
    ([("png:tEXt:invokeai_metadata", '{"positive_prompt": "x"}')], "InvokeAI"),
    ([("png:tEXt:Dream", '"a cat" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms')], "InvokeAI"),
    ([("png:tEXt:Title", "AI generated image")], "NovelAI"),
    ([("stealth:alpha:stealth_pngcomp", '{"Software": "NovelAI", "Comment": "{}"}')], "NovelAI"),
    ([("png:tEXt:fooocus_scheme", "fooocus")], "Fooocus"),
    ([("exif:IFD0:UserComment", '{"prompt": "x", "version": "Fooocus v2.5.5"}')], "Fooocus"),
    ([("png:tEXt:parameters", '{"sui_image_params": {"prompt": "x"}}')], "SwarmUI"),
    ([("exif:ExifIFD:UserComment", '{"prompt": "x", "use_stable_diffusion_model": "sd"}')], "Easy Diffusion"),
    ([("xmp:xmp:CreatorTool", "Draw Things")], "Draw Things"),
    ([("png:tEXt:Description", "a fox --ar 4:5 Job ID: d95be554-d446-4c51-ad75-e00d9f9bbb35")], "Midjourney"),
    ([("exif:ExifIFD:UserComment", '{"resource-stack": {}}')], "Civitai generator"),
    ([("xmp:photoshop:Credit", "Made with Google AI")], "Google generative AI"),
    ([("xmp:TC260:AIGC", '{"Label": "1", "ContentProducer": "x"}')], "China AIGC label (GB 45438-2025)"),
    ([("exif:IFD0:Software", "Adobe Firefly")], "Adobe Firefly"),
    ([("c2pa:m:claim_generator", "Microsoft_Responsible_AI/1.0")], "Microsoft Designer"),
    ([("c2pa:m:claim_generator_info", "ChatGPT")], "OpenAI ChatGPT"),
])
def test_generators_are_named(fields: list[tuple[str, str]], generator: str) -> None:
    v = verdict(*fields)
    assert v.kind.is_ai, v.reason
    assert generator in v.generators


def test_generation_json_keys_in_any_order() -> None:
    assert verdict(("exif:ExifIFD:UserComment", '{"steps": 30, "seed": 7, "sampler_name": "euler"}')).kind.is_ai
    assert not verdict(("exif:ExifIFD:UserComment", '{"seed": 7, "note": "steps"}')).kind.is_ai


@pytest.mark.parametrize("location", ["xmp:Iptc4xmpExt:DigitalSourceType", "xmp:Iptc4xmpExt:DigitalSourceFileType",
                                      "xmp:sidecar:Iptc4xmpExt:DigitalSourceType"])
def test_dst_locations(location: str) -> None:
    assert verdict((location, "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")).kind.is_ai


def test_composite_dst_is_modified() -> None:
    assert verdict(("xmp:Iptc4xmpExt:DigitalSourceType", DST + "compositeWithTrainedAlgorithmicMedia")).kind.value == "ai-modified"


@pytest.mark.parametrize("fields", [
    [("exif:IFD0:Make", "Google"), ("exif:IFD0:Model", "Pixel 8 Pro"), ("exif:IFD0:Software", "HDR+ 1.0")],
    [("exif:IFD0:Make", "Canon"), ("exif:IFD0:ImageDescription", "OLYMPUS DIGITAL CAMERA")],
    [("xmp:photoshop:Credit", "Reuters / Google Images")],
    [("xmp:photoshop:Credit", "Imagen Studio Madrid")],
    [("xmp:photoshop:Credit", "Gemini Photography")],
    [("png:tEXt:Comment", "holiday at the lake")],
    [("xmp:dc:creator", "Sora Tanaka")],
    [("exif:IFD0:Artist", "Midjourney fan club")],
    [("xmp:Iptc4xmpExt:DigitalSourceType", DST + "algorithmicMedia")],
    [("xmp:Iptc4xmpExt:DigitalSourceType", DST + "digitalCapture")],
    [("png:caBX", "C2PA manifest store, 900 bytes")],
    [("xmp:dcterms:provenance", "https://cai-manifests.adobe.com/manifests/x")],
    [("xmp:xmp:CreatorTool", "Adobe Photoshop 25.0 (Macintosh)")],
    [("png:tEXt:prompt", "a cat on a sofa")],  # a lone plain 'prompt' is not a record
])
def test_never_ai(fields: list[tuple[str, str]]) -> None:
    v = verdict(*fields)
    assert not v.kind.is_ai, v.reason


def test_camera_fields_only_give_info() -> None:
    evidence = match_fields("exif", [Field("exif:IFD0:Make", "Google"), Field("exif:IFD0:Model", "Pixel 9")])
    assert {e.signal for e in evidence} == {Signal.INFO}


def test_civitai_artist_ai_is_only_a_hint() -> None:
    (ev,) = match_fields("exif", [Field("exif:IFD0:Artist", "ai")])
    assert ev.confidence is Confidence.HEURISTIC and ev.signal is Signal.GENERATED
    assert not decide([ev]).kind.is_ai


def test_huge_values_are_matched_on_a_bounded_prefix() -> None:
    value = INFOTEXT + "x" * 5_000_000
    (ev,) = match_fields("png", [Field("png:tEXt:parameters", value)])
    assert ev.generator == "AUTOMATIC1111" and len(ev.value) < 1000


@pytest.mark.parametrize("fields,kind,generator", [
    ([("exif:ExifIFD:UserComment", '{"AIGC": {"Label": "1", "ContentProducer": "0011911101"}}')],
     "ai-generated", "China AIGC label (GB 45438-2025)"),
    ([("exif:IFD0:XPComment", '{"AIGC": "{\\"Label\\": \\"1\\", \\"ProduceID\\": \\"7\\"}"}')],
     "ai-generated", "China AIGC label (GB 45438-2025)"),
    ([("exif:ExifIFD:UserComment", '{"prompt": "a fox", "seed": 7, "steps": 4, "guidance": 3.5}')],
     "ai-generated", "Stable Diffusion (generic)"),
    ([("exif:ExifIFD:UserComment", '{"model": "schnell", "seed": 7, "mflux_version": "0.9.3"}')],
     "ai-generated", "mflux"),
    ([("png:tEXt:postprocessing", "Postprocess upscale by: 4, Postprocess upscaler: R-ESRGAN 4x+")],
     "ai-modified", "AUTOMATIC1111"),
    ([("png:tEXt:extras", "GFPGAN visibility:1.0")], "ai-modified", "AUTOMATIC1111"),
    ([("xmp:photoshop:Credit", "Edited with Google AI")], "ai-modified", "Google generative AI"),
    ([("xmp:photoshop:Credit", "Made with Google AI")], "ai-generated", "Google generative AI"),
    ([("id3:COMM", "made with suno studio; created=2025-06-01; id=1")], "ai-generated", "Suno"),
    ([("exif:ExifIFD:UserComment", '{"Software": "NovelAI", "Comment": "{\\"signed_hash\\": \\"x\\"}"}')],
     "ai-generated", "NovelAI"),
])
def test_variant_rules(fields: list[tuple[str, str]], kind: str, generator: str) -> None:
    v = verdict(*fields)
    assert v.kind.value == kind, v.reason
    assert generator in v.generators


@pytest.mark.parametrize("fields", [
    [("png:tEXt:postprocessing", "Postprocess upscale by: 2, Postprocess upscaler: Lanczos")],
    [("id3:COMM", "live cover of a song originally made with Suno")],
    [("exif:ExifIFD:UserComment", '{"AIGC": {"Label": "0"}}')],
    [("exif:ExifIFD:UserComment", '{"seed": 7, "steps": 3, "note": "a procedural noise bake"}')],
    [("xmp:photoshop:Credit", "Gemini 3 Productions")],
    [("vorbis:TITLE", "made with suno")],  # a title is the artist's words, not the exporter's
])
def test_variant_rules_never_ai(fields: list[tuple[str, str]]) -> None:
    v = verdict(*fields)
    assert not v.kind.is_ai, v.reason


def test_a_remembered_value_still_needs_its_companion_field() -> None:
    # The rules a value meets are remembered per (location, value); whether a rule's
    # required companion field is present must still be decided per file.
    source = ("png:tEXt:Source", "Stable Diffusion XL C1E1DE52")
    alone = match_fields("test", [Field(*source)])
    paired = match_fields("test", [Field(*source), Field("png:tEXt:Software", "NovelAI")])
    alone_again = match_fields("test", [Field(*source)])
    assert [e.generator for e in paired if e.location == source[0]] == ["NovelAI"]
    assert [e.generator for e in alone if e.location == source[0]] == [e.generator for e in alone_again
                                                                       if e.location == source[0]]
    assert "NovelAI" not in {e.generator for e in alone}
