"""Audit reports. Each renderer takes the canonical audit dict and returns text.

Working from the dict (never from live objects) is what lets ``provenance
report`` re-render a saved ``AUDIT.json`` without rescanning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import csv_report, html_report, json_report, junit_report, md_report, table_report
from .json_report import AUDIT_SCHEMA

FORMATS = ("table", "json", "csv", "junit", "html", "md", "pdf")
BINARY_FORMATS = ("pdf",)


class ReportError(ValueError):
    """A saved audit that cannot be re-rendered; the message names the fix."""


def render_report(data: dict[str, Any], fmt: str, root: Path | None = None) -> str:
    """Render ``data`` as ``fmt``. ``root`` (HTML only) is where still thumbnails are read from."""
    if fmt == "html":
        from .thumbnails import thumbnails

        return html_report.render(data, thumbnails(data, root) if root is not None else {})
    if fmt in BINARY_FORMATS:
        raise ValueError(f"{fmt} is binary; use render_binary")
    renderer = {"table": table_report, "json": json_report, "csv": csv_report, "junit": junit_report,
                "md": md_report}[fmt]
    return renderer.render(data)


def render_binary(data: dict[str, Any], fmt: str, root: Path | None = None) -> bytes:
    """Render a binary format (``pdf``): the HTML report laid out for print."""
    from . import pdf_report
    from .thumbnails import thumbnails

    return pdf_report.render(data, thumbnails(data, root) if root is not None else {})


def check_audit(data: object) -> dict[str, Any]:
    """A saved audit's dict, or ``ReportError`` when it is not one this version can render."""
    if not isinstance(data, dict) or data.get("schema") != AUDIT_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ReportError(f"not a {AUDIT_SCHEMA} document (schema: {found!r}); "
                          "pass the JSON written by `provenance audit --format json`")
    _expect(data, "assets", list, "the audit")
    _expect(data, "findings", list, "the audit")
    _expect(data, "summary", dict, "the audit")
    _expect(data, "complete", bool, "the audit")
    for key in ("root", "audited_on", "tool_version"):
        _expect(data, key, str, "the audit")
    _expect(data, "policy", dict, "the audit")
    for key in ("source", "sha256"):
        _expect(data["policy"], key, str, "the audit's policy")
    _expect(data, "ledger", dict, "the audit")
    summary = data["summary"]
    _expect(summary, "outcome", str, "the summary")
    for key in ("assets", "flagged", "exit_code"):
        _expect(summary, key, int, "the summary")
    for key in ("by_severity", "by_status"):
        _expect(summary, key, dict, "the summary")
    for entry in data.get("scanners", []):
        if not isinstance(entry, dict) or not {"id", "version"} <= set(entry):
            _broken("a scanners entry lacks its id or version")
    if data.get("fail_on") not in _FAIL_ON:
        _broken(f"the audit's fail_on is {data.get('fail_on')!r}, not one of {', '.join(_FAIL_ON)}")
    for i, asset in enumerate(data["assets"]):
        where = f"asset {i + 1}"
        if not isinstance(asset, dict):
            _broken(f"{where} is not an object")
        for key, kind in _ASSET_KEYS.items():
            _expect(asset, key, kind, where)
        if asset["status"] not in _STATUSES:
            _broken(f"{where} has status {asset['status']!r}")
        if asset["severity"] not in _SEVERITIES:
            _broken(f"{where} has severity {asset['severity']!r}")
        for item in (*asset["evidence"], *asset["approvals"], *asset["errors"]):
            if not isinstance(item, dict):
                _broken(f"{where} has an evidence, approval or error entry that is not an object")
        for approval in asset["approvals"]:
            for key in ("ref", "outcome"):
                _expect(approval, key, str, f"an approval of {where}")
        declared = asset.get("declared_approvals", [])
        if not isinstance(declared, list) or not all(isinstance(d, dict) and isinstance(d.get("ref"), str)
                                                     for d in declared):
            _broken(f"{where} has a declared approval without a ref")
    for i, finding in enumerate(data["findings"]):
        if not isinstance(finding, dict) or not isinstance(finding.get("code"), str) \
                or not isinstance(finding.get("message"), str) or finding.get("severity") not in _SEVERITIES:
            _broken(f"finding {i + 1} lacks a code, a message or a valid severity")
    return data


# What the renderers read; anything else in a saved audit is carried, not trusted.
_ASSET_KEYS: dict[str, type | tuple[type, ...]] = {
    "path": str, "status": str, "verdict": str, "evidence": list, "approvals": list, "errors": list,
    "c2pa": dict, "generators": list,
}
_STATUSES = ("approved", "unapproved", "expired", "revoked", "stale", "out-of-scope", "needs-review", "clean")
_SEVERITIES = ("BLOCKER", "ISSUE", "FYI", None)
_FAIL_ON = ("blocker", "issue", "fyi", "never")


def _expect(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> None:
    if not isinstance(obj.get(key), kind):
        _broken(f"{where} has no valid {key!r}")


def _broken(problem: str) -> None:
    raise ReportError(f"not a complete audit: {problem}; re-run `provenance audit --format json`")
