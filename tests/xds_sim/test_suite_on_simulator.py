"""The xds endpoint suite on the reference simulator: everything passes on the healthy simulator, and each xds
fault mode fails exactly the requirement it breaks (both ways, on real exchanges)."""

from __future__ import annotations

import pytest

from harness.simulator.faults import FAULTS

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
