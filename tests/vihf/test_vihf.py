"""The VIHF checks (pack ci-sis-vihf), both ways: a conforming signed assertion passes every requirement, and each
mutant breaking one rule fails exactly that requirement."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from harness.config.packs import PackRegistry
from harness.pki import PkiManifest, build_pki
from harness.vihf import build as vb
from harness.vihf.check import REQUIREMENTS, SOAP12, check_vihf, ins_problem

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiManifest:
    return build_pki(tmp_path_factory.mktemp("pki"))


def envelope(*assertions: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"soap": SOAP12})
    header = etree.SubElement(env, f"{{{SOAP12}}}Header")
    security = etree.SubElement(header, f"{{{vb.WSSE}}}Security", nsmap={"wsse": vb.WSSE})
    for a in assertions:
        security.append(a)
    etree.SubElement(env, f"{{{SOAP12}}}Body")
    return etree.tostring(env)


def signed(pki: PkiManifest, claims: vb.VihfClaims | None = None, seal: str | None = None, algorithm: str = "sha256",
           edit=None) -> etree._Element:
    cert, key = pki.cert_key("seal", seal)
    chain = cert.read_bytes()
    assertion = vb.build_assertion(claims or vb.VihfClaims(), vb.issuer_dn(x509.load_pem_x509_certificate(chain)), NOW)
    if edit:
        edit(assertion)
    return vb.sign_assertion(assertion, chain, key.read_bytes(), algorithm)


def judge(pki: PkiManifest, data: bytes, now: dt.datetime = NOW, client: str | None = None) -> set[str]:
    tls = None
    if client is not None:
        tls = x509.load_pem_x509_certificate(pki.cert_key("client", client or None)[0].read_bytes())
    report = check_vihf(data, pki.trust_anchor, now, tls_client_cert=tls)
    return report.failed()


def test_pack_declares_every_requirement_the_checks_use() -> None:
    pack = PackRegistry.load().packs["ci-sis-vihf"]
    assert {r.id for r in pack.requirements} == set(REQUIREMENTS)


def test_conforming_vihf_passes_every_requirement(pki: PkiManifest) -> None:
    client = x509.load_pem_x509_certificate(pki.cert_key("client")[0].read_bytes())
    report = check_vihf(envelope(signed(pki)), pki.trust_anchor, NOW, tls_client_cert=client)
    assert report.findings == [] and report.evaluated == set(REQUIREMENTS)
    assert report.attributes[vb.RESOURCE_ID] == ["277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH"]
    assert report.signer is not None and report.signer.subject == client.subject


def test_trust_store_given_as_bytes(pki: PkiManifest) -> None:
    assert check_vihf(envelope(signed(pki)), pki.trust_anchor.read_bytes(), NOW).ok


@pytest.mark.parametrize("data", [
    pytest.param(lambda pki: envelope(), id="none"),
    pytest.param(lambda pki: envelope(signed(pki), signed(pki)), id="two"),
    pytest.param(lambda pki: b"<soap:Envelope xmlns:soap='http://www.w3.org/2003/05/soap-envelope'><soap:Header/>", id="malformed"),
])
def test_placement(pki: PkiManifest, data) -> None:
    assert judge(pki, data(pki)) == {"CISIS-VIHF-01"}


def _unsign(a: etree._Element) -> etree._Element:
    a.remove(a.find(f"{{{vb.DS}}}Signature"))
    return a


def _tamper(a: etree._Element) -> etree._Element:
    value = a.find(f".//{{{vb.SAML}}}Attribute[@Name='{vb.LPS_VERSION}']/{{{vb.SAML}}}AttributeValue")
    value.text = "9.9"
    return a


def _wrap(pki: PkiManifest, same_id: bool) -> bytes:
    """Signature wrapping: an unsigned assertion about another patient carries the good signature, the signed
    assertion hidden inside it (its reference still resolves to the hidden one)."""
    good = signed(pki)
    other = dataclasses.replace(vb.VihfClaims(), patient_ins="180017512345660")
    evil = vb.build_assertion(other, good.find(f"{{{vb.SAML}}}Issuer").text, NOW)
    evil.remove(evil.find(f"{{{vb.DS}}}Signature"))
    evil.insert(1, copy.deepcopy(good.find(f"{{{vb.DS}}}Signature")))
    etree.SubElement(evil, f"{{{vb.SAML}}}Advice").append(good)
    if same_id:
        evil.set("ID", good.get("ID"))
    return envelope(evil)


@pytest.mark.parametrize("data", [
    pytest.param(lambda pki: envelope(_unsign(signed(pki))), id="unsigned"),
    pytest.param(lambda pki: envelope(_tamper(signed(pki))), id="tampered"),
    pytest.param(lambda pki: _wrap(pki, False), id="wrapped"),
    pytest.param(lambda pki: _wrap(pki, True), id="wrapped-same-id"),
])
def test_signature(pki: PkiManifest, data) -> None:
    assert judge(pki, data(pki)) == {"CISIS-VIHF-02"}


@pytest.mark.parametrize("seal", ["unknown-ca", "expired"])
def test_signing_certificate_trusted_and_valid(pki: PkiManifest, seal: str) -> None:
    assert judge(pki, envelope(signed(pki, seal=seal))) == {"CISIS-VIHF-03"}


@pytest.mark.parametrize("edit", [
    pytest.param(lambda a: a.find(f"{{{vb.SAML}}}Issuer").set("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:X509SubjectName"),
                 id="format"),
    pytest.param(lambda a: setattr(a.find(f"{{{vb.SAML}}}Issuer"), "text", "CN=SOMEONE ELSE,O=ENRS-HARNESS,C=FR"), id="dn"),
])
def test_issuer(pki: PkiManifest, edit) -> None:
    assert judge(pki, envelope(signed(pki, edit=edit))) == {"CISIS-VIHF-04"}


def test_issuer_dn_in_either_order(pki: PkiManifest) -> None:
    def reverse(a: etree._Element) -> None:
        issuer = a.find(f"{{{vb.SAML}}}Issuer")
        issuer.text = ", ".join(reversed(issuer.text.split(",")))

    assert judge(pki, envelope(signed(pki, edit=reverse))) == set()


@pytest.mark.parametrize("name", vb.REQUIRED_ATTRIBUTES)
def test_each_required_attribute(pki: PkiManifest, name: str) -> None:
    claims = dataclasses.replace(vb.VihfClaims(), omit=frozenset({name}))
    assert judge(pki, envelope(signed(pki, claims))) == {"CISIS-VIHF-05"}


@pytest.mark.parametrize("change", [
    {"version": "3.0"}, {"authn_mode": "MAGIQUE"}, {"resource_urn": "urn:autre"},
    {"purpose": vb.Role("normal", "1.2.3")}, {"purpose": vb.Role("urgence", vb.PURPOSE_SYSTEM)},
    {"roles": (vb.Role("10", "pas-un-oid"),)}, {"extra": {vb.LPS_NAME: "A"}, "omit": frozenset()},
], ids=["version", "authn-mode", "urn", "purpose-system", "purpose-code", "role-system", "ok-extra-replaces"])
def test_attribute_coding(pki: PkiManifest, change: dict) -> None:
    expected = set() if "extra" in change else {"CISIS-VIHF-06"}
    assert judge(pki, envelope(signed(pki, dataclasses.replace(vb.VihfClaims(), **change)))) == expected


def test_sector_form_and_repeated_attribute(pki: PkiManifest) -> None:
    def sector(a: etree._Element) -> None:
        a.find(f".//{{{vb.SAML}}}Attribute[@Name='{vb.SECTOR}']/{{{vb.SAML}}}AttributeValue").text = "SA07"

    def repeat(a: etree._Element) -> None:
        attribute = a.find(f".//{{{vb.SAML}}}Attribute[@Name='{vb.LPS_NAME}']")
        etree.SubElement(attribute, f"{{{vb.SAML}}}AttributeValue").text = "B"

    def plain_role(a: etree._Element) -> None:
        attribute = a.find(f".//{{{vb.SAML}}}Attribute[@Name='{vb.ROLE}']")
        for value in list(attribute):
            attribute.remove(value)
        etree.SubElement(attribute, f"{{{vb.SAML}}}AttributeValue").text = "10"

    for edit in (sector, repeat, plain_role):
        assert judge(pki, envelope(signed(pki, edit=edit))) == {"CISIS-VIHF-06"}, edit.__name__


@pytest.mark.parametrize("ins, authority", [("277076322082911", vb.TEST_INS_NIR), ("277076322082910", "1.2.250.1.213.1.4.2"),
                                            ("27707632208", vb.TEST_INS_NIR)])
def test_resource_id_is_an_ins(pki: PkiManifest, ins: str, authority: str) -> None:
    claims = dataclasses.replace(vb.VihfClaims(), patient_ins=ins, patient_authority=authority)
    assert judge(pki, envelope(signed(pki, claims))) == {"CISIS-VIHF-07"}


def test_ins_key_rule_corsica() -> None:
    number = int("1800119001001")  # 2A counts as 19
    assert ins_problem(f"18001{'2A'}001001{97 - number % 97:02d}^^^&1.2.250.1.213.1.4.8&ISO^NH") is None


@pytest.mark.parametrize("now", [NOW + dt.timedelta(minutes=10), NOW - dt.timedelta(minutes=10), NOW + dt.timedelta(hours=2)],
                         ids=["expired", "not-yet-valid", "stale"])
def test_validity_window(pki: PkiManifest, now: dt.datetime) -> None:
    assert judge(pki, envelope(signed(pki)), now=now) == {"CISIS-VIHF-08"}


def test_audience_restriction_and_missing_id(pki: PkiManifest) -> None:
    def audience(a: etree._Element) -> None:
        etree.SubElement(a.find(f"{{{vb.SAML}}}Conditions"), f"{{{vb.SAML}}}AudienceRestriction")

    assert judge(pki, envelope(signed(pki, edit=audience))) == {"CISIS-VIHF-08"}


def test_sha1_flagged(pki: PkiManifest) -> None:
    report = check_vihf(envelope(signed(pki, algorithm="sha1")), pki.trust_anchor, NOW)
    assert report.failed() == {"CISIS-VIHF-09"}
    assert len([f for f in report.findings if f.requirement == "CISIS-VIHF-09"]) == 2  # signature method and digest


def test_tls_client_dn(pki: PkiManifest) -> None:
    assert judge(pki, envelope(signed(pki)), client="") == set()
    assert judge(pki, envelope(signed(pki)), client="expired") == {"CISIS-VIHF-10"}


def test_bare_assertion_and_no_trust_store(pki: PkiManifest) -> None:
    """A bare assertion is judged without placement; without a trust store the signature is still verified."""
    report = check_vihf(etree.tostring(signed(pki, seal="unknown-ca")), None, NOW)
    assert report.ok and "CISIS-VIHF-01" not in report.evaluated and "CISIS-VIHF-03" not in report.evaluated
    assert check_vihf(etree.tostring(_tamper(signed(pki))), None, NOW).failed() == {"CISIS-VIHF-02"}


def test_doctype_refused(pki: PkiManifest, tmp_path: Path) -> None:
    data = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    report = check_vihf(data, pki.trust_anchor, NOW)
    assert report.failed() == {"CISIS-VIHF-01"} and "DOCTYPE" in report.findings[0].message_en
