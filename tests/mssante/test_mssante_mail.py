"""E-mail reading and the rules' edges: which rules apply to which mail, hostile MIME, detection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mssante_make_fixtures import CDA, CONFORMING, SUBJECT, _subject, document_mail, metadata, package, receipt

from harness.config.context import ValidationContext
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.mssante import judge_email
from harness.validation.dispatch import detect_kind

REPO = Path(__file__).resolve().parents[2]


def _failing(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.requirement for f in report.all_findings() if f.severity is Severity.ERROR}


def test_kinds_decide_the_rules(context: ValidationContext) -> None:
    plain = (b"From: a@b.invalid\nTo: c@d.invalid\nDate: Wed, 12 Mar 2025 14:35:00 +0100\n"
             b"Message-ID: <1@b.invalid>\nSubject: Bonjour\n\nTexte.\n")
    report = judge_email(plain, "plain.eml", context)
    assert report.verdict is ArtefactVerdict.PASSED and report.profile == "mssante-exchange (plain)"
    assert set(report.evaluated) == {"MSS-RFC-01", "MSS-RFC-02", "MSS-ID-01", "MSS-ID-02"}
    for name, kind in (("document.eml", "document"), ("receipt.eml", "mdn"), ("receipt-error.eml", "mdn-error"), ("error.eml", "error")):
        assert judge_email((CONFORMING / name).read_bytes(), name, context).profile == f"mssante-exchange ({kind})"


def test_crlf_line_endings_and_a_reply_with_its_references(context: ValidationContext) -> None:
    data = document_mail(In_Reply_To="<p@x.invalid>", References="<gp@x.invalid> <p@x.invalid>").replace(b"\n", b"\r\n")
    report = judge_email(data, "reply.eml", context)
    assert report.verdict is ArtefactVerdict.PASSED, [f.to_dict() for f in report.all_findings()]


def test_reply_whose_references_miss_the_parent_fails_thread_rule(context: ValidationContext) -> None:
    report = judge_email(document_mail(In_Reply_To="<p@x.invalid>", References="<gp@x.invalid>"), "reply.eml", context)
    assert _failing(report) == {"MSS-ID-02"}


def test_subject_without_the_patient_name_or_date(context: ValidationContext) -> None:
    wrong_name = judge_email(document_mail(Subject=_subject("XDM/1.0/DDM+Lettre de liaison DUPONT Jean 28/03/1979")), "m.eml", context)
    assert _failing(wrong_name) == {"MSS-SUB-01"}
    no_date = judge_email(document_mail(Subject=_subject(SUBJECT.rsplit(" ", 1)[0])), "m.eml", context)
    assert _failing(no_date) == {"MSS-SUB-01"}


def test_two_xdm_attachments_fail_attachment_rule(context: ValidationContext) -> None:
    data = document_mail()
    marker = b"--enrs-mss-boundary\nContent-Type: application/pdf"
    zip_part = data[data.index(b"--enrs-mss-boundary\nContent-Type: application/zip"):data.index(marker)]
    report = judge_email(data.replace(marker, zip_part + marker), "two.eml", context)
    assert _failing(report) == {"MSS-ATT-01"}


def test_attachment_named_ihe_xdm_that_is_not_a_zip(context: ValidationContext) -> None:
    report = judge_email(document_mail(zip_data=b"%PDF-1.4 not a zip"), "m.eml", context)
    assert report.verdict is ArtefactVerdict.FAILED and _failing(report) == {"MSS-ATT-01"}


def test_error_receipt_without_the_returned_zip(context: ValidationContext) -> None:
    data = receipt(error=True)
    cut = data.index(b"--enrs-mdn-boundary\nContent-Type: application/zip")
    report = judge_email(data[:cut] + b"--enrs-mdn-boundary--\n", "mdn.eml", context)
    assert _failing(report) == {"MSS-ERR-02"}


def test_deeply_nested_mime_is_aborted_quickly(context: ValidationContext) -> None:
    head = b"From: a@b.invalid\nDate: Wed, 12 Mar 2025 14:35:00 +0100\nMessage-ID: <1@b.invalid>\n"
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(5000))
    started = time.perf_counter()
    report = judge_email(head + nested, "nested.eml", context)
    assert report.verdict is ArtefactVerdict.ABORTED and "MIME" in (report.reason or "")
    assert time.perf_counter() - started < 20  # hang guard only


def test_many_parts_are_aborted(context: ValidationContext) -> None:
    head = b'From: a@b.invalid\nDate: Wed, 12 Mar 2025 14:35:00 +0100\nContent-Type: multipart/mixed; boundary="b"\n\n'
    body = b"".join(b"--b\nContent-Type: text/plain\n\nx\n" for _ in range(2000)) + b"--b--\n"
    report = judge_email(head + body, "many.eml", context)
    assert report.verdict is ArtefactVerdict.ABORTED and "500" in (report.reason or "")


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01\x02 binary", b"just text, no header\n"])
def test_not_an_email_is_aborted_not_a_traceback(data: bytes, context: ValidationContext) -> None:
    assert judge_email(data, "x.eml", context).verdict is ArtefactVerdict.ABORTED


def test_oversized_email_is_aborted(context: ValidationContext) -> None:
    small = ValidationContext(registry=context.registry, max_bytes=1000)
    report = judge_email(document_mail(), "big.eml", small)
    assert report.verdict is ArtefactVerdict.ABORTED and "1000" in (report.reason or "")


def test_detection_tells_emails_from_other_artefacts() -> None:
    assert detect_kind((CONFORMING / "document.eml").read_bytes()) == "email"
    assert detect_kind((CONFORMING / "IHE_XDM.ZIP").read_bytes()) == "xdm"
    assert detect_kind((REPO / "fixtures/conforming/hl7v2/lps-mdm-t02.hl7").read_bytes()) == "hl7v2"
    assert detect_kind((REPO / "fixtures/conforming/cda/vsm-2023.xml").read_bytes()) == "cda"
    assert detect_kind(b"Subject: no sender\nDate: x\n\nbody") is None


def test_masked_document_to_a_patient_mailbox_passes_and_to_a_professional_fails(context: ValidationContext) -> None:
    masked = package({"SUBSET01": (metadata("DOC0001.XML", CDA, masked=True), CDA)})
    to_patient = judge_email(document_mail(masked, To="dominique.pat-trois@patient.mssante.fr"), "m.eml", context)
    assert to_patient.verdict is ArtefactVerdict.PASSED and "MSS-MASK-01" in to_patient.evaluated
    copied = judge_email(document_mail(masked, To="dominique.pat-trois@patient.mssante.fr", Cc="dr@hopital.mssante-essai.invalid"),
                         "m.eml", context)
    assert _failing(copied) == {"MSS-MASK-01"}


def test_metadata_unreadable_aborts_the_package(context: ValidationContext) -> None:
    from harness.validation.dispatch import validate_bytes

    report = validate_bytes(package({"SUBSET01": (b"<not-closed>", CDA)}), "IHE_XDM.ZIP", context)
    assert report.verdict is ArtefactVerdict.ABORTED and "METADATA.XML" in (report.reason or "")


@pytest.mark.parametrize("maker, old, new", [
    ("document", b'Content-Disposition: attachment; filename="cr-biologie.pdf"',
     b'Content-Disposition: attach\xe9ment; filename="cr-biologie.pdf"'),
    ("receipt", b'Content-Type: text/plain; charset="utf-8"', b'Content-Type: text/plain; charset="ut\x00f-8"'),
    ("document", b"=?utf-8?b?", b"=?\xfftf-8?b?"),
])
def test_hostile_header_values_give_a_verdict_not_a_traceback(maker: str, old: bytes, new: bytes, context: ValidationContext) -> None:
    """Found by fuzzing: 8-bit header values, a NUL in the charset of an 8-bit part, an encoded word in an unknown charset."""
    data = receipt() if maker == "receipt" else document_mail(Subject=_subject(f"{SUBJECT} é"))  # an encoded word
    assert old in data
    report = judge_email(data.replace(old, new, 1), "hostile.eml", context)
    assert report.verdict in (ArtefactVerdict.PASSED, ArtefactVerdict.FAILED, ArtefactVerdict.ABORTED)
