"""PLACEHOLDER: replaced by the audit and report commands."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
