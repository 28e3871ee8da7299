"""PLACEHOLDER: replaced by the tag and identity commands."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
