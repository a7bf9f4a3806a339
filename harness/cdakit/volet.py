"""Which volet schematron applies to a document (reference §6.3).

N1 (nonXMLBody) → none. N3 → the first templateId of the document's header that names a volet
(pack data `volets`), at the version given by its @extension; when the kit does not ship that
version (or there is none), the latest version the kit ships, with a CISIS-KIT-VOLET warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from harness.cdakit.layout import KitLayout
from harness.findings import Finding, Severity

HL7 = "urn:hl7-org:v3"
VOLET_REQUIREMENT = "CISIS-KIT-VOLET"


@dataclass
class VoletChoice:
    schematron: Path | None = None
    volet: str | None = None
    version: str | None = None
    findings: list[Finding] = field(default_factory=list)


def clinical_document(tree: etree._ElementTree) -> etree._Element | None:
    root = tree.getroot()
    if root.tag == f"{{{HL7}}}ClinicalDocument":
        return root
    return next(root.iter(f"{{{HL7}}}ClinicalDocument"), None)  # self-presenting document


def _version_key(version: str) -> tuple[str, str]:
    year = version.rsplit("_", 1)[-1]
    return (year, version)


def choose_volet(tree: etree._ElementTree, layout: KitLayout) -> VoletChoice:
    document = clinical_document(tree)
    if document is None or document.find(f"{{{HL7}}}component/{{{HL7}}}nonXMLBody") is not None:
        return VoletChoice()  # N1: the volet schematron does not apply
    for template in document.findall(f"{{{HL7}}}templateId"):
        volet = layout.volet_ids.get(template.get("root", ""))
        if volet is None:
            continue
        versions = layout.volet_versions(volet)
        extension = template.get("extension")
        if not versions:
            return VoletChoice(volet=volet, version=extension, findings=[Finding(
                VOLET_REQUIREMENT, Severity.WARNING,
                f"Le kit ne fournit aucun schématron pour le volet {volet} : volet non vérifié",
                f"The kit ships no schematron for volet {volet}: volet not checked", location="/ClinicalDocument/templateId",
                line=template.sourceline)])
        if extension in versions:
            return VoletChoice(versions[extension], volet, extension)
        chosen = max(versions, key=_version_key)
        said = f"« {extension} »" if extension else "absente"
        said_en = f"'{extension}'" if extension else "missing"
        return VoletChoice(versions[chosen], volet, chosen, [Finding(
            VOLET_REQUIREMENT, Severity.WARNING,
            f"Version du volet {volet} {said} non fournie par le kit (versions : {', '.join(sorted(versions))}) : vérifié avec {chosen}",
            f"Volet {volet} version {said_en} not shipped by the kit (versions: {', '.join(sorted(versions))}): checked with {chosen}",
            location="/ClinicalDocument/templateId", line=template.sourceline)])
    return VoletChoice(findings=[Finding(
        VOLET_REQUIREMENT, Severity.WARNING,
        "Document N3 sans templateId de volet connu : aucun schématron de volet appliqué",
        "N3 document without a known volet templateId: no volet schematron applied", location="/ClinicalDocument")])
