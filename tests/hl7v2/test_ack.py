"""Acknowledgements: the expected ACK for a message and its validation, and judging received ACKs."""

from __future__ import annotations

from conftest import check

from harness.hl7v2 import parse
from harness.hl7v2.ack import erl, expected_ack, expected_code, judge_ack
from harness.net.mllp import frame, unframe

import builders as b

A01 = b.adt("A01", control_id="CTRL42")


def ids(findings) -> set[str]:
    return {f.requirement for f in findings}


def test_expected_ack_for_a_conforming_message(context) -> None:
    ack = expected_ack(A01.encode(), check(A01, context), control_id="ACK1", timestamp="20250110093001")
    message, _ = parse(ack)
    assert message.value(message.first("MSA"), 1) == "AA" and message.value(message.first("MSA"), 2) == "CTRL42"
    assert message.message_type == ("ACK", "A01", "ACK")
    assert message.value(message.msh, 3) == "DPI-TEST" and message.value(message.msh, 5) == "GAM-TEST"
    assert message.all("ERR") == []
    assert judge_ack(A01.encode(), ack, "AA") == []


def test_expected_ack_for_a_failing_message_has_err(context) -> None:
    bad = b.set_field(A01, "PID", 5, "")
    ack = expected_ack(bad.encode(), check(bad, context))
    message, _ = parse(ack)
    assert message.value(message.first("MSA"), 1) == "AE"
    err = message.first("ERR")
    assert message.value(err, 2) == "PID^1^5^1" and message.value(err, 3, 1, 1) == "101" and message.value(err, 4) == "E"
    assert judge_ack(bad.encode(), ack, "AE") == []


def test_expected_ack_rejects_unsupported_version_and_garbage(context) -> None:
    old = b.set_field(A01, "MSH", 12, "2.3")
    ack, _ = parse(expected_ack(old.encode(), check(old, context)))
    assert ack.value(ack.first("MSA"), 1) == "AR" and ack.value(ack.first("ERR"), 3, 1, 1) == "203"
    garbage, _ = parse(expected_ack(b"garbage", None))
    assert garbage.value(garbage.first("MSA"), 1) == "AR"


def test_enhanced_mode_codes(context) -> None:
    enhanced = b.set_field(A01, "MSH", 15, "AL")
    ack, _ = parse(expected_ack(enhanced.encode(), check(enhanced, context)))
    assert ack.value(ack.first("MSA"), 1) == "CA"
    assert expected_code(check(b.set_field(enhanced, "PID", 5, ""), context), enhanced=True) == "CE"


def test_judge_wrong_code_echo_header_and_err() -> None:
    good = expected_ack(A01.encode(), None).decode()
    assert ids(judge_ack(A01.encode(), good.replace("MSA|AA", "MSA|XX").encode())) == {"HL7V2-ACK-01"}
    assert ids(judge_ack(A01.encode(), good.encode(), expected="AE")) == {"HL7V2-ACK-01"}
    assert ids(judge_ack(A01.encode(), good.replace("|CTRL42", "|OTHER").encode())) == {"HL7V2-ACK-02"}
    assert ids(judge_ack(A01.encode(), good.replace("MSA|AA", "MSA|AE").encode())) == {"HL7V2-ACK-03"}
    with_err = good.replace("MSA|AA|CTRL42", "MSA|AE|CTRL42\rERR||PID^1^5|101^Required field missing^HL70357|X")
    assert ids(judge_ack(A01.encode(), with_err.encode())) == {"HL7V2-ACK-03"}
    swapped = good.replace("|DPI-TEST|HOPITAL-TEST|GAM-TEST|", "|GAM-TEST|HOPITAL-TEST|DPI-TEST|")
    assert ids(judge_ack(A01.encode(), swapped.encode())) == {"HL7V2-ACK-04"}
    assert ids(judge_ack(A01.encode(), good.replace("ACK^A01^ACK", "ACK^A02^ACK").encode())) == {"HL7V2-ACK-04"}
    assert ids(judge_ack(A01.encode(), b"not an ack")) == {"HL7V2-ACK-01"}


def test_ack_document_in_the_cda_pack(context) -> None:
    ack = expected_ack(b.document_message("ORU").encode(), None).decode().replace("|UNICODE UTF-8", "|UNICODE UTF-8")
    assert check(ack, context).verdict == "PASSED"
    assert {f.requirement for f in check(ack.replace("MSA|AA", "MSA|ZZ"), context).findings} == {"HL7V2-ACK-01"}


def test_erl_and_mllp() -> None:
    assert erl("PID-3[2].4.2") == "PID^1^3^2^4^2" and erl("PID-5") == "PID^1^5^1" and erl("ZBE") == "ZBE^1" and erl(None) == ""
    assert unframe(frame(b"MSH|x\nPID|y")) == b"MSH|x\rPID|y" and unframe(b"\x0bMSH") is None


def test_pam_ack_documents(context) -> None:
    ack = expected_ack(A01.encode(), None).decode()
    report = check(ack, context)
    assert report.verdict == "PASSED" and report.profile == "ci-sis-pam-fr ACK^*"
    assert {f.requirement for f in check(ack.replace("|2.5^FRA^2.11|", "|2.5^FRA^2.9|"), context).findings} == {"PAMFR-MSH-01"}
    assert check(expected_ack(b.document_message("ORU").encode(), None), context).profile == "ci-sis-hl7v2-cda ACK^R01"


def test_a_message_of_an_unsupported_profile_is_rejected_with_the_reason(context) -> None:
    message = b.set_field(b.document_message("MDM", "T02"), "MSH", 21, "2.0^CISIS_CDA_HL7_V2").encode()
    report = check(message, context)
    ack = expected_ack(message, report, control_id="ACK9", timestamp="20250110093001").decode()
    assert ("MSA|AR|" in ack and "ERR||MSH^1^21" in ack and "|207^" in ack
            and "HL7V2-PRF-01 declared profile (MSH-21) CISIS_CDA_HL7_V2 2.0 not supported" in ack)
