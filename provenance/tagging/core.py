"""Tag files: plain tags first, then the C2PA signature, then the package manifest.

Order matters: signing binds the final bytes, so the XMP/ID3/Vorbis/MP4 tags
go in before the manifest is signed. Each file is staged in temporaries
beside it, verified by reading it back, and only then swapped in (``atomic``).
One file failing does not stop the others; it is reported and left untouched.
Every file is planned (read only) before any is written, and the package
manifest is checked then: if it could not record the run, nothing is written.
"""

from __future__ import annotations

import filecmp
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from provenance.scan import manifest
from provenance.tagging import c2pa_signing
from provenance.errors import InputError, ProvenanceError, UsageError
from provenance.hashing import sha256_file
from provenance.tagging.identity import Identity
from provenance.scan.walk import PACKAGE_MANIFEST_NAME

from . import formats
from .atomic import Staging, check_writable
from .audio_write import declaration_values
from .plan import FilePlan, Placement, TagJob, plan_file
from .spec import C2paMode, TagError
from .verify import verify_staged


@dataclass(frozen=True, slots=True)
class TagOptions:
    c2pa: C2paMode = C2paMode.AUTO
    identity: Identity | None = None
    manifest: Path | None = None  # default: provenance-manifest.json in the files' common folder
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: str
    status: str  # "tagged" | "would-tag" | "failed"
    media_type: str = ""
    writes: tuple[str, ...] = ()
    c2pa: str = "off"  # "embedded" | "sidecar" | "off"
    sha256: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TagReport:
    outcomes: tuple[FileOutcome, ...]
    manifest: str | None = None
    manifest_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.manifest_error is None and all(o.status != "failed" for o in self.outcomes)


def tag_files(jobs: Sequence[TagJob], options: TagOptions) -> TagReport:
    """Tag every job's file; see the module docstring for the order of writes."""
    if not jobs:
        raise UsageError("no files to tag: pass FILE... or --from export.csv")
    if options.c2pa is not C2paMode.OFF and options.identity is None:
        raise UsageError("C2PA signing needs an identity: pass --identity DIR (or set PROVENANCE_IDENTITY), "
                         "or --c2pa off")
    manifest_path = options.manifest or _default_manifest(jobs)
    # Plan every file first (reads only), so the manifest is checked for the
    # files that will really be tagged before any of them is written.
    planned: list[FilePlan | FileOutcome] = []
    for job in jobs:
        try:
            planned.append(plan_file(job, options.c2pa, force=options.force,
                                     embeddable=c2pa_signing.embeddable(_sniffed(job.path))))
        except ProvenanceError as exc:
            planned.append(_failed(job.path, exc))
    to_tag = [p.path for p in planned if isinstance(p, FilePlan)]
    if to_tag and not options.dry_run:
        _check_manifest(manifest_path, to_tag)
    outcomes: list[FileOutcome] = []
    entries: list[manifest.ManifestEntry] = []
    for plan in planned:
        if isinstance(plan, FileOutcome):
            outcomes.append(plan)
            continue
        if options.dry_run:
            outcomes.append(FileOutcome(str(plan.path), "would-tag", plan.media_type,
                                        (*plan.writes, f"entry in {manifest_path}"), _c2pa_word(plan.c2pa)))
            continue
        try:
            outcome = _execute(plan, options)
        except ProvenanceError as exc:
            outcomes.append(_failed(plan.path, exc))
            continue
        outcomes.append(outcome)
        entries.append(_entry(plan, outcome, manifest_path))
    report = TagReport(tuple(outcomes), None if options.dry_run else str(manifest_path))
    if entries:
        try:
            manifest.upsert_entries(manifest_path, entries,
                                    default_vendor=options.identity.name if options.identity else None)
        except (OSError, ValueError) as exc:
            return replace(report, manifest_error=f"{manifest_path}: cannot record the tagged files: {exc}")
    return report


def _failed(path: Path, exc: ProvenanceError) -> FileOutcome:
    return FileOutcome(str(path), "failed", error=str(exc) if isinstance(exc, TagError) else f"{path}: {exc}")


