"""Bad input never raises: truncated and randomly damaged messages give a report, not a traceback."""

from __future__ import annotations

import random

from conftest import check

from harness.hl7v2.ack import expected_ack, judge_ack
from harness.verdicts import ArtefactVerdict

import builders as b


def test_truncated_and_damaged_messages_never_raise(context) -> None:
    rnd = random.Random(4)
    samples = [b.adt("A01").encode(), b.adt("A40").encode(), b.zam("Z02", "N").encode(),
               b.document_message("MDM", "T10", ("RO", "C")).encode()[:2500]]
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
            assert report.verdict in (ArtefactVerdict.PASSED, ArtefactVerdict.FAILED, ArtefactVerdict.ABORTED)
            judge_ack(message, case)
            expected_ack(case, report)
