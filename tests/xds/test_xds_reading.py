"""Reading XDS.b messages: detection, MTOM/XOP captures, bad input (ABORTED with a bilingual reason, never a
traceback), lines in the capture, the transaction choosing the optionality, and the metadata API others call."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.config.packs import PackError, PackRegistry
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import detect_kind, validate_bytes, walk_artefacts
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


def test_deeply_nested_multiparts_are_aborted_not_a_traceback() -> None:
    data = b'Content-Type: multipart/related; boundary="b0"; type="application/xop+xml"\r\n\r\n'
    data += b"".join(f'--b{i}\r\nContent-Type: multipart/related; boundary="b{i + 1}"\r\n\r\n'.encode() for i in range(3000))
    report = validate_bytes(data + b"<x/>", "deep", CONTEXT, kind="xds")
    assert report.verdict is ArtefactVerdict.ABORTED and "MIME parts nested too deeply" in (report.reason or "")


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
    assert _errors(report) == {"XDSB-DE-01"}
    assert [f.message_en for f in report.findings if f.requirement == "XDSB-DE-01"] == [
        "hash missing from the document entry (required in ITI-42)"
    ]


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


def test_a_pack_attribute_without_its_place_is_a_pack_error(tmp_path: Path) -> None:
    pack = tmp_path / "regional.toml"
    pack.write_text(
        '[pack]\nid = "regional-xds"\nversion = "1"\nframework = "X"\ntitle = { fr = "t", en = "t" }\n'
        'source = { document = "d", version = "1", date = "2025-01-01" }\nevaluated_by = "validator:xds"\napplies_to = ["xds"]\n'
        '[data.xds.attributes.DocumentEntry]\nlocalCode = { use = { "ITI-41" = "R" } }\n'
        '[[requirements]]\nid = "REG-1"\nlevel = "MUST"\nstatement = { fr = "s", en = "s" }\nsection = "1"\n',
        encoding="utf-8",
    )
    registry = PackRegistry.load([tmp_path])
    with pytest.raises(PackError, match="localCode.*exactly one of slot, classification, external"):
        validate_bytes((FIXTURES / ITI41).read_bytes(), "x.mtom", ValidationContext(registry=registry))


def _iti57_update(previous_version: bool = True, lid: bool = True) -> bytes:
    """The ITI-42 fixture turned into an ITI-57 metadata update: a new version of an entry (its lid kept)."""
    text = (FIXTURES / ITI42).read_text(encoding="utf-8")
    text = text.replace("urn:ihe:iti:2007:RegisterDocumentSet-b", "urn:ihe:iti:2010:UpdateDocumentSet")
    if lid:
        text = text.replace(
            '<rim:ExtrinsicObject id="Document01"',
            '<rim:ExtrinsicObject id="Document01" lid="urn:uuid:6f0d3b2a-1c5e-4a8b-9d7f-2e4c6a8b0d1f"',
        )
    if previous_version:
        text = text.replace(
            "<rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>",
            "<rim:Value>Original</rim:Value></rim:ValueList></rim:Slot>"
            '<rim:Slot name="PreviousVersion"><rim:ValueList><rim:Value>1</rim:Value></rim:ValueList></rim:Slot>',
        )
    return text.encode("utf-8")


def test_an_iti57_new_version_keeps_its_lid_and_names_its_previous_version() -> None:
    report = validate_bytes(_iti57_update(), "57.xml", CONTEXT)
    assert report.profile == "ITI-57 request" and report.verdict is ArtefactVerdict.PASSED, [
        (f.requirement, f.message_en) for f in report.findings if f.severity is Severity.ERROR
    ]
    assert "XDSB-UPD-01" in report.evaluated
    for broken, message in (
        (_iti57_update(previous_version=False), "without a PreviousVersion slot"),
        (_iti57_update(lid=False), "without a lid"),
    ):
        failed = validate_bytes(broken, "57.xml", CONTEXT)
        assert _errors(failed) == {"XDSB-UPD-01"}
        assert any(message in f.message_en for f in failed.findings if f.requirement == "XDSB-UPD-01")


def test_a_response_whose_action_names_no_transaction_fails_wsa01() -> None:
    data = (FIXTURES / "registry-response-success.xml").read_bytes().replace(b"ProvideAndRegisterDocumentSet-bResponse", b"Unknown")
    report = validate_bytes(data, "r.xml", CONTEXT)
    assert report.profile == "RegistryResponse response" and _errors(report) == {"XDSB-WSA-01"}


def test_the_format_of_a_volet_outside_the_table_is_said_not_judged() -> None:
    """A VSM carries no templateId of [data.xds.format_by_template]: XDSFR-CDA-10 is not evaluated, and said so."""
    from xds_make_fixtures import iti41

    vsm = (ROOT / "fixtures" / "conforming" / "cda" / "vsm-2023.xml").read_bytes()
    report = validate_bytes(iti41(vsm), "vsm.mtom", CONTEXT)
    assert "XDSFR-CDA-10" not in report.evaluated
    assert any(f.requirement == "XDSFR-CDA-10" and f.severity is Severity.INFO and "not judged" in f.message_en for f in report.findings)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("279035121518989^^^&1.2.250.1.213.1.4.8&ISO", True),
        ("279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH", True),
        ("279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH^X", False),
        ("279035121518989^A^^&1.2.250.1.213.1.4.8&ISO", False),
        ("279035121518989^^^1.2.250.1.213.1.4.8", False),
        ("^^^&1.2.250.1.213.1.4.8&ISO", False),
    ],
)
def test_cx_forms(value: str, ok: bool) -> None:
    from harness.xds.datatypes import check_cx

    assert (check_cx(value) is None) is ok


def test_damaged_messages_never_raise() -> None:
    """Bytes flipped, cut or deleted at random (fixed seed) in every fixture: a report each time, never a traceback."""
    import random

    chance = random.Random(14)
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix not in (".xml", ".mtom"):
            continue
        original = path.read_bytes()
        for _ in range(40):
            data = bytearray(original)
            for _ in range(chance.randint(1, 8)):
                if not data:
                    break
                at = chance.randrange(len(data))
                action = chance.random()
                if action < 0.5:
                    data[at] = chance.choice(b"<>&\"'=^:/0123456789abcdefz\r\n\x00")
                elif action < 0.8:
                    del data[at : at + chance.randint(1, 40)]
                else:
                    data = data[:at]
            report = validate_bytes(bytes(data), path.name, CONTEXT, kind="xds")
            assert report.verdict in (ArtefactVerdict.PASSED, ArtefactVerdict.FAILED, ArtefactVerdict.ABORTED)
            assert report.verdict is not ArtefactVerdict.ABORTED or report.reason


def test_an_impossible_cda_time_matches_no_metadata_time() -> None:
    from harness.xds.consistency import cda_time_utc

    assert cda_time_utc("20251399999999+0100") is None
    assert cda_time_utc("20250312143000+0100") == "20250312133000"
    assert cda_time_utc("20250312223000-0500") == "20250313033000"
    assert cda_time_utc("20250301") == "20250301"
