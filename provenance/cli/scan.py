"""``provenance scan``."""

from __future__ import annotations

import dataclasses
import os
from contextlib import closing
import sys
from pathlib import Path

from typing import Any

import click

from provenance.scan.cache import check_outside, open_cache
from provenance.errors import UsageError
from provenance.scan.executors import default_jobs, open_session
from provenance.scan.multi import scan_paths
from provenance.scan.roots import is_url, parse_argument
from provenance.cli.progress import ProgressBar
from provenance.scan.runner import ScanSettings, scan_tree
from provenance.scan.render import scan_csv_chunks, scan_json_chunks, scan_to_table
from provenance.source import ScanOptions
from provenance.scanners import default_registry

from provenance.cli import debug_requested

from ._common import format_option, checked_output, read_trust_anchors, scan_run_options, write_output
from ._scale import check_paths, scale_options, storage_options


def _check_globs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    for glob in value:
        if not glob or glob.startswith("/") or "\\" in glob or "[" in glob:
            raise click.BadParameter(f"bad glob {glob!r}: write globs relative to the delivery root with / ; "
                                     "* ? and ** only", param_hint="--no-grouping")
    return value


@click.command(
    "scan",
    epilog="Example:\n\n\b\n  provenance scan DELIVERY/\n  provenance scan DELIVERY/ --format json --output scan.json\n"
           "  provenance scan ep101/ ep102/ extra/still.png --format json --output all.json",
)
@click.argument("delivery", nargs=-1, required=True, metavar="PATH...", callback=check_paths)
@format_option("table", "json", "csv", default="table", help="Output format; csv has one row per asset.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), callback=checked_output,
              help="Write the report to this file instead of stdout.")
@click.option("--trust-anchors", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM file of C2PA trust anchors (repeatable; adds to the built-in lists).")
@click.option("--no-default-trust", is_flag=True,
              help="Leave out the built-in C2PA trust lists (see `provenance trust show`).")
@click.option("--follow-symlinks", is_flag=True, help="Follow symlinks that point outside the delivery.")
@click.option("--no-grouping", "no_grouping", multiple=True, metavar="GLOB", callback=_check_globs,
              help="Never group files matching GLOB (e.g. 'stills/**') into frame sequences (repeatable); "
                   "the audit reads the same setting from the policy's sequences.no_grouping.")
@scale_options
@scan_run_options
@click.option("--debug", is_flag=True, help="Let internal errors raise with a traceback (for bug reports).")
def scan_command(delivery: tuple[str, ...], fmt: str, output: Path | None, trust_anchors: tuple[Path, ...],
                 no_default_trust: bool, follow_symlinks: bool, no_grouping: tuple[str, ...], jobs: int | None,
                 cache_path: Path | None, no_cache: bool, quiet: bool, debug: bool, **scale: Any) -> None:
    """Scan each PATH (a delivery folder, an s3:// prefix, or single files) and give every asset a verdict.

    One PATH that is a folder gives that delivery's report. Several PATHs, or
    files, give one report that lists them all, each asset under the PATH it
    was found through.

    Verdicts: ai-generated, ai-modified, no-ai-declared, no-evidence. Exit code
    0 when every file was read fully, 3 when some could not be (they are still
    listed, with their errors), 2 on a usage error.

    Unchanged files (same size, mtime and inode) are answered from a per-user
    scan cache; a progress bar shows on stderr when it is a terminal.
    """
    settings = ScanSettings(
        options=ScanOptions(trust_anchors_pem=read_trust_anchors(trust_anchors), default_trust=not no_default_trust),
        follow_symlinks=follow_symlinks,
        jobs=jobs or default_jobs(),
        executor=scale["executor"],
        propagate_bugs=debug or debug_requested(click.get_current_context()),
        no_grouping=no_grouping,
        scheduler=scale["scheduler"],
    )
    options = storage_options(scale["endpoint_url"], scale["storage_option"])
    settings = dataclasses.replace(settings, storage_options=tuple(options.items()))
    try:
        where = parse_argument(delivery[0], options)
    except UsageError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    try:
        cache = None if no_cache else open_cache(cache_path, where.path if not where.remote else os.devnull)
        if cache is not None:
            check_outside(cache.path, [p for p in delivery if not is_url(p)])
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    progress = ProgressBar(enabled=False if quiet else None)
    progress.start(delivery[0] if len(delivery) == 1 else f"{len(delivery)} paths", follow_symlinks)
    try:
        if len(delivery) == 1 and where.only is None:
            report = scan_tree(where, default_registry(), settings, cache=cache, progress=progress)
        else:
            with closing(open_session(settings.executor, settings.jobs, settings.scheduler)) as session:
                report = scan_paths(delivery, default_registry(), settings, cache=cache, progress=progress,
                                    session=session)
    except UsageError as exc:
        progress.close()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    finally:
        if output is None:
            progress.close()  # the report goes to this terminal: the line must end first
        if cache is not None:
            cache.close()
    text = {"json": scan_json_chunks, "csv": scan_csv_chunks}.get(fmt, scan_to_table)(report)
    try:
        progress.phase("writing", str(output))  # a 200,000-asset JSON takes a few seconds
        write_output(text, output)
    finally:
        progress.close()
    # Manifest findings do not fail the scan, so say them where a person sees
    # them even with --format table (the JSON carries them under "findings").
    for finding in report.findings:
        click.echo(f"provenance: {finding.code}: {finding.message}", err=True)
    sys.exit(0 if report.complete else 3)
