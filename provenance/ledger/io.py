"""Import and export: CSV and JSON records in the shape of `ledger add`'s options.

Parsing is all up front, so an import either validates every record or names
the first bad one (line and field) before anything is written.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import (
    Approval,
    LedgerError,
    Scope,
    build_approval,
    parse_category,
    parse_date,
    parse_ref,
    parse_sha256,
    parse_text,
    parse_use,
)

# Column order of CSV exports; imports accept the same names.
CSV_FIELDS = ("ref", "title", "sha256", "path", "c2pa_instance", "timeline", "category", "use", "approver", "role",
              "org", "approved_on", "valid_until", "document", "document_sha256", "conditions", "revoked",
              "revoked_reason", "superseded_by")
_ALIASES = {"categories": "category", "c2pa": "c2pa_instance", "c2pa_instance_id": "c2pa_instance"}
_MULTI = {"sha256": "sha256", "path": "path", "c2pa_instance": "c2pa-instance", "timeline": "timeline"}
_KNOWN = set(CSV_FIELDS) | {"scopes"}
SEPARATOR = ";"


@dataclass(frozen=True)
class ImportRecord:
    label: str  # "line 4" or "record 3 (line 12)": how errors point at it
    approval: Approval
    revoked_reason: str | None = None  # set when the record is already revoked
    superseded_by: str | None = None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_document(document: str | Path | None, document_sha256: str | None,
                     base_dir: Path | None = None) -> tuple[str | None, str | None]:
    """The document's name and sha256: read from the file unless the hash is given."""
    doc = parse_text(document)
    sha = parse_text(document_sha256)
    if doc is None:
        if sha:
            raise LedgerError("document_sha256 was given without a document; pass the document's name too")
        return None, None
    if sha:
        return Path(doc).name, parse_sha256(sha)
    path = Path(doc)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise LedgerError(f"document {doc!r} not found; pass an existing file so its sha256 can be recorded")
    return path.name, sha256_file(path)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(SEPARATOR)
    return [str(v).strip() for v in items if str(v).strip()]


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "false", "no", "0"):
        return False
    if text in ("true", "yes", "1"):
        return True
    raise LedgerError(f"{value!r} is not true or false")


def _field_name(key: object) -> str:
    name = str(key).strip().lower().replace("-", "_")
    return _ALIASES.get(name, name)


def parse_record(raw: Mapping[str, Any], label: str, today: datetime.date,
                 base_dir: Path | None = None) -> ImportRecord:
    """Validate one record field by field, so the error names the field."""
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key is None:
            raise LedgerError(f"{label}: more cells than columns; check for an unquoted comma")
        if str(key).startswith("#"):
            continue  # a comment column, e.g. the #evidence that `audit --suggest-approvals` writes
        name = _field_name(key)
        if name not in _KNOWN:
            raise LedgerError(f"{label}: unknown field {key!r}; expected some of: {', '.join(CSV_FIELDS)}")
        data[name] = value
    field = "ref"
    try:
        ref = parse_ref(data.get("ref") or "")
        scopes: list[Scope] = []
        for field, kind in _MULTI.items():
            scopes += [Scope.parse(kind, v) for v in _split(data.get(field))]
        field = "scopes"
        for item in data.get("scopes") or []:
            if not isinstance(item, dict):
                raise LedgerError("each scope must be an object with 'kind' and 'value'")
            scopes.append(Scope.parse(item.get("kind", ""), item.get("value", "")))
        field = "category"
        categories = [parse_category(c) for c in _split(data.get("category"))]
        field = "use"
        use = parse_use(data.get("use") or "final")
        field = "approved_on"
        approved_on = parse_date(data["approved_on"], field) if parse_text(data.get("approved_on")) else today
        field = "valid_until"
        valid_until = parse_date(data["valid_until"], field) if parse_text(data.get("valid_until")) else None
        field = "document"
        document, document_sha256 = resolve_document(data.get("document"), data.get("document_sha256"), base_dir)
        field = "revoked"
        revoked = _flag(data.get("revoked"))
        field = "superseded_by"
        superseded_by = parse_ref(data["superseded_by"]) if parse_text(data.get("superseded_by")) else None
        field = "sha256/path/c2pa_instance/timeline"
        if not scopes:
            raise LedgerError("no scope; give at least one sha256, path, c2pa_instance or timeline")
        field = "category"
        if not categories:
            raise LedgerError("no category; give at least one, separated by ';'")
        field = "approver"
        if not parse_text(data.get("approver")):
            raise LedgerError("no approver; give the approver's name")
        field = "valid_until"
        approval = build_approval(
            ref=ref, title=data.get("title"), scopes=scopes, categories=categories, use=use,
            approver=data["approver"], role=data.get("role"), org=data.get("org"),
            approved_on=approved_on, valid_until=valid_until, document=document,
            document_sha256=document_sha256, conditions=data.get("conditions"),
        )
    except LedgerError as exc:
        raise LedgerError(f"{label}, field {field}: {exc}") from None
    reason = (parse_text(data.get("revoked_reason")) or "revoked before import") if revoked else None
    return ImportRecord(label, approval, reason, superseded_by)


