"""SVRL reports → findings: failed asserts and successful reports, with role, ids and line.

Severity follows the kit (reference §8.2): role `error`, `fatal` or no role → error (the kit's
hand-written asserts and reports carry no role and are errors); `warning` → warning;
`info`/`information`/`note` → info.
"""

from __future__ import annotations

import re

from lxml import etree

from harness.core.findings import Finding, Severity

SVRL = "http://purl.oclc.org/dsdl/svrl"
_MAX_FINDINGS = 500
_SPACES = re.compile(r"\s+")
_ROLES = {"warning": Severity.WARNING, "warn": Severity.WARNING, "info": Severity.INFO,
          "information": Severity.INFO, "note": Severity.INFO}


def severity_of(role: str | None) -> Severity:
    return _ROLES.get((role or "").strip().lower(), Severity.ERROR)


def line_of(tree: etree._ElementTree, steps: str | None) -> int | None:
    """Line of the element reached by child-element positions `1/3/2` from the root."""
    if not steps:
        return None
    element = None
    try:
        for position in (int(s) for s in steps.split("/")):
            if element is None:
                element = tree.getroot()
                continue
            element = [child for child in element if isinstance(child.tag, str)][position - 1]
    except (ValueError, IndexError):
        return None
    return element.sourceline if element is not None else None


def svrl_findings(svrl: str, requirement: str, label: str, tree: etree._ElementTree) -> list[Finding]:
    """Findings of one SVRL report; `label` names the schematron (kit-relative path)."""
    report = etree.fromstring(svrl.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    found = [e for e in report if e.tag in (f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report")]
    findings: list[Finding] = []
    for element in found[:_MAX_FINDINGS]:
        kind = "assert" if str(element.tag).endswith("failed-assert") else "report"
        text = _SPACES.sub(" ", "".join(element.itertext())).strip()
        ids = [f"{name}={element.get(name)}" for name in ("id", "role", "pattern", "rule") if element.get(name)]
        tag = f"[{', '.join(ids)}] " if ids else ""
        verb_fr = "assertion non satisfaite" if kind == "assert" else "rapport déclenché"
        verb_en = "failed assert" if kind == "assert" else "successful report"
        findings.append(Finding(
            requirement, severity_of(element.get("role")),
            f"{label} : {verb_fr} {tag}{text} (test : {_short(element.get('test'))})",
            f"{label}: {verb_en} {tag}{text} (test: {_short(element.get('test'))})",
            location=element.get("location"), line=line_of(tree, element.get("steps"))))
    hidden = len(found) - len(findings)
    if hidden > 0:
        findings.append(Finding(requirement, Severity.INFO, f"{label} : … et {hidden} autre(s) résultat(s) non listé(s)",
                                f"{label}: … and {hidden} more result(s) not listed", not_listed=hidden))
    return findings


def _short(test: str | None, limit: int = 160) -> str:
    test = _SPACES.sub(" ", test or "").strip()
    return test if len(test) <= limit else test[: limit - 1] + "…"
