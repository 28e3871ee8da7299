"""Real tools and libraries that some tests drive: skip when missing, fail in CI (CI=true)."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip the test naming what is missing; under CI=true a missing component fails it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing component is a failure, not a skip)")
    pytest.skip(reason)


def _missing(what: str) -> NoReturn:
    unavailable(f"{what} is not installed")


def require_tool(command: str, package: str) -> str:
    """The path of ``command``; ``package`` is what installs it (named in the skip reason)."""
    path = shutil.which(command)
    if path is None:
        _missing(f"{command} (apt package {package})")
    return path  # type: ignore[return-value]


def require_module(module: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        _missing(f"Python module {module} (package {package})")
