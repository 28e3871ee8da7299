"""``--suggest-approvals``: a CSV for `provenance ledger import`, one row per unapproved final asset.

Path and sha256 come filled in from the audit; the reference, approver and
category are left for the person who holds the written approval. The evidence
that made the asset generative rides along in ``#evidence``, a column
`ledger import` skips because its name starts with ``#``.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from .csv_report import _FORMULA_START, neutralise

COLUMNS = ("ref", "path", "sha256", "category", "use", "approver", "role", "org", "approved_on", "valid_until",
           "document", "conditions", "title", "#evidence")


def suggested_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for a in sorted(data["assets"], key=lambda x: str(x["path"])):
        if a.get("status") != "unapproved" or a.get("use") != "final":
            continue
        evidence = f"{a.get('verdict', '')}: {a.get('reason') or a.get('explanation') or ''}".strip(": ")
        path, sha256 = str(a["path"]), str(a.get("sha256") or "")
        scope = path_scope(path)
        if not scope and sha256:
            evidence = f"path left out ({path!r} cannot be written as a path scope); the sha256 binds it; " + evidence
        elif not scope:
            scope = neutralise(path)  # no sha256 either: at least never a formula
        rows.append({"path": scope, "sha256": sha256, "use": "final", "#evidence": evidence})
    return rows


def path_scope(path: str) -> str:
    """The asset's path as a ledger path glob that selects that file only; "" when it cannot be one.

    File names are the vendor's. ``*`` and ``?`` in one would widen the approval to other files
    (``final/*.png``), so they are escaped as one-character classes (``[*]``). Some names are left
    out instead, and the sha256 alone binds the approval: a name with ``[`` (its escape ``[[]``
    reads as a nested set to Python's re), one the ledger refuses (``;``, a backslash, which
    would fail the whole all-or-nothing import), and one that starts like a spreadsheet formula.
    """
    if (not path or path.startswith(_FORMULA_START) or any(c in path for c in ";\\[")
            or path != path.strip()):
        return ""
    return re.sub(r"[*?]", lambda m: f"[{m.group(0)}]", path)


def render(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for row in suggested_rows(data):
        # The path is made safe by path_scope (it must import as written); sha256 is hex.
        writer.writerow({**row, "#evidence": neutralise(row["#evidence"])})
    return out.getvalue()
