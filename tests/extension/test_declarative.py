"""Declarative checks as pack data (cda_checks, hl7v2_checks): each shape proven both ways, the pack schema and
compile errors named, the severity taken from the pack level (the HL7 v2 rule modules' too)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from extension_helpers import REPO

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.errors import HarnessError
from harness.core.findings import Severity
from harness.validation.dispatch import validate_bytes

VSM = (REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml").read_bytes()
ADT = (REPO / "fixtures" / "conforming" / "hl7v2" / "adt-a01.hl7").read_bytes()
HEAD = ('[pack]\nid = "t"\nversion = "1"\nframework = "T"\ntitle = { fr = "T", en = "T" }\n'
        'source = { document = "T", version = "1", date = "2026-01-01" }\n')


def pack(tmp_path: Path, kind: str, checks: str, level: str = "MUST") -> PackRegistry:
    folder = tmp_path / "packs"
    folder.mkdir(exist_ok=True)
    (folder / "t.toml").write_text(f'{HEAD}evaluated_by = "validator:{kind}"\napplies_to = ["{kind}"]\n[[requirements]]\nid = "T-1"\n'
                                   f'level = "{level}"\nstatement = {{ fr = "t", en = "t" }}\nsection = "1"\n{checks}', encoding="utf-8")
    return PackRegistry.load([folder])


def judged(registry: PackRegistry, data: bytes, *national: str) -> list[tuple[str, str, str | None]]:
    report = validate_bytes(data, "x", ValidationContext(registry=registry, selected=registry.select([*national, "t"])))
    assert "T-1" in report.evaluated
    return [(f.severity.value, f.message_en, f.location) for f in report.findings if f.requirement == "T-1"]


CDA_SHAPES = [  # (check, an edit of the conforming VSM that violates it, the finding expected)
    ('context = "."\ncardinality = { path = "cda:recordTarget", min = 1, max = 1 }', ("</recordTarget>", "</recordTarget><recordTarget/>"),
     "ClinicalDocument: recordTarget: 1..1 occurrence(s) expected, 2 found"),
    ('context = "cda:languageCode"\nvalues = { code = ["fr-FR", "fr-BE"] }', ('code="fr-FR"', 'code="de-DE"'),
     "languageCode/@code is 'de-DE', expected: fr-FR | fr-BE"),
    ('context = "cda:recordTarget/cda:patientRole/cda:patient/cda:administrativeGenderCode"\n'
     'valueset = { name = "J143", check_system = false }', ('administrativeGenderCode code="F"', 'administrativeGenderCode code="Q"'),
     "administrativeGenderCode: code Q is not in value set JDV_J143_AdministrativeGender_CISIS (1.2.250.1.213.1.1.5.590)"),
    ('context = "cda:title"\nno_null_flavor = true', ("<title>", '<title nullFlavor="NI">'), "title: nullFlavor is not allowed"),
    ('context = "cda:effectiveTime"\nattributes = ["value"]\n'
     'message = { fr = "{element} sans @{attribute}", en = "{element} without @{attribute}" }',
     ("<effectiveTime value=", "<effectiveTime valeur="), "effectiveTime without @value"),
]


@pytest.mark.parametrize("check, edit, expected", CDA_SHAPES)
def test_each_cda_shape_passes_then_fails(tmp_path: Path, check: str, edit: tuple[str, str], expected: str) -> None:
    registry = pack(tmp_path, "cda", f"[[requirements.cda_checks]]\n{check}\n")
    assert judged(registry, VSM) == []
    broken = VSM.decode().replace(*edit, 1).encode()
    assert broken != VSM
    assert [message for _, message, _ in judged(registry, broken)] == [expected]


def test_equal_compares_two_paths_and_forbidden_refuses_the_context(tmp_path: Path) -> None:
    text = VSM.decode()
    set_id = re.search(r'<setId root="([^"]+)"', text)
    assert set_id is not None
    registry = pack(tmp_path, "cda", '[[requirements.cda_checks]]\ncontext = "."\nequal = ["cda:setId/@root", "cda:setId/@root"]\n'
                                     '[[requirements.cda_checks]]\ncontext = "cda:custodian[2]"\nforbidden = true\n')
    assert judged(registry, VSM) == []
    doubled = text.replace("</custodian>", "</custodian><custodian/>", 1).encode()
    assert judged(registry, doubled) == [("error", "custodian must not be sent", "/ClinicalDocument/custodian[2]")]
    registry = pack(tmp_path, "cda", '[[requirements.cda_checks]]\ncontext = "."\nequal = ["cda:setId/@root", "cda:id/@extension"]\n')
    assert [m for _, m, _ in judged(registry, VSM)][0].startswith(f"setId/@root is '{set_id.group(1)}', expected: ")


def test_a_volet_check_runs_only_on_that_volet_and_the_level_gives_the_severity(tmp_path: Path) -> None:
    registry = pack(tmp_path, "cda", '[[requirements.cda_checks]]\nvolet = "CR-BIO"\ncontext = "."\nrequire = ["cda:absent"]\n', "SHOULD")
    report = validate_bytes(VSM, "x", ValidationContext(registry=registry, selected=registry.select(["ci-sis-cda-volets", "t"])))
    assert "T-1" not in report.evaluated  # a VSM document: the CR-BIO check is not evaluated
    cr_bio = (REPO / "fixtures" / "conforming" / "cda" / "cr-bio-2024.xml").read_bytes()
    assert judged(registry, cr_bio, "ci-sis-cda-volets") == [("warning", "ClinicalDocument: absent is required", "/ClinicalDocument")]


@pytest.mark.parametrize("checks, problem", [
    ('[[requirements.cda_checks]]\ncontext = "cda:recordTarget["\nforbidden = true\n', "invalid XPath 'cda:recordTarget['"),
    ('[[requirements.cda_checks]]\ncontext = "."\n', "no check shape"),
    ('[[requirements.cda_checks]]\ncontext = "."\nrequires = ["cda:x"]\n', "requires"),
    ('[[requirements.cda_checks]]\ncontext = "."\ncardinality = { path = "cda:id", min = -1 }\n', "cardinality"),
    ('[[requirements.hl7v2_checks]]\nfield = "PID-3"\nrequired = true\n', "hl7v2_checks are run only by validator:hl7v2"),
])
def test_a_wrong_check_stops_the_pack_naming_file_and_requirement(tmp_path: Path, checks: str, problem: str) -> None:
    with pytest.raises(HarnessError) as raised:
        pack(tmp_path, "cda", checks)
    assert "t.toml" in raised.value.en and "T-1" in raised.value.en and problem in raised.value.en
    assert raised.value.fr != raised.value.en


HL7_SHAPES = [  # (check, MSH or PID edit, expected English message)
    ('field = "MSH-17"\nvalues = ["FRA"]', ("|FRA|UNICODE", "|BEL|UNICODE"), "MSH-17: received 'BEL', expected FRA"),
    ('field = "MSH-4"\nrequired = true', ("|GAM-TEST|HOPITAL-TEST|", "|GAM-TEST||"), "MSH-4: received '∅', expected une valeur / a value"),
    ('field = "PID-8"\npattern = "^[FMU]$"', ("|19841210|F|", "|19841210|X|"), "PID-8: received 'X', expected ^[FMU]$"),
    ('field = "MSH-4"\nequal = "MSH-6"\nmessage = { fr = "{field} : {value}", en = "{field} ≠ MSH-6: {value}" }',
     ("|DPI-TEST|HOPITAL-TEST|", "|DPI-TEST|AUTRE|"), "MSH-4 ≠ MSH-6: HOPITAL-TEST"),
    ('field = "PID-8"\nempty = true\nwhen = { field = "PID-7", values = ["19000101"] }', ("|19841210|F|", "|19000101|F|"),
     "PID-8: received 'F', expected ∅"),
    ('field = "MSH-17"\nvalues = ["BEL"]\nmessage_types = ["ORU"]', None, None),  # an ADT message: not applicable
]


@pytest.mark.parametrize("check, edit, expected", HL7_SHAPES)
def test_each_hl7v2_shape_passes_then_fails(tmp_path: Path, check: str, edit: tuple[str, str] | None, expected: str | None) -> None:
    registry = pack(tmp_path, "hl7v2", f"[[requirements.hl7v2_checks]]\n{check}\n")
    if "ORU" in check:
        selected = registry.select(["hl7v2-base", "ci-sis-pam-fr", "t"])
        report = validate_bytes(ADT, "x", ValidationContext(registry=registry, selected=selected))
        assert "T-1" not in report.evaluated
        return
    assert judged(registry, ADT, "hl7v2-base", "ci-sis-pam-fr") == []
    if edit is not None:
        broken = ADT.replace(edit[0].encode(), edit[1].encode(), 1)
        assert broken != ADT
        assert [m for _, m, _ in judged(registry, broken, "hl7v2-base", "ci-sis-pam-fr")] == [expected]


def test_a_moved_pam_rule_and_a_rule_module_take_their_severity_from_the_pack_level(tmp_path: Path) -> None:
    folder = tmp_path / "national"
    folder.mkdir()
    for name in ("hl7v2-base.toml", "ci-sis-pam-fr.toml"):
        text = (REPO / "profiles" / name).read_text(encoding="utf-8")
        for requirement in ("PAMFR-INS-03", "PAMFR-ZFD-01"):
            text = text.replace(f'id = "{requirement}"\nlevel = "MUST"', f'id = "{requirement}"\nlevel = "SHOULD"')
        (folder / name).write_text(text, encoding="utf-8")
    shipped = PackRegistry.load()
    softened = PackRegistry.load([folder], include_builtin=False)
    ins = (REPO / "fixtures" / "nonconforming" / "hl7v2" / "adt-a01-ins-without-qualified-identity.hl7").read_bytes()
    zfd = ADT.replace(b"\rPV1", b"\rZFD|||||INSI|\rPV1", 1)
    for data, requirement in ((ins, "PAMFR-INS-03"), (zfd, "PAMFR-ZFD-01")):
        severities = []
        for loaded in (shipped, softened):
            report = validate_bytes(data, "x", ValidationContext(registry=loaded, selected=loaded.select(["hl7v2-base", "ci-sis-pam-fr"])))
            severities.append({f.severity for f in report.findings if f.requirement == requirement})
        assert severities == [{Severity.ERROR}, {Severity.WARNING}], requirement


def test_a_generic_hl7v2_check_takes_the_pack_level_as_its_bound(tmp_path: Path) -> None:
    """HL7V2-ACK-03 (hl7v2-base) MUST → error and FAILED; the same pack with SHOULD → a warning, the message PASSED."""
    folder = tmp_path / "base"
    folder.mkdir()
    text = (REPO / "profiles" / "hl7v2-base.toml").read_text(encoding="utf-8")
    softened = text.replace('id = "HL7V2-ACK-03"\nlevel = "MUST"', 'id = "HL7V2-ACK-03"\nlevel = "SHOULD"')
    assert softened != text
    (folder / "hl7v2-base.toml").write_text(softened, encoding="utf-8")
    shutil.copy(REPO / "profiles" / "ci-sis-hl7v2-cda.toml", folder)  # it defines ACK^R01
    ack = (REPO / "fixtures" / "nonconforming" / "hl7v2" / "ack-r01-ae-without-err.hl7").read_bytes()
    results = []
    for loaded in (PackRegistry.load(), PackRegistry.load([folder], include_builtin=False)):
        report = validate_bytes(ack, "x", ValidationContext(registry=loaded, selected=loaded.select(["hl7v2-base", "ci-sis-hl7v2-cda"])))
        results.append((report.verdict.value, [(f.requirement, f.severity) for f in report.findings]))
    assert results == [("FAILED", [("HL7V2-ACK-03", Severity.ERROR)]), ("PASSED", [("HL7V2-ACK-03", Severity.WARNING)])]


def test_the_native_volet_rules_are_derived_from_the_volets_table(tmp_path: Path) -> None:
    """VOL-VSM-SECTIONS exists because the VSM [native] table lists mandatory sections; without them it is not evaluated."""
    vsm = (REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml").read_bytes()
    folder = tmp_path / "volets"
    folder.mkdir()
    text = (REPO / "profiles" / "ci-sis-cda-volets.toml").read_text(encoding="utf-8")
    native = text.index("[data.volets.VSM.native]")
    stripped = text[:native] + re.sub(r"\nrequired_(sub)?sections = \[\n(  .*\n)*\]", "", text[native:])
    assert stripped != text
    (folder / "ci-sis-cda-volets.toml").write_text(stripped, encoding="utf-8")
    for name in ("ci-sis-cda-header.toml", "ci-sis-cda-structure.toml", "ci-sis-cda-modeles.toml"):
        shutil.copy(REPO / "profiles" / name, folder)
    evaluated = []
    for loaded in (PackRegistry.load(), PackRegistry.load([folder], include_builtin=False)):
        context = ValidationContext(registry=loaded, selected=loaded.select(["ci-sis-cda-volets"]))
        evaluated.append(validate_bytes(vsm, "vsm.xml", context).evaluated)
    assert "VOL-VSM-SECTIONS" in evaluated[0] and "VOL-VSM-HEADER" in evaluated[0]
    assert "VOL-VSM-SECTIONS" not in evaluated[1] and "VOL-VSM-HEADER" in evaluated[1]
