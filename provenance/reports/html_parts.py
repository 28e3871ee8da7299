"""Pieces of the HTML report: escaping, asset rows, approvals, evidence.

Every value from the audit passes through ``e()``: metadata is attacker
controlled, and a prompt like ``<script>`` must show as text.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from ._text import approver_text, asset_label, c2pa_meaning, notes_text, severity_text, signature_text

# Evidence values longer than this (ComfyUI graphs, A1111 infotext) fold to their first line.
FOLD_CHARS = 160
FIRST_LINE_CHARS = 110
# What thumbnails.py makes. One regex, not a per-character check: thumbnails are ~10 KB each.
_THUMB_URI = re.compile(r"data:image/jpeg;base64,[A-Za-z0-9+/=]*")
PROBLEM_STATUSES = ("revoked", "unapproved", "stale", "expired", "out-of-scope", "needs-review")


def e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def path_html(path: object) -> str:
    """An escaped path that may break after each separator, so long paths wrap at folders."""
    return "/<wbr>".join(e(part) for part in str(path).split("/"))


def folder_of(asset: Mapping[str, Any]) -> str:
    return posixpath.dirname(str(asset["path"])) or "."


def sev_key(item: Mapping[str, Any]) -> str:
    """The filter's severity value of a row: BLOCKER, ISSUE, FYI, none or unchecked."""
    text = severity_text(item)
    return text if text in ("BLOCKER", "ISSUE", "FYI") else ("unchecked" if text == "NOT CHECKED" else "none")


def badge(item: Mapping[str, Any]) -> str:
    text = severity_text(item)
    cls = text if text in ("BLOCKER", "ISSUE", "FYI") else "NONE"
    return f'<span class="sev {cls}">{e(text)}</span>'


