"""The xds endpoint suite on the reference simulator: everything passes on the healthy simulator, and each xds
fault mode fails exactly the requirement it breaks (both ways, on real exchanges)."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time

import pytest

from harness.config.target import Endpoint, TlsMaterial, default_target
from harness.net.xds import XdsClient, XdsSettings
from harness.simulator.faults import FAULTS
from harness.vihf import build as vb
from harness.xds import messages as m

PATIENT = m.xds_patient_id(vb.VihfClaims().patient_ins)

ACTORS = [f"XDSB-ACT-{n:02d}" for n in range(1, 11)]
XDS_FAULTS = sorted(name for name, (scope, _, _) in FAULTS.items() if scope == "xds")


def test_healthy_simulator_passes_every_requirement(xds_suite) -> None:
    results = xds_suite.run()
    verdicts = xds_suite.verdicts(results)
    assert {r: verdicts[r] for r in ACTORS} == dict.fromkeys(ACTORS, "PASSED"), [xds_suite.reasons(results, r) for r in ACTORS]
    assert {v for k, v in verdicts.items() if k.startswith("CISIS-VIHF-")} == {"NOT_APPLICABLE"}
    assert results["summary"]["certificate_issued"]


@pytest.mark.parametrize("fault", XDS_FAULTS)
def test_each_fault_fails_exactly_its_requirement(xds_suite, fault: str) -> None:
    expected = FAULTS[fault][2]
    verdicts = xds_suite.verdicts(xds_suite.run(frozenset({fault})))
    failed = {r for r in ACTORS if verdicts[r] != "PASSED"}
    assert failed == {expected}, {r: verdicts[r] for r in failed}
    assert verdicts[expected] == "FAILED"


def test_control_failure_aborts_the_dependent_checks(xds_suite) -> None:
    """A seal the candidate does not trust makes the valid publication fail: XDSB-ACT-01 FAILED, every other check ABORTED."""
    def untrusted_seal(text: str) -> str:
        pki_dir = text.split('test_pki = "')[1].split("manifest.json")[0]
        return text.replace('[xds]\n', f'[xds]\nvihf_cert = "{pki_dir}seal/unknown-ca.pem"\nvihf_key = "{pki_dir}seal/unknown-ca.key"\n'
                            f'vihf_trust = "{pki_dir}rogue/root.pem"\n')

    results = xds_suite.run(edit_target=untrusted_seal)
    verdicts = xds_suite.verdicts(results)
    assert verdicts["XDSB-ACT-01"] == "FAILED" and "VIHF" in xds_suite.reasons(results, "XDSB-ACT-01")
    assert {verdicts[r] for r in ACTORS[1:] if r != "XDSB-ACT-05"} == {"ABORTED"}
    assert not results["summary"]["certificate_issued"]


@pytest.mark.parametrize("code, requirement", [
    ("XDSUnknownPatientId", "XDSB-ACT-07"), ("XDSPatientIdDoesNotMatch", "XDSB-ACT-07"),
    ("XDSRepositoryMetadataError", "XDSB-ACT-08"), ("XDSDuplicateUniqueIdInRegistry", "XDSB-ACT-09"),
])
def test_a_registry_missing_one_error_code_fails_its_requirement(xds_suite, code: str, requirement: str) -> None:
    """The other way for the checks no fault mode covers: the simulator's service stops reporting one error code
    (and so stores the submission, or fails on its store), and exactly that code's requirement fails."""
    def forget(simulator) -> None:
        service = simulator.xds
        check = service._check_submission

        def without(*args):
            errors, *rest = check(*args)
            return ([e for e in errors if e[0] != code], *rest)

        service._check_submission = without

    verdicts = xds_suite.verdicts(xds_suite.run(mutate=forget))
    assert {r for r in ACTORS if verdicts[r] != "PASSED"} == {requirement}


# -- candidate = document source: the harness listens, a simulated source sends --------------------------------

def _source_target(xds_pki, port: int, window: float = 1.5) -> str:
    return "\n".join([
        "[candidate]", 'name = "source"', 'vendor = "test"', 'version = "1"', "",
        "[settings]", f'test_pki = "{xds_pki.directory / "manifest.json"}"', "",
        "[xds]", 'role = "document-source"', f"listen_port = {port}", f"window = {window}", "",
    ])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _send_after_start(xds_pki, port: int, vihf_edit=None, count: int = 1) -> threading.Thread:
    """A document source that waits for the harness's listener, then publishes `count` documents."""
    def run() -> None:
        endpoint = Endpoint("harness", "https", "127.0.0.1", port, "/xds/")
        cert, key = xds_pki.cert_key("client")
        target = dataclasses.replace(default_target(), tls=TlsMaterial(ca_bundle=xds_pki.trust_anchor, client_cert=cert, client_key=key,
                                                                       server_name="localhost"))
        client = XdsClient(XdsSettings("document-source", endpoint, "/xds/", "", PATIENT, xds_pki.cert_key("seal"), None), target)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        for _ in range(count):
            doc = client.new_document()
            body, attachments = m.provide_and_register(doc)
            client.send(m.ITI41, body, attachments, vihf=client.vihf(edit=vihf_edit))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _run_source(xds_suite, xds_pki, vihf_edit=None, count: int = 1, extra_packs: tuple[str, ...] = ()) -> dict:
    port = _free_port()
    thread = _send_after_start(xds_pki, port, vihf_edit, count)
    results = xds_suite.run_target(_source_target(xds_pki, port), extra_packs)
    thread.join(5)
    return results


def test_document_source_conforming(xds_suite, xds_pki) -> None:
    """Its VIHF passes ci-sis-vihf and its two submissions are judged as XDS.b captures (packs ihe-xds-b, ci-sis-xds)."""
    results = _run_source(xds_suite, xds_pki, count=2, extra_packs=("ihe-xds-b", "ci-sis-xds"))
    verdicts = xds_suite.verdicts(results)
    artefacts = results["artefacts"]
    assert [(a["kind"], a["verdict"]) for a in artefacts] == [("xds", "PASSED")] * 2, artefacts
    assert verdicts["XDSB-SRC-01"] == "PASSED"
    assert {verdicts[f"CISIS-VIHF-{n:02d}"] for n in range(1, 11)} == {"PASSED"}
    assert {verdicts[r] for r in ACTORS} == {"NOT_APPLICABLE"}  # the registry checks: another role


def test_document_source_unsigned_vihf_fails_the_signature_only(xds_suite, xds_pki) -> None:
    results = _run_source(xds_suite, xds_pki, vihf_edit=lambda a: a.remove(a.find(f"{{{vb.DS}}}Signature")))
    verdicts = xds_suite.verdicts(results)
    failed = {k for k, v in verdicts.items() if k.startswith("CISIS-VIHF-") and v == "FAILED"}
    assert verdicts["XDSB-SRC-01"] == "PASSED" and failed == {"CISIS-VIHF-02"}


def test_document_source_silent_fails_its_control(xds_suite, xds_pki) -> None:
    results = xds_suite.run_target(_source_target(xds_pki, _free_port(), window=0.5))
    verdicts = xds_suite.verdicts(results)
    assert verdicts["XDSB-SRC-01"] == "FAILED" and "no readable ITI-41" in xds_suite.reasons(results, "XDSB-SRC-01")
    assert {verdicts[f"CISIS-VIHF-{n:02d}"] for n in range(1, 11)} == {"ABORTED"}
