"""The cut-aware section of the audit reports: where each flagged span sits in each timeline.

Renders from the canonical audit dict's ``timelines`` list (absent when the
audit had no ``--timeline``), so a saved audit re-renders the same.
"""

from __future__ import annotations

from typing import Any

from .html_parts import e as _e

# Span colours by status: approved green, unapproved and revoked red, the rest (needs a look) amber.
_COLOUR = {"approved": "#1e7b34", "unapproved": "#b3261e", "revoked": "#b3261e", "expired": "#c26a00",
           "stale": "#c26a00", "out-of-scope": "#c26a00", "needs-review": "#a15c00"}
STYLE = """
.cut{margin:8px 0 18px}
.strip{position:relative;height:22px;background:#ececf0;border:1px solid #ccc;margin:2px 0 6px}
.strip .sp{position:absolute;top:0;bottom:0;min-width:2px;opacity:.9}
.trk{display:flex;align-items:center;gap:8px}.trk .lbl{width:48px;font-weight:600;font-size:12px}
.trk .strip{flex:1}.ruler{flex:1;display:flex;justify-content:space-between;margin-top:-4px}
.legend span{display:inline-block;padding:0 6px;margin-right:6px;color:#fff;border-radius:3px;font-size:12px}
"""


def html_section(data: dict[str, Any]) -> str:
    timelines = data.get("timelines") or []
    if not timelines:
        return ""
    plural = "s" if len(timelines) != 1 else ""
    out = [f"<style>{STYLE}</style>", f"<h2>In the cut ({len(timelines)} timeline{plural})</h2>"]
    legend = "".join(f'<span style="background:{c}">{_e(s)}</span>' for s, c in _COLOUR.items()
                     if s in ("approved", "unapproved", "expired", "needs-review"))
    out.append(f'<p class="legend small">{legend} Each bar is one track; coloured spans show flagged material.</p>')
    statuses = {str(a.get("path")): str(a.get("status")) for a in data.get("assets", [])}
    for t in timelines:
        out.append(_one(t, statuses))
    return "\n".join(out)


def _one(t: dict[str, Any], statuses: dict[str, str]) -> str:
    start, end = int(t.get("start", 0)), int(t.get("end", 0))
    length = max(end - start, 1)
    spans = t.get("spans", [])
    parts = [f'<div class="cut"><h3 class="mono">{_e(t.get("name"))}</h3>'
             f'<p class="small">{_e(t.get("path"))} · {_e(t.get("format"))} · {_e(t.get("rate_label"))} fps'
             f'{" drop-frame" if t.get("drop_frame") else ""} · {_e(t.get("tc_start"))}–{_e(t.get("tc_end"))}'
             f' · {len(t.get("clips", []))} clips · sha256 {_e(str(t.get("sha256", ""))[:16])}…</p>']
    for track in t.get("tracks", []):
        bars = []
        for s in spans:
            if s.get("track") != track:
                continue
            left = (int(s["record_in"]) - start) / length * 100
            width = (int(s["record_out"]) - int(s["record_in"])) / length * 100
            colour = _COLOUR.get(str(s.get("status")), "#555")
            tip = f"{s.get('tc_in')}–{s.get('tc_out')} {s.get('clip')} · {s.get('asset')} · {s.get('status')}"
            bars.append(f'<div class="sp" style="left:{left:.3f}%;width:{width:.3f}%;background:{colour}" '
                        f'title="{_e(tip)}"></div>')
        parts.append(f'<div class="trk"><span class="lbl mono">{_e(track)}</span>'
                     f'<div class="strip">{"".join(bars)}</div></div>')
    parts.append('<div class="trk"><span class="lbl"></span><div class="ruler small mono">'
                 f'<span>{_e(t.get("tc_start"))}</span><span>{_e(t.get("tc_end"))}</span></div></div>')
    if spans:
        rows = "".join(
            f"<tr><td>{_badge(s)}</td><td class=\"mono\">{_e(s.get('track'))}</td>"
            f"<td class=\"mono\">{_e(s.get('tc_in'))}</td><td class=\"mono\">{_e(s.get('tc_out'))}</td>"
            f"<td>{_e(s.get('clip'))}</td><td class=\"path mono\">{_e(s.get('asset'))}"
            + (f"<div class=\"small\">frames {_e(s.get('frames'))}</div>" if s.get("frames") else "")
            + f"</td><td><span class=\"status\">{_e(s.get('status'))}</span>"
            f"<div class=\"why\">{_e(s.get('explanation'))}</div>"
            + (f"<div class=\"small\">{_e(s.get('note'))}</div>" if s.get("note") else "")
            + "</td></tr>" for s in spans)
        parts.append("<table><tr><th>Severity</th><th>Track</th><th>Record in</th><th>Record out</th><th>Clip</th>"
                     f"<th>Asset</th><th>Status</th></tr>{rows}</table>")
    else:
        parts.append("<p>No flagged material in this cut.</p>")
    unused = t.get("unused_flagged", [])
    if unused:
        items = "".join(f"<li><span class=\"mono\">{_e(u)}</span> · {_e(statuses.get(str(u), '?'))}</li>"
                        for u in unused)
        parts.append(f"<p class=\"small\">Flagged assets this cut does not use ({len(unused)}); they keep the "
                     f"status their place in the delivery gives them (above):</p><ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)


def _badge(span: dict[str, Any]) -> str:
    sev = span.get("severity")
    cls = sev if sev in ("BLOCKER", "ISSUE", "FYI") else "NONE"
    return f'<span class="sev {cls}">{_e(sev or "none")}</span>'


def text_section(data: dict[str, Any]) -> str:
    """Plain-text form for the table report."""
    timelines = data.get("timelines") or []
    out = []
    for t in timelines:
        spans = t.get("spans", [])
        out.append(f"\nIn the cut: {t.get('name')} ({t.get('path')}, {t.get('rate_label')} fps"
                   f"{' drop-frame' if t.get('drop_frame') else ''}, {t.get('tc_start')}-{t.get('tc_end')}, "
                   f"{len(spans)} flagged span(s))")
        rows = [("SEVERITY", "TRACK", "REC IN", "REC OUT", "CLIP", "STATUS", "ASSET")]
        for s in spans:
            asset = str(s.get("asset")) + (f" [{s.get('frames')}]" if s.get("frames") else "")
            rows.append((str(s.get("severity") or "-"), str(s.get("track")), str(s.get("tc_in")),
                         str(s.get("tc_out")), str(s.get("clip")), str(s.get("status")), asset))
        if len(rows) > 1:
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
            out += ["  " + "  ".join([*(c.ljust(widths[i]) for i, c in enumerate(r[:-1])), r[-1]]).rstrip()
                    for r in rows]
        unused = t.get("unused_flagged", [])
        if unused:
            out.append(f"  not in this cut ({len(unused)} flagged, status unchanged): " + ", ".join(unused))
    return "\n".join(out) + ("\n" if out else "")