def grouped_table(assets: list[dict[str, Any]], thumbs: Mapping[str, str], head: str) -> str:
    """One table, one ``tbody`` per folder with a header row that counts what is in it."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in assets:
        groups.setdefault(folder_of(a), []).append(a)
    bodies = []
    for folder in sorted(groups):
        members = groups[folder]
        bodies.append(f'<tbody data-group="{e(folder)}"><tr class="group"><th colspan="5">'
                      f'<span class="mono">{path_html(folder)}/</span> · {_group_counts(members)}</th></tr>'
                      + "".join(asset_row(a, thumbs) for a in members) + "</tbody>")
    return f"<table>{head}{''.join(bodies)}</table>"


def _group_counts(members: list[dict[str, Any]]) -> str:
    n = len(members)
    parts = [f"{n} asset{'s' if n != 1 else ''}"]
    by_sev: dict[str, int] = {}
    for a in members:
        text = severity_text(a)
        if text != "-":
            by_sev[text] = by_sev.get(text, 0) + 1
    parts += [f"{count} {sev}" for sev, count in sorted(by_sev.items(), key=lambda kv: _SEV_ORDER.get(kv[0], 9))]
    return e(", ".join(parts))


_SEV_ORDER = {"BLOCKER": 0, "ISSUE": 1, "FYI": 2, "NOT CHECKED": 3}
ASSET_HEAD = ("<thead><tr><th>Preview</th><th>Asset</th><th>Status</th><th>Evidence</th>"
              "<th>Approval</th></tr></thead>")


def asset_row(a: dict[str, Any], thumbs: Mapping[str, str]) -> str:
    uri = thumbs.get(str(a["path"]), "")
    # Only our own base64 JPEG URIs go into src; anything else is dropped, never escaped into an attribute.
    thumb = f'<img class="thumb" alt="" src="{uri}">' if _THUMB_URI.fullmatch(uri) else ""
    sha = a.get("sha256")
    label = asset_label(a)
    asset = (f'<div class="mono p">{path_html(label)}</div>'
             f'<div class="small">{e(a.get("kind"))} · {e(a.get("media_type"))} · {e(_size(a.get("size")))}'
             f' · used as <b>{e(a.get("use"))}</b></div>'
             + (f'<div class="small mono sha" title="sha256 {e(sha)}">sha256 {e(str(sha)[:16])}…</div>' if sha else ""))
    if a.get("missing_frames"):
        asset += f'<div class="small">missing frames {e(a["missing_frames"])}</div>'
    status = (f'{badge(a)} <span class="status">{e(a["status"])}</span>'
              f'<div class="why">{e(a.get("explanation"))}</div>{declared_html(a)}')
    return (f'<tr data-sev="{e(sev_key(a))}" data-status="{e(a["status"])}"><td>{thumb}</td>'
            f'<td class="path">{asset}</td><td class="st">{status}</td>'
            f'<td class="evd">{evidence_html(a)}</td><td class="appr">{approvals_html(a)}</td></tr>')


_DECLARED_TEXT = {
    "match": ("ok", "corroborates the ledger"),
    "does-not-cover": ("warn", "is in the ledger but does not cover this file"),
    "unknown": ("bad", "is not in the ledger"),
}


def declared_html(a: Mapping[str, Any]) -> str:
    """What the vendor declared (XMP, C2PA, package manifest) beside what the ledger says."""
    out = []
    for d in a.get("declared_approvals") or []:
        cls, text = _DECLARED_TEXT.get(str(d.get("state")), ("warn", str(d.get("state"))))
        sources = ", ".join(str(s) for s in d.get("sources") or [])
        out.append(f'<div class="decl {cls}">Vendor declares <b class="mono">{e(d.get("ref"))}</b>'
                   f' ({e(sources)}): {e(text)}</div>')
    return "".join(out)


def evidence_html(a: Mapping[str, Any]) -> str:
    gens = ", ".join(a.get("generators", []))
    out = f"<b>{e(a.get('verdict'))}</b>" + (f" · {e(gens)}" if gens else "")
    out += f'<div class="small">{e(a.get("reason"))}</div>'
    c2pa = a.get("c2pa") or {}
    if c2pa.get("state") and c2pa["state"] != "absent":
        fails = "; ".join(c2pa.get("failures", []))
        out += f'<div class="small">C2PA: {e(c2pa["state"])}' + (f" ({e(fails)})" if fails else "") + \
            (f" · signer {e(c2pa['signer'])}" if c2pa.get("signer") else "") + \
            f' <span class="why">{e(c2pa_meaning(c2pa["state"]))}</span></div>'
    for seg in a.get("segments", []):
        out += f'<div class="small">frames {e(seg.get("frames"))}: {e(seg.get("verdict"))}</div>'
    for err in a.get("errors", []):
        out += f'<div class="small">error {e(err.get("code"))}: {e(err.get("message"))}</div>'
    if a.get("notes"):
        out += f'<div class="small note">notes: {e(notes_text(a))}</div>'
    evidence = a.get("evidence", [])
    if evidence:
        items = "".join(
            f"<li><span class=\"mono\">{e(ev.get('scanner'))} · {e(ev.get('location'))}</span> "
            f"<span class=\"small\">{e(ev.get('signal'))}, {e(ev.get('confidence'))}</span>"
            f"{value_html(ev.get('value'))}</li>" for ev in evidence)
        # A flagged asset with little evidence shows it unfolded: what the file says, without a click.
        opened = " open" if a.get("status") != "clean" and len(evidence) <= 3 else ""
        out += (f"<details{opened}><summary>{len(evidence)} evidence item(s)</summary>"
                f"<ul class=\"ev\">{items}</ul></details>")
    return out


def value_html(value: object) -> str:
    """A short value as is; a long or multi-line one (raw workflow JSON) folded to its first line."""
    text = "" if value is None else str(value)
    if len(text) <= FOLD_CHARS and "\n" not in text:
        return f'<pre class="val">{e(text)}</pre>'
    first = text.strip().split("\n", 1)[0]
    if len(first) > FIRST_LINE_CHARS:
        first = first[:FIRST_LINE_CHARS]
    return (f'<details class="raw"><summary><span class="mono">{e(first)}…</span> '
            f'<span class="small">({len(text):,} characters)</span></summary><pre class="val">{e(text)}</pre></details>')


def approvals_html(a: Mapping[str, Any]) -> str:
    matches = a.get("approvals", [])
    if not matches:
        return '<span class="small">none in the ledger</span>'
    return "".join(approval_html(m) for m in matches)


def approval_html(m: Mapping[str, Any]) -> str:
    dates = f"approved {e(m.get('approved_on') or '?')}"
    dates += f", valid until {e(m['valid_until'])}" if m.get("valid_until") else ", no end date"
    lines = [
        f"<div class=\"small\">{e(m.get('outcome'))}: {e(m.get('note'))}</div>",
        f"<div class=\"small\">{e(m.get('use'))} use · {e(', '.join(m.get('categories') or []))}</div>",
        f"<div class=\"small\">by {e(approver_text(m))} · {dates}</div>",
    ]
    if m.get("conditions"):
        lines.append(f"<div class=\"cond\">Conditions: {e(m['conditions'])}</div>")
    if m.get("document") or m.get("document_sha256"):
        sha = f" <span class=\"mono sha\">sha256 {e(m['document_sha256'])}</span>" if m.get("document_sha256") else ""
        lines.append(f"<div class=\"small\">Document: {e(m.get('document') or '(unnamed)')}{sha}</div>")
    sig = signature_text(m)
    if sig:
        lines.append(f"<div class=\"small\">Signature: {e(sig)}</div>")
    return f"<div class=\"ap\"><b class=\"mono\">{e(m.get('ref'))}</b> {e(m.get('title'))}{''.join(lines)}</div>"


def _size(value: object) -> str:
    if not isinstance(value, int):
        return "size unknown"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} bytes"
