"""The policy in effect, written back out with where each value came from.

The text form is TOML a user can save as a policy file: every value sits
under its table, and a trailing comment names its origin (the built-in
default, or the file that set it).
"""

from __future__ import annotations

import json
from typing import Any

from provenance.audit.policy import Policy


def policy_toml(policy: Policy) -> str:
    lines = [f"# policy in effect: {policy.source}",
             "# values a file leaves out come from the built-in default",
             f"# sha256 {policy.sha256}"]
    tables: dict[str, list[tuple[str, str]]] = {}
    for dotted, value, origin in policy.settings:
        table, _, key = dotted.rpartition(".")
        tables.setdefault(table, []).append((_assignment(key, value), origin))
    for table, rows in tables.items():
        lines.append("")
        if table:
            lines.append(f"[{table}]")
        # Aligned per table, capped, so one long glob list does not push every comment off screen.
        width = min(max(len(text) for text, _ in rows), 40)
        lines += [f"{text:<{width}}  # {origin}" for text, origin in rows]
    return "\n".join(lines) + "\n"


def policy_json(policy: Policy) -> dict[str, Any]:
    return {"source": policy.source, "sha256": policy.sha256,
            "settings": [{"key": k, "value": v, "from": o} for k, v, o in policy.settings]}


def _assignment(key: str, value: Any) -> str:
    # JSON strings, numbers, booleans and arrays of them are valid TOML values.
    return f"{key} = {json.dumps(value, ensure_ascii=False)}"
