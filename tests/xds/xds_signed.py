"""An ITI-41 capture whose submission set carries a detached XAdES signature (IHE DSG), signed by signxml with the
test PKI's seal, and its one-rule variants (XDSFR-SIG-01 to -06).

The tests build them in memory; `python tests/xds/xds_signed.py` also writes them to disk from a fresh test PKI
(harness.pki.build_pki, its keys thrown away): fixtures/conforming/xds/dsg/, fixtures/nonconforming/xds/dsg/ and the
PKI's root, the trust store that judges their signer, fixtures/trust/dsg-test-root.pem. A signature is not
reproducible byte for byte (fresh keys, ECDSA, signing time): after regenerating, record the golden outputs again
(`python tests/cli/test_golden_outputs.py --update`, and the entries of these files in tests/cda/golden_output.json)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from signxml import methods
from signxml.algorithms import SignatureMethod
from signxml.xades import XAdESSigner

from harness.pki import build_pki

from xds_make_fixtures import CDA, DOCUMENT_UID, ROOT, document_entry, envelope, has_member, mime, slot, submission_set

DS = "http://www.w3.org/2000/09/xmldsig#"
DIGEST_URIS = {"sha1": "http://www.w3.org/2000/09/xmldsig#sha1", "sha256": "http://www.w3.org/2001/04/xmlenc#sha256"}
SIGNATURE_UID = "1.2.250.1.999.1.1.99"


@dataclass(frozen=True)
class Variant:
    digest: str = "sha256"  # algorithm of the manifest's references
    wrong_digest: bool = False  # the CDA's DigestValue is that of other bytes
    omit: bool = False  # the CDA is not in the manifest
    extra: bool = False  # the manifest names a document the submission set does not hold
    tamper: bool = False  # the signed manifest altered after signing
    bad_value: bool = False  # the SignatureValue altered (same length, valid base64)
    signs: bool = True  # the signs association from the signature to the submission set
    type_code: str = "E1762"  # the signature entry's typeCode (scheme ASTM)


def _reference(uri: str, content: bytes, digest: str) -> etree._Element:
    reference = etree.Element(f"{{{DS}}}Reference", URI=uri)
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=DIGEST_URIS[digest])
    etree.SubElement(reference, f"{{{DS}}}DigestValue").text = base64.b64encode(hashlib.new(digest, content).digest()).decode()
    return reference


def signature_document(cda: bytes, cert: bytes, key: bytes, variant: Variant) -> bytes:
    manifest = etree.Element(f"{{{DS}}}Manifest", nsmap={"ds": DS}, Id="manifest")
    if not variant.omit:
        manifest.append(_reference(f"urn:oid:{DOCUMENT_UID}", cda + b" " if variant.wrong_digest else cda, variant.digest))
    else:  # the submission set alone (DSG allows naming it; a manifest needs one reference at least)
        manifest.append(_reference("urn:oid:1.2.250.1.999.6.20250312.1", b"", variant.digest))
    if variant.extra:
        manifest.append(_reference("urn:oid:1.2.250.1.999.1.1.777", b"another document", variant.digest))
    signer = XAdESSigner(method=methods.enveloping, signature_algorithm=SignatureMethod.ECDSA_SHA256)
    signed = etree.tostring(signer.sign(manifest, key=key, cert=cert))
    if variant.tamper:
        signed = signed.replace(b'Id="manifest">', b'Id="manifest"><ds:Reference URI="urn:oid:1.2.250.1.999.1.1.5"/>', 1)
    if variant.bad_value:  # one base64 character of the value changed: still well formed, no longer the signature
        start = signed.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>") + 8
        signed = signed[:start] + (b"B" if signed[start:start + 1] == b"A" else b"A") + signed[start + 1:]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + signed


def _signature_entry(content: bytes, type_code: str = "E1762") -> str:
    """A DocumentEntry for the signature: the CR-BIO's entry with the DSG codes, its own ids and uniqueId."""
    text = document_entry("Signature01", content, registry_side=False, hashed=True)
    for old, new in (
        ('nodeRepresentation="urn:ihe:lab:xd-lab:2008"', 'nodeRepresentation="urn:ihe:iti:dsg:detached:2014"'),
        ('nodeRepresentation="10"', 'nodeRepresentation="urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1"'),
        ("<rim:Value>1.2.250.1.213.1.1.4.1</rim:Value>", "<rim:Value>URN</rim:Value>"),
        ('nodeRepresentation="11502-2"', f'nodeRepresentation="{type_code}"'),
        ("<rim:Value>2.16.840.1.113883.6.1</rim:Value>", "<rim:Value>ASTM</rim:Value>"),
        (DOCUMENT_UID, SIGNATURE_UID),
        ('id="cl0', 'id="sg0'),
        ('id="ei0', 'id="se0'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    return text


def signed_iti41(cert: bytes, key: bytes, variant: Variant | None = None) -> bytes:
    variant = variant or Variant()
    cda = CDA.read_bytes()
    signature = signature_document(cda, cert, key, variant)
    body = (
        "    <xdsb:ProvideAndRegisterDocumentSetRequest>\n      <lcm:SubmitObjectsRequest>\n        <rim:RegistryObjectList>\n    "
        + document_entry("Document01", cda, registry_side=False, hashed=True)
        + "\n    "
        + _signature_entry(signature, variant.type_code)
        + "\n    "
        + submission_set("SubmissionSet01")
        + "\n    "
        + has_member("as01", "SubmissionSet01", "Document01", slot("SubmissionSetStatus", "Original"))
        + "\n    "
        + has_member("as02", "SubmissionSet01", "Signature01", slot("SubmissionSetStatus", "Original"))
        + ('\n    <rim:Association id="as03" associationType="urn:ihe:iti:2007:AssociationType:signs" '
           'sourceObject="Signature01" targetObject="SubmissionSet01"/>' if variant.signs else "")
        + "\n        </rim:RegistryObjectList>\n      </lcm:SubmitObjectsRequest>\n"
        '      <xdsb:Document id="Document01"><xop:Include href="cid:doc1@enrs.invalid"/></xdsb:Document>\n'
        '      <xdsb:Document id="Signature01"><xop:Include href="cid:sig1@enrs.invalid"/></xdsb:Document>\n'
        "    </xdsb:ProvideAndRegisterDocumentSetRequest>"
    )
    action = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
    return mime(envelope(action, body), action, [("doc1@enrs.invalid", cda), ("sig1@enrs.invalid", signature)])


CONFORMING = ROOT / "fixtures" / "conforming" / "xds" / "dsg"
NONCONFORMING = ROOT / "fixtures" / "nonconforming" / "xds" / "dsg"
TRUST = ROOT / "fixtures" / "trust" / "dsg-test-root.pem"
SIGNED = "iti41-signed-request.mtom"
# file → (the variant, the seal that signs it, the one requirement it fails: with the trust store TRUST for SIG-05)
FAULTS = {
    "iti41-sig01-manifest-missing-document.mtom": (Variant(omit=True), None, "XDSFR-SIG-01"),
    "iti41-sig02-wrong-digest.mtom": (Variant(wrong_digest=True), None, "XDSFR-SIG-02"),
    "iti41-sig03-sha1-digests.mtom": (Variant(digest="sha1"), None, "XDSFR-SIG-03"),
    "iti41-sig04-bad-signature-value.mtom": (Variant(bad_value=True), None, "XDSFR-SIG-04"),
    "iti41-sig05-signer-outside-trust-store.mtom": (Variant(), "unknown-ca", "XDSFR-SIG-05"),
    "iti41-sig06-no-signs-association.mtom": (Variant(signs=False), None, "XDSFR-SIG-06"),
}


def main() -> None:
    """Write the signed captures and the trust store from a fresh test PKI (its private keys are not kept)."""
    with tempfile.TemporaryDirectory(prefix="enrs-dsg-pki-") as folder:
        pki = build_pki(Path(folder))
        cert, key = (p.read_bytes() for p in pki.cert_key("seal"))
        CONFORMING.mkdir(parents=True, exist_ok=True)
        NONCONFORMING.mkdir(parents=True, exist_ok=True)
        TRUST.parent.mkdir(parents=True, exist_ok=True)
        (CONFORMING / SIGNED).write_bytes(signed_iti41(cert, key))
        for name, (variant, defect, _) in FAULTS.items():
            seal = (cert, key) if defect is None else tuple(p.read_bytes() for p in pki.cert_key("seal", defect))
            (NONCONFORMING / name).write_bytes(signed_iti41(seal[0], seal[1], variant))
        shutil.copyfile(pki.trust_anchor, TRUST)


if __name__ == "__main__":
    main()
