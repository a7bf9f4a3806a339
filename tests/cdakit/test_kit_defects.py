"""Kit mode survives the kit's defects: case, missing include, missing value set, missing files."""

from __future__ import annotations

import os
from pathlib import Path

from harness.core.findings import Severity

ENTETE = "schematrons/include/specificationsVolets/VSM_2023.01/Entete_VSM.sch"
STRUCMIN = "schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch"


def integrity(findings, severity=None):
    return [f for f in findings if f.requirement == "CISIS-KIT-INTEGRITY" and (severity is None or f.severity is severity)]


def test_case_insensitive_include_is_repaired_and_reported(lab):
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"))
    [case] = [f for f in integrity(findings, Severity.INFO) if "(case)" in f.message_en]
    assert case.location == f"{STRUCMIN} → include/DTr1_II.sch"
    assert "dtr1_ii.sch" in case.message_en
    assert "CISIS-KIT-SCH-STRUCMIN" in evaluated


def test_xsd_include_resolved_ignoring_case(lab, kit_copy):
    # the mini kit's XSD includes general/Mini_Types.xsd, the file is general/mini_types.xsd
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    assert "CISIS-KIT-XSD" in evaluated and lab.problems(findings) == []
    (kit_copy / "infrastructure/cda/general/mini_types.xsd").unlink()
    from harness.cdakit.kit import reset_process_caches

    reset_process_caches()
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    assert "CISIS-KIT-XSD" not in evaluated
    [defect] = integrity(findings, Severity.WARNING)
    assert "(compile)" in defect.message_en and defect.location == "infrastructure/cda/CDA_extended.xsd"


def test_missing_include_is_a_kit_finding_not_a_crash(lab, kit_copy):
    (kit_copy / ENTETE).unlink()
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    warnings = integrity(findings, Severity.WARNING)
    kinds = sorted(f.message_en.split(")")[0].split("(")[1] for f in warnings)
    assert kinds == ["missing-file", "missing-pattern"]
    assert any(f.location.endswith("→ include/specificationsVolets/VSM_2023.01/Entete_VSM.sch") for f in warnings)
    # the rest of the volet still ran (its failures would be reported) but the family is not PASSED
    assert "CISIS-KIT-SCH-VOLET" not in evaluated
    assert {"CISIS-KIT-SCH-STRUCMIN", "CISIS-KIT-SCH-IHE", "CISIS-KIT-XSD"} <= set(evaluated)
    broken = lab.document("vsm-n3.xml", ('<templateId root="1.2.250.1.213.1.1.2.29"/>', '<templateId root="1.2.250.1.213.1.1.2.28"/>'))
    findings, _ = lab.check(broken, kit_copy)
    assert any(f.requirement == "CISIS-KIT-SCH-VOLET" and f.severity is Severity.ERROR for f in findings)


def test_missing_valueset_file_is_generated_from_the_kit_value_sets(lab, kit_cache):
    findings, evaluated = lab.check(lab.document("n1.xml"))
    [generated] = [f for f in integrity(findings, Severity.INFO) if "(generated-valueset)" in f.message_en]
    assert "jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml" in generated.message_en
    assert "CISIS-KIT-SCH-STRUCMIN" in evaluated
    files = list((kit_cache / "kit-valuesets").glob("*-voc-1.2.250.1.213.1.1.5.471.xml"))
    assert len(files) == 1 and b'code="SYNTH"' in files[0].read_bytes()
    assert not (lab.mini_kit / "schematrons/profils/structurationMinimale/include/voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml").exists()


def test_missing_valueset_without_source_leaves_the_family_unevaluated(lab, kit_copy):
    (kit_copy / "jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml").unlink()
    findings, evaluated = lab.check(lab.document("n1.xml"), kit_copy)
    kinds = sorted(f.message_en.split(")")[0].split("(")[1] for f in integrity(findings, Severity.WARNING))
    assert kinds == ["missing-data-file", "runtime"]
    assert "CISIS-KIT-SCH-STRUCMIN" not in evaluated
    assert {"CISIS-KIT-SCH-IHE", "CISIS-KIT-SCH-MODELES", "CISIS-KIT-XSD"} <= set(evaluated)
    assert not [f for f in findings if f.requirement == "CISIS-KIT-SCH-STRUCMIN"]


