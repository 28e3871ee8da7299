"""The HTML report's one script: an offline filter by severity, status and text.

The page's Content-Security-Policy allows exactly this script, by its SHA-256
(``script-src 'sha256-…'``): no other inline script, handler or URL can run,
so a hostile value that somehow became markup still could not execute.
The filter state lives in the URL fragment (``#sev=BLOCKER&status=&q=``), so
a filtered view can be bookmarked or sent, and nothing leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib

SCRIPT = """(function () {
  "use strict";
  var form = document.getElementById("filter");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-sev]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("tbody[data-group]"));
  var folds = Array.prototype.slice.call(document.querySelectorAll("details.rows"));
  var tables = Array.prototype.slice.call(document.querySelectorAll("table")).filter(function (t) {
    return t.querySelector("tr[data-sev]");
  });
  var shown = document.getElementById("shown");
  var keys = ["sev", "status", "q"];
  var start = new URLSearchParams(location.hash.slice(1));
  keys.forEach(function (k) { if (start.has(k)) { form.elements[k].value = start.get(k); } });
  function apply() {
    var sev = form.elements.sev.value, status = form.elements.status.value;
    var q = form.elements.q.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!sev || r.getAttribute("data-sev") === sev) &&
               (!status || r.getAttribute("data-status") === status) &&
               (!q || r.textContent.toLowerCase().indexOf(q) !== -1);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr[data-sev]:not([hidden])"); });
    tables.forEach(function (t) { t.hidden = !t.querySelector("tr[data-sev]:not([hidden])"); });
    var active = Boolean(sev || status || q);
    folds.forEach(function (d) { if (active && d.querySelector("tr[data-sev]:not([hidden])")) { d.open = true; } });
    shown.textContent = n + " of " + rows.length + " rows shown";
    var state = new URLSearchParams();
    keys.forEach(function (k) { if (form.elements[k].value) { state.set(k, form.elements[k].value); } });
    try { history.replaceState(null, "", "#" + state.toString()); } catch (err) { /* file: URLs may refuse */ }
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  form.hidden = false;
  apply();
}());"""

SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
