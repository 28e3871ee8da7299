"""Audit reports. Each renderer takes the canonical audit dict and returns text.

Working from the dict (never from live objects) is what lets ``provenance
report`` re-render a saved ``AUDIT.json`` without rescanning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import csv_report, html_report, json_report, junit_report, md_report, table_report
from .json_report import AUDIT_SCHEMA

FORMATS = ("table", "json", "csv", "junit", "html", "md")


class ReportError(ValueError):
    """A saved audit that cannot be re-rendered; the message names the fix."""


def render_report(data: dict[str, Any], fmt: str, root: Path | None = None) -> str:
    """Render ``data`` as ``fmt``. ``root`` (HTML only) is where still thumbnails are read from."""
    if fmt == "html":
        from .thumbnails import thumbnails

        return html_report.render(data, thumbnails(data, root) if root is not None else {})
    renderer = {"table": table_report, "json": json_report, "csv": csv_report, "junit": junit_report,
                "md": md_report}[fmt]
    return renderer.render(data)


def check_audit(data: object) -> dict[str, Any]:
    """A saved audit's dict, or ``ReportError`` when it is not one this version can render."""
    if not isinstance(data, dict) or data.get("schema") != AUDIT_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ReportError(f"not a {AUDIT_SCHEMA} document (schema: {found!r}); "
                          "pass the JSON written by `provenance audit --format json`")
    for key in ("assets", "findings", "summary"):
        if not isinstance(data.get(key), (list, dict)):
            raise ReportError(f"the audit has no valid {key!r}; re-run `provenance audit --format json`")
    return data
