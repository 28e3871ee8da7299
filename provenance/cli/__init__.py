"""The command line: a thin click layer. Only this package imports click.

Each command parses its options, calls one core function and renders the
result. Exit codes: 0 complete/clean, 1 findings at or above the threshold,
2 usage or configuration error, 3 incomplete (something could not be read).
"""

from __future__ import annotations

import logging
import sys

import click

from provenance import __version__

from . import audit, tag
from .ledger import ledger_group
from .scan import scan_command

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example:\n\n\b\n  provenance scan DELIVERY/ --format json --output scan.json",
)
@click.version_option(__version__, prog_name="provenance")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Find generative-AI material in a delivery and prove it is approved."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="provenance: %(levelname)s: %(message)s")


cli.add_command(scan_command)
cli.add_command(ledger_group)
for _command in (*audit.COMMANDS, *tag.COMMANDS):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="provenance")
