"""JUnit XML for CI servers: one testcase per asset, built with xml.etree.

An asset whose severity reaches the audit's --fail-on threshold is a
``<failure>``, one that could not be read is an ``<error>``; the rest pass,
with status and approvals as ``<properties>``. Delivery-level findings form a
second suite so CI shows them too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from provenance.audit.policy import SEVERITY_RANK

from ._text import approval_refs, asset_label

_XML_UNSAFE = {c: "\ufffd" for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}


def _clean(value: object) -> str:
    """XML 1.0 cannot carry most control characters even escaped; metadata may contain them."""
    return str(value if value is not None else "").translate(_XML_UNSAFE)


def _fails(severity: str | None, fail_on: str) -> bool:
    if severity is None or fail_on == "never":
        return False
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[fail_on.upper()]


def render(data: dict[str, Any]) -> str:
    fail_on = data.get("fail_on", "issue")
    root = ET.Element("testsuites", name="provenance audit")
    assets = ET.SubElement(root, "testsuite", name="assets")
    failures = errors = 0
    for a in sorted(data["assets"], key=lambda x: str(x["path"])):
        path = str(a["path"])
        case = ET.SubElement(assets, "testcase", classname=_clean(path.rsplit("/", 1)[0] if "/" in path else "."),
                             name=_clean(asset_label(a)))
        props = ET.SubElement(case, "properties")
        for name, value in (("status", a["status"]), ("severity", a.get("severity") or "none"),
                            ("use", a.get("use")), ("verdict", a.get("verdict")),
                            ("approvals", approval_refs(a)), ("sha256", a.get("sha256"))):
            if value:
                ET.SubElement(props, "property", name=name, value=_clean(value))
        if a.get("checked") is False:
            errors += 1
            ET.SubElement(case, "error", type="not-checked", message=_clean(a.get("explanation")))
        elif _fails(a.get("severity"), fail_on):
            failures += 1
            fail = ET.SubElement(case, "failure", type=_clean(a["status"]),
                                 message=_clean(f"{a['severity']}: {a['status']}"))
            fail.text = _clean(a.get("explanation"))
    assets.set("tests", str(len(data["assets"])))
    assets.set("failures", str(failures))
    assets.set("errors", str(errors))

    findings = ET.SubElement(root, "testsuite", name="findings")
    f_failures = 0
    for i, f in enumerate(data["findings"], 1):
        subject = f.get("path") or f.get("approval") or str(i)
        case = ET.SubElement(findings, "testcase", classname=_clean(f["code"]), name=_clean(subject))
        if _fails(f.get("severity"), fail_on):
            f_failures += 1
            ET.SubElement(case, "failure", type=_clean(f["code"]),
                          message=_clean(f"{f['severity']}: {f['message']}"))
    # Could-not-check is never a pass: one error case says why the audit is incomplete.
    case = ET.SubElement(findings, "testcase", classname="audit", name="complete")
    if not data.get("complete", False):
        ET.SubElement(case, "error", type="incomplete",
                      message=_clean("; ".join(data.get("incomplete", [])) or "the audit is incomplete"))
    findings.set("tests", str(len(data["findings"]) + 1))
    findings.set("failures", str(f_failures))
    findings.set("errors", "0" if data.get("complete", False) else "1")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
