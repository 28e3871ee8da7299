"""The command line: a thin click layer. Only this package imports click.

Each command parses its options, calls one core function and renders the
result. Exit codes: 0 complete/clean, 1 findings at or above the threshold,
2 usage or configuration error, 3 incomplete (something could not be read).
"""

from __future__ import annotations

import gc

import importlib
import logging
import sys

import click

from provenance import __version__

# Command name -> (module, attribute). A module is imported when its command
# runs, so `provenance scan` does not pay ~0.5 s for the ledger's and the
# tagging code's imports (sqlite_utils, numpy, cryptography): that was a third
# of a warm rescan of 20,000 files.
_COMMANDS = {
    "scan": ("provenance.cli.scan", "scan_command"),
    "ledger": ("provenance.cli.ledger", "ledger_group"),
    "audit": ("provenance.cli.audit", "audit_command"),
    "report": ("provenance.cli.audit", "report_command"),
    "identity": ("provenance.cli.tag", "identity_group"),
    "policy": ("provenance.cli.policy", "policy_group"),
    "tag": ("provenance.cli.tag", "tag_command"),
    "trust": ("provenance.cli.trust", "trust_group"),
    "timeline": ("provenance.cli.timeline", "timeline_command"),
}

# The first paragraph of each command's help, for `provenance --help`: listing
# the commands from their loaded objects imported every command module (~0.27 s
# of audit, ledger and tagging imports). tests/test_cli_conventions.py checks
# these against the commands' own help.
_SUMMARIES = {
    "audit": "Audit DELIVERY: every generated asset against its written approval.",
    "identity": "Manage the vendor signing identity used for C2PA credentials.",
    "ledger": "Written GenAI approvals: an append-only, hash-chained record.",
    "policy": "The audit policy: write the default to edit, or see the policy in effect.",
    "report": "Re-render a saved audit (from `provenance audit --format json`) without rescanning.",
    "scan": "Scan each PATH (a delivery folder, an s3:// prefix, or single files) and give every asset a verdict.",
    "tag": "Mark FILES as generative-AI material, with the evidence inside or beside each file.",
    "timeline": "List the clips of timeline FILE and the asset of DELIVERY each one resolves to.",
    "trust": "The C2PA trust lists that decide which signers read `trusted`.",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _COMMANDS:
            module, attribute = _COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        if command is not None:
            _add_common_options(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``_SUMMARIES``, without importing the commands not loaded yet."""
        listed = {name: self.commands.get(name) or click.Command(name, help=_SUMMARIES[name])
                  for name in self.list_commands(ctx)}
        click.Group(commands=listed).format_commands(ctx, formatter)


_DEBUG_KEY = "provenance.debug"


def _set_verbosity(count: int) -> None:
    level = logging.WARNING - 10 * min(count, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="provenance: %(levelname)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(min(root.level, level))


def _verbose_callback(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value:
        _set_verbosity(value)
    return value


def _debug_callback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[_DEBUG_KEY] = True  # ctx.meta is shared by the whole command chain
        _set_verbosity(2)
    return value


def debug_requested(ctx: click.Context) -> bool:
    """True when --debug was given before or after the subcommand."""
    return bool(ctx.meta.get(_DEBUG_KEY))


def _add_common_options(command: click.Command) -> None:
    """``-v`` and ``--debug`` work after the subcommand too: ``provenance audit D -v``, ``provenance ledger add --debug``."""
    names = {p.name for p in command.params}
    if "verbose" not in names:
        command.params.append(click.Option(["-v", "--verbose"], count=True, expose_value=False, is_eager=True,
                                           callback=_verbose_callback,
                                           help="More log output on stderr (-vv for debug)."))
    if "debug" not in names:
        command.params.append(click.Option(["--debug"], is_flag=True, expose_value=False, is_eager=True,
                                           callback=_debug_callback,
                                           help="Debug log output, and tracebacks for internal errors."))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_common_options(sub)



@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=("Example:\n\n\b\n  provenance scan DELIVERY/\n"
            "  provenance audit DELIVERY/ --ledger approvals.db --format html --output qc.html"),
)
@click.version_option(__version__, prog_name="provenance")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("--debug", is_flag=True, expose_value=False, callback=_debug_callback,
              help="Debug log output, and tracebacks for internal errors.")
def cli(verbose: int) -> None:
    """Find generative-AI material in a delivery and prove it is approved.

    -v and --debug may also come after the subcommand.
    """
    _set_verbosity(verbose)




# Collect cycles after 50,000 new objects instead of 700: a scan allocates millions of small,
# acyclic records (evidence, scans, folder listings), and the default threshold made the
# collector walk them over and over (about a tenth of a warm rescan). The few cycles (caught
# exceptions) wait a little longer to be freed.
GC_THRESHOLD = (50_000, 20, 100)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLD)
    cli(prog_name="provenance")
