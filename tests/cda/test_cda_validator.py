"""The CDA validator's report: detected volet and version, self-presenting documents, profile selection, kit hook."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import harness.cdakit.valuesets  # noqa: F401 - loaded before two tests fake the harness.cdakit package (kit mode is lazy)
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Finding, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes, validate_file

from cda_mutants import FIXTURES

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
    assert [(f.requirement, f.location) for f in report.findings] == [
        ("SM-REALMCODE", "/xsl:stylesheet/ClinicalDocument[1]/realmCode[1]/@code")]


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

    def kit_findings(tree, data, kit_dir, volet_version=None):
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


def test_a_rule_bug_aborts_the_document_instead_of_crashing(monkeypatch) -> None:
    from harness.cda import engine

    def broken(doc, data, out):
        raise KeyError("missing data")

    rules = [engine.Rule(r.requirement, broken if r.requirement == "SM-TELECOM" else r.check, r.when) for r in engine.RULES]
    monkeypatch.setattr(engine, "RULES", rules)
    report = validate_file(FIXTURES / "vsm-2023.xml", CONTEXT)
    assert report.verdict is ArtefactVerdict.ABORTED and "KeyError" in (report.reason or "")


def test_committed_fixtures_are_what_the_generator_writes() -> None:
    import cda_make_fixtures

    generated = {"sm-n3-ldl-ees.xml": cda_make_fixtures.sm_n3(),
                 "n1-pdf.xml": cda_make_fixtures.n1(), "vsm-2023.xml": cda_make_fixtures.vsm(),
                 "cr-bio-2024.xml": cda_make_fixtures.cr_bio(), "ldl-ses-2022.xml": cda_make_fixtures.ldl_ses(),
                 "self-presenting-vsm.xml": cda_make_fixtures.self_presenting()}
    for name, text in generated.items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, name


def test_a_failing_kit_mode_aborts_the_document(monkeypatch, tmp_path: Path) -> None:
    def kit_findings(tree, data, kit_dir, volet_version=None):
        raise RuntimeError("schematron compile failed")

    monkeypatch.setitem(sys.modules, "harness.cdakit", types.SimpleNamespace(kit_findings=kit_findings))
    report = validate_file(FIXTURES / "vsm-2023.xml", ValidationContext(registry=REGISTRY, kit_dir=tmp_path))
    assert report.verdict is ArtefactVerdict.ABORTED and "schematron compile failed" in (report.reason or "")
    assert "SM-TELECOM" in report.evaluated  # the native layers still ran and are reported


def test_value_sets_are_read_from_the_packs(tmp_path: Path) -> None:
    """Editing a value set in a pack changes the verdict: the codes are data, not code."""
    profiles = Path(__file__).resolve().parents[2] / "profiles"
    for name in ("ci-sis-cda-structure.toml", "ci-sis-cda-header.toml", "ci-sis-cda-volets.toml"):
        text = (profiles / name).read_text(encoding="utf-8")
        if name == "ci-sis-cda-header.toml":
            assert '"2.16.840.1.113883.5.1" = ["F", "M", "UN"]' in text
            text = text.replace('"2.16.840.1.113883.5.1" = ["F", "M", "UN"]', '"2.16.840.1.113883.5.1" = ["M", "UN"]')
        (tmp_path / name).write_text(text, encoding="utf-8")
    registry = PackRegistry.load([tmp_path], include_builtin=False)
    report = validate_file(FIXTURES / "vsm-2023.xml", ValidationContext(registry=registry))
    assert [(f.requirement, f.location) for f in report.findings] == [
        ("SM-PATIENT-GENDER", "/ClinicalDocument/recordTarget[1]/patientRole[1]/patient[1]/administrativeGenderCode[1]/@code")]


def test_findings_of_one_rule_are_capped_with_a_count() -> None:
    from harness.cda.engine import MAX_FINDINGS_PER_RULE

    text = (FIXTURES / "vsm-2023.xml").read_text(encoding="utf-8")
    bad_entries = "<entry/>" * (MAX_FINDINGS_PER_RULE + 5)
    text = text.replace("<text>Aucun antécédent notable.</text>", f"<text>Aucun antécédent notable.</text>{bad_entries}")
    report = validate_bytes(text.encode(), "many.xml", CONTEXT)
    entry_findings = [f for f in report.findings if f.requirement == "CDA-ENTRY"]
    assert len(entry_findings) == MAX_FINDINGS_PER_RULE + 1
    summaries = [f for f in entry_findings if f.location is None]
    assert [f.message_en for f in summaries] == ["… and 5 more finding(s) not listed for CDA-ENTRY"]  # one summary, the shared cap's


def test_cr_bio_version_rules_follow_the_volet_data() -> None:
    text = (FIXTURES / "cr-bio-2024.xml").read_text(encoding="utf-8")
    start, end = text.index('      <component><section><templateId root="1.2.250.1.213.1.1.2.243"/>'), text.index("    </structuredBody>")
    without_pdf = text[:start] + text[end:]
    # 2024.01 requires the PDF copy section
    assert {f.requirement for f in validate_bytes(without_pdf.encode(), "a.xml", CONTEXT).findings} == {"VOL-CRBIO-SECTIONS"}
    # 2021.01 neither requires nor allows it at level 1
    v2021 = validate_bytes(without_pdf.replace('extension="2024.01"', 'extension="2021.01"').encode(), "b.xml", CONTEXT)
    assert (v2021.version, v2021.findings) == ("2021.01", [])
    with_pdf = validate_bytes(text.replace('extension="2024.01"', 'extension="2021.01"').encode(), "c.xml", CONTEXT)
    assert {f.requirement for f in with_pdf.findings} == {"VOL-CRBIO-LEVEL1"}
    # without extension: version 2021.01, the one that declared the templateId without extension (said in an info)
    no_extension = without_pdf.replace(' extension="2024.01"', "").encode()
    report = validate_bytes(no_extension, "d.xml", CONTEXT)
    assert (report.version, report.verdict) == ("2021.01", ArtefactVerdict.PASSED)
    [info] = report.findings
    assert (info.requirement, info.severity) == ("VOL-VERSION-APPLIED", Severity.INFO) and "without extension" in info.message_en
    # so a 2024.01 document without extension fails 2021.01 (its PDF section), unless --volet-version says 2024.01
    report = validate_bytes(text.replace(' extension="2024.01"', "").encode(), "e.xml", CONTEXT)
    assert (report.version, {f.requirement for f in report.findings if f.severity is Severity.ERROR}) == ("2021.01", {"VOL-CRBIO-LEVEL1"})
    overridden = ValidationContext(registry=REGISTRY, volet_versions={"CR-BIO": "2024.01"})
    report = validate_bytes(text.replace(' extension="2024.01"', "").encode(), "f.xml", overridden)
    assert (report.version, report.verdict) == ("2024.01", ArtefactVerdict.PASSED)
    assert "--volet-version" in report.findings[0].message_en
    unknown = ValidationContext(registry=REGISTRY, volet_versions={"CR-BIO": "2099.01"})  # not a version: undetermined, said why
    report = validate_bytes(text.replace(' extension="2024.01"', "").encode(), "f2.xml", unknown)
    assert report.version is None and [f.requirement for f in report.findings] == ["VOL-VERSION"]
    assert "--volet-version CR-BIO=2099.01: unknown version" in report.findings[0].message_en
    # an unknown extension: version undetermined (never the newest), only what every version requires, with a warning
    for data in (text, without_pdf):
        report = validate_bytes(data.replace('extension="2024.01"', 'extension="2019.07"').encode(), "g.xml", CONTEXT)
        assert report.version is None and report.verdict is ArtefactVerdict.PASSED
        assert [(f.requirement, f.severity) for f in report.findings] == [("VOL-VERSION", Severity.WARNING)]
