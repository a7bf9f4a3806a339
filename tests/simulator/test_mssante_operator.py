"""The MSSanté operator (SMTP submission) proven both ways against the reference simulator.

Conforming simulator → every requirement of mssante-operator PASSED. Each SMTP fault mode → exactly the
requirement it breaks FAILED (and, for a refused control, exactly the dependent checks ABORTED). The
PGSSI-S TLS checks reach the smtp endpoint after STARTTLS: TLS faults fail their requirement there too.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from harness.config.packs import PackRegistry
from harness.config.target import load_target
from harness.net.probe import base_options
from harness.net.smtp import control_message, open_plain, open_secure, submit
from harness.simulator import FAULTS, Simulator
from harness.simulator.smtp_endpoint import RECIPIENT, SENDER

SuiteRunner = Any  # tests/endpoints/conftest.py (the `suite` fixture)
PACK = "mssante-operator"
BEHIND_CONTROL = {"MSS-SMTP-04", "MSS-SMTP-05", "MSS-SMTP-06", "MSS-SMTP-07"}

# fault, requirements FAILED (exactly), requirements ABORTED (exactly)
CASES: list[tuple[str, set[str], set[str]]] = [
    ("no-starttls", {"MSS-SMTP-01", "MSS-SMTP-08"}, BEHIND_CONTROL),  # no TLS, no valid submission, nothing behind it judged
    ("plaintext", {"MSS-SMTP-02"}, set()),
    ("cleartext-auth", {"MSS-SMTP-03"}, set()),
    ("open-relay", {"MSS-SMTP-04"}, set()),
    ("any-sender", {"MSS-SMTP-05"}, set()),
    ("accepts-oversized", {"MSS-SMTP-06"}, set()),
    ("strip-x-mss", {"MSS-SMTP-07"}, set()),
    ("defer-all", {"MSS-SMTP-08"}, BEHIND_CONTROL),  # the control refused: nothing behind it is judged
]

# TLS faults on the smtp endpoint only (-k smtp): PGSSI-S requirements FAILED, ABORTED. Every TLS fault also runs on
# the whole simulator, smtp endpoint included, in test_endpoint_requirements.py; these show the smtp endpoint alone.
TLS_BEHIND_CONTROL = {"SEC-TLS-02", "SEC-TLS-03", "SEC-TLS-04", "SEC-TLS-05", "SEC-TLS-05B", "SEC-TLS-10", "SEC-PKI-03", "SEC-MTLS-01"}
TLS_CASES: list[tuple[str, set[str], set[str]]] = [
    ("old-tls", {"SEC-TLS-02", "SEC-TLS-05B"}, set()),
    ("no-client-auth", {"SEC-MTLS-01", "SEC-MTLS-02"}, set()),
    ("distrust-client-ca", {"SEC-MTLS-02"}, TLS_BEHIND_CONTROL),
]


def _mss(suite: SuiteRunner, faults: set[str] | frozenset[str] = frozenset(), **kwargs: Any) -> dict[str, Any]:
    return suite.run(faults, packs=(PACK,), suite="mssante", **kwargs)


def test_conforming_operator_passes_every_mssante_requirement(suite: SuiteRunner) -> None:
    started = time.monotonic()
    results = _mss(suite)
    elapsed = time.monotonic() - started
    got = suite.verdicts(results)
    assert set(got) == {r.id for r in PackRegistry.load().get(PACK).requirements}
    assert {k: v for k, v in got.items() if v != "PASSED"} == {}
    assert results["summary"]["certificate_issued"] is True
    assert elapsed < 10, f"the MSSanté suite took {elapsed:.1f} s"


def test_every_mssante_requirement_is_broken_by_some_fault() -> None:
    assert {r for case in CASES for r in case[1]} == {r.id for r in PackRegistry.load().get(PACK).requirements}
    assert {name for name, spec in FAULTS.items() if spec[0] == "smtp"} == {case[0] for case in CASES}


@pytest.mark.parametrize(("fault", "failing", "aborted"), CASES, ids=[c[0] for c in CASES])
def test_smtp_fault_fails_exactly_its_requirement(suite: SuiteRunner, fault: str, failing: set[str], aborted: set[str]) -> None:
    results = _mss(suite, {fault})
    got = suite.verdicts(results)
    assert {r for r, v in got.items() if v == "FAILED"} == failing, {r: suite.reasons(results, r) for r in got}
    assert {r for r, v in got.items() if v == "ABORTED"} == aborted, {r: suite.reasons(results, r) for r in got}
    assert {v for r, v in got.items() if r not in failing | aborted} == {"PASSED"}
    for requirement in failing | aborted:
        assert suite.reasons(results, requirement), f"{requirement} {got[requirement]} without a reason"
    for requirement in aborted:
        assert "control refused" in suite.reasons(results, requirement)
    assert results["summary"]["certificate_issued"] is False


@pytest.mark.parametrize(("fault", "failing", "aborted"), TLS_CASES, ids=[c[0] for c in TLS_CASES])
def test_tls_fault_fails_its_pgssi_requirement_on_the_smtp_endpoint(suite: SuiteRunner, fault: str, failing: set[str],
                                                                     aborted: set[str]) -> None:
    results = suite.run({fault}, "test_tls.py", "test_mtls.py", keyword="smtp", packs=("pgssi-s-security",))
    got = {r: v for r, v in suite.verdicts(results).items() if v != "NOT_TESTED"}  # HTTP-only requirements: no smtp test
    assert {r for r, v in got.items() if v == "FAILED"} == failing, {r: suite.reasons(results, r) for r in got}
    assert {r for r, v in got.items() if v == "ABORTED"} == aborted, {r: suite.reasons(results, r) for r in got}
    assert {v for r, v in got.items() if r not in failing | aborted} == {"PASSED"}


def test_the_pgssi_checks_pass_on_the_conforming_smtp_endpoint(suite: SuiteRunner) -> None:
    results = suite.run(frozenset(), "test_tls.py", "test_mtls.py", keyword="smtp", packs=("pgssi-s-security",))
    got = {r: v for r, v in suite.verdicts(results).items() if v != "NOT_TESTED"}
    assert len(got) >= 15 and set(got.values()) == {"PASSED"}, got


def _without(key: str):
    return lambda text: re.sub(rf"^{key} = .*\n", "", text, flags=re.MULTILINE)


def test_without_the_mailboxes_the_checks_needing_them_are_aborted_with_the_setting_named(suite: SuiteRunner) -> None:
    results = _mss(suite, edit_target=_without("mssante_sender"))
    got = suite.verdicts(results)
    needing = BEHIND_CONTROL | {"MSS-SMTP-08"}
    assert {r for r, v in got.items() if v == "ABORTED"} == needing, got
    assert {got[r] for r in set(got) - needing} == {"PASSED"}  # STARTTLS, MAIL and AUTH before TLS need no mailbox
    assert "mssante_sender" in suite.reasons(results, "MSS-SMTP-08")


def test_without_read_access_delivery_is_aborted_not_passed(suite: SuiteRunner) -> None:
    results = _mss(suite, edit_target=_without("mssante_maildir"))
    got = suite.verdicts(results)
    assert got["MSS-SMTP-07"] == "ABORTED" and "IMAP" in suite.reasons(results, "MSS-SMTP-07")
    assert {v for r, v in got.items() if r != "MSS-SMTP-07"} == {"PASSED"}


def test_a_target_without_smtp_endpoint_is_not_applicable(suite: SuiteRunner) -> None:
    def drop_smtp(text: str) -> str:
        return re.sub(r'\[\[endpoints\]\]\nname = "smtp"\n(?:.+\n)+', "", text)

    results = _mss(suite, edit_target=drop_smtp)
    assert set(suite.verdicts(results).values()) == {"NOT_APPLICABLE"}


def test_the_operator_keeps_each_message_byte_for_byte_dot_lines_included(pki, tmp_path) -> None:
    with Simulator(pki) as simulator:
        (tmp_path / "t.toml").write_text(simulator.target_toml(), encoding="utf-8")
        target = load_target(tmp_path / "t.toml")
        endpoint = next(e for e in target.endpoints if e.protocol == "smtp")
        message, message_id = control_message(SENDER, RECIPIENT, {"X-MSS-INS": "1"})
        message += b".leading dot\r\n..two dots\r\n"
        client = open_secure(endpoint, target, base_options(target))
        steps = submit(client, SENDER, [RECIPIENT], message)
        client.close()
        assert steps[-1][1].code == 250
        (received,) = simulator.smtp.received
        assert received.data == message and received.mail_from == SENDER and "ENRS-HARNESS CLIENT" in received.peer_subject
        plain = open_plain(endpoint, target)  # in clear text, the greeting comes and MAIL is refused with 530
        plain.ehlo()
        assert plain.command(f"MAIL FROM:<{SENDER}>").code == 530
        plain.close()
        assert message_id in message.decode()


def test_a_connection_is_cut_at_the_end_of_its_life_even_when_it_keeps_talking(pki, tmp_path) -> None:
    """aiosmtpd's timeout is per command: the operator also bounds each connection's whole life."""
    import socket as socket_module

    from harness.simulator.smtp_endpoint import OperatorConfig, SmtpOperator

    operator = SmtpOperator(OperatorConfig(frozenset(), tmp_path / "mail", connection_seconds=1.0), None, io_timeout=5.0).start()
    try:
        with socket_module.create_connection(("127.0.0.1", operator.port), timeout=5) as sock:
            started, closed = time.monotonic(), False
            sock.recv(1024)  # greeting
            while time.monotonic() - started < 4:
                try:
                    sock.sendall(b"NOOP\r\n")
                    if not sock.recv(1024):
                        closed = True
                        break
                except OSError:
                    closed = True
                    break
                time.sleep(0.2)  # each command well within the 5 s idle timeout
        assert closed and 0.9 < time.monotonic() - started < 3
    finally:
        operator.stop()
