"""The command line: a thin click layer. Only this package imports click.

Each command parses its options, calls one core function and renders the
result. Exit codes: 0 complete/clean, 1 findings at or above the threshold,
2 usage or configuration error, 3 incomplete (something could not be read).
"""

from __future__ import annotations

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
        return command



@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=("Example:\n\n\b\n  provenance scan DELIVERY/\n"
            "  provenance audit DELIVERY/ --ledger approvals.db --format html --output qc.html"),
)
@click.version_option(__version__, prog_name="provenance")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Find generative-AI material in a delivery and prove it is approved."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="provenance: %(levelname)s: %(message)s")




def main() -> None:
    cli(prog_name="provenance")
