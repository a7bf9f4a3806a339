"""The detached XAdES signature of an ITI-41 submission set (pack ci-sis-xds, XDSFR-SIG-01 to -05), both ways: the
signed capture passes every rule, each variant fails exactly its requirement; no signature document, not judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import ArtefactReport, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.pki import PkiManifest, build_pki
from harness.validation.dispatch import validate_bytes

from xds_mutants import FIXTURES, ITI41
from xds_signed import Variant, signed_iti41

REGISTRY = PackRegistry.load()
SIGNED = Variant()  # the conforming signature
SIGNATURE_REQUIREMENTS = {f"XDSFR-SIG-0{n}" for n in range(1, 6)}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiManifest:
    return build_pki(tmp_path_factory.mktemp("pki"))


def _validate(pki: PkiManifest, variant: Variant = SIGNED, trust: Path | None = None) -> ArtefactReport:
    cert, key = pki.cert_key("seal")
    data = signed_iti41(cert.read_bytes(), key.read_bytes(), variant)
    return validate_bytes(data, "signed-iti41.mtom", ValidationContext(registry=REGISTRY, vihf_trust=trust))


def _errors(report: ArtefactReport) -> set[str]:
    return {f.requirement for f in report.findings if f.severity is Severity.ERROR}


def test_a_signed_submission_set_passes_every_signature_rule(pki: PkiManifest) -> None:
    report = _validate(pki, trust=pki.trust_anchor)
    errors = [(f.requirement, f.message_en) for f in report.findings if f.severity is not Severity.INFO]
    assert report.verdict is ArtefactVerdict.PASSED and errors == [], errors
    assert set(report.evaluated) >= SIGNATURE_REQUIREMENTS
    assert all(child.verdict is ArtefactVerdict.PASSED for child in report.children)


def test_without_a_trust_store_the_signer_is_said_not_judged(pki: PkiManifest) -> None:
    report = _validate(pki)
    assert report.verdict is ArtefactVerdict.PASSED
    assert set(report.evaluated) >= SIGNATURE_REQUIREMENTS - {"XDSFR-SIG-05"} and "XDSFR-SIG-05" not in report.evaluated
    assert any(f.requirement == "XDSFR-SIG-05" and f.severity is Severity.INFO for f in report.findings)


@pytest.mark.parametrize(
    ("requirement", "variant"),
    [
        ("XDSFR-SIG-01", Variant(omit=True)),
        ("XDSFR-SIG-01", Variant(extra=True)),
        ("XDSFR-SIG-02", Variant(wrong_digest=True)),
        ("XDSFR-SIG-03", Variant(digest="sha1")),
        ("XDSFR-SIG-04", Variant(tamper=True)),
    ],
    ids=["missing-document", "extra-reference", "digest-changed", "sha1", "tampered"],
)
def test_each_variant_fails_exactly_its_requirement(pki: PkiManifest, requirement: str, variant: Variant) -> None:
    report = _validate(pki, variant, trust=pki.trust_anchor)
    assert report.verdict is ArtefactVerdict.FAILED
    assert _errors(report) == {requirement}, [(f.requirement, f.message_en) for f in report.findings]
    assert all(f.location and f.line for f in report.findings if f.requirement == requirement)


def test_a_signer_outside_the_trust_store_fails_only_the_trust_requirement(pki: PkiManifest, tmp_path: Path) -> None:
    other = build_pki(tmp_path / "other")  # a trust store the seal does not chain to
    report = _validate(pki, trust=other.trust_anchor)
    assert _errors(report) == {"XDSFR-SIG-05"}, [(f.requirement, f.message_en) for f in report.findings]


def test_a_submission_set_without_a_signature_is_not_judged() -> None:
    report = validate_bytes((FIXTURES / ITI41).read_bytes(), "plain.mtom", ValidationContext(registry=REGISTRY))
    assert report.verdict is ArtefactVerdict.PASSED
    assert not SIGNATURE_REQUIREMENTS & set(report.evaluated)
    assert not any(f.requirement in SIGNATURE_REQUIREMENTS for f in report.findings)


def test_a_signature_document_that_is_not_xml_fails_its_verification(pki: PkiManifest) -> None:
    cert, key = pki.cert_key("seal")
    data = signed_iti41(cert.read_bytes(), key.read_bytes())
    start = data.index(b"Content-ID: <sig1@enrs.invalid>\r\n\r\n") + len(b"Content-ID: <sig1@enrs.invalid>\r\n\r\n")
    end = data.index(b"\r\n--MIMEBoundary_enrs_0001--", start)
    report = validate_bytes(data[:start] + b"not xml" + data[end:], "bad-signature.mtom", ValidationContext(registry=REGISTRY))
    assert "XDSFR-SIG-04" in _errors(report) and report.reason is None
