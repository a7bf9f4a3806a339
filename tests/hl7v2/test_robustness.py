"""Bad input never raises: truncated and randomly damaged messages give a report, not a traceback."""

from __future__ import annotations

import random

from conftest import check

from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.hl7v2.ack import expected_ack, judge_ack

import builders as b


def _msa_1(ack: bytes) -> str:
    return next(line for line in ack.split(b"\r") if line.startswith(b"MSA|")).split(b"|")[1].decode()


def test_truncated_and_damaged_messages_never_raise(context) -> None:
    """Every damaged message gets a report whose verdict agrees with its findings, and the ACK that
    verdict calls for; a damaged message is never taken for an acknowledgement of the original."""
    rnd = random.Random(4)
    samples = [b.adt("A01").encode(), b.adt("A40").encode(), b.zam("Z02", "N").encode(),
               b.document_message("MDM", "T10", ("RO", "C")).encode()[:2500]]
    for message in samples[:3]:
        assert check(message, context).verdict is ArtefactVerdict.PASSED  # the undamaged originals conform
    assert check(b"", context).verdict is ArtefactVerdict.ABORTED
    for message in samples:
        cases = [message[:i] for i in range(0, len(message), 11)]
        for _ in range(60):
            damaged = bytearray(message)
            for _ in range(rnd.randint(1, 4)):
                where = rnd.randrange(len(damaged))
                damaged[where] = rnd.choice(b"|^~\\&\r\nAZ09\x00\xff\x0b\x1c")
            cases.append(bytes(damaged))
        for case in cases:
            report = check(case, context)
            errors = [f for f in report.all_findings() if f.severity is Severity.ERROR]
            code = _msa_1(expected_ack(case, report))
            if report.verdict is ArtefactVerdict.PASSED:
                assert not errors and code == "AA", case
            elif report.verdict is ArtefactVerdict.FAILED:
                assert errors and code in ("AE", "AR"), case
            else:
                assert report.verdict is ArtefactVerdict.ABORTED and report.reason and " / " in report.reason, case
                assert code == "AR", case
            assert judge_ack(message, case), case  # findings: not a valid ACK of the original
