"""What a C2PA manifest store says about generative AI in *this* asset.

Every manifest in the store is read, ingredients included, but a signal is
mapped through the asset's lineage before it is reported:

* the active manifest's inception (``c2pa.created``, or ``c2pa.opened`` of a
  parent ingredient) decides whether the asset itself was generated; an
  opened parent passes its own lineage down (recursively);
* a generative source type on any later action, or a composite source type,
  means the asset was modified with generative AI;
* a generated component (``componentOf``/``inputTo``) makes the asset modified,
  never generated: a Firefly sticker on a poster does not make the poster AI.

Store JSON comes from hostile files through c2pa-rs, so every field is
type-checked before use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provenance.knowledge.dst import DST_TABLE, dst_term
from provenance.models import Confidence, Evidence, Signal
from provenance.knowledge.signatures import C2PA_GENERATIVE_TOOLS

SCANNER = "c2pa"
MAX_DEPTH = 16
INCEPTIONS = ("c2pa.created", "c2pa.opened")
COMPOSITE_TERMS = frozenset({"compositeWithTrainedAlgorithmicMedia", "compositedWithTrainedAlgorithmicMedia",
                             "compositeSynthetic"})
LEGACY_GENAI_LABEL = "com.adobe.generative-ai"

# Generators that sign C2PA without a digital source type, or that say what
# they are only in a name or description. Used only where no source type is
# declared at all in that manifest.


APPROVAL_PARAMETER = "org.provenance.approval"  # written by `provenance tag --approval`


@dataclass(frozen=True)
class _Ctx:
    manifests: dict[str, Any]
    dst_confidence: Confidence
    integrity_failed: bool


def store_evidence(store: dict[str, Any], integrity_failed: bool) -> list[Evidence]:
    """Evidence for the asset bound to ``store`` (the ``Reader.json()`` dict)."""
    manifests = {k: v for k, v in _dict(store.get("manifests")).items() if isinstance(v, dict)}
    active = store.get("active_manifest")
    if not isinstance(active, str) or active not in manifests:
        return []
    # A broken hard binding means the claims describe other bytes: a generative
    # declaration still shows intent, so it stays (downgraded), but a
    # non-generative one can no longer vouch for these bytes.
    conf = Confidence.DECLARATION if integrity_failed else Confidence.SIGNED_DECLARATION
    ctx = _Ctx(manifests, conf, integrity_failed)
    out: list[Evidence] = []
    seen: set[str] = set()
    _visit(ctx, active, component=False, depth=0, seen=seen, out=out)
    for label in manifests:  # manifests no ingredient points at still count, as parts
        if label not in seen:
            _visit(ctx, label, component=True, depth=0, seen=seen, out=out)
    if not any(e.signal in (Signal.GENERATED, Signal.MODIFIED) for e in out) and not integrity_failed:
        if any(_actions(m) for m in manifests.values()):
            out.append(Evidence(SCANNER, f"c2pa:{active}:c2pa.actions",
                                f"signed history of {len(manifests)} manifest(s) declares no generative step",
                                Signal.NOT_GENERATIVE, conf))
    return out


def _visit(ctx: _Ctx, label: str, *, component: bool, depth: int, seen: set[str], out: list[Evidence]) -> None:
    if label in seen or depth > MAX_DEPTH:
        return
    seen.add(label)
    manifest = ctx.manifests[label]
    actions = _actions(manifest)
    inception = next((a for a in actions if a.get("action") in INCEPTIONS), None)
    parent = _parent_ingredient(manifest, inception)
    created = parent is None and (inception is None or inception.get("action") == "c2pa.created")
    where = f"c2pa:{label}"
    names = _claim_generators(manifest)
    declared_any = False

    for action in actions:
        agent = _agent(action)
        for term in _source_types(action):
            declared_any = True
            signal = _action_signal(term, is_inception=action is inception)
            if ctx.integrity_failed and signal is Signal.NOT_GENERATIVE:
                signal = Signal.INFO
            if component and signal is Signal.GENERATED:
                signal = Signal.MODIFIED
            value = f"{action.get('action')}: {term}" + (f" (agent {agent})" if agent else "")
            gen = _generator(_agent(action, with_version=False), _description(action), names) if signal in (Signal.GENERATED, Signal.MODIFIED) else None
            out.append(Evidence(SCANNER, f"{where}:c2pa.actions", value, signal, ctx.dst_confidence, gen))
        ref = _dict(action.get("parameters")).get(APPROVAL_PARAMETER)
        if not component and depth == 0 and _text(ref):
            # The approval the signer says covers this asset (the audit checks it against the ledger).
            out.append(Evidence(SCANNER, f"{where}:c2pa.actions:{APPROVAL_PARAMETER}", _text(ref), Signal.INFO,
                                ctx.dst_confidence))

    for assertion in _list(manifest.get("assertions")):
        if isinstance(assertion, dict) and str(assertion.get("label", "")).startswith(LEGACY_GENAI_LABEL):
            declared_any = True
            signal = Signal.GENERATED if created and not component else Signal.MODIFIED
            out.append(Evidence(SCANNER, f"{where}:{LEGACY_GENAI_LABEL}", _text(assertion.get("data"))
                                or "generative AI used", signal, ctx.dst_confidence, _generator(None, None, names)))

    named = _tool_names(manifest, where, inception, created and not component, out) if not declared_any else set()
    for name in names:
        if name not in named:
                out.append(Evidence(SCANNER, f"{where}:claim_generator", name, Signal.INFO, Confidence.TOOL_RECORD))

    for ing in _list(manifest.get("ingredients")):
        if not isinstance(ing, dict) or not isinstance(ing.get("active_manifest"), str):
            continue
        child = ing["active_manifest"]
        if child not in ctx.manifests:
            continue
        is_parent = ing is parent
        generated, gen = lineage_generated(ctx.manifests, child)
        if generated:
            signal = Signal.GENERATED if is_parent and not component else Signal.MODIFIED
            role = "parent" if is_parent else str(ing.get("relationship") or "ingredient")
            out.append(Evidence(SCANNER, f"{where}:ingredient:{_text(ing.get('title')) or child}",
                                f"{role} ingredient was generated", signal, ctx.dst_confidence, gen))
        _visit(ctx, child, component=component or not is_parent, depth=depth + 1, seen=seen, out=out)


def lineage_generated(manifests: dict[str, Any], label: str, depth: int = 0,
                      seen: frozenset[str] = frozenset()) -> tuple[bool, str | None]:
    """Whether the asset of manifest ``label`` was generated, and by what."""
    manifest = manifests.get(label)
    if not isinstance(manifest, dict) or label in seen or depth > MAX_DEPTH:
        return False, None
    actions = _actions(manifest)
    inception = next((a for a in actions if a.get("action") in INCEPTIONS), None)
    names = _claim_generators(manifest)
    if inception is not None:
        for term in _source_types(inception):
            if DST_TABLE[term][0] is Signal.GENERATED:
                return True, _generator(_agent(inception, with_version=False), _description(inception), names)
    declared = any(_source_types(a) for a in actions)
    parent = _parent_ingredient(manifest, inception)
    if parent is None and (inception is None or inception.get("action") == "c2pa.created"):
        legacy = any(isinstance(a, dict) and str(a.get("label", "")).startswith(LEGACY_GENAI_LABEL)
                     for a in _list(manifest.get("assertions")))
        if legacy:
            return True, _generator(None, None, names)
        if not declared:
            hit = _tool_match(_name_sources(manifest, inception))
            if hit:
                return True, hit
        return False, None
    if parent is not None and isinstance(parent.get("active_manifest"), str):
        return lineage_generated(manifests, parent["active_manifest"], depth + 1, seen | {label})
    return False, None


def _action_signal(term: str, *, is_inception: bool) -> Signal:
    signal = DST_TABLE[term][0]
    if term in COMPOSITE_TERMS:
        return Signal.MODIFIED
    if signal is Signal.GENERATED and not is_inception:
        return Signal.MODIFIED  # a generative edit of an existing asset
    return signal


def _tool_names(manifest: dict[str, Any], where: str, inception: dict[str, Any] | None,
                generated: bool, out: list[Evidence]) -> set[str]:
    """Evidence from a generative tool name in a manifest that declares no source type.

    One row per manifest: the claim generator is looked at first, then the
    inception's agent and description (Designer names itself in all three).
    """
    for location, text in _name_sources(manifest, inception):
        hit = _tool_match([(location, text)])
        if hit:
            signal = Signal.GENERATED if generated else Signal.MODIFIED
            out.append(Evidence(SCANNER, f"{where}:{location}", text, signal, Confidence.TOOL_RECORD, hit))
            return {text}
    return set()


def _name_sources(manifest: dict[str, Any], inception: dict[str, Any] | None) -> list[tuple[str, str]]:
    sources = [("claim_generator", name) for name in _claim_generators(manifest)]
    if inception is not None and inception.get("action") == "c2pa.created":
        agent, description = _agent(inception), _description(inception)
        if agent:
            sources.append(("c2pa.actions", agent))
        if description:
            sources.append(("c2pa.actions", description))
    return sources


def _tool_match(sources: list[tuple[str, str]]) -> str | None:
    for _, text in sources:
        for pattern, name in C2PA_GENERATIVE_TOOLS:
            if pattern.search(text):
                return name
    return None


def _generator(agent: str | None, description: str | None, names: list[str]) -> str | None:
    """A known tool named anywhere, else the agent, else the claim generator."""
    texts = [t for t in (agent, description, *names) if t]
    return _tool_match([("", t) for t in texts]) or agent or (names[0] if names else None)


def _parent_ingredient(manifest: dict[str, Any], inception: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ingredient the asset derives from.

    For an ``opened`` inception: the ingredient it references, else the
    parentOf one. With no inception at all (older writers: DALL-E 3 through the
    OpenAI API signed an active manifest holding only ``c2pa.converted`` over a
    parentOf ingredient) the parentOf ingredient is the asset's source too.
    """
    ingredients = [i for i in _list(manifest.get("ingredients")) if isinstance(i, dict)]
    if inception is None:
        return next((i for i in ingredients if i.get("relationship") == "parentOf"), None)
    if inception.get("action") != "c2pa.opened":
        return None
    params = _dict(inception.get("parameters"))
    refs: list[str] = []
    for key in ("ingredients", "ingredient"):
        for ref in _list(params.get(key)) if isinstance(params.get(key), list) else [params.get(key)]:
            if isinstance(ref, dict) and isinstance(ref.get("url"), str):
                refs.append(ref["url"].rsplit("/", 1)[-1])
    refs += [r for r in _list(params.get("ingredientIds")) if isinstance(r, str)]
    if isinstance(params.get("instanceId"), str):
        refs.append(params["instanceId"])
    for ing in ingredients:
        if ing.get("label") in refs or (ing.get("instance_id") and ing.get("instance_id") in refs):
            return ing
    return next((i for i in ingredients if i.get("relationship") == "parentOf"), None)


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for assertion in _list(manifest.get("assertions")):
        if isinstance(assertion, dict) and str(assertion.get("label", "")).startswith("c2pa.actions"):
            out += [a for a in _list(_dict(assertion.get("data")).get("actions")) if isinstance(a, dict)]
    return out


