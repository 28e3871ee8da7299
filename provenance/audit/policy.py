"""The audit policy: where things sit, what they need, how much a gap matters.

A policy is TOML (see ``provenance/data/default_policy.toml``, the documented
built-in default). A file a user supplies is laid over the default: a setting
it leaves out keeps the default's value, so a policy written before a new
status or finding code existed keeps working. What it does say is validated
strictly: an unknown key or value is a one-line error naming the setting and
the fix, because a typo in a gate must never loosen it silently.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from provenance.errors import UsageError
from provenance.scan.globs import glob_regex
from provenance.source.noatime import read_text

POLICY_FILE_NAME = "provenance.toml"
BUILT_IN = "built-in"
CLASSES = ("ideation", "reference", "temporary", "final")  # matching order
STATUSES = ("approved", "unapproved", "expired", "revoked", "stale", "out-of-scope", "needs-review", "clean")
SEVERITIES = ("BLOCKER", "ISSUE", "FYI")  # most severe first
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
VERDICTS = ("ai-generated", "ai-modified", "no-ai-declared", "no-evidence")
REQUIREMENTS = ("approval", "none", "provenance")
FINDING_CODES = ("manifest-missing-file", "manifest-hash-mismatch", "metadata-stripped", "unmatched-approval",
                 "declared-approval-unknown", "unsigned-approval", "timeline-unresolved", "timeline-ambiguous")
C2PA_REVIEWABLE = ("invalid", "expired", "valid", "error", "remote")
_GRADED = tuple(s for s in STATUSES if s != "clean")

from provenance.ledger.backend import is_url
from provenance.ledger.model import LedgerError
from provenance.ledger.trust import LedgerTrust, parse_trust

try:  # the ledger owns these vocabularies; the fallback keeps policy usable on its own
    from provenance.ledger import CATEGORIES as _CATEGORIES
    from provenance.ledger import USES as _USES
except ImportError:  # pragma: no cover - only before the ledger package exists
    _CATEGORIES = ("final-deliverable", "talent-likeness", "personal-data", "third-party-ip",
                   "key-creative-element", "on-screen-element", "union-role", "non-enterprise-tool",
                   "proprietary-input", "unowned-training-data", "misleading-content")
    _USES = ("ideation", "temporary", "final")


class PolicyError(UsageError):
    """A policy file that cannot be used; the message names the setting and the fix."""


@dataclass(frozen=True)
class UseRule:
    approval_uses: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    paths: dict[str, tuple[str, ...]]
    unmatched: str
    verdicts: dict[str, str]
    uses: dict[str, UseRule]
    severity: dict[str, dict[str, str | None]]  # class → status → severity; "findings" → code → severity
    c2pa_review_states: tuple[str, ...]
    trust_anchors: tuple[Path, ...]
    source: str  # "built-in" or the file path
    sha256: str  # of the canonical form, so comments and layout do not change it
    ignore: tuple[str, ...] = ()  # globs of files that are not part of the delivery
    ledger_path: Path | str | None = None  # the ledger (file, or URL string) when neither --ledger nor $PROVENANCE_LEDGER is set
    # Every setting in effect as (dotted key, value, where it came from), in file order.
    settings: tuple[tuple[str, Any, str], ...] = field(default=(), compare=False)
    # Globs of files never grouped into frame sequences (the scan's --no-grouping does the same).
    no_grouping: tuple[str, ...] = ()
    # The file's [ledger] trust settings, parsed once here; the audit uses them only when the file is --policy.
    trust: LedgerTrust = field(default=LedgerTrust(), compare=False)

    def ignored(self, path: str) -> bool:
        return any(glob_regex(g).fullmatch(path) for g in self.ignore)

    def classify(self, path: str) -> str:
        """The use class of an asset path (relative, "/"-separated)."""
        for name in CLASSES:
            if any(glob_regex(g).fullmatch(path) for g in self.paths[name]):
                return name
        return self.unmatched

    def severity_of(self, use: str, status: str) -> str | None:
        if status == "clean":
            return None
        return self.severity[use][status]

    def finding_severity(self, code: str) -> str | None:
        return self.severity["findings"].get(code, "ISSUE")


def load_policy(policy_path: Path | None, delivery_root: Path | None) -> Policy:
    """``--policy`` if given, else ``provenance.toml`` at the delivery root, else the default."""
    if policy_path is None and delivery_root is not None:
        candidate = delivery_root / POLICY_FILE_NAME
        if candidate.is_file():
            policy_path = candidate
    if policy_path is None:
        return parse_policy(default_policy_text(), BUILT_IN, base_dir=None)
    try:
        # O_NOATIME: the policy usually sits in the delivery, whose atimes stay as they were.
        text = read_text(policy_path, encoding="utf-8")[0]
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy {policy_path}: {getattr(exc, 'strerror', None) or exc}; "
                          "pass a readable UTF-8 TOML file with --policy") from None
    return parse_policy(text, str(policy_path), base_dir=policy_path.parent)


def default_policy_text() -> str:
    return resources.files("provenance").joinpath("data/default_policy.toml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _default_raw_json() -> str:
    # Kept as JSON text so every caller gets a fresh, unshared copy to merge into.
    return json.dumps(tomllib.loads(default_policy_text()))


def overlay(base: dict[str, Any], top: dict[str, Any], source: str, base_source: str = BUILT_IN,
            prefix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """``top`` laid over ``base``: tables merge key by key, anything else replaces.

    Returns the merged table and, for every leaf, the dotted key → where it came from.
    """
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key in [*base, *(k for k in top if k not in base)]:
        dotted = prefix + key
        below, above = base.get(key), top.get(key)
        if isinstance(below, dict) and isinstance(above, dict):
            merged[key], inner = overlay(below, above, source, base_source, dotted + ".")
            origins.update(inner)
        elif key in top:
            merged[key] = above
            origins.update(_leaves(above, dotted, source))
        else:
            merged[key] = below
            origins.update(_leaves(below, dotted, base_source))
    return merged, origins


def _leaves(value: Any, dotted: str, origin: str) -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, inner in value.items():
            out.update(_leaves(inner, f"{dotted}.{key}", origin))
        return out
    return {dotted: origin}


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, value))
    return out


def parse_policy(text: str, source: str, base_dir: Path | None) -> Policy:
    """Parse a policy file laid over the built-in default, and validate the result."""
    try:
        own = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML ({exc}); fix the syntax or start from "
                          "`provenance policy init`") from None
    raw, origins = overlay(json.loads(_default_raw_json()), own, source)
    v = _Validator(source)
    v.keys(raw, "", {"schema", "paths", "verdicts", "uses", "severity", "c2pa", "ledger", "sequences"})
    if raw.get("schema") != 1:
        raise PolicyError(f"{source}: schema must be 1 (got {raw.get('schema')!r}); add `schema = 1` at the top")

    paths_raw = v.table(raw, "paths")
    v.keys(paths_raw, "paths", {*CLASSES, "unmatched", "ignore"})
    paths = {name: v.globs(paths_raw, name) for name in CLASSES}
    ignore = v.globs(paths_raw, "ignore") if "ignore" in paths_raw else ()
    unmatched = v.choice(paths_raw, "unmatched", CLASSES, "paths.")

    verdicts_raw = v.table(raw, "verdicts")
    v.keys(verdicts_raw, "verdicts", set(VERDICTS))
    verdicts = {name: v.choice(verdicts_raw, name, REQUIREMENTS, "verdicts.") for name in VERDICTS}

    uses_raw = v.table(raw, "uses")
    v.keys(uses_raw, "uses", set(CLASSES))
    uses = {}
    for name in CLASSES:
        rule = v.table(uses_raw, name, "uses.")
        v.keys(rule, f"uses.{name}", {"approval_uses", "categories"})
        uses[name] = UseRule(v.members(rule, "approval_uses", _USES, f"uses.{name}."),
                             v.members(rule, "categories", _CATEGORIES, f"uses.{name}."))

    sev_raw = v.table(raw, "severity")
    v.keys(sev_raw, "severity", {*CLASSES, "findings"})
    severity: dict[str, dict[str, str | None]] = {}
    for name in CLASSES:
        table = v.table(sev_raw, name, "severity.")
        v.keys(table, f"severity.{name}", set(_GRADED))
        severity[name] = {s: v.severity(table, s, f"severity.{name}.") for s in _GRADED}
    findings = v.table(sev_raw, "findings", "severity.")
    v.keys(findings, "severity.findings", set(FINDING_CODES))
    severity["findings"] = {c: v.severity(findings, c, "severity.findings.") for c in FINDING_CODES}

    c2pa_raw = v.table(raw, "c2pa")
    v.keys(c2pa_raw, "c2pa", {"review_states", "trust_anchors"})
    review = v.members(c2pa_raw, "review_states", C2PA_REVIEWABLE, "c2pa.")
    anchors_raw = v.strings(c2pa_raw, "trust_anchors", "c2pa.")
    if anchors_raw and base_dir is None:
        raise PolicyError(f"{source}: c2pa.trust_anchors needs a policy file to be relative to")
    anchors = tuple((base_dir / a) if base_dir is not None else Path(a) for a in anchors_raw)

    ledger_raw = raw.get("ledger", {})
    if not isinstance(ledger_raw, dict):
        raise PolicyError(f"{source}: [ledger] must be a table; write `[ledger]` then `path = \"approvals.db\"`")
    v.keys(ledger_raw, "ledger", {"path", "require_signed", "approvers"})
    try:  # validated here; they count only from --policy or the user's configuration (ledger.trust)
        trust = parse_trust(ledger_raw, source)
    except LedgerError as exc:
        raise PolicyError(str(exc)) from None
    ledger_rel = ledger_raw.get("path")
    if isinstance(ledger_rel, str) and is_url(ledger_rel):
        ledger_path: Path | str | None = ledger_rel  # a postgresql:// URL, used as written
    elif ledger_rel is not None and (not isinstance(ledger_rel, str) or not ledger_rel or base_dir is None):
        raise PolicyError(f"{source}: ledger.path must be a file path relative to the policy file, "
                          f"or a postgresql:// URL")
    else:
        ledger_path = (base_dir / ledger_rel) if ledger_rel and base_dir is not None else None

    sequences_raw = v.table(raw, "sequences")
    v.keys(sequences_raw, "sequences", {"no_grouping"})
    no_grouping = v.strings(sequences_raw, "no_grouping", "sequences.")
    for glob in no_grouping:
        if not glob or glob.startswith("/") or "\\" in glob or "[" in glob:
            raise v.fail("sequences.no_grouping", f"bad glob {glob!r}",
                         "write globs relative to the delivery root with / ; * ? and ** only")

    canonical = {"schema": 1, "paths": {**{k: list(g) for k, g in paths.items()}, "unmatched": unmatched,
                                        "ignore": list(ignore)},
                 "ledger": {"path": ledger_rel, "require_signed": ledger_raw.get("require_signed", False),
                            "approvers": ledger_raw.get("approvers", {})},
                 "verdicts": verdicts,
                 "uses": {k: {"approval_uses": list(r.approval_uses), "categories": list(r.categories)}
                          for k, r in uses.items()},
                 "severity": severity, "c2pa": {"review_states": list(review), "trust_anchors": list(anchors_raw)}}
    if no_grouping:  # only when set, so the hash of every policy without it stays what it was
        canonical["sequences"] = {"no_grouping": list(no_grouping)}
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    settings = tuple((key, value, origins[key]) for key, value in _flatten(raw))
    return Policy(paths, unmatched, verdicts, uses, severity, review, anchors, source, digest, ignore, ledger_path,
                  settings, no_grouping, trust)


class _Validator:
    """Typed accessors that turn every mistake into one actionable line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, fix: str) -> PolicyError:
        return PolicyError(f"{self.source}: {where}: {problem}; {fix}")

    def keys(self, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(where or "top level", f"unknown setting {unknown[0]!r}",
                            f"use one of {', '.join(sorted(allowed))}")

    def table(self, parent: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
        value = parent.get(key)
        if not isinstance(value, dict):
            raise self.fail(prefix + key, "missing or not a table",
                            f"write [{prefix}{key}] as a table (see `provenance policy init`)")
        return value

    def strings(self, table: dict[str, Any], key: str, prefix: str) -> tuple[str, ...]:
        value = table.get(key)
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise self.fail(prefix + key, "missing or not a list of strings", f'write {key} = ["..."] (or [])')
        return tuple(value)

    def globs(self, table: dict[str, Any], key: str) -> tuple[str, ...]:
        globs = self.strings(table, key, "paths.")
        for g in globs:
            if not g or g.startswith("/") or "\\" in g or "[" in g:
                raise self.fail(f"paths.{key}", f"bad glob {g!r}",
                                "write globs relative to the delivery root with / ; * ? and ** only")
        return globs

    def choice(self, table: dict[str, Any], key: str, allowed: tuple[str, ...], prefix: str) -> str:
        value = table.get(key)
        if value not in allowed:
            raise self.fail(prefix + key, f"{value!r} is not allowed", f"use one of {', '.join(allowed)}")
        return str(value)

    def members(self, table: dict[str, Any], key: str, allowed: tuple[str, ...], prefix: str) -> tuple[str, ...]:
        values = self.strings(table, key, prefix)
        for value in values:
            if value not in allowed:
                raise self.fail(prefix + key, f"unknown value {value!r}", f"use any of {', '.join(allowed)}")
        return tuple(sorted(set(values), key=values.index))

    def severity(self, table: dict[str, Any], key: str, prefix: str) -> str | None:
        value = table.get(key)
        if value == "none":
            return None
        if value not in SEVERITIES:
            raise self.fail(prefix + key, f"severity {value!r} is not allowed",
                            "use BLOCKER, ISSUE, FYI or none")
        return str(value)
