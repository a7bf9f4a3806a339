"""Structuration minimale: the patient's name qualifiers, gender and INS identity rules (§4.2, §4.3).

The other rules of recordTarget, patient, guardian and birthplace are declarative checks of the pack
ci-sis-cda-header (cda_checks, harness.cda.declarative)."""

from __future__ import annotations

from lxml import etree

from harness.cda.common import require_attrs, require_coded, require_value
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import child, children, has_nf, q

# -- §4.2 recordTarget and patient ----------------------------------------------------------

def _patients(doc: Doc) -> list[etree._Element]:
    return q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient")


@rule("SM-PATIENT-FAMILY-QUALIFIER")
def patient_family_qualifier(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = data.const("patient_family_qualifiers")
    for family in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/cda:name/cda:family[not(@nullFlavor)]"):
        if require_attrs(out, family, ["qualifier"]):
            require_value(out, family, "qualifier", allowed)


@rule("SM-PATIENT-GIVEN-QUALIFIER")
def patient_given_qualifier(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = data.const("patient_given_qualifiers")
    for given in q(doc.root, "cda:recordTarget/cda:patientRole/cda:patient/cda:name/cda:given[@qualifier]"):
        require_value(out, given, "qualifier", allowed)


@rule("SM-PATIENT-GENDER")
def patient_gender(doc: Doc, data: CdaData, out: Out) -> None:
    for patient in _patients(doc):
        codes = children(patient, "administrativeGenderCode")
        if not codes:
            out.fail(patient, "administrativeGenderCode obligatoire absent", "required administrativeGenderCode is missing")
        for element in codes:
            if has_nf(element) and element.get("code") is None:
                continue
            if require_attrs(out, element, ["code"]):
                require_coded(out, element, data.vs("J143"), attrs=["code"], check_system=False)


@rule("SM-PATIENT-INS")
def patient_ins(doc: Doc, data: CdaData, out: Out) -> None:
    ins_roots = set(data.const("ins_roots"))
    for role in q(doc.root, "cda:recordTarget/cda:patientRole"):
        if not any(i.get("root") in ins_roots for i in children(role, "id")):
            continue
        patient = child(role, "patient")
        if patient is None:
            continue
        traits = [
            ("cda:name/cda:family[@qualifier='BR']", "nom de naissance (family@qualifier=BR)", "birth name (family@qualifier=BR)"),
            ("cda:name/cda:given[@qualifier='BR']", "premier prénom de naissance (given@qualifier=BR)",
             "first birth given name (given@qualifier=BR)"),
            ("cda:name/cda:given[not(@qualifier)]", "liste des prénoms de naissance (given sans qualifier)",
             "list of birth given names (given without qualifier)"),
            ("cda:birthTime", "date de naissance (birthTime)", "birth date (birthTime)"),
            ("cda:birthplace/cda:place/cda:addr/cda:county", "code COG du lieu de naissance (birthplace/place/addr/county)",
             "birthplace COG code (birthplace/place/addr/county)"),
            ("cda:administrativeGenderCode/@code", "sexe (administrativeGenderCode/@code)", "sex (administrativeGenderCode/@code)"),
        ]
        for expression, fr, en in traits:
            if not q(patient, expression):
                out.fail(patient, f"identité INS : trait obligatoire absent : {fr}", f"INS identity: required trait missing: {en}")