def test_missing_generic_profile_is_reported_and_not_evaluated(lab, kit_copy):
    (kit_copy / "schematrons/profils/IHE.sch").unlink()
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    [defect] = integrity(findings, Severity.WARNING)
    assert defect.location == "schematrons/profils/IHE.sch" and "(missing-file)" in defect.message_en
    assert "CISIS-KIT-SCH-IHE" not in evaluated and "CISIS-KIT-SCH-STRUCMIN" in evaluated


def test_unreadable_schematron_is_a_kit_finding(lab, kit_copy):
    (kit_copy / "schematrons/profils/CI-SIS_Modeles_ANS.sch").write_text("<schema", encoding="utf-8")
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    [defect] = integrity(findings, Severity.WARNING)
    assert "(unreadable)" in defect.message_en
    assert "CISIS-KIT-SCH-ANS" not in evaluated


def test_schematron_that_does_not_compile_is_a_kit_finding(lab, kit_copy):
    path = kit_copy / "schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch"
    path.write_text(path.read_text(encoding="utf-8").replace('test="hl7:title"', 'test="hl7:title[["'), encoding="utf-8")
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    [defect] = integrity(findings, Severity.WARNING)
    assert "(compile)" in defect.message_en
    assert "CISIS-KIT-SCH-MODELES" not in evaluated and "CISIS-KIT-SCH-ANS" in evaluated


def test_a_document_cannot_make_the_kit_read_outside_it(lab, kit_copy, tmp_path):
    # terminologie.sch loads concat('../terminologie/', @codeSystem, '.rdf'): point it outside the kit
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.rdf").write_text('<r xmlns:skos="http://www.w3.org/2004/02/skos/core#"><skos:notation>OTHER</skos:notation></r>',
                                      encoding="utf-8")
    folder = kit_copy / "schematrons/profils/terminologies/terminologie"
    relative = Path(os.path.relpath(outside / "evil", folder)).as_posix()
    data = lab.document("vsm-n3.xml",
                        ('<code code="10160-0" codeSystem="2.16.840.1.113883.6.1"', f'<code code="10160-0" codeSystem="{relative}"'))
    findings, evaluated = lab.check(data, kit_copy)
    # read, the file would fail the code (it lists only OTHER); confined, it is "no terminology": skipped
    assert not [f for f in findings if f.requirement == "CISIS-KIT-SCH-TERMINO"]
    assert "CISIS-KIT-SCH-TERMINO" in evaluated
    # the same file inside the kit is read: proof that the check above could have failed
    (folder / "evil.rdf").write_text((outside / "evil.rdf").read_text(encoding="utf-8"), encoding="utf-8")
    from harness.cdakit.kit import reset_process_caches

    reset_process_caches()
    data = lab.document("vsm-n3.xml", ('<code code="10160-0" codeSystem="2.16.840.1.113883.6.1"', '<code code="10160-0" codeSystem="evil"'))
    findings, _ = lab.check(data, kit_copy)
    assert [f.requirement for f in lab.problems(findings)] == ["CISIS-KIT-SCH-TERMINO"]


def test_missing_terminology_is_reported_and_not_passed(lab, kit_copy):
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), kit_copy)
    assert "CISIS-KIT-SCH-TERMINO" in evaluated and lab.problems(findings) == []
    (kit_copy / "schematrons/profils/terminologies/terminologie/2.16.840.1.113883.6.1.rdf").unlink()
    from harness.cdakit.kit import reset_process_caches

    reset_process_caches()
    # a LOINC code absent from the terminology can no longer be caught: the family is not PASSED
    data = lab.document("vsm-n3.xml", ('<code code="10160-0"', '<code code="10160-1"'))
    findings, evaluated = lab.check(data, kit_copy)
    [defect] = integrity(findings, Severity.WARNING)
    assert "(missing-terminology)" in defect.message_en and "LOINC (2.16.840.1.113883.6.1)" in defect.message_en
    assert "CISIS-KIT-SCH-TERMINO" not in evaluated
    assert not [f for f in findings if f.requirement == "CISIS-KIT-SCH-TERMINO"]