def _source_types(action: dict[str, Any]) -> list[str]:
    """Canonical DST terms on an action: the field, then any *digitalSourceType parameter."""
    values = [action.get("digitalSourceType")]
    values += [v for k, v in _dict(action.get("parameters")).items() if str(k).lower().endswith("digitalsourcetype")]
    terms: list[str] = []
    for value in values:
        term = dst_term(value) if isinstance(value, str) else None
        if term and term not in terms:
            terms.append(term)
    return terms


def _agent(action: dict[str, Any], *, with_version: bool = True) -> str | None:
    """softwareAgent: a string in v1 actions, a {name, version} object in v2."""
    agent = action.get("softwareAgent")
    if isinstance(agent, dict):
        parts = [_text(agent.get("name")), _text(agent.get("version")) if with_version else ""]
        return " ".join(p for p in parts if p) or None
    return _text(agent) or None


def _description(action: dict[str, Any]) -> str | None:
    return _text(action.get("description")) or _text(_dict(action.get("parameters")).get("description")) or None


def _claim_generators(manifest: dict[str, Any]) -> list[str]:
    # The structured name ("Adobe Photoshop") reads better than the v1 string.
    names = [_text(_dict(info).get("name")) for info in _list(manifest.get("claim_generator_info"))]
    names.append(_text(manifest.get("claim_generator")))
    return [n for n in dict.fromkeys(names) if n]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
