"""Consistency of a CDA document with its DocumentEntry (pack ci-sis-xds, XDSFR-CDA-01 to -10).

Times are compared in UTC at the precision of the metadata value: a CDA time with an offset is
converted; one without an offset is compared as written (its date part), which is all it says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from harness.xds.datatypes import cx_parts, xcn_parts
from harness.xds.judge import Judge
from harness.xds.metadata import attribute_values
from harness.xds.model import DocumentEntry

V3 = "{urn:hl7-org:v3}"
CONSISTENCY = tuple(f"XDSFR-CDA-{n:02d}" for n in range(1, 11))


def _find(root: etree._Element, *steps: str) -> etree._Element | None:
    node: etree._Element | None = root
    for step in steps:
        node = node.find(f"{V3}{step}") if node is not None else None
    return node


def cda_time_utc(value: str) -> str | None:
    """A CDA TS as digits in UTC when it has an offset (14 digits), else its digits as written; None if unreadable."""
    digits, sign, offset = value, "", ""
    for mark in ("+", "-"):
        if mark in value:
            digits, offset = value.split(mark, 1)
            sign = mark
    digits = digits.split(".")[0]
    if not digits.isdigit():
        return None
    if not sign or len(digits) < 12 or len(offset) != 4 or not offset.isdigit():
        return digits
    try:
        moment = datetime.strptime(digits[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
    except ValueError:  # an impossible date: the CDA rules say so; here it matches nothing
        return None
    delta = timedelta(hours=int(offset[:2]), minutes=int(offset[2:]))
    utc = (moment - delta if sign == "+" else moment + delta).replace(tzinfo=UTC)
    return utc.strftime("%Y%m%d%H%M%S")[: max(len(digits), 12)]


def _same_time(metadata: str, cda: str | None) -> bool:
    """Whether the metadata DTM agrees with the CDA time at the metadata's precision (and the CDA's, when coarser)."""
    if cda is None:
        return False
    common = min(len(metadata), len(cda))
    return metadata[:common] == cda[:common]


def check_consistency(entry: DocumentEntry, document: etree._Element, judge: Judge) -> None:
    """Compare one DocumentEntry with the ClinicalDocument it describes; findings go to `judge`."""
    judge.evaluate(*CONSISTENCY[:9])

    def values(name: str) -> list[str]:
        return attribute_values(entry, "DocumentEntry", name, judge)

    def fail(requirement: str, fr: str, en: str) -> None:
        judge.fail(requirement, fr, en, entry.path, entry.line)

    code = _find(document, "code")
    type_codes = [(c.node, c.coding_scheme) for c in entry.classified(_scheme(judge, "typeCode"))]
    if code is not None and type_codes and type_codes[0] != (code.get("code"), code.get("codeSystem")):
        fail(
            "XDSFR-CDA-01",
            f"typeCode {type_codes[0][0]} ({type_codes[0][1]}) ≠ code du document {code.get('code')} ({code.get('codeSystem')})",
            f"typeCode {type_codes[0][0]} ({type_codes[0][1]}) ≠ the document's code {code.get('code')} ({code.get('codeSystem')})",
        )
    effective = _find(document, "effectiveTime")
    for value in values("creationTime"):
        cda = cda_time_utc(effective.get("value", "")) if effective is not None else None
        if not _same_time(value, cda):
            fail(
                "XDSFR-CDA-02",
                f"creationTime {value} ≠ effectiveTime du document en UTC ({cda})",
                f"creationTime {value} ≠ the document's effectiveTime in UTC ({cda})",
            )
    role = _find(document, "recordTarget", "patientRole")
    patient_ids = {(i.get("extension"), i.get("root")) for i in role.iterfind(f"{V3}id")} if role is not None else set()
    for name in ("patientId", "sourcePatientId"):
        for value in values(name):
            if cx_parts(value) not in patient_ids:
                fail(
                    "XDSFR-CDA-03",
                    f"{name} {value} n'est pas un identifiant du patient du document",
                    f"{name} {value} is not an identifier of the document's patient",
                )
    event_time = _find(document, "documentationOf", "serviceEvent", "effectiveTime")
    for name, bound in (("serviceStartTime", "low"), ("serviceStopTime", "high")):
        for value in values(name):
            limit = event_time.find(f"{V3}{bound}") if event_time is not None else None
            cda = cda_time_utc(limit.get("value", "")) if limit is not None else None
            if not _same_time(value, cda):
                fail(
                    "XDSFR-CDA-04",
                    f"{name} {value} ≠ serviceEvent/effectiveTime/{bound} ({cda})",
                    f"{name} {value} ≠ serviceEvent/effectiveTime/{bound} ({cda})",
                )
    confidentiality = _find(document, "confidentialityCode")
    codes = {(c.node, c.coding_scheme) for c in entry.classified(_scheme(judge, "confidentialityCode"))}
    if confidentiality is not None and codes and (confidentiality.get("code"), confidentiality.get("codeSystem")) not in codes:
        fail(
            "XDSFR-CDA-05",
            f"le confidentialityCode du document {confidentiality.get('code')} manque à la fiche",
            f"the document's confidentialityCode {confidentiality.get('code')} is missing from the entry",
        )
    language = _find(document, "languageCode")
    for value in values("languageCode"):
        if language is None or value != language.get("code"):
            fail(
                "XDSFR-CDA-06",
                f"languageCode {value} ≠ celui du document ({language.get('code') if language is not None else '-'})",
                f"languageCode {value} ≠ the document's ({language.get('code') if language is not None else '-'})",
            )
    authenticator = _find(document, "legalAuthenticator", "assignedEntity")
    authenticator_ids = (
        {(i.get("extension"), i.get("root")) for i in authenticator.iterfind(f"{V3}id")} if authenticator is not None else set()
    )
    for value in values("legalAuthenticator"):
        if xcn_parts(value) not in authenticator_ids:
            fail(
                "XDSFR-CDA-07",
                f"legalAuthenticator {value} n'est pas celui du document",
                f"legalAuthenticator {value} is not the document's",
            )
    author_ids = {(i.get("extension"), i.get("root")) for i in document.iterfind(f"{V3}author/{V3}assignedAuthor/{V3}id")}
    for classification in entry.classified(_scheme(judge, "author")):
        person = classification.slot("authorPerson")
        for value in person.values if person else []:
            identifier, oid = xcn_parts(value)
            if identifier and (identifier, oid) not in author_ids:
                fail(
                    "XDSFR-CDA-08",
                    f"authorPerson {value} n'est pas un auteur du document",
                    f"authorPerson {value} is not an author of the document",
                )
    document_id = _find(document, "id")
    if document_id is not None:
        root, extension = document_id.get("root", ""), document_id.get("extension")
        expected = f"{root}^{extension}" if extension else root
        for value in values("uniqueId"):
            if value != expected:
                fail(
                    "XDSFR-CDA-09",
                    f"uniqueId {value} ≠ ClinicalDocument/id {expected}",
                    f"uniqueId {value} ≠ ClinicalDocument/id {expected}",
                )
    _format(entry, document, judge)


def _scheme(judge: Judge, name: str) -> str:
    spec = judge.data.get("attributes", {}).get("DocumentEntry", {}).get(name, {})
    return str(spec.get("classification", ""))


def _format(entry: DocumentEntry, document: etree._Element, judge: Judge) -> None:
    table = judge.data.get("format_by_template", {})
    templates = [t.get("root") for t in document.iterfind(f"{V3}templateId")]
    expected: list[str] = []
    for template in templates:
        allowed = table.get(template)
        if allowed:
            expected.extend([allowed] if isinstance(allowed, str) else allowed)
    formats = [c.node for c in entry.classified(_scheme(judge, "formatCode"))]
    if not expected:
        judge.note(
            "XDSFR-CDA-10",
            "formatCode ↔ volet non jugé : aucun templateId du document dans la table du pack",
            "formatCode ↔ volet not judged: no templateId of the document is in the pack's table",
            entry.path,
            entry.line,
        )
        return
    judge.evaluate("XDSFR-CDA-10")
    for value in formats:
        if value not in expected:
            judge.fail(
                "XDSFR-CDA-10",
                f"formatCode {value} : le volet du document attend {' ou '.join(expected)}",
                f"formatCode {value}: the document's volet expects {' or '.join(expected)}",
                entry.path,
                entry.line,
            )
