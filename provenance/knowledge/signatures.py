"""Generator signatures as data.

Scanners do not decide what is AI. They extract raw fields, each with a
location such as ``png:tEXt:parameters`` or ``id3:TXXX:comment``, and hand
them to :func:`match_fields`, which applies the ``RULES`` table below. Adding a
generator is one row here plus a test.

Location patterns are case-insensitive ``fnmatch`` globs over the location.
A rule's ``value`` regex is searched in the field's value (``None`` means the
field's presence is the signal). ``requires`` names other locations that must
also be present in the same file; ``variants`` refine the generator name from
the value (Forge and SD.Next write A1111 infotext).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from provenance.knowledge.dst import DST_TABLE, dst_term
from provenance.models import Confidence, Evidence, Signal, trim

G = Signal.GENERATED
M = Signal.MODIFIED
N = Signal.NOT_GENERATIVE
I = Signal.INFO  # noqa: E741 - short on purpose: the table reads as a grid
DECL = Confidence.DECLARATION
TOOL = Confidence.TOOL_RECORD
HEUR = Confidence.HEURISTIC


@dataclass(frozen=True, slots=True)
class Field:
    """One raw metadata field as a scanner found it."""

    location: str
    value: str


@dataclass(frozen=True)
class Rule:
    generator: str | None
    signal: Signal
    confidence: Confidence
    locations: tuple[str, ...]
    value: re.Pattern[str] | None = None
    requires: tuple[str, ...] = ()
    variants: tuple[tuple[re.Pattern[str], str], ...] = ()
    note: str = ""
    # The field's own value names the generator (IPTC AISystemUsed); a companion
    # location, when present, adds its value (AISystemVersionUsed).
    generator_from_value: bool = False
    version_from: str = ""


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


# Text that only a diffusion front end writes: A1111 "infotext".
A1111_INFOTEXT = r"Steps: \d+,.*(Sampler|CFG scale|Seed): "
# A ComfyUI API or UI graph serialised as JSON.
COMFY_GRAPH = r'"class_type"\s*:|"last_node_id"\s*:|"links"\s*:\s*\[\s*\[|"nodes"\s*:\s*\[\s*\{\s*"id"'
# JSON holding a seed, a step count and a sampler, guidance scale or prompt, keys
# in any order: what every diffusion front end records (mflux writes no sampler,
# only seed/steps/guidance/prompt). Anchored at the start so the lookaheads run
# once, not once per character.
GENERATION_JSON = (r'\A\s*\{(?=.*?"seed"\s*:)'
                   r'(?=.*?"(steps|num_inference_steps|ddim_steps)"\s*:)'
                   r'(?=.*?"(sampler(_name)?|scheduler|guidance(_scale)?|cfg(_scale)?|scale|prompt)"\s*:)')
# China's GB 45438-2025 implicit label as a JSON member inside another field
# (EXIF UserComment, a comment tag): {"AIGC": {"Label": "1", ...}}, possibly as
# an escaped JSON string. Label 1 = generated, 2/3 = possibly/suspected.
AIGC_MEMBER = r'\bAIGC\\?"?\s*[:=]\s*"?\{[^{}]{0,512}?\\?"Label\\?"\s*:\s*\\?"?%s\b'
# A1111 Extras tab (run_postprocessing writes ``postprocessing``, before 1.6 ``extras``):
# a neural upscaler or face restorer named, not Lanczos/Nearest resampling.
A1111_POSTPROCESS_MODEL = (r"\b(R-ESRGAN|ESRGAN|Real-?ESRGAN|SwinIR|LDSR|ScuNET|DAT|HAT|GFPGAN|CodeFormer)"
                           r"|upscaler(\s*2)?:\s*(?!\s*(Lanczos|Nearest|None)\b)[^,\n]*\d+x"
                           r"|\b\d+x[-_ ]?\w*(UltraSharp|AnimeSharp|Remacri|NMKD|Foolhardy)")
# Fields where a tool writes its own name.
SOFTWARE_FIELDS = (
    "*:software",
    "*:creatortool",
    "*:xmp:creatortool",
    "*:©too",
    "*:encoder",
    "*:isft",
    "*:tsse",
    "*:tenc",
    "*:writer",
    "*:creator",
    "*:originator",
    "*:encoded_by",
    "*:encodedby",
    "*:claim_generator",
    "*:claim_generator_info",
    "vorbis:vendor",
    # MXF Identification sets: one per application that wrote or changed the file.
    "mxf:identification:productname",
    "mxf:identification:companyname",
    # Free-form tags whose name says "the tool that made this" (MXF user comments, PNG/Vorbis keys).
    "*:generator",
    "mxf:taggedvalue:application",
    "mxf:taggedvalue:tool",
)
# Fields that name a person, not a tool: a photographer called "Sora" is not OpenAI.
PERSON_FIELDS = ("xmp:*dc:creator", "xmp:*:author*", "xmp:*:captionwriter", "*:artist")
# Names of generative tools, matched as whole words in software fields.
GENERATIVE_SOFTWARE = (
    (r"\bNovelAI\b", "NovelAI"),
    (r"\bFooocus\b", "Fooocus"),
    (r"\bDraw ?Things\b", "Draw Things"),
    (r"\bMidjourney\b", "Midjourney"),
    (r"\bDALL[·\-. ]?E\b", "OpenAI DALL-E"),
    (r"\bChatGPT\b|\bGPT-4o\b|\bgpt-image-\d", "OpenAI ChatGPT"),
    (r"\bImage Creator from Designer\b|\bBing Image Creator\b|\bMicrosoft Designer\b|\bMicrosoft_Responsible_AI\b",
     "Microsoft Designer"),
    (r"\bStable ?Diffusion\b", "Stable Diffusion"),
    (r"\bComfyUI\b", "ComfyUI"),
    (r"\bInvokeAI\b", "InvokeAI"),
    (r"\bAUTOMATIC1111\b|\bstable-diffusion-webui\b", "AUTOMATIC1111"),
    (r"\bSD\.Next\b", "SD.Next"),
    (r"\bSwarmUI\b|\bStableSwarmUI\b", "SwarmUI"),
    (r"\bDiffusionBee\b", "DiffusionBee"),
    (r"\bAdobe[ _]Firefly\b", "Adobe Firefly"),
    (r"\bLeonardo\.?ai\b", "Leonardo.ai"),
    (r"\bIdeogram\b", "Ideogram"),
    (r"\bRunway ?(ML|Gen-?\d)\b", "Runway"),
    (r"\bSora\b", "OpenAI Sora"),
    (r"\bSuno\b", "Suno"),
    (r"\bUdio\b", "Udio"),
    (r"\bElevenLabs\b", "ElevenLabs"),
    (r"\bmflux\b", "mflux"),
    (r"\bKling\b", "Kling"),
    (r"\bDream ?Machine\b", "Luma Dream Machine"),
)


# Generative tools as C2PA manifests name them (softwareAgent, claim generator, action
# description). Read only where a manifest declares no DigitalSourceType (Microsoft Designer,
# Stability, older Bing): the DigitalSourceType, where present, decides.
C2PA_GENERATIVE_TOOLS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"\bGPT-?4o\b", "OpenAI GPT-4o"),
        (r"\bDALL[·\-. ]?E\b", "OpenAI DALL-E"),
        (r"\bSora\b", "OpenAI Sora"),
        (r"\bChatGPT\b", "OpenAI ChatGPT"),
        (r"\bAdobe[ _]Firefly\b", "Adobe Firefly"),
        (r"\bgpt-image-\d", "OpenAI gpt-image"),
        (r"\bImage Creator from Designer\b|\bBing Image Creator\b", "Microsoft Image Creator"),
        (r"\bMicrosoft[ _]Responsible[ _]AI\b", "Microsoft Responsible AI"),
        (r"\bMAI-Image-\d", "Microsoft MAI-Image"),
        (r"\bStability[ _]AI\b", "Stability AI"),
        (r"\bStable[ _](Diffusion|Image|Audio|Video)\b", "Stability AI"),
        (r"\bMidjourney\b", "Midjourney"),
        (r"\bGoogle Imagen\b|\bImagen [2-9]\b", "Google Imagen"),
        (r"\bRunway[ _]?(ML|Gen-?\d)\b", "Runway"),
        (r"\bSuno\b", "Suno"),
        (r"\bCreated by Google Generative AI\b", "Google generative AI"),
        (r"\bAI Generated Image\b", "AI image generator"),
    )
)


# A generator's own page for the generated item, as its download writes it into the
# file's source-URL field (ID3 WOAS "official audio source webpage"). Only the
# generator links there, so it is a tool record; a comment that mentions such a
# URL is someone writing about the item, and stays out of these locations.
SOURCE_URL_FIELDS = ("id3:woas", "id3:woaf", "xmp:*dc:source")
GENERATOR_ITEM_PAGES = (
    (r"\A\s*https?://(www\.|app\.)?suno\.(com|ai)/song/[0-9a-f]{8}-?[0-9a-f]{4}", "Suno"),
    (r"\A\s*https?://(www\.)?udio\.com/songs/[A-Za-z0-9]{10,}", "Udio"),
    (r"\A\s*https?://(www\.)?midjourney\.com/jobs/[0-9a-f]{8}-[0-9a-f]{4}-", "Midjourney"),
)


def _item_page_rules() -> tuple[Rule, ...]:
    return tuple(
        Rule(name, G, TOOL, SOURCE_URL_FIELDS, _re(pattern),
             note="source URL is the generator's own page for this item")
        for pattern, name in GENERATOR_ITEM_PAGES
    )


def _software_rules() -> tuple[Rule, ...]:
    return tuple(
        Rule(name, G, TOOL, SOFTWARE_FIELDS, _re(pattern), note="generative tool named as the writing software")
        for pattern, name in GENERATIVE_SOFTWARE
    )


RULES: tuple[Rule, ...] = (
    # --- explicit declarations -------------------------------------------------
    Rule("NovelAI", G, DECL, ("png:*:title",), _re(r"^\s*AI generated image\s*$"),
         note="NovelAI titles its images 'AI generated image'"),
    Rule("Google generative AI", M, DECL, ("*:credit",), _re(r"\bEdited with Google AI\b"),
         note="Google Photos credits generative edits (Magic Editor, Reimagine) 'Edited with Google AI'"),
    Rule("Google generative AI", G, DECL, ("*:credit",),
         _re(r"\bMade with Google AI\b|\bGoogle (Generative )?AI\b|\bGoogle Imagen\b|\bImagen [2-9]\b"
             r"|\bGemini (AI|app)\b"),
         note="Google writes photoshop:Credit 'Made with Google AI'; a bare 'Google', 'Imagen' or 'Gemini' credit "
              "(an agency, a studio) is not enough"),
    Rule(None, G, DECL, ("*:description", "*:title", "*:usercomment"),
         _re(r"^\s*(AI[- ]generated (image|content)|Created by Google Generative AI\.?)\s*$"),
         note="a field that says, in full, that the content was generated"),
    Rule("China AIGC label (GB 45438-2025)", G, DECL, ("*:aigc", "*:tc260:aigc"), _re(r'"?Label"?\s*[:=]\s*"?1\b'),
         note="TC260 implicit label, Label=1: generated"),
    Rule("China AIGC label (GB 45438-2025)", G, HEUR, ("*:aigc", "*:tc260:aigc"), _re(r'"?Label"?\s*[:=]\s*"?[23]\b'),
         note="TC260 implicit label, Label=2/3: possibly or suspected generated"),
    Rule("China AIGC label (GB 45438-2025)", G, DECL, ("*",), _re(AIGC_MEMBER % "1"),
         note="TC260 implicit label carried as an AIGC member of another field's JSON, Label=1: generated"),
    Rule("China AIGC label (GB 45438-2025)", G, HEUR, ("*",), _re(AIGC_MEMBER % "[23]"),
         note="TC260 implicit label inside another field's JSON, Label=2/3: possibly or suspected generated"),
    Rule(None, M, DECL, ("xmp:*:aisystemused",), _re(r"\S"), generator_from_value=True,
         version_from="xmp:*:aisystemversionused",
         note="IPTC 2025.1 AISystemUsed names the AI system (at least modified); the DigitalSourceType decides "
              "generated"),
    Rule(None, M, DECL, ("xmp:*:aisystemversionused",), _re(r"\S"),
         note="IPTC 2025.1 AISystemVersionUsed: the version of the AI system used"),
    Rule(None, I, DECL, ("xmp:*:aipromptinformation", "xmp:*:aipromptwritername"), _re(r"\S"),
         note="IPTC 2025.1 prompt text / prompt writer: shown, not decisive"),
    Rule("Suno", G, DECL, ("*:comment", "*:*:comment", "*:comm", "*:comm:*", "*:©cmt", "*:icmt", "*:description", "*:©des"),
         _re(r"(\A|\n)\s*made with suno\b"),
         note="Suno export comment: it starts with 'made with suno' (a human cover mentioning Suno does not)"),
    # --- generation records (prompts, graphs, sampler settings) ---------------
    Rule("AUTOMATIC1111", G, TOOL, ("*",), _re(A1111_INFOTEXT),
         variants=((_re(r"App: SD\.Next"), "SD.Next"),
                   (_re(r"Version: f\d"), "Forge"),
                   (_re(r"Civitai resources:|civitai"), "Civitai (A1111-style)")),
         note="A1111 infotext: Steps/Sampler/CFG scale/Seed"),
    Rule("SwarmUI", G, TOOL, ("*",), _re(r'"sui_image_params"\s*:'), note="SwarmUI parameters JSON"),
    Rule("Civitai generator", G, TOOL, ("*",), _re(r'"resource-stack"|urn:air:[a-z0-9]+:[a-z]+:civitai:'),
         note="Civitai on-site generator metadata"),
    Rule("ComfyUI", G, TOOL, ("*",), _re(COMFY_GRAPH), note="ComfyUI workflow/prompt graph JSON"),
    Rule("Fooocus", G, TOOL, ("png:*:fooocus_scheme", "*:makernote"), _re(r"^\s*(fooocus|a1111)\s*$"),
         note="Fooocus metadata scheme marker"),
    Rule("Fooocus", G, TOOL, ("*",), _re(r'"(full_prompt|fooocus_scheme|performance)"\s*:.*"(base_model|steps|sharpness)"'),
         note="Fooocus parameters JSON"),
    Rule("Fooocus", G, TOOL, ("*",), _re(r'"version"\s*:\s*"Fooocus v?\d'), note="Fooocus metadata JSON version"),
    Rule("mflux", G, TOOL, ("*",), _re(r'"mflux_version"\s*:'), note="mflux (MLX FLUX) metadata JSON"),
    Rule("AUTOMATIC1111", M, TOOL, ("png:*:postprocessing", "png:*:extras"), _re(A1111_POSTPROCESS_MODEL),
         note="A1111 Extras tab: a neural upscaler / face restorer repainted the image (generated detail)"),
    Rule("NovelAI", G, TOOL, ("*",), _re(r'\\?"Software\\?"\s*:\s*\\?"NovelAI|\\?"signed_hash\\?"\s*:\s*\\?"'),
         note="NovelAI metadata JSON (also the stealth payload)"),
    Rule("Easy Diffusion", G, TOOL, ("*",), _re(r'"use_stable_diffusion_model"\s*:'), note="Easy Diffusion JSON"),
    Rule("InvokeAI", G, TOOL, ("png:*:invokeai_metadata", "png:*:invokeai_graph", "png:*:invokeai_workflow",
                               "png:*:sd-metadata", "*:mdta:invokeai_*"), None,
         note="InvokeAI metadata chunk"),
    Rule("InvokeAI", G, TOOL, ("png:*:dream",), _re(r"-s\s*\d+|-S\s*\d+|-C\s*[\d.]+|-A\s*\w+"),
         note="InvokeAI 'Dream' command line"),
    Rule("NovelAI", G, TOOL, ("png:*:source",), _re(r"^\s*Stable Diffusion( XL)?\b.*[0-9A-F]{8}\s*$"),
         requires=("png:*:software",), note="NovelAI model name + hash in Source"),
    Rule("Easy Diffusion", G, TOOL, ("png:*:prompt", "png:*:Prompt"), _re(r"\S"),
         requires=("png:*:use_stable_diffusion_model",), note="Easy Diffusion keys"),
    Rule("Easy Diffusion", G, TOOL, ("png:*:use_stable_diffusion_model", "png:*:num_inference_steps",
                                     "png:*:negative prompt", "png:*:negative_prompt"), _re(r"\S"),
         note="Easy Diffusion generation keys"),
    Rule("Midjourney", G, TOOL, ("*:description", "*:dc:description"),
         _re(r"Job ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
         note="Midjourney job id in the description"),
    Rule("Draw Things", G, TOOL, ("xmp:*:usercomment",), _re(r'"(c|uc)"\s*:.*"(seed|scale|steps|sampler)"\s*:'),
         note="Draw Things generation JSON"),
    Rule("ComfyUI", G, TOOL, ("exif:*:make",), _re(r"^\s*workflow:\s*\{"), note="ComfyUI WebP: EXIF Make holds the workflow"),
    Rule("ComfyUI", G, TOOL, ("exif:*:model",), _re(r"^\s*prompt:\s*\{"), note="ComfyUI WebP: EXIF Model holds the prompt"),
    Rule("ComfyUI", G, TOOL, ("exif:*:imagedescription",), _re(r"^\s*(workflow|prompt):\s*\{"),
         note="ComfyUI custom save node"),
    Rule(None, G, TOOL, ("*:prompt", "*:txxx:prompt", "*:mdta:prompt"), _re(r"^\s*\{.*\}\s*$"),
         requires=("*:workflow",), note="prompt + workflow graph pair (ComfyUI)"),
    Rule("Stable Diffusion (generic)", G, TOOL, ("*",), _re(r"Negative prompt:.*\bSeed:\s*\d+"),
         note="prompt/negative prompt/seed record"),
    Rule("Stable Diffusion (generic)", G, TOOL, ("*",), _re(GENERATION_JSON),
         note="JSON with seed, sampler and step count: a diffusion generation record"),
    Rule("Civitai generator", G, HEUR, ("exif:*:artist",), _re(r"^\s*ai\s*$"), note="Civitai marks on-site images Artist=ai"),
    Rule(None, I, HEUR, PERSON_FIELDS, None, note="a person's name; never read as a tool name"),
    *_software_rules(),
    *_item_page_rules(),
    Rule("Suno", G, HEUR, ("*:woas", "*:wxxx", "*:wxxx:*", "*:*:wxxx*"), _re(r"suno\.(com|ai)/song/"),
         note="Suno song URL that is not a song id, or in a user-defined link (a link, not a declaration)"),
    Rule("Google", G, HEUR, ("mp4:*:©too", "*:encoder"), _re(r"^\s*Google\s*$"),
         note="Google encoder tag: Veo writes it, so do non-AI Google tools"),
    # --- informative fields (shown, never decisive) -----------------------------
    Rule(None, I, HEUR, SOFTWARE_FIELDS + ("*:make", "*:model", "exr:*nuke/version", "dpx:input_device"), None,
         note="writing software / device"),
    Rule(None, I, HEUR, ("mxf:identification:*", "mxf:taggedvalue:*", "mxf:dm:*"), None,
         note="MXF application identification / user comment / descriptive text"),
    Rule(None, I, HEUR, ("png:cabx",), None, note="C2PA manifest store present (the c2pa scanner validates it)"),
    Rule(None, I, HEUR, ("*:dcterms:provenance",), None, note="reference to a C2PA manifest, possibly remote"),
    Rule(None, I, HEUR, ("xmp:*:digimageguid",), None, note="generator-assigned image id"),
    Rule(None, I, DECL, ("*approvalref", "*:org.provenance.approval"), _re(r"\S"),
         note="approval reference the vendor declared; the audit checks it against the ledger"),
)


MAX_MATCH_CHARS = 256 * 1024


@functools.lru_cache(maxsize=65536)
def _matches(location: str, patterns: tuple[str, ...]) -> bool:
    lowered = location.lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


@functools.lru_cache(maxsize=65536)
def _rules_for(location: str) -> tuple[Rule, ...]:
    # Which rules a location can meet depends on the location alone, and the
    # same few locations repeat on every frame of a sequence: glob-matching
    # them against the whole table per field was most of a scan's CPU time.
    return tuple(rule for rule in RULES if _matches(location, rule.locations))


def match_fields(scanner: str, fields: Sequence[Field]) -> list[Evidence]:
    """Evidence for every field that a rule or the DigitalSourceType table recognises.

    A field yields at most one evidence row: the first matching rule wins, so
    specific rules sit above generic ones in ``RULES``.
    """
    if not fields:
        return []
    present = [f.location for f in fields]
    values = {f.location: f.value for f in fields}
    out: list[Evidence] = []
    for fld in fields:
        if len(fld.value) <= MAX_CACHED_VALUE_CHARS:
            evidence = _field_evidence(scanner, fld.location, fld.value)
            if evidence is _PER_FILE:
                evidence = _rule_evidence(scanner, fld, present, values)
        else:
            if len(fld.value) > MAX_MATCH_CHARS:
                # Markers sit at the start of a value; scanning megabytes of graph JSON buys nothing.
                fld = Field(fld.location, fld.value[:MAX_MATCH_CHARS])
            evidence = _dst_evidence(scanner, fld) or _rule_evidence(scanner, fld, present, values)
        if evidence is not None:
            out.append(evidence)
    return out


# Values up to this long have what they say remembered (4,096 of them: a few MB at most).
MAX_CACHED_VALUE_CHARS = 256
_PER_FILE = Evidence("", "", "", Signal.INFO, Confidence.HEURISTIC)  # a marker, never reported


@functools.lru_cache(maxsize=4096)
def _field_evidence(scanner: str, location: str, value: str) -> Evidence | None:
    # The same (location, value) pairs repeat on every frame of a sequence and every file of
    # one tool ("exr:software" = "Nuke 14.0v5"), and a software field meets ~40 rules, each a
    # regex search. What the field says is remembered, unless the file's other fields decide it.
    fld = Field(location, value)
    rules = _rules_matching(location, value)
    if rules and (rules[0].requires or rules[0].generator_from_value):
        return _dst_evidence(scanner, fld) or _PER_FILE
    return _dst_evidence(scanner, fld) or _rule_evidence(scanner, fld, (), {}, rules)


def _dst_evidence(scanner: str, fld: Field) -> Evidence | None:
    lowered = fld.location.lower()
    # IPTC's DigitalSourceFileType (Gemini writes both) takes the same vocabulary.
    if "digitalsourcetype" not in lowered and "digitalsourcefiletype" not in lowered:
        return None
    term = dst_term(fld.value)
    if term is None:
        return None
    signal, meaning = DST_TABLE[term]
    return Evidence(scanner, fld.location, f"{term}: {meaning}", signal, DECL)


def _rules_matching(location: str, value: str) -> tuple[Rule, ...]:
    """The rules for ``location`` that ``value`` meets, in table order, up to the first without
    ``requires`` (nothing after it can win)."""
    out = []
    for rule in _rules_for(location):
        if rule.value is None or rule.value.search(value):
            out.append(rule)
            if not rule.requires:
                break
    return tuple(out)


def _rule_evidence(scanner: str, fld: Field, present: Sequence[str], values: dict[str, str],
                   rules: tuple[Rule, ...] | None = None) -> Evidence | None:
    for rule in _rules_matching(fld.location, fld.value) if rules is None else rules:
        if rule.requires and not all(
            any(_matches(loc, (req,)) for loc in present if loc != fld.location) for req in rule.requires
        ):
            continue
        generator = rule.generator
        for pattern, name in rule.variants:
            if pattern.search(fld.value):
                generator = name
                break
        if rule.generator_from_value:
            generator = _named_generator(fld.value, rule.version_from, values)
        return Evidence(scanner, fld.location, trim(fld.value), rule.signal, rule.confidence, generator)
    return None


def _named_generator(value: str, version_from: str, values: dict[str, str]) -> str:
    name = trim(" ".join(value.split()), 80)
    version = next((v for loc, v in sorted(values.items()) if version_from and _matches(loc, (version_from,))), "")
    version = trim(" ".join(version.split()), 40)
    if version and version.lower() not in name.lower():
        return f"{name} {version}"
    return name
