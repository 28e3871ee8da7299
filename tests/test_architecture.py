"""The import direction written down in ARCHITECTURE.md, held by parsing every import.

Every ``import`` and ``from … import`` in ``provenance/`` is read with ``ast``,
including the ones inside functions, because a function-level import is how a
circle hides. A forbidden arrow fails here with the module and line that adds it.
"""

from __future__ import annotations

import ast
import pathlib
import sys
from collections.abc import Iterator

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "provenance"

# The bottom layer: plain modules at the top of the package that everything may use.
BOTTOM = {"models", "errors", "hashing", "source"}
TOP_LEVEL_MODULES = {"__init__", "__main__", "models", "errors", "hashing"}

# room -> the rooms it may import (besides itself). Mirrors ARCHITECTURE.md.
ALLOWED: dict[str, set[str]] = {
    "face": set(),
    "bottom": {"face"},
    "knowledge": {"face", "bottom"},
    "scanners": {"face", "bottom", "knowledge"},
    "scan": {"face", "bottom", "knowledge"},
    "ledger": {"face", "bottom"},
    "timeline": {"face", "bottom", "knowledge", "scan", "ledger"},
    "audit": {"face", "bottom", "knowledge", "scanners", "scan", "ledger", "timeline"},
    "reports": {"face", "bottom", "knowledge", "scan", "ledger", "audit", "timeline"},
    "tagging": {"face", "bottom", "knowledge", "scanners", "scan"},
    "cli": {"face", "bottom", "knowledge", "scanners", "scan", "ledger", "timeline", "audit",
            "reports", "tagging"},
    "main": {"cli"},
}

# Third-party packages that only one room may import.
ONLY_IN = {"click": {"cli"}}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def room_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "provenance":
        return None
    if len(parts) == 1:
        return "face"
    if parts[1] == "__main__":
        return "main"
    if parts[1] in BOTTOM:
        return "bottom"
    return parts[1]


def imports_of(path: pathlib.Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in the file, wherever it sits."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            # `from provenance.scan import walk` imports the module provenance.scan.walk
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def sources() -> list[pathlib.Path]:
    return sorted(PACKAGE.rglob("*.py"))


def forbidden_imports(paths: list[pathlib.Path]) -> list[str]:
    problems = []
    for path in paths:
        room = room_of(module_name(path))
        assert room is not None and room in ALLOWED, f"{path}: no room for it in ARCHITECTURE.md"
        for line, target in imports_of(path):
            top = target.split(".")[0]
            if top in ONLY_IN and room not in ONLY_IN[top]:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line} {room} imports {top}")
            target_room = room_of(target)
            if target_room is None or target_room == room or not _is_module(target):
                continue
            if target_room not in ALLOWED[room]:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line} {room} imports {target}")
    return problems


def _is_module(dotted: str) -> bool:
    rel = pathlib.Path(*dotted.split(".")[1:])
    base = PACKAGE / rel
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists() or dotted == "provenance"


def test_every_import_runs_in_the_documented_direction():
    assert forbidden_imports(sources()) == []


def test_no_module_level_circles():
    graph: dict[str, set[str]] = {}
    for path in sources():
        own = module_name(path)
        graph[own] = {t for _, t in imports_of(path) if room_of(t) and _is_module(t) and t != own}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # a package's own __init__ re-exporting its rooms is the door, not a circle
            if node.startswith(nxt + ".") or nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_only_the_bottom_layer_sits_at_the_top_of_the_package():
    loose = {p.stem for p in PACKAGE.glob("*.py")} - TOP_LEVEL_MODULES
    assert loose == set()


@pytest.mark.parametrize("room, target", [
    ("scanners", "provenance.ledger"),
    ("scanners", "provenance.scan.runner"),
    ("scan", "provenance.audit"),
    ("ledger", "provenance.reports"),
    ("audit", "click"),
])
def test_a_forbidden_import_is_caught(tmp_path, monkeypatch, room, target):
    # A throw-away module in the room: the checker must name it.
    fake_root = tmp_path / "provenance"
    (fake_root / room).mkdir(parents=True)
    (fake_root / "__init__.py").write_text("")
    for name in ("ledger", "scan", "audit", "reports"):
        (fake_root / name).mkdir(exist_ok=True)
        (fake_root / name / "__init__.py").write_text("")
    (fake_root / "scan" / "runner.py").write_text("")
    module = fake_root / room / "sneaky.py"
    module.write_text(f"def later():\n    import {target}\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake_root)
    problems = forbidden_imports([module])
    assert problems and f"{room} imports {target}" in problems[0]
