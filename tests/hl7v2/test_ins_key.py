"""The INS key (PAMFR-INS-02) for people born in Corsica: departments 2A and 2B count as 19 and 18
in the key 97 − (number mod 97). Shown both ways, on the key alone and in a PAM message."""

from __future__ import annotations

import pytest
from conftest import check, failing

from harness.hl7v2.rules_pam import ins_key_ok

import builders as b


def _with_key(body: str, number: str) -> str:
    return body + f"{97 - int(number) % 97:02d}"


# Fictitious people: sex, year, month, department, commune, order.
AJACCIO = "184122A004123"  # 2A: the key is computed on 1841219004123
BASTIA = "284062B033456"  # 2B: the key is computed on 2840618033456


@pytest.mark.parametrize(("body", "as_number", "wrong"), [
    (AJACCIO, AJACCIO.replace("2A", "19"), AJACCIO.replace("2A", "18")),
    (BASTIA, BASTIA.replace("2B", "18"), BASTIA.replace("2B", "19")),
])
def test_corsican_departments_count_as_19_and_18(body: str, as_number: str, wrong: str) -> None:
    assert ins_key_ok(_with_key(body, as_number)) is True
    assert _with_key(body, as_number) != _with_key(body, wrong)
    assert ins_key_ok(_with_key(body, wrong)) is False  # the other department's number gives another key
    assert ins_key_ok(_with_key(body, "0")) is False


def test_a_mainland_ins_key() -> None:
    assert ins_key_ok(b.INS) is True
    assert ins_key_ok(b.INS[:13] + f"{(int(b.INS[13:]) + 1) % 100:02d}") is False
    assert ins_key_ok("1841299123456") is False  # no key
    assert ins_key_ok("18412ZZ12345612") is False  # not a department


@pytest.mark.parametrize("body", [AJACCIO, BASTIA])
def test_a_pam_message_with_a_corsican_ins(body: str, context) -> None:
    number = body.replace("2A", "19").replace("2B", "18")
    good = _with_key(body, number)
    report = check(b.adt("A01").replace(b.INS, good), context)
    assert "PAMFR-INS-02" in report.evaluated
    assert failing(report) == set(), [(f.requirement, f.location, f.message_en) for f in report.findings]
    bad = good[:13] + f"{(int(good[13:]) + 1) % 100:02d}"
    assert failing(check(b.adt("A01").replace(b.INS, bad), context)) == {"PAMFR-INS-02"}
