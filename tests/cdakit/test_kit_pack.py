"""The kit pack and the code agree; kit mode on a folder that is no kit at all."""

from __future__ import annotations

from harness.cdakit.defects import INTEGRITY
from harness.cdakit.kit import VOLET_SCHEMATRON
from harness.cdakit.layout import kit_pack, kit_pack_dir
from harness.cdakit.volet import VOLET_REQUIREMENT
from harness.cdakit.xsd import XSD_REQUIREMENT
from harness.config.packs import PackRegistry
from harness.core.findings import Severity


def test_every_requirement_the_code_emits_is_in_the_pack():
    pack = kit_pack()
    ids = {r.id for r in pack.requirements}
    emitted = {INTEGRITY, XSD_REQUIREMENT, VOLET_REQUIREMENT, VOLET_SCHEMATRON} | {p["requirement"] for p in pack.data["kit_profiles"]}
    assert emitted == ids
    # not a default pack (a run without a kit would report it NOT_TESTED); loads beside the others
    assert "ci-sis-cda-kit" not in PackRegistry.load().packs
    assert PackRegistry.load([kit_pack_dir()]).get("ci-sis-cda-kit").requirements == pack.requirements


def test_a_folder_without_kit_gives_kit_findings_only(lab, tmp_path):
    findings, evaluated = lab.check(lab.document("vsm-n3.xml"), tmp_path)
    assert evaluated == ["CISIS-KIT-INTEGRITY", "CISIS-KIT-VOLET"]
    assert {f.requirement for f in findings} == {"CISIS-KIT-INTEGRITY", "CISIS-KIT-VOLET"}
    assert all(f.severity is Severity.WARNING for f in findings)
    missing = {f.location for f in findings if f.requirement == "CISIS-KIT-INTEGRITY"}
    assert "infrastructure/cda/CDA_extended.xsd" in missing and "schematrons/profils/IHE.sch" in missing
