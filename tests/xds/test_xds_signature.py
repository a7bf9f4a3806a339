"""The detached XAdES signature of an ITI-41 submission set (pack ci-sis-xds, XDSFR-SIG-01 to -06; pack ci-sis-xds-dmp,
XDSFR-DMP-01), both ways: the signed capture passes every rule, each variant fails exactly its requirement, in memory
and on disk (fixtures/*/xds/dsg, written by xds_signed.py); no signature document: not judged, unless the submission
goes to the DMP (pack ci-sis-xds-dmp selected), where it fails XDSFR-DMP-01 and only it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry, ProfilePack
from harness.core.findings import ArtefactReport, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.pki import PkiManifest, build_pki
from harness.validation.dispatch import validate_bytes, validate_file

from xds_mutants import FIXTURES, ITI41
from xds_signed import CONFORMING, FAULTS, NONCONFORMING, SIGNED as SIGNED_FILE, TRUST, Variant, signed_iti41

REGISTRY = PackRegistry.load()
SIGNED = Variant()  # the conforming signature
SIGNATURE_REQUIREMENTS = {f"XDSFR-SIG-0{n}" for n in range(1, 7)}
DMP_PACK, DMP_PRESENCE = "ci-sis-xds-dmp", "XDSFR-DMP-01"
WITH_DMP = REGISTRY.select([], [DMP_PACK])  # the default selection and the DMP pack, as a target claiming it gets


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


# -- the signature document's metadata (XDSFR-SIG-06) ------------------------------------------
def test_a_signature_entry_with_another_type_code_fails_only_its_metadata_requirement(pki: PkiManifest) -> None:
    report = _validate(pki, Variant(type_code="11502-2"), trust=pki.trust_anchor)
    assert _errors(report) == {"XDSFR-SIG-06"}, [(f.requirement, f.message_en) for f in report.findings]
    (finding,) = [f for f in report.findings if f.requirement == "XDSFR-SIG-06"]
    assert "typeCode 11502-2 (ASTM), E1762 (scheme ASTM) expected" in finding.message_en
    assert finding.location and finding.location.endswith("rim:ExtrinsicObject[2]") and finding.line


def test_a_signature_entry_with_another_class_code_fails_only_its_metadata_requirement() -> None:
    data = (CONFORMING / SIGNED_FILE).read_bytes()
    old = b'nodeRepresentation="urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1"'
    assert data.count(old) == 1  # the metadata is not signed: the signature still verifies
    mutant = data.replace(old, b'nodeRepresentation="urn:oid:1.3.6.1.4.1.19376.1.2.1.1.2"')
    report = validate_bytes(mutant, "class-code.mtom", ValidationContext(registry=REGISTRY, vihf_trust=TRUST))
    assert _errors(report) == {"XDSFR-SIG-06"}, [(f.requirement, f.message_en) for f in report.findings]


# -- the captures on disk (fixtures/*/xds/dsg) ---------------------------------------------------
def _on_disk(path: Path, trust: Path | None = TRUST, selected: list[ProfilePack] | None = None) -> ArtefactReport:
    return validate_file(path, ValidationContext(registry=REGISTRY, selected=WITH_DMP if selected is None else selected,
                                                 vihf_trust=trust))


def test_the_signed_capture_on_disk_passes_every_signature_rule_and_the_dmp_one() -> None:
    report = _on_disk(CONFORMING / SIGNED_FILE)
    assert report.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.message_en) for f in report.all_findings()]
    assert [f for f in report.all_findings() if f.severity is not Severity.INFO] == []
    assert set(report.evaluated) >= SIGNATURE_REQUIREMENTS | {DMP_PRESENCE}


def test_the_fixtures_on_disk_are_the_ones_the_generator_names() -> None:
    assert sorted(p.name for p in CONFORMING.iterdir()) == [SIGNED_FILE]
    assert sorted(p.name for p in NONCONFORMING.iterdir()) == sorted(FAULTS)
    assert {requirement for _, _, requirement in FAULTS.values()} == SIGNATURE_REQUIREMENTS  # one fixture per requirement


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_signed_capture_on_disk_fails_exactly_its_requirement(name: str) -> None:
    requirement = FAULTS[name][2]
    report = _on_disk(NONCONFORMING / name)
    assert report.verdict is ArtefactVerdict.FAILED and report.reason is None
    assert _errors(report) == {requirement}, [(f.requirement, f.message_en) for f in report.findings]
    lines = (NONCONFORMING / name).read_bytes().split(b"\n")
    for finding in (f for f in report.findings if f.requirement == requirement):
        assert finding.location and finding.line and b"ExtrinsicObject" in lines[finding.line - 1], (finding.location, finding.line)


def test_the_signer_outside_the_trust_store_is_only_judged_with_one() -> None:
    report = _on_disk(NONCONFORMING / "iti41-sig05-signer-outside-trust-store.mtom", trust=None)
    assert report.verdict is ArtefactVerdict.PASSED and "XDSFR-SIG-05" not in report.evaluated
    assert any(f.requirement == "XDSFR-SIG-05" and f.severity is Severity.INFO for f in report.findings)


# -- the DMP: the signature must be there (pack ci-sis-xds-dmp, XDSFR-DMP-01) --------------------
def test_the_dmp_pack_is_opt_in() -> None:
    assert REGISTRY.packs[DMP_PACK].opt_in and DMP_PACK not in {p.id for p in REGISTRY.select([])}
    assert DMP_PACK in {p.id for p in WITH_DMP} and len(WITH_DMP) == len(REGISTRY.select([])) + 1


@pytest.mark.parametrize("selected", [WITH_DMP, [REGISTRY.packs[DMP_PACK]]], ids=["with-the-defaults", "alone"])
def test_a_submission_to_the_dmp_without_signature_fails_only_the_dmp_requirement(selected: list[ProfilePack]) -> None:
    report = _on_disk(FIXTURES / ITI41, selected=selected)
    assert report.verdict is ArtefactVerdict.FAILED
    assert _errors(report) == {DMP_PRESENCE}, [(f.requirement, f.message_en) for f in report.findings]
    (finding,) = [f for f in report.findings if f.requirement == DMP_PRESENCE]
    assert finding.location and finding.location.endswith("/rim:RegistryPackage[1]")  # the SubmissionSet
    assert finding.line and b'id="SubmissionSet01"' in (FIXTURES / ITI41).read_bytes().split(b"\n")[finding.line - 1]
    assert DMP_PRESENCE in report.evaluated and not SIGNATURE_REQUIREMENTS & set(report.evaluated)


XDS_FIXTURES = sorted(p for root in (FIXTURES, NONCONFORMING.parent) for p in root.rglob("*") if p.suffix in (".xml", ".mtom"))


@pytest.mark.parametrize("path", XDS_FIXTURES, ids=lambda p: p.name)
def test_without_the_dmp_pack_selected_nothing_changes(path: Path) -> None:
    """The default selection judges every XDS fixture exactly as if the DMP pack did not exist."""
    without = PackRegistry([p for p in REGISTRY.packs.values() if p.id != DMP_PACK])
    default, absent = (validate_file(path, ValidationContext(registry=r, vihf_trust=TRUST)) for r in (REGISTRY, without))
    assert (default.verdict, default.evaluated, default.findings) == (absent.verdict, absent.evaluated, absent.findings)
    assert DMP_PRESENCE not in default.evaluated
