"""``provenance audit`` and ``provenance report``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from provenance.audit.evaluate import FAIL_ON
from provenance.audit.runner import audit_delivery
from provenance.scan.roots import parse_root
from provenance.scan.cache import check_outside, open_cache
from provenance.errors import ProvenanceError
from provenance.scan.executors import default_jobs
from provenance.cli import debug_requested
from provenance.cli.progress import ProgressBar
from provenance.reports import BINARY_FORMATS, FORMATS, ReportError, check_audit, render_binary, render_report
from provenance.reports import guidance, suggest
from provenance.reports._text import one_line
from provenance.reports.json_report import build
from provenance.source.noatime import read_text

from ._common import format_option, checked_output, read_trust_anchors, scan_run_options, write_output
from ._many import audit_many
from ._scale import check_root, scale_options, storage_options


_AUDITED_BY_HELP = "Name for the report's sign-off block (who ran the audit); saved in the JSON."


def _rendered(data: dict, fmt: str, root: Path | None) -> str | bytes:
    """The report as text, or as bytes for PDF; a missing PDF renderer is a usage error."""
    if fmt not in BINARY_FORMATS:
        return render_report(data, fmt, root=root)
    try:
        return render_binary(data, fmt, root=root)
    except ProvenanceError as exc:
        _usage_exit(str(exc))


def _usage_exit(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.command(
    "audit",
    epilog="Example:\n\n\b\n  provenance audit DELIVERY/ --ledger approvals.db\n"
           "  provenance audit DELIVERY/ --format html --output audit.html\n"
           "  provenance audit DELIVERY/ --format pdf --output audit.pdf --audited-by 'Dana Whitfield'\n"
           "  provenance audit DELIVERY/ --format json --output audit.json --fail-on blocker\n"
           "  provenance audit DELIVERY/ --timeline reel2_conform.edl --timeline-rate 23.976",
)
@click.argument("delivery", nargs=-1, required=True, metavar="DELIVERY...", callback=check_root)
@click.option("--ledger", metavar="PATH|URL",
              help="Approvals ledger file or postgresql:// URL (default: $PROVENANCE_LEDGER, else ./provenance.db).")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Policy TOML (default: provenance.toml at the delivery root, else the built-in policy).")
@format_option(*FORMATS, default="table",
               help="Report format; json is the canonical form that `provenance report` re-renders.")
@click.option("--output", "-o", type=click.Path(path_type=Path), callback=checked_output,
              help="Write the report to this file instead of stdout; with several DELIVERY roots, a folder "
                   "that gets one report per root and summary.json.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="issue", show_default=True,
              help="Exit 1 when anything reaches this severity.")
@click.option("--trust-anchors", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PEM file of C2PA trust anchors (repeatable; adds to the built-in lists and the policy's).")
@click.option("--no-default-trust", is_flag=True,
              help="Leave out the built-in C2PA trust lists (see `provenance trust show`).")
@click.option("--audited-by", metavar="NAME", help=_AUDITED_BY_HELP)
@click.option("--suggest-approvals", "suggest_path", metavar="FILE", callback=checked_output,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Write a CSV for `provenance ledger import`: one row per unapproved final asset, path and "
                   "sha256 filled in, approver and category left to fill.")
@click.option("--timeline", "timelines", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Conform timeline (.otio, .edl, FCP 7/X .xml/.fcpxml, .aaf; repeatable): the report says "
                   "where each flagged asset sits in the cut.")
@click.option("--timeline-rate", default="24", show_default=True,
              help="Frame rate of EDLs, which carry none: 24, 25, 30, 23.976, 29.97, 59.94 (NTSC rationals) "
                   "or a ratio like 30000/1001.")
@click.option("--media-root", "media_roots", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder where clips of the timeline may find their media (repeatable).")
@scale_options
@scan_run_options
def audit_command(delivery: tuple[str, ...], ledger: str | None, policy: Path | None, fmt: str, output: Path | None,
                  fail_on: str, trust_anchors: tuple[Path, ...], no_default_trust: bool, audited_by: str | None,
                  suggest_path: Path | None, timelines: tuple[Path, ...], timeline_rate: str,
                  media_roots: tuple[Path, ...],
                  jobs: int | None, cache_path: Path | None, no_cache: bool, quiet: bool, **scale: Any) -> None:
    """Audit DELIVERY: every generated asset against its written approval.

    Each asset gets a status (approved, unapproved, expired, revoked, stale,
    out-of-scope, needs-review, clean) and a severity (BLOCKER, ISSUE, FYI).
    Exit 0: nothing at or above --fail-on; 1: something is; 2: usage or
    configuration error; 3: the audit is incomplete (unreadable files, a ledger
    that fails verification) and nothing reached the threshold.
    """
    if len(delivery) > 1:
        if suggest_path is not None:
            # Its paths are relative to one delivery root; silently writing nothing would be worse.
            _usage_exit("--suggest-approvals takes one DELIVERY (the CSV's paths are relative to its root); "
                        "run the audit once per root for its suggestions")
        if timelines or media_roots:
            # A conform timeline belongs to one delivery; applying it to every root would mislabel the others.
            _usage_exit("--timeline and --media-root take one DELIVERY (a conform timeline belongs to one "
                        "delivery); audit that root alone: provenance audit ROOT --timeline FILE")
        _audit_several(delivery, ledger, policy, fmt, output, fail_on, trust_anchors, no_default_trust, audited_by,
                       jobs, cache_path, no_cache, scale)
    [delivery] = delivery  # type: ignore[assignment]
    progress = ProgressBar(enabled=False if quiet else None)
    progress.start(delivery)
    cache = None
    try:
        where = parse_root(delivery, storage_options(scale["endpoint_url"], scale["storage_option"]))
        cache = None if no_cache else open_cache(cache_path, where.path if not where.remote else os.devnull)
        result = audit_delivery(where, ledger, policy, read_trust_anchors(trust_anchors),
                                jobs=jobs or default_jobs(), cache=cache, progress=progress,
                                default_trust=not no_default_trust, executor=scale["executor"],
                                scheduler=scale["scheduler"],
                                timelines=timelines, timeline_rate=timeline_rate, media_roots=media_roots,
                                debug=debug_requested(click.get_current_context()))
    except ProvenanceError as exc:
        progress.close()
        _usage_exit(str(exc))
    finally:
        if output is None:
            progress.close()  # the report goes to this terminal: the line must end first
        if cache is not None:
            cache.close()
    data = build(result, fail_on)
    if audited_by:
        data["audited_by"] = audited_by
    try:
        progress.phase("writing", str(output))  # HTML thumbnails and PDF take a moment
        write_output(_rendered(data, fmt, None if where.remote else Path(where.path)), output)
    finally:
        progress.close()
    if suggest_path is not None:
        write_output(suggest.render(data), suggest_path)
    _tell(data, fmt, output, suggest_path)
    sys.exit(data["summary"]["exit_code"])


def _audit_several(roots: tuple[str, ...], ledger: str | None, policy: Path | None, fmt: str,
                   output: Path | None, fail_on: str, trust_anchors: tuple[Path, ...], no_default_trust: bool,
                   audited_by: str | None, jobs: int | None, cache_path: Path | None, no_cache: bool,
                   scale: dict[str, Any]) -> NoReturn:
    """Several deliveries: one report each in the -o folder, and a summary (see provenance.cli._many)."""
    if output is None or output.is_file():
        _usage_exit("with several DELIVERY roots, -o must name a folder for one report per root "
                    "and summary.json; pass -o FOLDER")
    cache = None
    try:
        options = storage_options(scale["endpoint_url"], scale["storage_option"])
        wheres = [parse_root(text, options) for text in roots]
        cache = None if no_cache else open_cache(cache_path, os.devnull)
        if cache is not None:
            check_outside(cache.path, [w.path for w in wheres if not w.remote])
        anchors = read_trust_anchors(trust_anchors)
        debug = debug_requested(click.get_current_context())

        def audit_one(where: Any, session: Any) -> dict[str, Any]:
            result = audit_delivery(where, ledger, policy, anchors, jobs=jobs or default_jobs(), cache=cache,
                                    default_trust=not no_default_trust, executor=scale["executor"],
                                    scheduler=scale["scheduler"], session=session, debug=debug)
            data = build(result, fail_on)
            if audited_by:
                data["audited_by"] = audited_by
            return data

        code = audit_many(wheres, output, fmt, executor=scale["executor"], jobs=jobs or default_jobs(),
                          scheduler=scale["scheduler"], audit_one=audit_one, render=_rendered, write=write_output)
    except ProvenanceError as exc:
        _usage_exit(str(exc))
    finally:
        if cache is not None:
            cache.close()
    sys.exit(code)


def _tell(data: dict, fmt: str, output: Path | None, suggest_path: Path | None) -> None:
    """Warnings, the outcome and what to do next go to stderr, where a person sees them.

    The terminal table already holds the warnings and the outcome line; every
    other way of writing the report would otherwise leave the terminal silent.
    """
    # Only a table shown on this very terminal already says it all; redirected, it says nothing to a person.
    in_table = fmt == "table" and output is None and _stdout_is_terminal()
    if not in_table:
        for warning in data.get("warnings", []):
            click.echo(f"provenance: warning: {one_line(warning, 1000)}", err=True)
        click.echo(guidance.outcome_line(data), err=True)
    if suggest_path is not None:
        rows = len(suggest.suggested_rows(data))
        click.echo(f"wrote {rows} suggested approval{'' if rows == 1 else 's'} to {suggest_path}", err=True)
    steps = guidance.next_steps(data, str(suggest_path) if suggest_path else None)
    if steps:
        click.echo("next:", err=True)
        for step in steps:
            click.echo(f"  - {step}", err=True)


@click.command(
    "report",
    epilog="Example:\n\n\b\n  provenance report audit.json --format html --output audit.html\n"
           "  provenance report audit.json --format junit --output audit.xml",
)
@click.argument("audit_json", metavar="AUDIT.json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option(*FORMATS, default="html",
               help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), callback=checked_output,
              help="Write the report to this file instead of stdout.")
@click.option("--thumbnails/--no-thumbnails", default=True, show_default=True,
              help="HTML: embed still thumbnails read from the delivery, if it is still at its audited path.")
@click.option("--audited-by", metavar="NAME", help=_AUDITED_BY_HELP)
def report_command(audit_json: Path, fmt: str, output: Path | None, thumbnails: bool, audited_by: str | None) -> None:
    """Re-render a saved audit (from `provenance audit --format json`) without rescanning."""
    try:
        # O_NOATIME: a saved audit may be kept inside the delivery it describes.
        data = check_audit(json.loads(read_text(audit_json, encoding="utf-8")[0]))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _usage_exit(f"cannot read {audit_json} as JSON ({exc}); pass the file written by "
                    "`provenance audit --format json`")
    except ReportError as exc:
        _usage_exit(f"{audit_json}: {exc}")
    root = Path(str(data.get("root", ""))) if thumbnails and data.get("root") else None
    if audited_by:
        data["audited_by"] = audited_by
    try:
        rendered = _rendered(data, fmt, root)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        # check_audit vouches for what every renderer needs; a hand-edited file can still break a
        # value deeper down. Say so in one line (--debug shows the traceback).
        if debug_requested(click.get_current_context()):
            raise
        _usage_exit(f"{audit_json}: not a complete audit ({type(exc).__name__}: {exc}); "
                    "re-run `provenance audit --format json`")
    write_output(rendered, output)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
