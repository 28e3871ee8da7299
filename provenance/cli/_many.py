"""``provenance audit ROOT ROOT ...``: several deliveries in one run, one report each plus a summary.

Every root is its own delivery (its own policy, manifest and report); they
share one executor session, so a Dask cluster starts once for all of them.
``-o`` names a folder: it receives ``<root name>.<format>`` per root and
``summary.json``; the summary table is printed. The exit code is the worst:
1 when any root reached ``--fail-on``, else 3 when any is incomplete, else 0.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import click

from provenance.scan.executors import open_session
from provenance.scan.roots import DeliveryRoot

EXTENSIONS = {"table": "txt", "json": "json", "csv": "csv", "junit": "xml", "html": "html", "md": "md", "pdf": "pdf"}
SUMMARY_NAME = "summary.json"


def report_names(roots: list[DeliveryRoot]) -> list[str]:
    """A file stem per root, from its last path segment; repeated names get -2, -3 ..."""
    names: list[str] = []
    for where in roots:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", where.display.rstrip("/").rsplit("/", 1)[-1]) or "root"
        name, n = base, 1
        while name in names or name == SUMMARY_NAME.rsplit(".", 1)[0]:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
    return names


def worst_exit(codes: list[int]) -> int:
    if 1 in codes:
        return 1
    return 3 if 3 in codes else 0


def audit_many(roots: list[DeliveryRoot], folder: Path, fmt: str, *, executor: str, jobs: int,
               scheduler: str | None, audit_one: Callable[[DeliveryRoot, Any], dict[str, Any]],
               render: Callable[[dict[str, Any], str, Path | None], str | bytes],
               write: Callable[[Any, Path], None]) -> int:
    """Audit each root with ``audit_one(root, session)`` (the report dict), write the reports; the exit code."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    with closing(open_session(executor, jobs, scheduler)) as session:
        for where, name in zip(roots, report_names(roots), strict=True):
            data = audit_one(where, session)
            target = folder / f"{name}.{EXTENSIONS[fmt]}"
            write(render(data, fmt, None if where.remote else Path(where.path)), target)
            summary = data["summary"]
            rows.append({"root": where.display, "report": target.name, "exit_code": summary["exit_code"],
                         "outcome": summary.get("outcome"), "assets": summary.get("assets"),
                         "flagged": summary.get("flagged"), "by_severity": summary.get("by_severity", {})})
    code = worst_exit([r["exit_code"] for r in rows])
    summary_doc = {"roots": rows, "exit_code": code}
    write(json.dumps(summary_doc, indent=2, sort_keys=True) + "\n", folder / SUMMARY_NAME)
    width = max(len(r["root"]) for r in rows)
    click.echo(f"{'ROOT':<{width}}  EXIT  ASSETS  FLAGGED  REPORT")
    for r in rows:
        click.echo(f"{r['root']:<{width}}  {r['exit_code']:>4}  {r['assets']:>6}  {r['flagged']:>7}  "
                   f"{os.path.join(str(folder), r['report'])}")
    click.echo(f"{len(rows)} deliveries; summary in {folder / SUMMARY_NAME}", err=True)
    return code