def read_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(label, raw record) pairs from a CSV or JSON file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}; pass a UTF-8 CSV or JSON file") from None
    is_json = path.suffix.lower() == ".json" or (path.suffix.lower() != ".csv" and text.lstrip()[:1] in "[{")
    return _json_records(path, text) if is_json else _csv_records(path, text)


def _csv_records(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out: list[tuple[str, dict[str, Any]]] = []
    start = 2
    try:
        for row in reader:
            if any((v or "").strip() for k, v in row.items() if k is not None and not k.startswith("#")) \
                    or None in row:
                out.append((f"{path.name} line {start}", row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise LedgerError(f"{path.name} line {reader.line_num}: {exc}; fix the CSV quoting") from None
    if reader.fieldnames is None:
        raise LedgerError(f"{path.name} is empty; the first line must name the columns, e.g. ref,sha256,...")
    # The header is checked even without rows: an unknown column aborts the import, rows or not.
    for column in reader.fieldnames:
        if _field_name(column) not in _KNOWN and not column.startswith("#"):
            hint = " (an empty column name: check for a trailing comma)" if not column.strip() else ""
            raise LedgerError(f"{path.name} line 1: unknown column {column!r}{hint}; rename or remove it "
                              f"(expected some of: {', '.join(CSV_FIELDS)})")
    return out


def _json_records(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{path.name} line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("approvals"), list):
        items, lines = data["approvals"], [None] * len(data["approvals"])
    elif isinstance(data, list):
        items, lines = data, _element_lines(text)
    else:
        raise LedgerError(f"{path.name}: expected a JSON list of approvals (as `ledger export` writes)")
    out = []
    for number, (item, line) in enumerate(zip(items, lines, strict=True), 1):
        label = f"{path.name} record {number}" + (f" (line {line})" if line else "")
        if not isinstance(item, dict):
            raise LedgerError(f"{label}: expected an object with a 'ref'")
        out.append((label, item))
    return out


def _element_lines(text: str) -> list[int | None]:
    """The line on which each element of a top-level JSON array starts."""
    decoder = json.JSONDecoder()
    lines: list[int | None] = []
    index = text.index("[") + 1
    while True:
        while text[index].isspace() or text[index] == ",":
            index += 1
        if text[index] == "]":
            return lines
        lines.append(text.count("\n", 0, index) + 1)
        _, index = decoder.raw_decode(text, index)


def to_flat(approval: Approval) -> dict[str, str]:
    """One CSV row; multiple values joined with ';'."""
    data = approval.to_dict()
    row = {k: "" if data.get(k) is None else str(data[k]) for k in CSV_FIELDS if k in data}
    for column, kind in _MULTI.items():
        row[column] = SEPARATOR.join(s.value for s in approval.scopes if s.kind == kind)
    row["category"] = SEPARATOR.join(approval.categories)
    row["revoked"] = "true" if approval.revoked else "false"
    return {k: row.get(k, "") for k in CSV_FIELDS}


def records_to_csv(rows: Iterable[dict[str, str]], fields: Iterable[str] = CSV_FIELDS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def supersession_order(pending: list[ImportRecord]) -> list[ImportRecord]:
    """Links of a chain in the order they can be applied: A -> B before B -> C.

    An approval can only be superseded by one that is not itself superseded,
    so a link into X goes before X's own link. Rows that cannot be ordered
    form a cycle, which is refused naming the line of its last row.
    """
    ordered: list[ImportRecord] = []
    while pending:
        targets = {r.superseded_by.casefold() for r in pending if r.superseded_by}
        ready = [r for r in pending if r.approval.ref.casefold() not in targets
                 or r.superseded_by and r.superseded_by.casefold() == r.approval.ref.casefold()]
        if not ready:
            raise _cycle_error(pending)
        ordered += ready
        pending = [r for r in pending if r not in ready]
    return ordered


def _cycle_error(stuck: list[ImportRecord]) -> LedgerError:
    # Every stuck row is superseded by another stuck row's approval; walk back from one until a row repeats.
    into: dict[str, ImportRecord] = {}
    for record in stuck:
        into.setdefault((record.superseded_by or "").casefold(), record)
    seen: list[ImportRecord] = []
    record = stuck[0]
    while record not in seen:
        seen.append(record)
        record = into[record.approval.ref.casefold()]
    cycle = seen[seen.index(record):][::-1]
    last = max(cycle, key=stuck.index)
    start = cycle.index(min(cycle, key=lambda r: r.approval.ref.casefold()))
    cycle = cycle[start:] + cycle[:start]
    names = " -> ".join([r.approval.ref for r in cycle] + [cycle[0].approval.ref])
    return LedgerError(f"{last.label}, field superseded_by: the superseded_by links form a cycle ({names}), "
                       f"which would leave none of them in force; nothing was imported, break the cycle")
