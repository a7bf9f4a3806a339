"""Reading XDS.b messages: detection, MTOM/XOP captures, bad input (ABORTED with a bilingual reason, never a
traceback), lines in the capture, the transaction choosing the optionality, and the metadata API others call."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from harness.config.packs import PackRegistry
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import ValidationContext, detect_kind, validate_bytes, walk_artefacts
from harness.validation.findings import Severity
from harness.xds import TRANSACTIONS, Judge, mime as mime_module, parse_metadata_bytes, read_message, validate_metadata

from xds_make_fixtures import CDA, NONCONFORMING, NONCONFORMING_OUT
from xds_mutants import FIXTURES, ITI41, ITI42

REGISTRY = PackRegistry.load()
CONTEXT = ValidationContext(registry=REGISTRY)
ROOT = Path(__file__).resolve().parents[2]


def _errors(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.requirement for f in report.findings if f.severity is Severity.ERROR}


def test_every_fixture_is_detected_as_xds_and_nothing_else_is() -> None:
    for path in FIXTURES.iterdir():
        if path.suffix in (".xml", ".mtom"):
            assert detect_kind(path.read_bytes()) == "xds", path.name
    for path in (ROOT / "fixtures" / "conforming" / "cda").glob("*.xml"):
        assert detect_kind(path.read_bytes()) == "cda", path.name
    other_soap = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x/></s:Body></s:Envelope>'
    assert detect_kind(other_soap) is None


def test_a_folder_walk_takes_the_mtom_captures_by_their_content() -> None:
    files, ignored = walk_artefacts([FIXTURES])
    assert {p.name for p in files} >= {"iti41-request.mtom", "iti43-response.mtom", "iti18-request.xml"}
    assert [Path(i.path).name for i in ignored] == ["README.md"]


def test_the_nonconforming_fixture_fails_with_its_requirement() -> None:
    for name in NONCONFORMING:
        report = validate_bytes((NONCONFORMING_OUT / name).read_bytes(), name, CONTEXT)
        assert report.verdict is ArtefactVerdict.FAILED and _errors(report) == {"XDSFR-CDA-02"}


@pytest.mark.parametrize(
    ("data", "fr", "en"),
    [
        (
            b'Content-Type: multipart/related; boundary="nope"; type="application/xop+xml"\r\n\r\n--other\r\n\r\nx\r\n--other--\r\n',
            "capture MTOM illisible",
            "unreadable MTOM capture",
        ),
        (
            b'--B\r\nContent-Type: application/xop+xml; type="application/soap+xml"\r\n\r\n<s:Envelope xmlns:s="urn:x"><a></s:Envelope>'
            b"\r\n--B--\r\n",
            "enveloppe SOAP illisible",
            "unreadable SOAP envelope",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE s [<!ENTITY x "y">]>\n<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
            b'<s:Body><q:AdhocQueryRequest xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"/></s:Body></s:Envelope>',
            "DOCTYPE",
            "DOCTYPE",
        ),
        (
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
            b'<s:Body><x xmlns="urn:ihe:iti:xds-b:2007"/></s:Body></s:Envelope>',
            "n'est pas un message XDS.b reconnu",
            "is not a recognised XDS.b message",
        ),
        (b'<Envelope xmlns="urn:ihe:iti:xds-b:2007"/>', "n'est pas une enveloppe SOAP", "is not a SOAP envelope"),
    ],
    ids=["boundary", "malformed-root", "doctype", "unknown-body", "not-soap"],
)
def test_unreadable_messages_are_aborted_with_the_reason_in_both_languages(data: bytes, fr: str, en: str) -> None:
    report = validate_bytes(data, "bad", CONTEXT, kind="xds")
    assert report.verdict is ArtefactVerdict.ABORTED
    assert report.reason is not None and fr in report.reason and en in report.reason, report.reason


def test_a_malformed_envelope_in_a_capture_is_located_on_the_capture_s_line() -> None:
    data = (FIXTURES / ITI41).read_bytes().replace(b"<s:Header>", b"<s:Header><unclosed>", 1)
    report = validate_bytes(data, "bad.mtom", CONTEXT, kind="xds")
    line = next(i for i, text in enumerate(data.split(b"\n"), start=1) if b"</s:Header>" in text)
    assert report.verdict is ArtefactVerdict.ABORTED and f"(line {line})" in (report.reason or ""), report.reason


def test_size_and_part_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (FIXTURES / ITI41).read_bytes()
    small = ValidationContext(registry=REGISTRY, max_bytes=1000)
    assert "over the limit of 1000" in (validate_bytes(data, "big", small, kind="xds").reason or "")
    monkeypatch.setattr(mime_module, "MAX_PARTS", 1)
    report = validate_bytes(data, "parts", CONTEXT, kind="xds")
    assert report.verdict is ArtefactVerdict.ABORTED and "2 MIME parts, over the limit of 1" in (report.reason or "")


def test_findings_carry_the_capture_s_lines() -> None:
    data = (FIXTURES / ITI41).read_bytes().replace(b'<xdsb:Document id="Document01">', b'<xdsb:Document id="Document02">')
    report = validate_bytes(data, "m.mtom", CONTEXT)
    lines = data.split(b"\n")
    for finding in report.findings:
        if finding.requirement == "XDSB-DOC-01":
            assert finding.line is not None
            text = lines[finding.line - 1]
            assert b"Document02" in text or b"ExtrinsicObject" in text, (finding.line, text)


def test_a_bare_envelope_with_inline_base64_is_judged_without_the_mtom_rules() -> None:
    capture = read_message((FIXTURES / ITI41).read_bytes(), 10**8)
    envelope = capture.capture.root.data.decode()  # type: ignore[union-attr]
    inline = envelope.replace('<xop:Include href="cid:doc1@enrs.invalid"/>', base64.b64encode(CDA.read_bytes()).decode())
    report = validate_bytes(inline.encode(), "inline.xml", CONTEXT)
    assert report.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.message_en) for f in report.findings]
    assert "XDSB-MTOM-01" not in report.evaluated and "XDSB-MTOM-02" not in report.evaluated
    assert len(report.children) == 1 and report.children[0].verdict is ArtefactVerdict.PASSED
    alone = validate_bytes(envelope.encode(), "alone.xml", CONTEXT)  # xop:Include without its capture
    assert _errors(alone) == {"XDSB-MTOM-02"}


def test_the_transaction_selects_the_optionality() -> None:
    """hash is optional for the document source (ITI-41) and required of the repository (ITI-42)."""
    no_hash_41 = (FIXTURES / ITI41).read_bytes()
    start = no_hash_41.index(b'<rim:Slot name="hash">')
    no_hash_41 = no_hash_41[:start] + no_hash_41[no_hash_41.index(b"</rim:Slot>", start) + 11 :]
    assert validate_bytes(no_hash_41, "41.mtom", CONTEXT).verdict is ArtefactVerdict.PASSED
    no_hash_42 = (FIXTURES / ITI42).read_bytes()
    start = no_hash_42.index(b'<rim:Slot name="hash">')
    no_hash_42 = no_hash_42[:start] + no_hash_42[no_hash_42.index(b"</rim:Slot>", start) + 11 :]
    report = validate_bytes(no_hash_42, "42.xml", CONTEXT)
    assert _errors(report) == {"XDSB-DE-01"} and "hash missing" in report.findings[0].message_en


def test_the_metadata_api_for_xdm_uses_the_iti32_optionality() -> None:
    """What helper xdm calls on a METADATA.XML: URI required, repositoryUniqueId not."""
    envelope = (FIXTURES / ITI42).read_bytes()
    metadata = parse_metadata_bytes(envelope, 10**7)
    selected = [REGISTRY.get("ihe-xds-b"), REGISTRY.get("ci-sis-xds")]
    judge = validate_metadata(metadata, "ITI-32", Judge.of(selected), documents={"Document01": CDA.read_bytes()})
    assert {f.requirement for f in judge.findings if f.severity is Severity.ERROR} == {"XDSB-DE-01"}
    assert [f.message_en for f in judge.findings if f.requirement == "XDSB-DE-01"] == [
        "URI missing from the document entry (required in ITI-32)"
    ]
    assert {"XDSB-HASH-01", "XDSB-SIZE-01"} <= set(judge.evaluated)
    with pytest.raises(ValueError, match="unknown transaction"):
        validate_metadata(metadata, "ITI-99", Judge.of(selected))
    assert "ITI-32" in TRANSACTIONS


def test_only_the_selected_packs_are_reported() -> None:
    data = (NONCONFORMING_OUT / "iti41-creation-time-not-utc.mtom").read_bytes()
    only_ihe = ValidationContext(registry=REGISTRY, selected=[REGISTRY.get("ihe-xds-b")])
    report = validate_bytes(data, "x.mtom", only_ihe)
    assert report.verdict is ArtefactVerdict.PASSED and not any(r.startswith("XDSFR-") for r in report.evaluated)
