"""PLACEHOLDER: replaced by the ledger commands."""

from __future__ import annotations

import click


@click.group("ledger")
def ledger_group() -> None:
    """Written approvals (not built yet)."""
