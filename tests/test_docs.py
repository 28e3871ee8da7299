"""The docs stay true: scanner table, commands, the CI command, and runnable examples.

The README is the quick start; the detail lives in docs/*.md (see
docs/development.md, "Documentation examples", for the conventions the
example runner below follows).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from provenance.cli import cli
from provenance.scanners import BUILTIN_SCANNERS, default_registry

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"
PAGES = {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}
PAGE_NAMES = ("scanning.md", "ledger.md", "audit.md", "tagging.md", "scaling.md", "security.md",
              "development.md", "benchmarks.md")
SERVICES = ("s3", "dask", "postgres", "chromium", "network")


def _table_after(text: str, heading: str) -> list[list[str]]:
    body = text.split(heading + "\n", 1)[1]
    rows = []
    for line in body.splitlines():
        if line.startswith("#"):
            break
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]


def test_every_page_exists_and_the_readme_is_a_quick_start() -> None:
    assert set(PAGE_NAMES) <= set(PAGES)
    assert len(README.splitlines()) <= 200
    for name in PAGE_NAMES:
        assert f"docs/{name}" in README, f"the README does not link docs/{name}"
    first_delivery = README.split("## A first real delivery", 1)[1]
    steps = ["provenance ledger init", "provenance ledger add", "provenance audit", "--format html"]
    positions = [first_delivery.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), positions


def test_relative_links_in_the_docs_resolve() -> None:
    for name, text in {"../README.md": README, **PAGES}.items():
        base = (DOCS / name).resolve().parent
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (base / target).exists(), f"{name} links to {target}, which does not exist"


def test_scanner_table_matches_the_registry() -> None:
    documented = [row[0].strip("`") for row in _table_after(PAGES["scanning.md"], "## Scanners")]
    assert documented == default_registry().ids()


def test_each_scanner_module_contributes_exactly_one_scanner() -> None:
    modules = [ref.target.partition(":")[0] for ref in BUILTIN_SCANNERS]
    assert len(modules) == len(set(modules))
    assert all(ref.id == module.rsplit(".", 1)[1] for ref, module in zip(BUILTIN_SCANNERS, modules, strict=True))


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


def test_every_command_is_documented_and_its_help_ends_with_an_example() -> None:
    docs = "\n".join(PAGES.values())
    for name, command in _commands(cli):
        assert f"provenance {name}" in docs, f"`provenance {name}` is not documented in docs/"
        if not isinstance(command, click.Group):
            assert command.epilog and "Example" in command.epilog, f"`provenance {name}` help has no example"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b).strip()
    assert test_command in ci
    demo = next(b for b in blocks if "audit sample_assets" in b).strip()
    assert demo.endswith("provenance audit sample_assets")


# --- runnable examples ------------------------------------------------------------------------

_FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```", flags=re.S | re.M)


def page_script(text: str) -> tuple[list[str], list[str], list[str]]:
    """(shell steps, commands, skipped reasons) for a page's console and file= blocks, in order."""
    steps: list[str] = []
    commands: list[str] = []
    skipped: list[str] = []
    for lang, info, body in _FENCE.findall(text):
        target = re.search(r"\bfile=(\S+)", info)
        if target:
            steps.append(f"cat > {shlex.quote(target.group(1))} <<'__DOC_FILE__'\n{body}__DOC_FILE__")
        if lang != "console":
            continue
        needs = [s for group in re.findall(r"\bneeds=([\w,]+)", info) for s in group.split(",")]
        unknown = set(needs) - set(SERVICES)
        assert not unknown, f"unknown needs= {sorted(unknown)}; use some of {SERVICES}"
        block = _console_commands(body)
        if needs:
            skipped += [f"`{c}` (needs {', '.join(needs)})" for c in block]
            continue
        for command in block:
            steps.append(f"{command}\necho \"$? {len(commands)}\" >> \"$DOC_STATUS\"")
            commands.append(command)
    return steps, commands, skipped


def _console_commands(body: str) -> list[str]:
    commands: list[str] = []
    pending = ""
    for line in body.splitlines():
        if pending:
            pending += " " + line.strip()
        elif line.startswith("$ "):
            pending = line[2:].strip()
        else:
            continue  # shown output
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
        else:
            commands.append(pending)
            pending = ""
    return commands


def test_the_example_runner_reads_console_file_and_needs_blocks() -> None:
    text = ("```console\n$ provenance scan a \\\n    --format json\nshown output\n```\n"
            "```csv file=x.csv\na,b\n```\n"
            "```console needs=s3\n$ provenance scan s3://bucket/x\n```\n")
    steps, commands, skipped = page_script(text)
    assert commands == ["provenance scan a --format json"]
    assert any(s.startswith("cat > x.csv") and "a,b\n" in s for s in steps)
    assert skipped == ["`provenance scan s3://bucket/x` (needs s3)"]
    assert allowed_exits("provenance audit x") == (0, 1, 3)
    assert allowed_exits("provenance tag x") == allowed_exits("provenance ledger verify") == (0,)


_WITH_EXAMPLES = [name for name, text in {"README.md": README, **PAGES}.items()
                  if re.search(r"^```console", text, flags=re.M)]
# An audit's findings (1) and an incomplete scan or audit (3) are answers; for every other
# command, and for 2 (a stale option, file or value) anywhere, a non-zero exit is a broken example.
_ANSWERS = {"provenance audit": (0, 1, 3), "provenance scan": (0, 3)}


def allowed_exits(command: str) -> tuple[int, ...]:
    return next((codes for prefix, codes in _ANSWERS.items() if command.startswith(prefix + " ")), (0,))


def test_the_quick_start_and_the_command_pages_hold_examples() -> None:
    assert {"README.md", "scanning.md", "ledger.md", "audit.md", "tagging.md"} <= set(_WITH_EXAMPLES)


@pytest.mark.parametrize("page", _WITH_EXAMPLES)
def test_console_examples_run(page: str, tmp_path: Path) -> None:
    """Every example of the page runs in order; none may be a usage error or crash."""
    text = README if page == "README.md" else PAGES[page]
    steps, commands, skipped = page_script(text)
    if not commands:
        pytest.skip(f"every example on {page} needs an outside service: {skipped}")
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(REPO / "sample_assets", work / "sample_assets")
    shim = tmp_path / "bin"
    shim.mkdir()
    launcher = shim / "provenance"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m provenance "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    status = tmp_path / "status"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
    env.update(PATH=f"{shim}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(REPO), HOME=str(tmp_path),
               XDG_CACHE_HOME=str(tmp_path / "cache"), DOC_STATUS=str(status), PROVENANCE_ACTOR="docs-test")
    proc = subprocess.run(["bash", "-c", "\n".join(steps)], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600, check=False, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr
    codes = [int(line.split()[0]) for line in status.read_text().splitlines()] if status.exists() else []
    assert len(codes) == len(commands), proc.stderr
    for command, code in zip(commands, codes, strict=True):
        assert code in allowed_exits(command), f"`{command}` exited {code}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
