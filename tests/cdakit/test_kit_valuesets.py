"""With a kit, the native rules use the kit's SVS value sets (jeuxDeValeurs/) in place of the packs' copies."""

from __future__ import annotations

from pathlib import Path

from harness.cda import data_of
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.validation.dispatch import validate_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conforming" / "cda"
REGISTRY = PackRegistry.load()
GENDER = "2.16.840.1.113883.5.1"


def _native_errors(data: bytes, context: ValidationContext) -> set[str]:
    report = validate_bytes(data, "d.xml", context, kind="cda")
    return {f.requirement for f in report.findings if f.severity is Severity.ERROR and not f.requirement.startswith("CISIS-KIT-")}


def test_a_newer_kit_value_set_wins_over_the_pack(kit_copy: Path) -> None:
    svs = kit_copy / "jeuxDeValeurs" / "JDV_J143_AdministrativeGender_CISIS.xml"
    text = svs.read_text(encoding="utf-8")
    svs.write_text(text.replace("</ConceptList>", f'<Concept code="X" codeSystem="{GENDER}" displayName="Autre"/></ConceptList>'),
                   encoding="utf-8")
    without_kit, with_kit = ValidationContext(registry=REGISTRY), ValidationContext(registry=REGISTRY, kit_dir=kit_copy)
    assert not data_of(without_kit).vs("J143").contains("X", GENDER)
    assert data_of(with_kit).vs("J143").contains("X", GENDER)
    # J07 of the mini kit lists three document types: the kit's list replaces the pack's, even when shorter
    assert data_of(with_kit).vs("J07").all_codes == {"SYNTH", "11488-4", "11502-2"}
    assert data_of(with_kit).vs("J01") == data_of(without_kit).vs("J01")  # not in the kit: the pack's stays
    data = (FIXTURES / "vsm-2023.xml").read_bytes().replace(b'administrativeGenderCode code="F"', b'administrativeGenderCode code="X"')
    assert _native_errors(data, without_kit) == {"SM-PATIENT-GENDER", "MOD-JDV-GENDER"}
    assert _native_errors(data, with_kit) == set()
