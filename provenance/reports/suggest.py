"""``--suggest-approvals``: a CSV for `provenance ledger import`, one row per unapproved final asset.

Path and sha256 come filled in from the audit; the reference, approver and
category are left for the person who holds the written approval. The evidence
that made the asset generative rides along in ``#evidence``, a column
`ledger import` skips because its name starts with ``#``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .csv_report import neutralise

COLUMNS = ("ref", "path", "sha256", "category", "use", "approver", "role", "org", "approved_on", "valid_until",
           "document", "conditions", "title", "#evidence")


def suggested_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for a in sorted(data["assets"], key=lambda x: str(x["path"])):
        if a.get("status") != "unapproved" or a.get("use") != "final":
            continue
        evidence = f"{a.get('verdict', '')}: {a.get('reason') or a.get('explanation') or ''}".strip(": ")
        rows.append({"path": str(a["path"]), "sha256": str(a.get("sha256") or ""), "use": "final",
                     "#evidence": evidence})
    return rows


def render(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    for row in suggested_rows(data):
        # Only the comment column is neutralised: path and sha256 must import as written.
        writer.writerow({**row, "#evidence": neutralise(row["#evidence"])})
    return out.getvalue()
