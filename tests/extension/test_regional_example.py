"""The regional example package (examples/regional-pack) extends the harness without touching harness/: its
requirements get verdicts from its Python CDA rule, its declarative CDA rule, its HL7 v2 rules, its per-document
and endpoint suite tests — each proven both ways, in-process and in a real `run`."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from extension_helpers import REPO, example_site
from lxml import etree

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import ArtefactReport, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.extension import registry
from harness.validation.dispatch import validate_bytes

VSM = (REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml").read_bytes()
ADT = (REPO / "fixtures" / "conforming" / "hl7v2" / "adt-a01.hl7").read_bytes()
CDA_PACKS = ["ci-sis-cda-header", "ci-sis-cda-structure", "ci-sis-cda-volets", "region-exemple"]
HL7_PACKS = ["hl7v2-base", "ci-sis-pam-fr", "region-exemple"]
REGIONAL = {"REG-CDA-CUSTODIAN-01", "REG-CDA-LANGUAGE-01", "REG-HL7-SENDER-01", "REG-HL7-COUNTRY-01", "REG-CDA-AUTHOR-TIME-01",
            "REG-EP-01"}


def edit_cda(data: bytes, xpath: str, attribute: str, value: str) -> bytes:
    tree = etree.fromstring(data)
    (element,) = tree.xpath(xpath, namespaces={"cda": "urn:hl7-org:v3"})
    element.set(attribute, value)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def edit_msh(data: bytes, field: int, value: str) -> bytes:
    lines = data.split(b"\r")
    fields = lines[0].split(b"|")
    fields[field - 1] = value.encode()  # MSH-1 is the field separator itself: MSH-n is the n-th item after "MSH"
    return b"\r".join([b"|".join(fields), *lines[1:]])


CUSTODIAN_ID = "cda:custodian/cda:assignedCustodian/cda:representedCustodianOrganization/cda:id"
VIOLATIONS = {  # one regional requirement violated each, nothing else of the region
    "REG-CDA-CUSTODIAN-01": ("custodian.xml", edit_cda(VSM, CUSTODIAN_ID, "root", "1.2.250.1.999")),
    "REG-CDA-LANGUAGE-01": ("language.xml", edit_cda(VSM, "cda:languageCode", "code", "en-GB")),
    "REG-CDA-AUTHOR-TIME-01": ("author-time.xml", edit_cda(VSM, "cda:author[1]/cda:time", "value", "202503121430")),
    "REG-HL7-SENDER-01": ("sender.hl7", edit_msh(ADT, 4, "")),
    "REG-HL7-COUNTRY-01": ("country.hl7", edit_msh(ADT, 17, "BEL")),
}


def line_of(data: bytes, xpath: str) -> int:
    (element,) = etree.fromstring(data).xpath(xpath, namespaces={"cda": "urn:hl7-org:v3"})
    return int(element.sourceline)


def regional(report: ArtefactReport) -> dict[str, list[tuple[str, str | None, int | None]]]:
    found: dict[str, list[tuple[str, str | None, int | None]]] = {}
    for finding in report.findings:
        if finding.requirement.startswith("REG-"):
            found.setdefault(finding.requirement, []).append((finding.severity.value, finding.location, finding.line))
    return found


def context(packs: list[str]) -> ValidationContext:
    loaded = PackRegistry.load()
    return ValidationContext(registry=loaded, selected=loaded.select(packs))


def test_the_example_registers_its_pack_suite_and_rules(example: list[Path]) -> None:
    assert any(d.parent.name == "enrs_region_exemple" and d.name == "profiles" for d in registry.pack_dirs())
    assert any(d.name == "suites" and d.parent.name == "enrs_region_exemple" for d in registry.suite_dirs())
    assert "REG-CDA-CUSTODIAN-01" in registry.cda_rules()
    assert list(registry.hl7v2_rule_functions()) == ["REG-HL7-SENDER-01"]
    assert "region-exemple" in PackRegistry.load().packs
    assert next(p for p in registry.plugins("cda_rules") if not p.builtin).distribution == "enrs-harness-region-exemple"


def test_conforming_documents_pass_every_regional_rule(example: list[Path]) -> None:
    cda = validate_bytes(VSM, "vsm.xml", context(CDA_PACKS))
    hl7 = validate_bytes(ADT, "adt.hl7", context(HL7_PACKS))
    assert cda.verdict is ArtefactVerdict.PASSED and hl7.verdict is ArtefactVerdict.PASSED
    assert regional(cda) == {} and regional(hl7) == {}
    assert {"REG-CDA-CUSTODIAN-01", "REG-CDA-LANGUAGE-01"} <= set(cda.evaluated)
    assert {"REG-HL7-SENDER-01", "REG-HL7-COUNTRY-01"} <= set(hl7.evaluated)


@pytest.mark.parametrize("requirement", ["REG-CDA-CUSTODIAN-01", "REG-CDA-LANGUAGE-01", "REG-HL7-SENDER-01", "REG-HL7-COUNTRY-01"])
def test_each_violation_fails_with_its_regional_id_only(example: list[Path], requirement: str) -> None:
    name, data = VIOLATIONS[requirement]
    report = validate_bytes(data, name, context(CDA_PACKS if name.endswith(".xml") else HL7_PACKS))
    if requirement == "REG-CDA-CUSTODIAN-01":
        where = "/ClinicalDocument/custodian[1]/assignedCustodian[1]/representedCustodianOrganization[1]"
        expected = [("error", where, line_of(data, CUSTODIAN_ID + "/.."))]
    elif requirement == "REG-CDA-LANGUAGE-01":
        expected = [("error", "/ClinicalDocument/languageCode[1]/@code", line_of(data, "cda:languageCode"))]
    elif requirement == "REG-HL7-SENDER-01":
        expected = [("error", "MSH-4", 1)]
    else:
        expected = [("warning", "MSH-17", 1)]  # SHOULD in the region's pack: a warning
    assert regional(report) == {requirement: expected}
    assert report.verdict is (ArtefactVerdict.PASSED if requirement == "REG-HL7-COUNTRY-01" else ArtefactVerdict.FAILED)


def test_a_level_changed_in_toml_changes_the_severity_of_a_declarative_hl7v2_check(example: list[Path], tmp_path: Path) -> None:
    pack = (example[0] / "enrs_region_exemple" / "profiles" / "region-exemple.toml").read_text(encoding="utf-8")
    (tmp_path / "packs").mkdir()
    stricter = re.sub(r'(id = "REG-HL7-COUNTRY-01"\nlevel = )"SHOULD"', r'\1"MUST"', pack)
    assert stricter != pack
    (tmp_path / "packs" / "region-exemple.toml").write_text(stricter.replace('id = "region-exemple"', 'id = "region-stricte"')
                                                            .replace('"REG-', '"STRICT-'), encoding="utf-8")
    loaded = PackRegistry.load([tmp_path / "packs"])
    report = validate_bytes(VIOLATIONS["REG-HL7-COUNTRY-01"][1], "country.hl7",
                            ValidationContext(registry=loaded, selected=loaded.select(["hl7v2-base", "ci-sis-pam-fr", "region-stricte"])))
    assert [(f.severity, f.location) for f in report.findings if f.requirement == "STRICT-HL7-COUNTRY-01"] == [(Severity.ERROR, "MSH-17")]
    assert report.verdict is ArtefactVerdict.FAILED


# -- in a real run: the regional requirements appear with verdicts --------------------------------------------

def run(tmp_path: Path, documents: dict[str, bytes], *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    folder = tmp_path / "docs"
    folder.mkdir(parents=True)
    for name, data in documents.items():
        (folder / name).write_bytes(data)
    path = os.pathsep.join(map(str, [REPO, *example_site(tmp_path)]))
    env = {**os.environ, "PYTHONPATH": path, "ENRS_LANG": "en"}
    profiles = [a for p in ["region-exemple", "hl7v2-base", "ci-sis-pam-fr"] for a in ("--profile", p)]
    command = [sys.executable, "-m", "harness", "run", "--documents", str(folder), *profiles, "--report-dir", str(tmp_path / "runs"),
               "--quiet", *extra]
    process = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    results = json.loads(next((tmp_path / "runs").glob("*/results.json")).read_text(encoding="utf-8"))
    return process, {r["id"]: r["verdict"] for r in results["requirements"] if r["id"].startswith("REG-")}


def test_run_gives_every_regional_requirement_a_verdict_passed_then_failed(tmp_path: Path) -> None:
    process, verdicts = run(tmp_path / "ok", {"vsm.xml": VSM, "adt.hl7": ADT})
    assert verdicts == dict.fromkeys(REGIONAL, "PASSED"), process.stdout + process.stderr
    with socket.socket() as probe:  # a port nothing listens on: the endpoint check must fail
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    target = tmp_path / "target.toml"
    target.write_text('[candidate]\nname = "DPI régional"\nvendor = "Éditeur"\nversion = "1"\n'
                      f'[[endpoints]]\nname = "closed"\nprotocol = "mllp"\nhost = "127.0.0.1"\nport = {closed}\n', encoding="utf-8")
    process, verdicts = run(tmp_path / "ko", dict(VIOLATIONS.values()), "--target", str(target))
    assert verdicts == dict.fromkeys(REGIONAL, "FAILED"), process.stdout + process.stderr
    assert process.returncode == 1
