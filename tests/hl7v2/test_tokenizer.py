"""The tokenizer: separators, MLLP, character sets, escapes, and input it cannot read."""

from __future__ import annotations

import pytest
from conftest import check, failing

from harness.core.verdicts import ArtefactVerdict
from harness.hl7v2 import ParseError, parse
from harness.hl7v2.message import location

import builders as b

A01 = b.adt("A01")


def test_keeps_every_segment_field_and_line() -> None:
    text = b.insert_after(A01, "ZFD", "ZZZ|kept^as^is")
    message, findings = parse(text.encode())
    assert [s.name for s in message.segments] == ["MSH", "EVN", "PID", "PV1", "ZBE", "ZFA", "ZFD", "ZZZ"]
    assert [s.line for s in message.segments] == list(range(1, 9))
    pid = message.first("PID")
    assert message.value(pid, 3, 2, 4, 2) == "1.2.250.1.213.1.4.10"
    assert message.tree(pid, 3)[1][3] == ["ASIP-SANTE-INS-NIR", "1.2.250.1.213.1.4.10", "ISO"]
    assert message.value(message.first("ZZZ"), 1, 1, 2) == "as"
    assert location("PID", 3, 2, 4, 2) == "PID-3[2].4.2"
    assert findings == []


def test_escape_sequences_are_applied() -> None:
    text = b.set_field(A01, "PID", 5, "O\\S\\BRIEN\\T\\CO\\F\\X\\R\\Y\\E\\Z\\X41\\^CAMILLE")
    message, findings = parse(text.encode())
    assert message.value(message.first("PID"), 5, 1, 1) == "O^BRIEN&CO|X~Y\\ZA"
    assert findings == []


@pytest.mark.parametrize("separator", ["\r", "\r\n"])
def test_cr_and_crlf_are_accepted_silently(separator: str) -> None:
    message, findings = parse(A01.replace("\r", separator).encode())
    assert len(message.segments) == 7 and findings == []


def test_lf_is_accepted_with_a_warning(context) -> None:
    report = check(A01.replace("\r", "\n"), context)
    assert report.verdict is ArtefactVerdict.PASSED
    assert failing(report) == {"HL7V2-SYN-02"}


def test_mllp_framed_input() -> None:
    message, findings = parse(b"\x0b" + A01.encode() + b"\x1c\r")
    assert len(message.segments) == 7 and findings == []


def test_incomplete_mllp_frame_is_reported(context) -> None:
    report = check(b"\x0b" + A01.encode(), context)
    assert failing(report) == {"HL7V2-SYN-04"}


@pytest.mark.parametrize("label, codec", [("UNICODE UTF-8", "utf-8"), ("8859/15", "iso8859_15"), ("8859/1", "iso8859_1")])
def test_decoding_follows_msh18(label: str, codec: str) -> None:
    text = b.set_field(b.set_field(A01, "MSH", 18, label), "PID", 5, "LÉA€^ÉLODIE" if codec != "iso8859_1" else "LÉA^ÉLODIE")
    message, findings = parse(text.encode(codec))
    assert message.value(message.first("PID"), 5, 1, 1).startswith("LÉA") and findings == []


def test_charset_mismatch_is_reported(context) -> None:
    latin = b.set_field(A01, "PID", 5, "LÉA^ÉLODIE").encode("iso8859_15")  # declared UTF-8
    report = check(latin, context)
    assert report.verdict is ArtefactVerdict.FAILED and failing(report) == {"HL7V2-ENC-01"}
    utf8_as_latin = b.set_field(b.set_field(A01, "MSH", 18, "8859/15"), "PID", 5, "LÉA^ÉLODIE").encode("utf-8")
    report = check(utf8_as_latin, context)
    assert report.verdict is ArtefactVerdict.PASSED and failing(report) == {"HL7V2-ENC-01"}
    report = check(b.set_field(A01, "MSH", 18, "KOI8-R"), context)
    assert failing(report) == {"HL7V2-ENC-01"}


@pytest.mark.parametrize("data", [b"", b"\x0b\x1c\r", b"  \r\n", b"\x00\x01\x02garbage\xff" * 20, b"%PDF-1.7 not a message"])
def test_empty_or_garbage_input_is_aborted(data: bytes, context) -> None:
    report = check(data, context)
    assert report.verdict is ArtefactVerdict.ABORTED and report.reason


def test_missing_msh_first_fails(context) -> None:
    report = check("EVN||20250110\r" + A01, context)
    assert report.verdict is ArtefactVerdict.FAILED and failing(report) == {"HL7V2-SYN-01"}


@pytest.mark.parametrize("head", ["MSH|^~\\|", "MSHA^~\\&|", "MSH|^^\\&|", "MSH|"])
def test_wrong_delimiters_fail(head: str, context) -> None:
    report = check(head + A01[9:], context)
    assert report.verdict is ArtefactVerdict.FAILED and failing(report) == {"HL7V2-SYN-01"}
    with pytest.raises(ParseError):
        parse((head + A01[9:]).encode())


def test_unknown_version_fails(context) -> None:
    report = check(b.set_field(A01, "MSH", 12, "2.3.1^FRA^2.11"), context)
    assert report.verdict is ArtefactVerdict.FAILED and failing(report) == {"HL7V2-VER-01"}


def test_invalid_segment_id_and_second_msh(context) -> None:
    report = check(A01 + "pid|x\r", context)
    assert failing(report) == {"HL7V2-SYN-03"} and report.findings[0].line == 8
    report = check(A01 + A01, context)
    assert "HL7V2-SYN-03" in failing(report)


def test_bad_escape_sequence(context) -> None:
    report = check(b.set_field(A01, "PID", 5, "NOM\\Q\\^CAMILLE"), context)
    assert failing(report) == {"HL7V2-SYN-05"}
    assert report.findings[0].location == "PID-5" and report.findings[0].line == 3


@pytest.mark.parametrize("version", ["2.5.1", "2.6"])
def test_other_supported_versions_are_read_with_their_own_definitions(version: str, context) -> None:
    """2.5.1 and 2.6 are tokenized and checked against their standard; PAM FR itself requires 2.5."""
    report = check(b.set_field(A01, "MSH", 12, f"{version}^FRA^2.11"), context)
    assert failing(report) == {"PAMFR-MSH-01"}
