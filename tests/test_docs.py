"""The README stays true: scanner table, commands, and the CI command."""

from __future__ import annotations

import re

import click

from provenance.cli import cli
from provenance.scanners import BUILTIN_SCANNERS, default_registry

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _table_after(heading: str) -> list[list[str]]:
    text = README.split(heading, 1)[1]
    rows = []
    for line in text.splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]


def test_scanner_table_matches_the_registry() -> None:
    documented = [row[0].strip("`") for row in _table_after("### Scanners")]
    assert documented == default_registry().ids()


def test_each_scanner_module_contributes_exactly_one_scanner() -> None:
    modules = [cls.__module__ for cls in BUILTIN_SCANNERS]
    assert len(modules) == len(set(modules))
    assert all(cls.id == cls.__module__.rsplit(".", 1)[1] for cls in BUILTIN_SCANNERS)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        full = f"{prefix}{name}"
        out.append((full, command))
        if isinstance(command, click.Group):
            out += _commands(command, full + " ")
    return out


def test_every_command_is_in_the_readme_and_its_help_ends_with_an_example() -> None:
    for name, command in _commands(cli):
        assert f"provenance {name}" in README, f"`provenance {name}` is not documented in README.md"
        if not isinstance(command, click.Group):
            assert command.epilog and "Example" in command.epilog, f"`provenance {name}` help has no example"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b).strip()
    assert test_command in ci
    demo = next(b for b in blocks if "audit sample_assets" in b).strip()
    assert demo.endswith("provenance audit sample_assets")
