"""Which volet schematron applies to a document (reference §6.3).

N1 (nonXMLBody) → none. N3 → the first templateId of the document's header that names a volet
(pack data `kit_volets`), at the version the native validator inferred for it
(harness/cda/voletversion.py: declared @extension, the volet version declared without extension,
or --volet-version), so that both modes judge the same version. A version the kit does not ship:
no volet schematron, with a CISIS-KIT-VOLET warning. An undetermined version: every version the
kit ships is tried, and the findings of the one that fits best are kept (a document fails the
volet only when it conforms to none), with a CISIS-KIT-VOLET warning. Never "the newest".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from harness.cda.voletversion import DECLARED, UNDETERMINED, VersionInference
from harness.cdakit.layout import KitLayout
from harness.core.findings import Finding, Severity

HL7 = "urn:hl7-org:v3"
VOLET_REQUIREMENT = "CISIS-KIT-VOLET"


@dataclass
class VoletChoice:
    schematrons: list[tuple[str, Path]] = field(default_factory=list)  # (version, schematron): one, or every candidate
    volet: str | None = None
    findings: list[Finding] = field(default_factory=list)


def clinical_document(tree: etree._ElementTree) -> etree._Element | None:
    root = tree.getroot()
    if root.tag == f"{{{HL7}}}ClinicalDocument":
        return root
    return next(root.iter(f"{{{HL7}}}ClinicalDocument"), None)  # self-presenting document


def _finding(severity: Severity, fr: str, en: str, template: etree._Element) -> Finding:
    return Finding(VOLET_REQUIREMENT, severity, fr, en, location="/ClinicalDocument/templateId", line=template.sourceline)


def choose_volet(tree: etree._ElementTree, layout: KitLayout, inference: VersionInference | None = None) -> VoletChoice:
    """The volet schematron(s) for `tree`; `inference` is the native validator's version (else the declared @extension)."""
    document = clinical_document(tree)
    if document is None or document.find(f"{{{HL7}}}component/{{{HL7}}}nonXMLBody") is not None:
        return VoletChoice()  # N1: the volet schematron does not apply
    for template in document.findall(f"{{{HL7}}}templateId"):
        volet = layout.volet_ids.get(template.get("root", ""))
        if volet is None:
            continue
        versions = layout.volet_versions(volet)
        if not versions:
            return VoletChoice(volet=volet, findings=[_finding(
                Severity.WARNING, f"Le kit ne fournit aucun schématron pour le volet {volet} : volet non vérifié",
                f"The kit ships no schematron for volet {volet}: volet not checked", template)])
        if inference is None:  # no native inference given: the declared extension, else undetermined
            extension = template.get("extension")
            inference = VersionInference(extension, DECLARED, "", "") if extension in versions else VersionInference(
                None, UNDETERMINED, f"version du volet {volet} indéterminée", f"volet {volet} version undetermined")
        shipped = ", ".join(sorted(versions))
        if inference.version is None:
            return VoletChoice(sorted(versions.items()), volet, [_finding(
                Severity.WARNING, f"{inference.why_fr} ; vérifié avec chaque version du kit ({shipped}), résultats de la plus conforme",
                f"{inference.why_en}; checked with every version the kit ships ({shipped}), findings of the best fitting one", template)])
        if inference.version not in versions:
            return VoletChoice(volet=volet, findings=[_finding(
                Severity.WARNING,
                f"Version {inference.version} du volet {volet} non fournie par le kit (versions : {shipped}) : volet non vérifié",
                f"Volet {volet} version {inference.version} not shipped by the kit (versions: {shipped}): volet not checked", template)])
        choice = VoletChoice([(inference.version, versions[inference.version])], volet)
        if not inference.declared:
            choice.findings.append(_finding(Severity.INFO,
                                            f"Volet {volet} vérifié avec la version {inference.version} : {inference.why_fr}",
                                            f"Volet {volet} checked with version {inference.version}: {inference.why_en}", template))
        return choice
    return VoletChoice(findings=[Finding(
        VOLET_REQUIREMENT, Severity.WARNING,
        "Document N3 sans templateId de volet connu : aucun schématron de volet appliqué",
        "N3 document without a known volet templateId: no volet schematron applied", location="/ClinicalDocument")])