def _execute(plan: FilePlan, options: TagOptions) -> FileOutcome:
    path = plan.path
    check_writable(path)
    decl = plan.declaration
    values = declaration_values(decl)
    with Staging(path) as stage:
        staged_xmp: Path | None = None
        asset: Path | None = None  # the staged new asset bytes; None: asset untouched
        if plan.family is formats.Family.SIDECAR:
            side = formats.xmp_sidecar_path(path)
            staged_xmp = stage.write_temp(side, formats.sidecar_xmp(path, values))
            stage.stage(staged_xmp, side)
        else:
            asset = stage.copy_of_target()
            try:
                formats.write_plain(asset, plan.family, plan.media_type, values, decl.summary())
            except ProvenanceError as exc:
                raise TagError(str(path), f"cannot write the {plan.family} tags: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - mutagen raises many types for files it cannot rewrite
                raise TagError(str(path), f"cannot write the {plan.family} tags: {type(exc).__name__}: {exc}") from exc

        staged_c2pa: Path | None = None
        if plan.c2pa is not Placement.OFF:
            assert options.identity is not None
            source = asset or path
            signed = stage.new_temp(path)
            definition = c2pa_signing.build_manifest(decl.source_type, decl.tool_name, decl.tool_version,
                                                     decl.approval or None, decl.prompt_info or None,
                                                     path.name, plan.action)
            try:
                sidecar_bytes = c2pa_signing.sign_asset(
                    source, signed, identity=options.identity, manifest_definition=definition,
                    mime=plan.media_type, embed=plan.c2pa is Placement.EMBED, parent_manifest=True)
            except (UsageError, InputError) as exc:
                raise TagError(str(path), f"C2PA signing failed: {exc}") from exc
            if plan.c2pa is Placement.EMBED:
                asset = signed
            else:
                # Sidecar mode: c2pa rewrites some containers (MP3, FLAC) and the
                # store binds to the rewritten bytes, which must then be delivered.
                if not filecmp.cmp(source, signed, shallow=False):
                    asset = signed
                c2pa_side = formats.c2pa_sidecar_path(path)
                staged_c2pa = stage.write_temp(c2pa_side, sidecar_bytes)
                stage.stage(staged_c2pa, c2pa_side)

        verify_staged(plan, asset or path, staged_xmp, staged_c2pa, options.identity)
        if asset is not None:
            stage.stage(asset, path)
        stage.commit()
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise TagError(str(path), f"tagged, but cannot hash the result: {exc.strerror or exc}") from exc
    return FileOutcome(str(path), "tagged", plan.media_type, plan.writes, _c2pa_word(plan.c2pa), digest)


def _c2pa_word(placement: Placement) -> str:
    return {Placement.EMBED: "embedded", Placement.SIDECAR: "sidecar", Placement.OFF: "off"}[placement]


def _sniffed(path: Path) -> str:
    from provenance.knowledge.sniff import sniff

    try:
        with open(path, "rb") as fh:
            return sniff(fh.read(64 * 1024))
    except OSError:
        return "application/octet-stream"


def _default_manifest(jobs: Sequence[TagJob]) -> Path:
    folders = [os.path.dirname(os.path.abspath(j.path)) for j in jobs]
    return Path(os.path.commonpath(folders)) / PACKAGE_MANIFEST_NAME


def _check_manifest(manifest_path: Path, paths: Sequence[Path]) -> None:
    """Refuse before any file is written when the manifest could not record the run.

    The same checks ``manifest.upsert_entries`` applies at the end: the
    existing manifest must be fully readable, and every file to be tagged must
    get a valid path relative to the manifest's folder.
    """
    folder = os.path.dirname(os.path.abspath(manifest_path))
    done = "; nothing was tagged"
    if not os.path.isdir(folder):
        raise UsageError(f"manifest {manifest_path}: folder {folder} does not exist; create it or pass "
                         f"--manifest in an existing folder{done}")
    if os.path.isdir(manifest_path):
        raise UsageError(f"manifest {manifest_path} is a folder; pass a file path, e.g. "
                         f"{Path(manifest_path) / PACKAGE_MANIFEST_NAME}{done}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"manifest {manifest_path}: folder {folder} is read-only; make it writable or pass "
                         f"another --manifest{done}")
    try:
        manifest.load_for_update(manifest_path)
    except manifest.ManifestError as exc:
        raise UsageError(f"manifest {exc}; fix it or move it aside, or pass another --manifest{done}") from None
    for path in paths:
        try:
            problem = manifest.path_problem(_manifest_rel(path, manifest_path))
        except ValueError:  # Windows: another drive
            problem = "on another drive"
        if problem:
            raise UsageError(f"manifest {manifest_path}: {path} cannot be listed in it ({problem}); pass "
                             f"--manifest in a folder that contains every file{done}")


def _manifest_rel(path: Path, manifest_path: Path) -> str:
    rel = os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(manifest_path)))
    return Path(rel).as_posix()


def _entry(plan: FilePlan, outcome: FileOutcome, manifest_path: Path) -> manifest.ManifestEntry:
    decl = plan.declaration
    return manifest.ManifestEntry(
        path=_manifest_rel(plan.path, manifest_path),
        sha256=outcome.sha256 or "",
        digital_source_type=decl.source_type_uri,
        size=plan.path.stat().st_size,
        tool=decl.tool,
        approval=decl.approval or None,
        prompt_info=decl.prompt_info or None,
        c2pa={"embedded": "embedded", "sidecar": "sidecar"}.get(outcome.c2pa, "none"),
    )
