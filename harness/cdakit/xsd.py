"""XSD validation with the kit's CDA_extended.xsd (lxml decides pass/fail).

The schema is compiled once per process per kit folder. Includes and imports are resolved
ignoring case (the kit was written on Windows). A schema that cannot be compiled is a kit
defect, not a crash.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lxml import etree

from harness.cdakit.defects import KitDefect
from harness.cdakit.paths import resolve_ci
from harness.core.findings import Finding, Severity

XSD_REQUIREMENT = "CISIS-KIT-XSD"
_MAX_ERRORS = 200


class _CaseInsensitiveResolver(etree.Resolver):
    """Serves a schema file whose name differs only by case from the one referenced."""

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        if not system_url or "://" in system_url and not system_url.startswith("file:"):
            return None
        path = Path(unquote(urlparse(system_url).path) if system_url.startswith("file:") else system_url)
        if path.exists():
            return None
        anchor = path.anchor or "/"
        resolved = resolve_ci(Path(anchor), path.relative_to(anchor).as_posix()) if path.is_absolute() else None
        return self.resolve_filename(str(resolved.path), context) if resolved else None


@lru_cache(maxsize=4)
def _schema(xsd_path: str) -> tuple[etree.XMLSchema | None, str | None]:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    parser.resolvers.add(_CaseInsensitiveResolver())
    try:
        return etree.XMLSchema(etree.parse(xsd_path, parser)), None
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        return None, str(exc)


def schema_defect(xsd_path: Path, kit_root: Path) -> KitDefect | None:
    """The kit defect that keeps the schema from compiling, if any."""
    schema, error = _schema(str(xsd_path))
    if schema is not None:
        return None
    where = xsd_path.relative_to(kit_root).as_posix() if xsd_path.is_relative_to(kit_root) else str(xsd_path)
    return KitDefect("compile", where, f"schéma XSD du kit inutilisable : {error}", f"the kit's XSD cannot be compiled: {error}")


def _readable_path(tree: etree._ElementTree, path: str | None) -> str | None:
    """libxml2's `/*/*[8]` as `/ClinicalDocument[1]/effectiveTime[1]`, the form SVRL locations take."""
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return path
    if not found or not isinstance(found[0], etree._Element):
        return path
    steps = []
    for element in reversed([found[0], *found[0].iterancestors()]):
        name = f"{element.prefix}:{etree.QName(element).localname}" if element.prefix else etree.QName(element).localname
        parent = element.getparent()
        same = [e for e in parent if e.tag == element.tag] if parent is not None else [element]
        steps.append(f"/{name}[{same.index(element) + 1}]")
    return "".join(steps)


def xsd_findings(tree: etree._ElementTree, xsd_path: Path) -> list[Finding]:
    """One error finding per schema violation, with its line; [] when the document is valid."""
    schema, _error = _schema(str(xsd_path))
    assert schema is not None, "call schema_defect() first"
    if schema.validate(tree):
        return []
    findings: list[Finding] = []
    for entry in list(schema.error_log)[:_MAX_ERRORS]:
        findings.append(Finding(
            XSD_REQUIREMENT, Severity.ERROR,
            f"Non conforme au schéma CDA_extended.xsd du kit : {entry.message}",
            f"Not valid against the kit's CDA_extended.xsd: {entry.message}",
            location=_readable_path(tree, entry.path), line=entry.line or None))
    hidden = len(schema.error_log) - len(findings)
    if hidden > 0:
        findings.append(Finding(XSD_REQUIREMENT, Severity.INFO, f"… et {hidden} autre(s) erreur(s) de schéma non listée(s)",
                                f"… and {hidden} more schema error(s) not listed", not_listed=hidden))
    return findings
