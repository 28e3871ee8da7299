"""One self-contained HTML file a producer can read and attach to a delivery.

No scripts, no external resources (a Content-Security-Policy says so to the
browser too). Every value from the audit passes through ``e()``: metadata is
attacker-controlled, and a prompt like ``<script>`` must show as text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from ._text import asset_label, severity_text, sort_assets

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_BANNER = {
    "PASS": ("pass", "PASS", "Nothing at or above the fail-on threshold."),
    "FAIL": ("fail", "FAIL", "Generated material needs action before this delivery is accepted."),
    "INCOMPLETE": ("incomplete", "INCOMPLETE", "Some things could not be checked, so this is not a pass."),
}
_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;margin:0 0 16px}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.banner{padding:14px 18px;border-radius:6px;margin:12px 0 18px;color:#fff}
.banner b{font-size:22px;margin-right:12px;letter-spacing:.04em}
.pass{background:#1e7b34}.fail{background:#b3261e}.incomplete{background:#a15c00}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 8px}
.tile{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:90px}
.tile .n{font-size:22px;font-weight:600;display:block}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{border-bottom:1px solid #e3e3e3;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f6;font-weight:600;position:sticky;top:0}
td.path{overflow-wrap:anywhere;min-width:220px;max-width:340px}
.sev{display:inline-block;padding:1px 7px;border-radius:4px;font-weight:600;font-size:12px;color:#fff}
.BLOCKER{background:#b3261e}.ISSUE{background:#c26a00}.FYI{background:#3b6fb6}.NONE{background:#8a8a8a}
.status{font-weight:600}.why{color:#333}.small{font-size:12px;color:#555}
.thumb{max-width:160px;max-height:120px;border:1px solid #ccc;background:#eee;image-rendering:pixelated}
.warn{background:#fff4e0;border-left:4px solid #c26a00;padding:6px 10px;margin:6px 0}
pre.val{white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0;font-size:12px;background:#f7f7f9;padding:4px 6px;max-height:7.5em;overflow:auto}
details summary{cursor:pointer;color:#3b6fb6}
ul.ev{margin:4px 0;padding-left:18px}
td.appr{min-width:200px}
@media print{th{position:static}.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def render(data: dict[str, Any], thumbs: Mapping[str, str] | None = None) -> str:
    thumbs = thumbs or {}
    s = data["summary"]
    css, word, blurb = _BANNER[s["outcome"]]
    sev = s["by_severity"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>GenAI provenance audit: {e(s['outcome'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Generative-AI provenance audit</h1>",
        f'<p class="meta">Delivery <span class="mono">{e(data["root"])}</span> · audited {e(data["audited_on"])}'
        f" · fails on {e(str(data['fail_on']).upper())}{' or worse' if data['fail_on'] != 'never' else ''}</p>",
        f'<div class="banner {css}"><b>{word}</b>{e(blurb)} {s["assets"]} assets, {s["flagged"]} flagged: '
        f"{sev['BLOCKER']} BLOCKER, {sev['ISSUE']} ISSUE, {sev['FYI']} FYI.</div>",
    ]
    parts += [f'<div class="warn">Warning: {e(w)}</div>' for w in data.get("warnings", [])]
    parts += [f'<div class="warn">Not checked: {e(r)}</div>' for r in data.get("incomplete", [])]
    parts.append(_counts(s))
    parts.append(_findings(data["findings"]))
    ordered = sort_assets(data["assets"])
    flagged = [a for a in ordered if a["status"] != "clean"]
    clean = [a for a in ordered if a["status"] == "clean"]
    parts.append(f"<h2>Flagged assets ({len(flagged)})</h2>")
    parts.append(_asset_table(flagged, thumbs) if flagged else "<p>None.</p>")
    if clean:
        parts.append(f"<h2>Clean assets ({len(clean)})</h2>"
                     "<p class=\"small\">No generative-AI evidence and nothing the policy requires. "
                     "Absence of metadata is not proof of absence: stripped files can only be caught "
                     "by a vendor manifest or the ledger.</p>")
        parts.append(f"<details><summary>Show {len(clean)} clean assets</summary>{_asset_table(clean, thumbs)}</details>")
    parts.append(_run_info(data))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _badge(item: dict[str, Any]) -> str:
    text = severity_text(item)
    cls = text if text in ("BLOCKER", "ISSUE", "FYI") else "NONE"
    return f'<span class="sev {cls}">{e(text)}</span>'


def _counts(s: dict[str, Any]) -> str:
    tiles = "".join(f'<div class="tile"><span class="n">{n}</span>{e(k)}</div>'
                    for k, n in s["by_severity"].items())
    statuses = "".join(f'<div class="tile"><span class="n">{n}</span>{e(k)}</div>'
                       for k, n in s["by_status"].items() if n)
    return f"<h2>By severity</h2><div class=\"tiles\">{tiles}</div><h2>By status</h2><div class=\"tiles\">{statuses}</div>"


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<h2>Delivery findings (0)</h2><p>None.</p>"
    rows = "".join(
        f"<tr><td>{_badge(f)}</td><td class=\"mono\">{e(f['code'])}</td><td class=\"path mono\">"
        f"{e(f.get('path') or f.get('approval') or '')}</td><td>{e(f['message'])}</td></tr>" for f in findings)
    return (f"<h2>Delivery findings ({len(findings)})</h2><table><tr><th>Severity</th><th>Finding</th>"
            f"<th>Subject</th><th>Detail</th></tr>{rows}</table>")


def _asset_table(assets: list[dict[str, Any]], thumbs: Mapping[str, str]) -> str:
    head = ("<table><tr><th>Preview</th><th>Asset</th><th>Status</th><th>Verdict and evidence</th>"
            "<th>Approvals</th></tr>")
    return head + "".join(_asset_row(a, thumbs) for a in assets) + "</table>"


def _asset_row(a: dict[str, Any], thumbs: Mapping[str, str]) -> str:
    uri = thumbs.get(str(a["path"]), "")
    # Only our own base64 JPEG URIs go into src; anything else is dropped, never escaped into an attribute.
    thumb = f'<img class="thumb" alt="" src="{uri}">' if uri.startswith("data:image/jpeg;base64,") and \
        all(c.isalnum() or c in "+/=:;,-" for c in uri) else ""
    sha = a.get("sha256")
    asset = (f'<div class="mono">{e(asset_label(a))}</div>'
             f'<div class="small">{e(a.get("kind"))} · {e(a.get("media_type"))} · {e(_size(a.get("size")))}'
             f' · used as <b>{e(a.get("use"))}</b></div>'
             + (f'<div class="small mono" title="{e(sha)}">sha256 {e(sha[:16])}…</div>' if sha else ""))
    if a.get("missing_frames"):
        asset += f'<div class="small">missing frames {e(a["missing_frames"])}</div>'
    status = (f'{_badge(a)} <span class="status">{e(a["status"])}</span>'
              f'<div class="why">{e(a.get("explanation"))}</div>')
    return (f"<tr><td>{thumb}</td><td class=\"path\">{asset}</td><td>{status}</td>"
            f"<td>{_verdict(a)}</td><td class=\"appr\">{_approvals(a)}</td></tr>")


def _verdict(a: dict[str, Any]) -> str:
    gens = ", ".join(a.get("generators", []))
    out = f"<b>{e(a.get('verdict'))}</b>" + (f" · {e(gens)}" if gens else "")
    out += f'<div class="small">{e(a.get("reason"))}</div>'
    c2pa = a.get("c2pa") or {}
    if c2pa.get("state") and c2pa["state"] != "absent":
        fails = "; ".join(c2pa.get("failures", []))
        out += f'<div class="small">C2PA: {e(c2pa["state"])}' + (f" ({e(fails)})" if fails else "") + \
            (f" · signer {e(c2pa['signer'])}" if c2pa.get("signer") else "") + "</div>"
    for seg in a.get("segments", []):
        out += f'<div class="small">frames {e(seg.get("frames"))}: {e(seg.get("verdict"))}</div>'
    for err in a.get("errors", []):
        out += f'<div class="small">error {e(err.get("code"))}: {e(err.get("message"))}</div>'
    evidence = a.get("evidence", [])
    if evidence:
        items = "".join(
            f"<li><span class=\"mono\">{e(ev.get('scanner'))} · {e(ev.get('location'))}</span> "
            f"<span class=\"small\">{e(ev.get('signal'))}, {e(ev.get('confidence'))}</span>"
            f"<pre class=\"val\">{e(ev.get('value'))}</pre></li>" for ev in evidence)
        # A flagged asset with little evidence shows it unfolded: what the file says, without a click.
        opened = " open" if a.get("status") != "clean" and len(evidence) <= 3 else ""
        out += (f"<details{opened}><summary>{len(evidence)} evidence item(s)</summary>"
                f"<ul class=\"ev\">{items}</ul></details>")
    return out


def _approvals(a: dict[str, Any]) -> str:
    matches = a.get("approvals", [])
    if not matches:
        return '<span class="small">none</span>'
    out = []
    for m in matches:
        until = f", valid until {e(m['valid_until'])}" if m.get("valid_until") else ""
        out.append(f"<div><b class=\"mono\">{e(m['ref'])}</b> {e(m.get('title'))}"
                   f"<div class=\"small\">{e(m['outcome'])}: {e(m.get('note'))}</div>"
                   f"<div class=\"small\">{e(m.get('use'))} use · {e(', '.join(m.get('categories', [])))} · "
                   f"approved by {e(m.get('approver'))}{until}</div></div>")
    return "".join(out)


def _size(value: object) -> str:
    if not isinstance(value, int):
        return "size unknown"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} bytes"


def _run_info(data: dict[str, Any]) -> str:
    ledger = data["ledger"]
    scanners = ", ".join(f"{s['id']} {s['version']}" for s in data.get("scanners", []))
    rows = [
        ("Tool", f"provenance {data.get('tool_version')} · schema {data.get('schema')}"),
        ("Scanners", scanners),
        ("Policy", f"{data['policy']['source']} · sha256 {data['policy']['sha256']}"),
        ("Ledger", f"{ledger.get('path') or '-'} · {ledger.get('state')} · {ledger.get('approvals')} approvals"
                   + (f" · head {ledger['head']}" if ledger.get("head") else "")),
        ("Skipped", f"{len(data.get('skipped', []))} files (sidecars, manifests, system clutter)"),
    ]
    body = "".join(f"<tr><th>{e(k)}</th><td class=\"mono\">{e(v)}</td></tr>" for k, v in rows)
    return f"<h2>Run</h2><table>{body}</table>"
