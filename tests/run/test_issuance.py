"""When a certificate is issued: every MUST judged and none FAILED, ABORTED or NOT_TESTED, and something passed.

Each rule is shown both ways: the conforming run gets its certificate, and a run that differs from it
by one thing only (one ABORTED requirement, one ABORTED artefact, nothing but NOT_APPLICABLE) does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import CANDIDATE, run_trust_suite, verdicts

CONFORMING = """
import pytest

@pytest.mark.requirement("TRUST-MUST-1")
def test_one(enrs):
    enrs.artefact("doc-1.xml", b"<doc/>")

@pytest.mark.requirement("TRUST-MUST-2")
def test_two(enrs):
    enrs.artefact("doc-2.xml", b"<doc>2</doc>")

@pytest.mark.requirement("TRUST-SHOULD-1")
def test_should():
    pass
"""

# A test shaped like the documents suite's: it validates an artefact for the pack (no requirement
# marker), the artefact cannot be read, so the test records it ABORTED and aborts.
UNREADABLE_ARTEFACT = """

@pytest.mark.profile("trust")
def test_unreadable_document(enrs):
    enrs.artefact("truncated.xml", b"<doc", kind="cda", verdict="ABORTED")
    enrs.abort("XML mal formé / malformed XML")
"""


def test_a_conforming_run_gets_its_certificate(pytester: pytest.Pytester, trust_packs: Path) -> None:
    results = run_trust_suite(pytester, trust_packs, CONFORMING)
    assert verdicts(results) == {"TRUST-MUST-1": "PASSED", "TRUST-MUST-2": "PASSED", "TRUST-SHOULD-1": "PASSED"}
    assert results["run"]["status"] == "complete"
    assert results["summary"]["certificate_issued"] is True
    assert results["summary"]["blocking"] == []


def test_one_aborted_must_requirement_alone_blocks_the_certificate(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = CONFORMING.replace('enrs.artefact("doc-2.xml", b"<doc>2</doc>")', 'enrs.abort("endpoint unreachable")')
    results = run_trust_suite(pytester, trust_packs, source)
    assert verdicts(results) == {"TRUST-MUST-1": "PASSED", "TRUST-MUST-2": "ABORTED", "TRUST-SHOULD-1": "PASSED"}
    assert results["run"]["status"] == "complete"
    assert results["summary"]["certificate_issued"] is False
    assert results["summary"]["blocking"] == ["TRUST-MUST-2"]


def test_an_aborted_should_requirement_blocks_too(pytester: pytest.Pytester, trust_packs: Path) -> None:
    """Not judged is not judged, whatever the level: a certificate covers only what was judged (docs/results.md)."""
    source = CONFORMING.replace("def test_should():\n    pass", 'def test_should(enrs):\n    enrs.abort("no answer")')
    results = run_trust_suite(pytester, trust_packs, source)
    assert verdicts(results)["TRUST-SHOULD-1"] == "ABORTED"
    assert results["summary"]["certificate_issued"] is False
    assert [(b["id"], b["verdict"]) for b in results["blocking"]] == [("TRUST-SHOULD-1", "ABORTED")]


def test_a_failed_should_requirement_does_not_block(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = CONFORMING.replace("def test_should():\n    pass", "def test_should():\n    assert False, 'not quite'")
    results = run_trust_suite(pytester, trust_packs, source)
    assert verdicts(results)["TRUST-SHOULD-1"] == "FAILED"
    assert results["summary"]["certificate_issued"] is True


def test_one_aborted_artefact_alone_blocks_the_certificate(pytester: pytest.Pytester, trust_packs: Path) -> None:
    results = run_trust_suite(pytester, trust_packs, CONFORMING + UNREADABLE_ARTEFACT)
    assert [a["verdict"] for a in results["artefacts"] if a["name"] == "truncated.xml"] == ["ABORTED"]
    assert results["summary"]["certificate_issued"] is False
    assert [(b["kind"], b["id"], b["verdict"]) for b in results["blocking"]] == [("artefact", "truncated.xml", "ABORTED")]


def test_an_aborted_artefact_of_a_kind_outside_the_scope_does_not_block(pytester: pytest.Pytester, trust_packs: Path) -> None:
    """The trust pack applies to cda only: an unreadable HL7 v2 message is outside what the certificate covers (docs/results.md)."""
    results = run_trust_suite(pytester, trust_packs, CONFORMING + UNREADABLE_ARTEFACT.replace('kind="cda"', 'kind="hl7v2"'))
    assert [a["verdict"] for a in results["artefacts"] if a["name"] == "truncated.xml"] == ["ABORTED"]
    assert results["blocking"] == []
    assert results["summary"]["certificate_issued"] is True


def test_a_run_where_everything_is_not_applicable_gets_no_certificate(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = """
    import pytest

    @pytest.mark.requirement("TRUST-MUST-1", "TRUST-MUST-2", "TRUST-SHOULD-1")
    def test_nothing_applies(enrs):
        enrs.not_applicable("no document of this kind")
    """
    results = run_trust_suite(pytester, trust_packs, source)
    assert set(verdicts(results).values()) == {"NOT_APPLICABLE"}
    assert results["run"]["status"] == "complete" and results["summary"]["blocking"] == []
    assert results["summary"]["certificate_issued"] is False  # nothing was shown to conform


def test_one_passed_requirement_among_not_applicable_ones_is_enough(pytester: pytest.Pytester, trust_packs: Path) -> None:
    source = """
    import pytest

    @pytest.mark.requirement("TRUST-MUST-1", "TRUST-SHOULD-1")
    def test_nothing_applies(enrs):
        enrs.not_applicable("no document of this kind")

    @pytest.mark.requirement("TRUST-MUST-2")
    def test_two():
        pass
    """
    results = run_trust_suite(pytester, trust_packs, source)
    assert verdicts(results) == {"TRUST-MUST-1": "NOT_APPLICABLE", "TRUST-MUST-2": "PASSED", "TRUST-SHOULD-1": "NOT_APPLICABLE"}
    assert results["summary"]["certificate_issued"] is True


def test_a_waived_requirement_counts_as_something_shown_to_conform(pytester: pytest.Pytester, trust_packs: Path) -> None:
    """Nothing PASSED, one MUST FAILED and waived, the rest NOT_APPLICABLE: the certificate is issued."""
    source = """
    import pytest

    @pytest.mark.requirement("TRUST-MUST-1")
    def test_one():
        assert False, "missing element"

    @pytest.mark.requirement("TRUST-MUST-2", "TRUST-SHOULD-1")
    def test_nothing_applies(enrs):
        enrs.not_applicable("no endpoint")
    """
    waivers = pytester.path / "waivers.toml"
    waivers.write_text(f'[[waivers]]\nrequirement = "TRUST-MUST-1"\ncandidate = "{CANDIDATE}"\njustification = "accepté"\n'
                       'approver = "ARS Exemple"\nexpires = 2099-12-31\n', encoding="utf-8")
    without = run_trust_suite(pytester, trust_packs, source)
    assert verdicts(without)["TRUST-MUST-1"] == "FAILED" and without["summary"]["certificate_issued"] is False
    results = run_trust_suite(pytester, trust_packs, source, "--enrs-waivers", str(waivers))
    assert verdicts(results) == {"TRUST-MUST-1": "WAIVED", "TRUST-MUST-2": "NOT_APPLICABLE", "TRUST-SHOULD-1": "NOT_APPLICABLE"}
    assert results["summary"]["certificate_issued"] is True


def test_a_failed_must_blocks_and_a_failed_should_does_not(pytester: pytest.Pytester, trust_packs: Path) -> None:
    failed_should = run_trust_suite(pytester, trust_packs,
                                    CONFORMING.replace("def test_should():\n    pass", "def test_should():\n    assert False"))
    assert verdicts(failed_should)["TRUST-SHOULD-1"] == "FAILED"
    assert failed_should["summary"]["certificate_issued"] is True
    assert (failed_should["summary"]["failed_must"], failed_should["summary"]["failed_should"]) == (0, 1)
    failed_must = run_trust_suite(pytester, trust_packs, CONFORMING.replace('enrs.artefact("doc-1.xml", b"<doc/>")', "assert False"))
    assert failed_must["summary"]["certificate_issued"] is False
    assert failed_must["summary"]["blocking"] == ["TRUST-MUST-1"]
    assert (failed_must["summary"]["failed_must"], failed_must["summary"]["failed_should"]) == (1, 0)


def test_an_untested_must_blocks(pytester: pytest.Pytester, trust_packs: Path) -> None:
    results = run_trust_suite(pytester, trust_packs, CONFORMING.replace('@pytest.mark.requirement("TRUST-MUST-2")\n', ""))
    assert verdicts(results)["TRUST-MUST-2"] == "NOT_TESTED"
    assert results["summary"]["certificate_issued"] is False and results["summary"]["blocking"] == ["TRUST-MUST-2"]


def test_an_aborted_endpoint_check_of_a_profile_in_scope_blocks(pytester: pytest.Pytester, trust_packs: Path) -> None:
    """An endpoint check marked with the pack only (no requirement): the pack is in scope, so what it could not judge blocks."""
    source = CONFORMING + """

from harness.config.target import Endpoint

@pytest.mark.profile("trust")
@pytest.mark.parametrize("endpoint", [Endpoint("dmp-api", "https", "127.0.0.1", 1)], ids=["dmp-api"])
def test_endpoint_answers(enrs, endpoint):
    enrs.abort("injoignable / unreachable")
"""
    results = run_trust_suite(pytester, trust_packs, source)
    assert [(b["kind"], b["id"], b["verdict"], b["reason"]) for b in results["blocking"]] == [
        ("endpoint", "dmp-api", "ABORTED", {"fr": "injoignable", "en": "unreachable"})]
    assert results["summary"]["certificate_issued"] is False
