"""Scan reports as stable JSON or a terminal table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from provenance.models import ScanReport, c2pa_state_notes

SCAN_SCHEMA = "provenance.scan/1"


def scan_to_dict(report: ScanReport, *, lazy: bool = False) -> dict[str, Any]:
    """The report as JSON data; ``lazy`` leaves the assets and skipped files as :class:`Lazy` arrays."""
    return {
        "schema": SCAN_SCHEMA,
        "root": report.root,
        "tool_version": report.tool_version,
        "scanners": [{"id": s.id, "version": s.version} for s in report.scanners],
        "complete": report.complete,
        "assets": Lazy(report.assets, _to_dict) if lazy else [a.to_dict() for a in report.assets],
        "skipped": Lazy(report.skipped, _to_dict) if lazy else [s.to_dict() for s in report.skipped],
        "problems": [p.to_dict() for p in report.problems],
        "findings": [f.to_dict() for f in report.findings],
        "trust": [t.to_dict() for t in report.trust],
    }


def _to_dict(item: Any) -> Any:
    return item.to_dict()


def dumps(data: Any) -> str:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def dumps_listing(data: dict[str, Any], listed: tuple[str, ...] = ("assets", "skipped")) -> str:
    """Deterministic JSON with one line per element of the ``listed`` arrays.

    The same document as :func:`dumps`, laid out for 200,000-asset reports:
    each asset is encoded by the C encoder on its own line (greppable, and a
    third of the time of an indented dump), the rest indented as usual.
    """
    return "".join(listing_chunks(data, listed))


_LINE = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


class Lazy:
    """A listed array whose elements become dicts only as they are written."""

    def __init__(self, items: Sequence[Any], to_dict: Callable[[Any], Any]) -> None:
        self.items, self.to_dict = items, to_dict

    def __len__(self) -> int:
        return len(self.items)


def listing_chunks(data: dict[str, Any], listed: tuple[str, ...] = ("assets", "skipped")) -> Iterator[str]:
    """:func:`dumps_listing` in pieces, one per listed element: a large report is never one string."""
    yield "{"
    keys = sorted(data)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = data[key]
        if key in listed and isinstance(value, (list, Lazy)) and len(value):
            items, to_dict = (value.items, value.to_dict) if isinstance(value, Lazy) else (value, None)
            yield f"\n  {json.dumps(key)}: ["
            encode = _LINE.encode  # one encoder for every line: json.dumps builds one per call
            for j, item in enumerate(items):
                text = encode(item if to_dict is None else to_dict(item))
                yield f"{',' if j else ''}\n    {text}"
            yield f"\n  ]{comma}"
        else:
            if isinstance(value, Lazy):
                value = [value.to_dict(item) for item in value.items]
            text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            yield f"\n  {json.dumps(key)}: {text}{comma}"
    yield "\n}\n"


def scan_json_chunks(report: ScanReport) -> Iterator[str]:
    """``dumps_listing(scan_to_dict(report))``, written an asset at a time."""
    data = scan_to_dict(report, lazy=True)
    return listing_chunks(data)


def scan_to_table(report: ScanReport) -> str:
    rows = [("PATH", "VERDICT", "GENERATOR", "CONFIDENCE", "C2PA")]
    for a in report.assets:
        d = a.to_dict()
        path = a.path + (f" [{a.asset.frames}]" if a.asset.frames else "")
        if a.errors:
            path += f"  (! {a.errors[0].code})"
        if a.notes:
            path += "  +notes"
        cells = (path, d["verdict"], ", ".join(d["generators"]) or "-", d["confidence"] or "-", d["c2pa"]["state"])
        rows.append(tuple(terminal_safe(c) for c in cells))
    widths = [min(max(len(r[i]) for r in rows), 60) for i in range(len(rows[0]))]
    lines = ["  ".join(_cell(c, widths[i]) for i, c in enumerate(row)).rstrip() for row in rows]
    counts: dict[str, int] = {}
    for a in report.assets:
        counts[str(a.verdict.kind)] = counts.get(str(a.verdict.kind), 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no assets"
    lines.append("")
    lines.append(f"{len(report.assets)} assets: {summary}; {len(report.skipped)} skipped"
                 + ("" if report.complete else "; INCOMPLETE (see errors)"))
    lines += c2pa_state_notes(str(a.c2pa.state) for a in report.assets)
    noted = sum(1 for a in report.assets if a.notes)
    if noted:
        lines.append(f"{noted} asset{'' if noted == 1 else 's'} with notes (marked +notes; --format json lists them)")
    return "\n".join(lines) + "\n"


# Control characters (ESC starts terminal escape sequences: set the title, recolour, move the
# cursor) and bidi overrides (reorder what is shown) are written out as \xNN, never sent raw.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every control character and bidi override written out as an escape."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


def _cell(text: str, width: int) -> str:
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.ljust(width)


SCAN_CSV_COLUMNS = ("path", "frames", "kind", "media_type", "verdict", "generators", "confidence", "c2pa",
                    "reason", "errors")
# A leading = + - @ (or a tab/CR that some spreadsheets strip first) would make a cell a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def scan_csv_chunks(report: ScanReport) -> Iterator[str]:
    """One row per asset, for a spreadsheet; written a row at a time like the JSON."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SCAN_CSV_COLUMNS)
    for a in report.assets:
        d = a.to_dict()
        row = (a.path, a.asset.frames or "", d.get("kind", ""), d.get("media_type") or "", d["verdict"],
               "; ".join(d["generators"]), d["confidence"] or "", d["c2pa"]["state"], d.get("reason", ""),
               "; ".join(f"{e.code}: {e.message}" for e in a.errors))
        writer.writerow([_neutral(str(cell)) for cell in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) and text != "-" else text
