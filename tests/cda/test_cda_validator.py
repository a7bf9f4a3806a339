"""The CDA validator's report: detected volet and version, self-presenting documents, profile selection, kit hook."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from harness.findings import Finding, Severity
from harness.packs import PackRegistry
from harness.validation import ValidationContext, validate_bytes, validate_file
from harness.verdicts import ArtefactVerdict

from cda_mutants import FIXTURES  # type: ignore[import-not-found]

REGISTRY = PackRegistry.load()
CONTEXT = ValidationContext(registry=REGISTRY)


def test_detected_volet_and_version() -> None:
    expected = {
        "cr-bio-2024.xml": ("CR-BIO", "2024.01"), "ldl-ses-2022.xml": ("LDL-SES", "2022.01"), "vsm-2023.xml": ("VSM", "2023.01"),
        "self-presenting-vsm.xml": ("VSM", "2023.01"), "sm-n3-ldl-ees.xml": ("LDL-EES", "2022.01"), "n1-pdf.xml": ("N1", None),
    }
    for name, (profile, version) in expected.items():
        report = validate_file(FIXTURES / name, CONTEXT)
        assert (report.profile, report.version) == (profile, version), name


def test_volet_version_alias_is_known() -> None:
    data = (FIXTURES / "vsm-2023.xml").read_bytes().replace(b'extension="2023.01"', b'extension="201310"')
    report = validate_bytes(data, "vsm.xml", CONTEXT)
    assert (report.profile, report.version, report.verdict) == ("VSM", "1.4_2022.01", ArtefactVerdict.PASSED)
    assert report.findings == []


def test_self_presenting_document_is_validated_on_its_embedded_document() -> None:
    data = (FIXTURES / "self-presenting-vsm.xml").read_bytes().replace(b'<realmCode code="FR"/>', b'<realmCode code="EN"/>')
    report = validate_bytes(data, "sp.xml", CONTEXT)
    assert report.verdict is ArtefactVerdict.FAILED
    assert [(f.requirement, f.location) for f in report.findings] == [("SM-REALMCODE", "/xsl:stylesheet/ClinicalDocument[1]/realmCode[1]/@code")]


def test_two_embedded_documents_fail_the_root_rule() -> None:
    text = (FIXTURES / "self-presenting-vsm.xml").read_text(encoding="utf-8")
    start, end = text.index("<ClinicalDocument"), text.index("</ClinicalDocument>") + len("</ClinicalDocument>")
    doubled = text[:end] + text[start:end] + text[end:]
    report = validate_bytes(doubled.encode(), "sp2.xml", CONTEXT)
    assert report.verdict is ArtefactVerdict.FAILED
    assert {f.requirement for f in report.findings} == {"CDA-ROOT"}


def test_selected_profile_limits_the_rules_that_run() -> None:
    context = ValidationContext(registry=REGISTRY, selected=[REGISTRY.get("ci-sis-cda-structure")])
    data = (FIXTURES / "vsm-2023.xml").read_bytes().replace(b'<realmCode code="FR"/>', b"")
    report = validate_bytes(data, "vsm.xml", context)
    assert report.verdict is ArtefactVerdict.PASSED  # SM-REALMCODE is not selected
    assert report.evaluated and all(i.startswith("CDA-") for i in report.evaluated)


def test_severity_follows_the_pack_level() -> None:
    """The level in the pack decides the severity: SHOULD → warning, the document still PASSES."""
    data = (FIXTURES / "vsm-2023.xml").read_bytes().replace(b'code="N" codeSystem', b'code="L" codeSystem')
    report = validate_bytes(data, "vsm.xml", CONTEXT)
    assert report.verdict is ArtefactVerdict.PASSED
    assert [(f.requirement, f.severity) for f in report.findings] == [("SM-CONFIDENTIALITY-CISIS", Severity.WARNING)]


def test_kit_findings_are_called_only_with_a_kit(monkeypatch, tmp_path: Path) -> None:
    calls = []

    def kit_findings(tree, data, kit_dir):  # noqa: ANN001, ANN202
        calls.append((tree.getroot().tag, len(data), kit_dir))
        return [Finding("CDA-ROOT", Severity.ERROR, "kit fr", "kit en", "/ClinicalDocument", 1)], ["CDA-ROOT"]

    monkeypatch.setitem(sys.modules, "harness.cdakit", types.SimpleNamespace(kit_findings=kit_findings))
    data = (FIXTURES / "vsm-2023.xml").read_bytes()
    assert validate_bytes(data, "v.xml", CONTEXT).verdict is ArtefactVerdict.PASSED
    assert calls == []
    with_kit = ValidationContext(registry=REGISTRY, kit_dir=tmp_path)
    report = validate_bytes(data, "v.xml", with_kit)
    assert calls == [("{urn:hl7-org:v3}ClinicalDocument", len(data), tmp_path)]
    assert report.verdict is ArtefactVerdict.FAILED and [f.message_en for f in report.findings] == ["kit en"]
