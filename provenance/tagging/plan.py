"""What tagging a file would write, decided before anything is written.

The same plan drives ``--dry-run`` (render it) and a real run (execute it), so
the dry run cannot drift from what happens. Bulk rows from an export CSV are
parsed here too.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass
from pathlib import Path

import c2pa

from provenance.knowledge.dst import dst_term
from provenance.errors import UsageError
from provenance.knowledge.sniff import sniff

from . import formats
from .atomic import refuse_symlink
from .c2pa_signing import written_actions
from .spec import C2paMode, Declaration, TagConflict, TagError, make_declaration

HEAD_BYTES = 64 * 1024


class Placement(enum.StrEnum):
    EMBED = "embed"
    SIDECAR = "sidecar"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class TagJob:
    path: Path
    declaration: Declaration


@dataclass(frozen=True, slots=True)
class FilePlan:
    path: Path
    media_type: str
    family: formats.Family
    c2pa: Placement
    declaration: Declaration
    writes: tuple[str, ...]  # human-readable, one line per thing written
    has_parent: bool = False  # the file already carries an embedded C2PA manifest

    @property
    def action(self) -> str:
        return self.declaration.action(self.has_parent)


def plan_file(job: TagJob, mode: C2paMode, *, force: bool, embeddable: bool) -> FilePlan:
    """The plan for one file; raises ``TagError``/``TagConflict`` when it cannot be tagged."""
    path = job.path
    refuse_symlink(path)  # here too, so --dry-run says what a real run would refuse
    if not path.is_file():
        raise TagError(str(path), "no such file")
    try:
        with open(path, "rb") as fh:
            media_type = sniff(fh.read(HEAD_BYTES))
    except OSError as exc:
        raise TagError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    family = formats.family_for(media_type)
    placement = _placement(path, media_type, mode, embeddable)
    _check_existing(path, family, media_type, job.declaration, placement, force)

    has_parent = placement is not Placement.OFF and embeddable and has_manifest(path, media_type)
    # What the signed manifest will really say (c2pa.opened when a parent manifest is opened).
    action = " + ".join(written_actions(job.declaration.source_type, job.declaration.action(has_parent), has_parent))
    writes = [formats.describe(family, media_type, path)]
    parent = "; the existing manifest becomes the parent ingredient" if has_parent else ""
    if placement is Placement.EMBED:
        writes.append(f"signed C2PA manifest embedded in the file ({action}, {job.declaration.source_type}){parent}")
    elif placement is Placement.SIDECAR:
        writes.append(f"signed C2PA manifest in {formats.c2pa_sidecar_path(path).name} "
                      f"({action}, {job.declaration.source_type}){parent}")
    return FilePlan(path, media_type, family, placement, job.declaration, tuple(writes), has_parent)


def has_manifest(path: Path, media_type: str) -> bool:
    """Whether ``path`` embeds a C2PA manifest that can become a parent ingredient."""
    context = c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})
    try:
        with open(path, "rb") as fh:
            reader = c2pa.Reader.try_create(media_type, fh, context=context)
    except (c2pa.C2paError, OSError):
        # Unreadable or remote-only: sign_asset makes the same call and starts a fresh history.
        return False
    if reader is None:
        return False
    reader.close()
    return True


def _placement(path: Path, media_type: str, mode: C2paMode, embeddable: bool) -> Placement:
    if mode is C2paMode.OFF:
        return Placement.OFF
    if mode is C2paMode.SIDECAR:
        return Placement.SIDECAR
    if mode is C2paMode.EMBED and not embeddable:
        raise TagError(str(path), f"C2PA cannot be embedded in {media_type}; use --c2pa sidecar (or the default)")
    return Placement.EMBED if embeddable else Placement.SIDECAR


def _check_existing(path: Path, family: formats.Family, media_type: str, decl: Declaration,
                    placement: Placement, force: bool) -> None:
    if force:
        return
    try:
        existing = formats.read_plain(path, family, media_type)
    except Exception as exc:  # noqa: BLE001 - any reader failure means we cannot merge safely
        raise TagError(str(path), f"cannot read the existing metadata ({exc}); the file may be corrupt") from exc
    old = existing.get("dst")
    if old and dst_term(old) != decl.source_type:
        raise TagConflict(str(path), f"already declares DigitalSourceType {old}; pass --force to replace it "
                                     f"with {decl.source_type}")
    side = formats.c2pa_sidecar_path(path)
    if placement is Placement.SIDECAR and side.exists():
        raise TagConflict(str(path), f"{side.name} already exists and would be replaced; pass --force to re-sign")


# --- bulk rows from an export CSV ----------------------------------------------

CSV_COLUMNS = ("file", "source_type", "tool", "approval", "prompt_info")


def jobs_from_csv(text: str, base: Path, defaults: dict[str, str | None]) -> list[TagJob]:
    """One job per row. ``file`` is relative to ``base`` (the CSV's folder);
    an empty cell falls back to the matching command-line option."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "file" not in header:
        raise UsageError(f"the CSV needs a header row with a 'file' column; columns: {', '.join(CSV_COLUMNS)}")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise UsageError(f"unknown CSV column(s) {', '.join(unknown)}; allowed: {', '.join(CSV_COLUMNS)}")
    jobs = []
    for line_no, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        merged = {col: row.get(col) or defaults.get(col) or "" for col in CSV_COLUMNS}
        if not merged["file"]:
            raise UsageError(f"CSV line {line_no}: the 'file' cell is empty")
        for col in ("source_type", "tool"):
            if not merged[col]:
                raise UsageError(f"CSV line {line_no}: no {col}; fill the column or pass --{col.replace('_', '-')}")
        try:
            decl = make_declaration(merged["source_type"], merged["tool"], merged["approval"], merged["prompt_info"])
        except UsageError as exc:
            raise UsageError(f"CSV line {line_no}: {exc}") from exc
        path = Path(merged["file"])
        jobs.append(TagJob(path if path.is_absolute() else base / path, decl))
    if not jobs:
        raise UsageError("the CSV has no rows: add one row per exported file")
    return jobs
