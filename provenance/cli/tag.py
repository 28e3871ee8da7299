"""``provenance identity init`` and ``provenance tag``: the vendor's export side."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance.errors import ProvenanceError
from provenance.tagging.identity import (
    ANCHOR_FILE,
    CHAIN_FILE,
    KEY_FILE,
    Identity,
    anchor_fingerprint,
    create_identity,
    load_identity,
)
from provenance.tagging import (
    C2paMode,
    TagJob,
    TagOptions,
    TagReport,
    jobs_from_csv,
    make_declaration,
    tag_files,
)


class _InputError(click.ClickException):
    """One line on stderr, exit code 2: bad input the user can fix."""

    exit_code = 2


@click.group("identity", epilog="Example:\n\n\b\n  provenance identity init vendor-id/ --name \"Vendor Ltd\"")
def identity_group() -> None:
    """Manage the vendor signing identity used for C2PA credentials."""


@identity_group.command(
    "init",
    epilog="Example:\n\n\b\n  provenance identity init vendor-id/ --name \"Vendor Ltd\"\n"
           "  export PROVENANCE_IDENTITY=$PWD/vendor-id",
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Organisation named in the certificates (default: the directory name).")
def identity_init(directory: Path, name: str | None) -> None:
    """Create a signing identity in DIRECTORY.

    Writes key.pem (mode 0600, keep it secret), chain.pem (leaf + intermediate,
    embedded in every credential) and trust-anchor.pem: the root certificate
    you hand to recipients so they can verify your files as trusted. With a
    certificate from a CA instead, put your key and chain in a directory as
    key.pem and chain.pem, or pass --key and --chain to `provenance tag`.
    """
    try:
        identity = create_identity(directory, name or directory.resolve().name)
    except ProvenanceError as exc:
        raise _InputError(str(exc)) from exc
    click.echo(f"created identity {identity.name!r} in {directory}")
    click.echo(f"  private key   {directory / KEY_FILE} (mode 0600: never share it)")
    click.echo(f"  chain         {directory / CHAIN_FILE}")
    click.echo(f"  trust anchor  {directory / ANCHOR_FILE} (send this to recipients)")
    click.echo(f"  root SHA-256  {anchor_fingerprint(identity)}")
    click.echo("read the root fingerprint to each recipient over the phone; they compare it with "
               f"`openssl x509 -in {ANCHOR_FILE} -noout -fingerprint -sha256`")


@click.command(
    "tag",
    epilog="Example:\n\n\b\n"
           "  provenance tag plate.exr hero.png --source-type trainedAlgorithmicMedia \\\n"
           "      --tool \"VendorGen 2.1\" --approval NFX-GAI-0042 --identity vendor-id/\n"
           "  provenance tag --from export.csv --identity vendor-id/ --dry-run",
)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "from_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of export rows: file,source_type,tool,approval,prompt_info (file relative to the CSV).")
@click.option("--source-type", help="IPTC DigitalSourceType term, e.g. trainedAlgorithmicMedia.")
@click.option("--tool", help='Generative tool, "NAME [VERSION]", e.g. "VendorGen 2.1" or "Midjourney"; the last '
                             'word is the version only if it starts with a digit (or v and a digit).')
@click.option("--approval", help="Reference of the written approval (ticket, email Message-ID, contract clause).")
@click.option("--prompt-info", help="Short description of the prompt or use (IPTC AIPromptInformation).")
@click.option("--c2pa", "c2pa_mode", type=click.Choice(["embed", "sidecar", "off"]),
              help="C2PA credential: embedded, NAME.ext.c2pa sidecar, or none. "
                   "Default: embed where the format allows, a sidecar elsewhere.")
@click.option("--identity", "identity_dir", envvar="PROVENANCE_IDENTITY",
              type=click.Path(file_okay=False, path_type=Path),
              help="Identity directory from `provenance identity init` [env: PROVENANCE_IDENTITY].")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your own PEM private key (with --chain), instead of --identity.")
@click.option("--chain", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your own PEM chain, leaf first, without the root (with --key).")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path),
              help="Package manifest to update [default: provenance-manifest.json in the files' common folder]. "
                   "An existing manifest keeps its vendor and its extension keys.")
@click.option("--dry-run", is_flag=True, help="Say what would be written; write nothing.")
@click.option("--force", is_flag=True, help="Replace a different existing declaration or .c2pa sidecar.")
def tag_command(files: tuple[Path, ...], from_csv: Path | None, source_type: str | None, tool: str | None,
                approval: str | None, prompt_info: str | None, c2pa_mode: str | None, identity_dir: Path | None,
                key: Path | None, chain: Path | None, manifest: Path | None, dry_run: bool, force: bool) -> None:
    """Mark FILES as generative-AI material, with the evidence inside or beside each file.

    Writes the IPTC DigitalSourceType and AI fields in the format's own tags
    (XMP, ID3, Vorbis comments, MP4 atoms; an XMP sidecar for EXR, DPX, MXF),
    then a signed C2PA manifest, and records every file with its sha256 in the
    package manifest. Each file is written to a temporary copy, read back and
    only then swapped in: on failure it is left untouched. Exit code 0 when
    every file was tagged, 1 when some were not, 2 on a usage error.
    """
    try:
        jobs = _jobs(files, from_csv, source_type, tool, approval, prompt_info)
        mode = C2paMode(c2pa_mode) if c2pa_mode else C2paMode.AUTO
        identity = None if mode is C2paMode.OFF else _identity(identity_dir, key, chain)
        report = tag_files(jobs, TagOptions(mode, identity, manifest, dry_run, force))
    except ProvenanceError as exc:
        raise _InputError(str(exc)) from exc
    _render(report, dry_run)
    sys.exit(0 if report.ok else 1)


def _jobs(files: tuple[Path, ...], from_csv: Path | None, source_type: str | None, tool: str | None,
          approval: str | None, prompt_info: str | None) -> list[TagJob]:
    if from_csv is not None:
        if files:
            raise _InputError("pass FILE... or --from CSV, not both")
        defaults = {"source_type": source_type, "tool": tool, "approval": approval, "prompt_info": prompt_info}
        return jobs_from_csv(from_csv.read_text(encoding="utf-8-sig"), from_csv.parent, defaults)
    if not files:
        raise _InputError("no files given: pass FILE... or --from export.csv")
    if not source_type or not tool:
        raise _InputError('--source-type and --tool are required, e.g. --source-type trainedAlgorithmicMedia '
                          '--tool "VendorGen 2.1"')
    declaration = make_declaration(source_type, tool, approval, prompt_info)
    return [TagJob(path, declaration) for path in files]


def _identity(identity_dir: Path | None, key: Path | None, chain: Path | None) -> Identity:
    if key or chain:
        if not (key and chain):
            raise _InputError("--key and --chain go together: pass both, or use --identity DIR")
        return Identity.from_files(key, chain)
    if identity_dir is None:
        raise _InputError("C2PA signing needs an identity: pass --identity DIR, set PROVENANCE_IDENTITY, "
                          "or use --c2pa off")
    return load_identity(identity_dir)


def _render(report: TagReport, dry_run: bool) -> None:
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(f"error: {outcome.error}", err=True)
            continue
        verb = "would tag" if dry_run else "tagged"
        click.echo(f"{verb} {outcome.path} ({outcome.media_type}, C2PA {outcome.c2pa})")
        for line in outcome.writes:
            click.echo(f"  - {line}")
        if outcome.sha256:
            click.echo(f"  sha256 {outcome.sha256}")
    if report.manifest_error:
        click.echo(f"error: {report.manifest_error}", err=True)
    done = sum(o.status != "failed" for o in report.outcomes)
    failed = len(report.outcomes) - done
    summary = f"{done} {'to tag' if dry_run else 'tagged'}, {failed} failed"
    if dry_run:
        summary += "; nothing written (--dry-run)"
    elif done and report.manifest and not report.manifest_error:
        summary += f"; manifest {report.manifest}"
    click.echo(summary)

