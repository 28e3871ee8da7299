"""What a vendor declares about a file, validated once, in one place."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from provenance.knowledge.dst import DST_TABLE, dst_term, dst_uri
from provenance.knowledge.verdict import is_version
from provenance.errors import ProvenanceError, UsageError
from provenance.models import Signal

MAX_FIELD_CHARS = 2000


class C2paMode(enum.StrEnum):
    AUTO = "auto"  # embed where the format allows, a sidecar elsewhere
    EMBED = "embed"
    SIDECAR = "sidecar"
    OFF = "off"


class TagError(ProvenanceError):
    """Tagging one file failed; the file is unchanged. Renders as ``path: reason``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class TagConflict(TagError):
    """The file already declares something else; ``--force`` replaces it."""


@dataclass(frozen=True, slots=True)
class Declaration:
    """The AI declaration written into one file."""

    source_type: str  # canonical IPTC/C2PA term, e.g. trainedAlgorithmicMedia
    tool_name: str
    tool_version: str
    approval: str = ""
    prompt_info: str = ""

    @property
    def source_type_uri(self) -> str:
        return dst_uri(self.source_type)

    @property
    def tool(self) -> str:
        return f"{self.tool_name} {self.tool_version}".strip()

    def action(self, has_parent: bool) -> str:
        """``c2pa.edited`` for a modification of a file with C2PA history, else ``c2pa.created``.

        C2PA requires the first action to be created or opened; an edit with no
        parent manifest to open is declared as the creation of this asset, the
        source type (composite...) still saying that AI changed it.
        """
        modified = DST_TABLE[self.source_type][0] is not Signal.GENERATED
        return "c2pa.edited" if modified and has_parent else "c2pa.created"

    def summary(self) -> str:
        """One human-readable line, for comment fields that readers show."""
        parts = [f"AI: {self.source_type}", f"tool: {self.tool}"]
        if self.approval:
            parts.append(f"approval: {self.approval}")
        return "; ".join(parts)


def parse_source_type(value: str) -> str:
    term = dst_term(value or "")
    if term is None:
        raise UsageError(
            f"unknown --source-type {value!r}; use an IPTC DigitalSourceType term such as "
            "trainedAlgorithmicMedia or compositeWithTrainedAlgorithmicMedia"
        )
    return term


def parse_tool(value: str) -> tuple[str, str]:
    """``"VendorGen 2.1"`` -> (``VendorGen``, ``2.1``); ``"Adobe Firefly"`` -> (``Adobe Firefly``, ``""``).

    The last word is the version only when it starts with a digit, or with ``v`` and a digit
    (``2.1``, ``v6``): a tool name alone, even of several words, is accepted as it is.
    """
    text = " ".join((value or "").split())
    if not text:
        raise UsageError('--tool needs the generative tool\'s name, e.g. --tool "VendorGen 2.1" or --tool Midjourney')
    name, _, last = text.rpartition(" ")
    if name and is_version(last):
        return name, last
    return text, ""


def make_declaration(source_type: str, tool: str, approval: str | None = None,
                     prompt_info: str | None = None) -> Declaration:
    name, version = parse_tool(tool)
    for label, text in (("--approval", approval), ("--prompt-info", prompt_info), ("--tool", tool)):
        if text and (len(text) > MAX_FIELD_CHARS or "\x00" in text):
            raise UsageError(f"{label} must be under {MAX_FIELD_CHARS} characters of plain text")
    return Declaration(parse_source_type(source_type), name, version, (approval or "").strip(),
                       (prompt_info or "").strip())
