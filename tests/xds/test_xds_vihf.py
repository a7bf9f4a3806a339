"""The VIHF of a captured request, judged by the checks of pack ci-sis-vihf (harness.vihf, helper xds-sim) from the
envelope's WS-Security header: judged at the assertion's own IssueInstant, lines in the capture, both ways."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.pki import PkiManifest, build_pki
from harness.validation.dispatch import validate_bytes
from harness.vihf import build as vb

from xds_mutants import FIXTURES, ITI41

REGISTRY = PackRegistry.load()
# The exchange's time, three hours ago: judged today the assertion would be stale and out of its 5-minute window;
# a capture is judged at its own IssueInstant (the seal certificate is valid from yesterday).
ISSUED = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiManifest:
    return build_pki(tmp_path_factory.mktemp("pki"))


def _capture(pki: PkiManifest, tamper: bool = False) -> bytes:
    cert, key = pki.cert_key("seal")
    chain = cert.read_bytes()
    assertion = vb.build_assertion(vb.VihfClaims(), vb.issuer_dn(x509.load_pem_x509_certificate(chain)), ISSUED)
    signed = vb.sign_assertion(assertion, chain, key.read_bytes())
    text = etree.tostring(signed)
    if tamper:
        text = text.replace(b"ENRS-HARNESS", b"ENRS-HARNESX", 1)
    security = b'<wsse:Security xmlns:wsse="' + vb.WSSE.encode() + b'">' + text + b"</wsse:Security>"
    return (FIXTURES / ITI41).read_bytes().replace(b"<s:Header>", b"<s:Header>" + security, 1)


def _context(trust: Path | None) -> ValidationContext:
    return ValidationContext(registry=REGISTRY, vihf_trust=trust)


def test_a_signed_vihf_in_the_capture_passes_its_checks(pki: PkiManifest) -> None:
    report = validate_bytes(_capture(pki), "vihf.mtom", _context(pki.trust_anchor))
    errors = [(f.requirement, f.message_en) for f in report.findings if f.severity is Severity.ERROR]
    assert report.verdict is ArtefactVerdict.PASSED, errors
    assert {"CISIS-VIHF-01", "CISIS-VIHF-02", "CISIS-VIHF-03", "CISIS-VIHF-05"} <= set(report.evaluated)


def test_without_a_trust_store_the_signer_is_said_not_judged(pki: PkiManifest) -> None:
    report = validate_bytes(_capture(pki), "vihf.mtom", _context(None))
    assert report.verdict is ArtefactVerdict.PASSED
    assert "CISIS-VIHF-03" not in report.evaluated
    assert any(f.requirement == "CISIS-VIHF-03" and f.severity is Severity.INFO for f in report.findings)


def test_a_tampered_vihf_fails_its_signature_on_the_capture_s_line(pki: PkiManifest) -> None:
    data = _capture(pki, tamper=True)
    report = validate_bytes(data, "vihf.mtom", _context(pki.trust_anchor))
    errors = {f.requirement for f in report.findings if f.severity is Severity.ERROR}
    assert report.verdict is ArtefactVerdict.FAILED and "CISIS-VIHF-02" in errors and not any(e.startswith("XDS") for e in errors)
    lines = data.split(b"\n")
    for finding in report.findings:
        if finding.requirement == "CISIS-VIHF-02":
            assert finding.line is not None and b"Assertion" in lines[finding.line - 1]


def test_a_request_without_vihf_is_said_not_judged() -> None:
    report = validate_bytes((FIXTURES / ITI41).read_bytes(), "plain.mtom", _context(None))
    assert report.verdict is ArtefactVerdict.PASSED and "CISIS-VIHF-01" not in report.evaluated
    assert any(f.requirement == "CISIS-VIHF-01" and f.severity is Severity.INFO for f in report.findings)


def _validate_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    import json

    from harness.cli import main

    status = main(["validate", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def test_validate_vihf_trust_judges_the_signer_from_the_command_line(pki: PkiManifest, tmp_path: Path,
                                                                     tmp_path_factory: pytest.TempPathFactory,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "vihf.mtom"
    capture.write_bytes(_capture(pki))
    status, out = _validate_json(capsys, str(capture), "--vihf-trust", str(pki.trust_anchor))
    report = out["files"][0]
    assert status == 0 and "CISIS-VIHF-03" in report["evaluated"]
    other = build_pki(tmp_path_factory.mktemp("other-pki"))  # a trust store the seal does not chain to
    status, out = _validate_json(capsys, str(capture), "--vihf-trust", str(other.trust_anchor), "--jobs", "2")
    report = out["files"][0]
    assert status == 1 and {f["requirement"] for f in report["findings"] if f["severity"] == "error"} == {"CISIS-VIHF-03"}


def test_validate_vihf_trust_that_does_not_exist_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    status = main(["validate", str(FIXTURES / ITI41), "--vihf-trust", str(tmp_path / "absent.pem")])
    err = capsys.readouterr().err
    assert status == 2 and "magasin de confiance VIHF introuvable" in err and "Traceback" not in err
