"""Structuration minimale: the patient's name qualifiers, gender and INS identity rules (§4.2, §4.3).

The other rules of recordTarget, patient, guardian and birthplace are declarative checks of the pack
ci-sis-cda-header (cda_checks, harness.cda.declarative)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from harness.cda.common import header_below, header_child, header_children, require_attrs, require_coded, require_value
from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, rule
from harness.cda.xpath import has_nf

# -- §4.2 recordTarget and patient ----------------------------------------------------------

_PATIENT = "recordTarget/patientRole/patient"


def _patients(doc: Doc) -> list[etree._Element]:
    return doc.header.at(_PATIENT)


@rule("SM-PATIENT-FAMILY-QUALIFIER")
def patient_family_qualifier(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = data.const("patient_family_qualifiers")
    for family in doc.header.at("recordTarget/patientRole/patient/name/family"):
        if has_nf(family):
            continue
        if require_attrs(out, family, ["qualifier"]):
            require_value(out, family, "qualifier", allowed)


@rule("SM-PATIENT-GIVEN-QUALIFIER")
def patient_given_qualifier(doc: Doc, data: CdaData, out: Out) -> None:
    allowed = data.const("patient_given_qualifiers")
    for given in doc.header.at("recordTarget/patientRole/patient/name/given"):
        if given.get("qualifier") is not None:
            require_value(out, given, "qualifier", allowed)


@rule("SM-PATIENT-GENDER")
def patient_gender(doc: Doc, data: CdaData, out: Out) -> None:
    for patient in _patients(doc):
        codes = header_children(doc, patient, "administrativeGenderCode")
        if not codes:
            out.fail(patient, "administrativeGenderCode obligatoire absent", "required administrativeGenderCode is missing")
        for element in codes:
            if has_nf(element) and element.get("code") is None:
                continue
            if require_attrs(out, element, ["code"]):
                require_coded(out, element, data.vs("J143"), attrs=["code"], check_system=False)


# the traits of an INS identity: (path below the patient, test of the element there, trait in French, in English)
_INS_TRAITS: tuple[tuple[str, Callable[[etree._Element], bool], str, str], ...] = (
    ("name/family", lambda e: e.get("qualifier") == "BR", "nom de naissance (family@qualifier=BR)", "birth name (family@qualifier=BR)"),
    ("name/given", lambda e: e.get("qualifier") == "BR", "premier prénom de naissance (given@qualifier=BR)",
     "first birth given name (given@qualifier=BR)"),
    ("name/given", lambda e: e.get("qualifier") is None, "liste des prénoms de naissance (given sans qualifier)",
     "list of birth given names (given without qualifier)"),
    ("birthTime", lambda e: True, "date de naissance (birthTime)", "birth date (birthTime)"),
    ("birthplace/place/addr/county", lambda e: True, "code COG du lieu de naissance (birthplace/place/addr/county)",
     "birthplace COG code (birthplace/place/addr/county)"),
    ("administrativeGenderCode", lambda e: e.get("code") is not None, "sexe (administrativeGenderCode/@code)",
     "sex (administrativeGenderCode/@code)"),
)


@rule("SM-PATIENT-INS")
def patient_ins(doc: Doc, data: CdaData, out: Out) -> None:
    ins_roots = set(data.const("ins_roots"))
    for role in doc.header.at("recordTarget/patientRole"):
        if not any(i.get("root") in ins_roots for i in header_children(doc, role, "id")):
            continue
        patient = header_child(doc, role, "patient")
        if patient is None:
            continue
        for path, holds, fr, en in _INS_TRAITS:
            if not any(holds(element) for element in header_below(doc, patient, path, _PATIENT)):
                out.fail(patient, f"identité INS : trait obligatoire absent : {fr}", f"INS identity: required trait missing: {en}")
