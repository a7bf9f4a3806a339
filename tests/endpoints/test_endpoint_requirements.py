"""Each endpoint requirement proven both ways against the reference simulator.

Conforming simulator → every requirement of both packs PASSED. Each fault mode → the requirement
it breaks FAILED, with a reason. The suite runs in-process through the plugin (pytester).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from harness.packs import PackRegistry

SuiteRunner = Any  # tests/endpoints/conftest.py (the `suite` fixture)

# fault, suite file, -k expression, requirements that must be FAILED
CASES = [
    ("old-tls", "test_tls.py", "tls_1_0", ["SEC-TLS-02"]),
    ("tls13-only", "test_tls.py", "tls_1_2_supported", ["SEC-TLS-03"]),
    ("no-tls13", "test_tls.py", "tls_1_3", ["SEC-TLS-04"]),
    ("weak-ciphers", "test_tls.py", "forbidden_cipher or suites_within", ["SEC-TLS-05", "SEC-TLS-05B"]),
    ("weak-curve", "test_tls.py", "groups", ["SEC-TLS-10"]),
    ("unknown-ca-server-cert", "test_tls.py", "chain", ["SEC-PKI-01"]),
    ("no-chain", "test_tls.py", "chain", ["SEC-PKI-03"]),
    ("hostname-mismatch", "test_tls.py", "host_name", ["SEC-PKI-03"]),
    ("expired-server-cert", "test_tls.py", "validity or renewal", ["SEC-PKI-04", "SEC-PKI-04B"]),
    ("wrong-eku-server-cert", "test_tls.py", "key_usage", ["SEC-PKI-05"]),
    ("weak-key-server-cert", "test_tls.py", "strength", ["SEC-PKI-07"]),
    ("long-lived-server-cert", "test_tls.py", "lifespan", ["SEC-PKI-08"]),
    ("no-client-auth", "test_mtls.py", "without or bad_client", ["SEC-MTLS-01", "SEC-MTLS-02"]),
    ("client-cert-optional", "test_mtls.py", "without", ["SEC-MTLS-01"]),
    ("accept-revoked", "test_mtls.py", "revoked", ["SEC-MTLS-02"]),
    ("accept-expired", "test_mtls.py", "expired", ["SEC-MTLS-02"]),
    ("accept-expired", "test_mtls.py", "not-yet-valid", ["SEC-MTLS-02"]),
    ("accept-unknown-ca", "test_mtls.py", "unknown-ca", ["SEC-MTLS-02"]),
    ("distrust-client-ca", "test_mtls.py", "good", ["SEC-MTLS-02"]),
    ("http10", "test_http.py", "http_1_1", ["SEC-TLS-11"]),
    ("no-security-headers", "test_http.py", "hsts or nosniff or referrer or no_store or content_security",
     ["SEC-HTTP-01", "SEC-HTTP-01B", "SEC-HTTP-02", "SEC-HTTP-03", "SEC-HTTP-04", "SEC-HTTP-09"]),
    ("verbose-errors", "test_http.py", "generic or disclosure", ["SEC-INPUT-04", "SEC-HTTP-06"]),
    ("allow-trace", "test_http.py", "trace or unknown_method", ["SEC-HTTP-07", "SEC-HTTP-07B"]),
    ("cors-reflect", "test_http.py", "cors", ["SEC-HTTP-08"]),
    ("exposed-debug", "test_http.py", "exposed", ["SEC-HTTP-10"]),
    ("no-size-limit", "test_http.py", "oversized", ["SEC-INPUT-07"]),
    ("smuggling", "test_http.py", "ambiguous", ["SEC-INPUT-08"]),
    ("slow", "test_http.py", "hsts and not recommended", ["SEC-HTTP-01"]),
    ("ack-wrong-control-id", "test_mllp.py", "valid_message and not invalid", ["CISIS-MLLP-01"]),
    ("ack-aa-invalid", "test_mllp.py", "invalid_message", ["CISIS-MLLP-02"]),
    ("no-ack", "test_mllp.py", "valid_message and not invalid", ["CISIS-MLLP-01"]),
    ("reset", "test_mllp.py", "valid_message and not invalid", ["CISIS-MLLP-01"]),
    ("slow", "test_mllp.py", "valid_message and not invalid", ["CISIS-MLLP-01"]),
    ("fragile", "test_mllp.py", "garbage", ["CISIS-MLLP-03"]),
    ("fragile", "test_mllp.py", "truncated", ["CISIS-MLLP-03"]),
    ("fragile", "test_mllp.py", "oversized", ["CISIS-MLLP-03"]),
    ("serial", "test_mllp.py", "concurrent", ["CISIS-MLLP-04"]),
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
    broken = {r for case in CASES for r in case[3]}
    assert broken == {r.id for pack in PACKS for r in registry.get(pack).requirements}


@pytest.mark.parametrize(("fault", "module", "keyword", "failing"), CASES,
                         ids=[f"{c[0]}-{re.sub(r'[^a-z0-9]+', '_', c[2])}" for c in CASES])
def test_fault_fails_its_requirement(suite: SuiteRunner, fault: str, module: str, keyword: str, failing: list[str]) -> None:
    started = time.monotonic()
    results = suite.run({fault}, module, keyword=keyword)
    elapsed = time.monotonic() - started
    got = suite.verdicts(results)
    for requirement in failing:
        assert got[requirement] == "FAILED", (requirement, got[requirement], suite.reasons(results, requirement))
        assert suite.reasons(results, requirement), f"{requirement} FAILED without a reason"
    assert elapsed < 15, f"{fault}: {elapsed:.1f} s (a hang?)"


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
