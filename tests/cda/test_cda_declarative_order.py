"""A declarative check with several shapes reports an element's findings in one fixed order (forbidden, no_null_flavor,
require, present, attributes, values, valueset, cardinality, equal), whatever the order of the table's keys."""

from __future__ import annotations

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.declarative import compile_check
from harness.cda.engine import Doc, Out
from harness.core.findings import Severity

DOCUMENT = b"""<ClinicalDocument xmlns="urn:hl7-org:v3"><author nullFlavor="NI"><time/><time/></author></ClinicalDocument>"""


def test_shapes_report_in_their_fixed_order() -> None:
    raw = {"context": "cda:author", "cardinality": {"path": "cda:time", "max": 1}, "attributes": ["typeCode"],
           "require": ["cda:assignedAuthor"], "no_null_flavor": True, "forbidden": True}
    check = compile_check("test", "REQ-X", raw)
    out = Out("REQ-X", Severity.ERROR)
    check.run(Doc(root=etree.fromstring(DOCUMENT)), CdaData(), out)
    assert [f.message_en for f in out.close()] == [
        "author must not be sent", "author: nullFlavor is not allowed", "author: assignedAuthor is required",
        "author: attribute @typeCode is required", "author: time: 0..1 occurrence(s) expected, 2 found"]
