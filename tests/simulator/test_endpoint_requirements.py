"""Each endpoint requirement proven both ways against the reference simulator.

Conforming simulator → every requirement of both packs PASSED. Each fault mode → the requirement
it breaks FAILED, with a reason. The suite runs in-process through the plugin (pytester).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from harness.config.packs import PackRegistry

SuiteRunner = Any  # tests/endpoints/conftest.py (the `suite` fixture)

MLLP = {"CISIS-MLLP-01", "CISIS-MLLP-02", "CISIS-MLLP-03", "CISIS-MLLP-04"}
HTTP = {"SEC-TLS-11", "SEC-HTTP-01", "SEC-HTTP-01B", "SEC-HTTP-02", "SEC-HTTP-03", "SEC-HTTP-04", "SEC-HTTP-06", "SEC-HTTP-07",
        "SEC-HTTP-07B", "SEC-HTTP-08", "SEC-HTTP-09", "SEC-HTTP-10", "SEC-INPUT-04", "SEC-INPUT-07", "SEC-INPUT-08"}
# What needs the target's own request served on a TLS endpoint (the control): HTTP checks, the TLS
# probes, the chain sent, the client without a certificate.
BEHIND_CONTROL = HTTP | {"SEC-TLS-02", "SEC-TLS-03", "SEC-TLS-04", "SEC-TLS-05", "SEC-TLS-05B", "SEC-TLS-10", "SEC-PKI-03", "SEC-MTLS-01"}
WHOLE_SUITE = None

# fault, requirements FAILED (exactly), requirements ABORTED (exactly), part of the suite run (module, -k) or the whole suite
CASES: list[tuple[str, set[str], set[str], tuple[str, str | None] | None]] = [
    ("old-tls", {"SEC-TLS-02", "SEC-TLS-05B"}, set(), WHOLE_SUITE),  # its CBC-SHA1 suites are outside the profile too
    ("tls13-only", {"SEC-TLS-03"}, set(), WHOLE_SUITE),
    ("no-tls13", {"SEC-TLS-04"}, {"SEC-TLS-10"}, WHOLE_SUITE),  # groups are probed over TLS 1.3
    ("weak-ciphers", {"SEC-TLS-05", "SEC-TLS-05B"}, set(), WHOLE_SUITE),
    ("weak-curve", {"SEC-TLS-10"}, set(), WHOLE_SUITE),
    ("unknown-ca-server-cert", {"SEC-PKI-01"}, {"SEC-PKI-03"}, WHOLE_SUITE),  # completeness needs a path to the anchor
    ("no-chain", {"SEC-PKI-03"}, set(), WHOLE_SUITE),
    ("hostname-mismatch", {"SEC-PKI-03"}, set(), WHOLE_SUITE),
    ("expired-server-cert", {"SEC-PKI-04", "SEC-PKI-04B"}, set(), WHOLE_SUITE),
    ("wrong-eku-server-cert", {"SEC-PKI-05"}, set(), WHOLE_SUITE),
    ("weak-key-server-cert", {"SEC-PKI-07"}, set(), WHOLE_SUITE),
    ("long-lived-server-cert", {"SEC-PKI-08"}, set(), WHOLE_SUITE),
    ("no-client-auth", {"SEC-MTLS-01", "SEC-MTLS-02"}, set(), WHOLE_SUITE),
    ("client-cert-optional", {"SEC-MTLS-01"}, set(), WHOLE_SUITE),
    ("accept-revoked", {"SEC-MTLS-02"}, set(), WHOLE_SUITE),
    ("accept-expired", {"SEC-MTLS-02"}, set(), WHOLE_SUITE),
    ("accept-unknown-ca", {"SEC-MTLS-02"}, set(), WHOLE_SUITE),
    ("distrust-client-ca", {"SEC-MTLS-02"}, BEHIND_CONTROL | MLLP, WHOLE_SUITE),  # TLS alert to the control, on https and mllp+tls
    ("http-cert-error", {"SEC-MTLS-02"}, BEHIND_CONTROL, WHOLE_SUITE),  # HTTP 400 to the control, on https only
    ("http10", {"SEC-TLS-11"}, set(), WHOLE_SUITE),
    ("no-security-headers", {"SEC-HTTP-01", "SEC-HTTP-01B", "SEC-HTTP-02", "SEC-HTTP-03", "SEC-HTTP-04", "SEC-HTTP-09"}, set(),
     WHOLE_SUITE),
    ("verbose-errors", {"SEC-INPUT-04", "SEC-HTTP-06"}, set(), WHOLE_SUITE),
    ("allow-trace", {"SEC-HTTP-07", "SEC-HTTP-07B"}, set(), WHOLE_SUITE),
    ("cors-reflect", {"SEC-HTTP-08"}, set(), WHOLE_SUITE),
    ("exposed-debug", {"SEC-HTTP-10"}, set(), WHOLE_SUITE),
    ("catch-all", set(), set(), WHOLE_SUITE),  # one page for every path exposes nothing
    ("no-size-limit", {"SEC-INPUT-07"}, set(), WHOLE_SUITE),
    ("smuggling", {"SEC-INPUT-08"}, set(), WHOLE_SUITE),
    ("ack-wrong-control-id", MLLP, set(), WHOLE_SUITE),  # every MLLP check judges the ACK
    ("ack-aa-invalid", {"CISIS-MLLP-02"}, set(), WHOLE_SUITE),
    ("reset", MLLP, {"SEC-MTLS-01", "SEC-MTLS-02"}, WHOLE_SUITE),  # a reset without a TLS alert is no refusal
    ("serial", {"CISIS-MLLP-04"}, set(), WHOLE_SUITE),
    # the receiver dies: the rest of the suite is ABORTED (unreachable), so only the MLLP module
    ("fragile", {"CISIS-MLLP-03"}, {"CISIS-MLLP-04"}, ("test_mllp.py", None)),
    # each request waits for the read timeout: one check each, to bound the time
    ("no-ack", {"CISIS-MLLP-01"}, set(), ("test_mllp.py", "valid_message and not invalid")),
    ("slow", {"CISIS-MLLP-01"}, set(), ("test_mllp.py", "valid_message and not invalid")),
    ("slow", {"SEC-HTTP-01"}, set(), ("test_http.py", "hsts and not recommended")),
]
PACKS = ("pgssi-s-security", "ci-sis-mllp-transport")


def test_conforming_simulator_passes_every_endpoint_requirement(suite: SuiteRunner) -> None:
    started = time.monotonic()
    results = suite.run()
    elapsed = time.monotonic() - started
    got = suite.verdicts(results)
    registry = PackRegistry.load()
    expected = {r.id for pack in PACKS for r in registry.get(pack).requirements}
    assert set(got) == expected
    assert {k: v for k, v in got.items() if v != "PASSED"} == {}
    assert results["summary"]["certificate_issued"] is True
    assert elapsed < 30, f"the endpoint suite took {elapsed:.1f} s"


def test_every_requirement_is_broken_by_some_fault() -> None:
    registry = PackRegistry.load()
    broken = {r for case in CASES for r in case[1]}
    assert broken == {r.id for pack in PACKS for r in registry.get(pack).requirements}


@pytest.mark.parametrize(("fault", "failing", "aborted", "part"), CASES,
                         ids=[f"{c[0]}-{re.sub(r'[^a-z0-9]+', '_', c[3][1] or c[3][0]) if c[3] else 'suite'}" for c in CASES])
def test_fault_fails_exactly_its_requirements(suite: SuiteRunner, fault: str, failing: set[str], aborted: set[str],
                                              part: tuple[str, str | None] | None) -> None:
    """Under each fault, exactly the requirements it breaks are FAILED (each with a reason) and exactly
    those that cannot be judged are ABORTED: nothing else."""
    started = time.monotonic()
    results = suite.run({fault}, part[0], keyword=part[1]) if part else suite.run({fault})
    elapsed = time.monotonic() - started
    got = suite.verdicts(results)
    failed = {r for r, v in got.items() if v == "FAILED"}
    assert failed == failing, {r: suite.reasons(results, r) for r in failed ^ failing}
    got_aborted = {r for r, v in got.items() if v == "ABORTED"}
    assert got_aborted == aborted, {r: suite.reasons(results, r) for r in got_aborted ^ aborted}
    for requirement in failing | aborted:
        assert suite.reasons(results, requirement), f"{requirement} {got[requirement]} without a reason"
    if part is None:
        assert {v for r, v in got.items() if r not in failing | aborted} == {"PASSED"}
    assert elapsed < 15, f"{fault}: {elapsed:.1f} s (a hang?)"


@pytest.mark.parametrize(("fault", "cause"), [("distrust-client-ca", "TLSV1_ALERT_UNKNOWN_CA"), ("http-cert-error", "HTTP 400")])
def test_a_refused_control_aborts_the_checks_behind_it_with_the_real_cause(suite: SuiteRunner, fault: str, cause: str) -> None:
    results = suite.run({fault}, "test_http.py", keyword="exposed or oversized or http_1_1")
    for requirement in ("SEC-HTTP-10", "SEC-INPUT-07", "SEC-TLS-11"):
        reason = suite.reasons(results, requirement)
        assert suite.verdicts(results)[requirement] == "ABORTED", (requirement, reason)
        assert "contrôle refusé" in reason and "control refused" in reason and cause in reason, reason


def test_an_exposed_path_is_found_behind_a_catch_all_page(suite: SuiteRunner) -> None:
    results = suite.run({"catch-all", "exposed-debug"}, "test_http.py", keyword="exposed")
    assert suite.verdicts(results)["SEC-HTTP-10"] == "FAILED" and "/.git/HEAD" in suite.reasons(results, "SEC-HTTP-10")


def test_a_served_control_lets_the_checks_run(suite: SuiteRunner) -> None:
    results = suite.run(frozenset(), "test_http.py", keyword="exposed or oversized or http_1_1")
    assert {suite.verdicts(results)[r] for r in ("SEC-HTTP-10", "SEC-INPUT-07", "SEC-TLS-11")} == {"PASSED"}


def test_a_server_that_never_asks_for_a_certificate_is_not_said_to_accept_a_bad_one(suite: SuiteRunner) -> None:
    results = suite.run({"no-client-auth"}, "test_mtls.py", keyword="https and expired")
    reason = suite.reasons(results, "SEC-MTLS-02")
    assert suite.verdicts(results)["SEC-MTLS-02"] == "FAILED"
    assert "never judged" in reason and "without any certificate" in reason and "client certificate accepted" not in reason, reason
    results = suite.run({"accept-expired"}, "test_mtls.py", keyword="https and expired")  # it asks, checks, and takes the expired one
    reason = suite.reasons(results, "SEC-MTLS-02")
    assert "expired client certificate accepted" in reason and "never judged" not in reason, reason


def test_the_openssl_verification_reason_is_kept(suite: SuiteRunner) -> None:
    results = suite.run({"no-chain"}, "test_tls.py", keyword="full_chain")
    assert "unable to get local issuer certificate" in suite.reasons(results, "SEC-PKI-03")
    results = suite.run({"unknown-ca-server-cert"}, "test_tls.py", keyword="chains_to or full_chain")
    assert suite.verdicts(results)["SEC-PKI-03"] == "ABORTED"
    assert "does not chain to the trust anchor" in suite.reasons(results, "SEC-PKI-03")


def test_no_ack_is_failed_with_the_timeout_reason(suite: SuiteRunner) -> None:
    results = suite.run({"no-ack"}, "test_mllp.py", keyword="valid_message and not invalid")
    assert "no ACK within the 1.0 s timeout" in suite.reasons(results, "CISIS-MLLP-01")


def test_endpoint_absent_from_target_is_not_applicable(suite: SuiteRunner) -> None:
    def drop_https(text: str) -> str:
        blocks = text.split("[[endpoints]]")
        return "[[endpoints]]".join(b for b in blocks if 'protocol = "https"' not in b)

    results = suite.run(frozenset(), "test_http.py", keyword="hsts or cors", edit_target=drop_https)
    got = suite.verdicts(results)
    assert got["SEC-HTTP-01"] == "NOT_APPLICABLE" and got["SEC-HTTP-08"] == "NOT_APPLICABLE"


def test_unreachable_endpoint_is_aborted(suite: SuiteRunner) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound but not listening: connections are refused

        def close_port(text: str) -> str:
            return re.sub(r'(protocol = "https"\nhost = "127.0.0.1"\nport = )\d+', rf"\g<1>{port}", text)

        results = suite.run(frozenset(), "test_http.py", keyword="hsts and not recommended", edit_target=close_port)
    assert suite.verdicts(results)["SEC-HTTP-01"] == "ABORTED"
    assert "unreachable" in suite.reasons(results, "SEC-HTTP-01")


def test_endpoint_declared_public_needs_no_client_certificate(suite: SuiteRunner) -> None:
    def public_https(text: str) -> str:
        return text.replace('roles = ["api"]', 'roles = ["api", "public"]')

    results = suite.run({"no-client-auth"}, "test_mtls.py", keyword="https", edit_target=public_https)
    got = suite.verdicts(results)
    assert got["SEC-MTLS-01"] == got["SEC-MTLS-02"] == "NOT_APPLICABLE"


@pytest.mark.parametrize(("fault", "failing"),
                         [((), None), (("ack-wrong-control-id",), "HL7V2-ACK-02"), (("ack-aa-invalid",), "HL7V2-ACK-01")])
def test_received_acks_give_verdicts_to_the_hl7v2_ack_requirements(suite: SuiteRunner, fault: tuple[str, ...], failing: str | None) -> None:
    results = suite.run(set(fault), "test_mllp.py", keyword="valid_message", packs=("hl7v2-base", "ci-sis-mllp-transport"))
    got = suite.verdicts(results)
    ack = {k: v for k, v in got.items() if k.startswith("HL7V2-ACK-")}
    assert set(ack) == {"HL7V2-ACK-01", "HL7V2-ACK-02", "HL7V2-ACK-03", "HL7V2-ACK-04"}
    assert {k for k, v in ack.items() if v != "PASSED"} == ({failing} if failing else set())


def test_a_silent_endpoint_makes_the_client_certificate_checks_aborted_not_failed(suite: SuiteRunner) -> None:
    """No ACK at all (TLS accepted, then silence): neither acceptance nor refusal can be judged."""
    results = suite.run({"no-ack"}, "test_mtls.py", keyword="mllp and (good or without)")
    got = suite.verdicts(results)
    assert got["SEC-MTLS-02"] == "ABORTED" and "acceptance cannot be judged" in suite.reasons(results, "SEC-MTLS-02")
    assert got["SEC-MTLS-01"] == "ABORTED" and "silent control" in suite.reasons(results, "SEC-MTLS-01")
