"""The safe XML parser cannot process a DTD, whatever the encoding or the DOCTYPE's position (issue 18 items 2, 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.verdicts import ArtefactVerdict
from harness.core.xmlsafe import DOCTYPE_REFUSED, UnsafeOrInvalidXml, parse_xml
from harness.validation.dispatch import validate_bytes

from ..conftest import run_cli

EXISTING, MISSING = "/etc/hostname", "/nonexistent/enrs-harness-probe"


def _body(cda: bytes) -> bytes:
    return cda.split(b"?>", 1)[1]


def _doctype(url: str) -> str:
    return f'<!DOCTYPE ClinicalDocument [<!ENTITY % x SYSTEM "file://{url}">%x;]>'


def hostile(case: str, cda: bytes, url: str) -> bytes:
    """One hostile variant of a conforming CDA, each carrying a parameter entity that loads `url`."""
    body = _body(cda)
    if case == "utf7":  # <!DOCTYPE written in UTF-7
        return (b'<?xml version="1.0" encoding="UTF-7"?>+ADwAIQ-DOCTYPE ClinicalDocument +AFsAPAAh-ENTITY % x SYSTEM +ACI-file://'
                + url.encode() + b'+ACIAPgAl-x+ADsAXQA+-' + body)
    if case == "utf16-no-bom":
        return ('<?xml version="1.0" encoding="UTF-16"?>' + _doctype(url) + body.decode()).encode("utf-16-le")
    if case == "after-70k-comment":
        return b'<?xml version="1.0"?><!--' + b"x" * 70_000 + b"-->" + _doctype(url).encode() + body
    if case == "plain":
        return b'<?xml version="1.0"?>' + _doctype(url).encode() + body
    if case == "utf16-bom":
        return ('<?xml version="1.0" encoding="UTF-16"?>' + _doctype(url) + body.decode()).encode("utf-16")
    raise AssertionError(case)


CASES = ["utf7", "utf16-no-bom", "after-70k-comment", "plain", "utf16-bom"]


@pytest.mark.parametrize("case", CASES)
def test_hostile_prolog_refused_with_one_reason_whatever_the_file_system_holds(case, conforming_cda, context):
    reasons = set()
    for url in (EXISTING, MISSING, "/dev/stdin"):
        data = hostile(case, conforming_cda, url)
        with pytest.raises(UnsafeOrInvalidXml) as raised:
            parse_xml(data)
        reasons.add(raised.value.en)
        report = validate_bytes(data, "hostile.xml", context)
        assert report.verdict is ArtefactVerdict.ABORTED
        assert "unrecognised artefact kind" not in report.reason
        reasons.add(report.reason.split(" / ")[-1])
    assert len(reasons) == 1, reasons  # no existence oracle: one reason for an existing, a missing file and a device
    reason = reasons.pop()
    expected = {"utf7": "encoding UTF-7 refused", "utf16-no-bom": "UTF-16 without a byte order mark"}.get(case, DOCTYPE_REFUSED[1])
    assert expected in reason


def test_the_same_parser_for_a_cda_inside_an_oru(conforming_cda, context):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hl7v2"))
    from builders import document_message

    for case in ("after-70k-comment", "utf7", "plain"):
        message = document_message("ORU", document=hostile(case, conforming_cda, "/dev/stdin")).encode()
        report = validate_bytes(message, "oru.hl7", context)
        texts = [f.message_en for f in report.all_findings() if f.requirement == "CDAH2-DOC-02"]
        assert texts and ("refused" in texts[0]), texts


def test_utf16_with_a_bom_is_read(conforming_cda, context):
    data = conforming_cda.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert data.startswith((b"\xff\xfe", b"\xfe\xff"))
    report = validate_bytes(data, "utf16.xml", context)
    assert report.kind == "cda" and report.verdict is ArtefactVerdict.PASSED, report.reason
    assert parse_xml(data).getroot().tag == "{urn:hl7-org:v3}ClinicalDocument"


def test_a_declared_encoding_contradicting_the_bom_is_refused(conforming_cda):
    data = b"\xef\xbb\xbf" + conforming_cda.replace(b'encoding="UTF-8"', b'encoding="UTF-7"')
    with pytest.raises(UnsafeOrInvalidXml, match="contradicts"):
        parse_xml(data)


def test_latin1_declared_is_read():
    tree = parse_xml('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1"))
    assert tree.getroot().text == "é"


def test_the_resolver_refuses_xinclude_and_entities():
    tree = parse_xml(b'<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/hostname" parse="text"/></a>')
    assert tree.getroot()[0].tag.endswith("include")  # never expanded
    with pytest.raises(UnsafeOrInvalidXml, match="malformed"):
        parse_xml(b"<a>&x;</a>")


def test_validate_does_not_hang_on_dev_stdin(tmp_path, conforming_cda):
    files = []
    for case in CASES[:4]:
        path = tmp_path / f"{case}.xml"
        path.write_bytes(hostile(case, conforming_cda, "/dev/stdin"))
        files.append(str(path))
    result = run_cli("validate", "--format", "json", "--lang", "en", *files, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout.count('"ABORTED"') >= 4
