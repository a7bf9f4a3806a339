"""The detached signature of an ITI-41 submission set (IHE DSG, as the DMP uses it; pack ci-sis-xds, XDSFR-SIG-01 to -05).

The signature is one more document of the submission set: a DocumentEntry whose formatCode is the DSG detached
format (or whose classCode is "Digital Signature") and whose content is a ds:Signature (XAdES) enveloping a
ds:Manifest: one ds:Reference per signed document, its URI naming the document's uniqueId, its DigestValue the
digest of the document's bytes. signxml verifies the signature itself; the manifest's references, which XML-DSig
core validation does not follow, are checked here against the metadata and the MIME parts.
The signature document's own metadata (classCode, typeCode, its `signs` association to the submission set) is
XDSFR-SIG-06, judged whenever there is one. A submission set without a signature document fails only XDSFR-DMP-01,
the requirement of the opt-in pack ci-sis-xds-dmp (selected for submissions to the DMP, the one service that requires
the signature); without that pack it is not judged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from typing import Any

from lxml import etree

from harness.core.xmlsafe import UnsafeOrInvalidXml, parse_xml
from harness.xds.judge import Judge
from harness.xds.metadata import attribute_values
from harness.xds.model import DocumentEntry, Metadata

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
DSG_FORMAT = "urn:ihe:iti:dsg:detached:2014"
SIGNATURE_CLASS = "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1"
MANIFEST, DIGESTS, SHA1, VERIFIES, TRUST, ENTRY = (f"XDSFR-SIG-0{n}" for n in range(1, 7))
PRESENCE = "XDSFR-DMP-01"  # pack ci-sis-xds-dmp
SIGNS = "urn:ihe:iti:2007:AssociationType:signs"

# XML-DSig digest algorithm URIs → hashlib names
DIGEST_ALGORITHMS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}


def is_signature_entry(entry: DocumentEntry, judge: Judge) -> bool:
    return DSG_FORMAT in attribute_values(entry, "DocumentEntry", "formatCode", judge) or SIGNATURE_CLASS in attribute_values(
        entry, "DocumentEntry", "classCode", judge
    )


def check_signatures(metadata: Metadata, documents: dict[str, bytes], judge: Judge, trust: Any, max_bytes: int) -> None:
    """Judge the presence of a signature document (DMP), then every signature document of the submission: its
    metadata, then its content (entries without content: XDSB-DOC-01 says so)."""
    signatures = [entry for entry in metadata.documents if is_signature_entry(entry, judge)]
    if judge.evaluate(PRESENCE) and not signatures:
        where = metadata.submission_sets[0] if metadata.submission_sets else None
        judge.fail(PRESENCE, "soumission au DMP sans document de signature du lot (signature détachée XAdES, IHE DSG)",
                   "submission to the DMP without a signature document of the submission set (detached XAdES signature, IHE DSG)",
                   where.path if where else metadata.path, where.line if where else metadata.line)
    for entry in signatures:
        if judge.evaluate(ENTRY):
            _entry_metadata(entry, metadata, judge)
        if judge.active(MANIFEST) and entry.id in documents:
            _check(entry, metadata, documents, judge, trust, max_bytes)


def _entry_metadata(entry: DocumentEntry, metadata: Metadata, judge: Judge) -> None:
    """The signature document's codes ([data.xds.signature_document]: attribute → [code, coding scheme]) and its
    `signs` association to the submission set (IHE DSG)."""
    attributes = judge.data.get("attributes", {}).get("DocumentEntry", {})
    for name, (code, scheme) in judge.data.get("signature_document", {}).items():
        found = [(c.node, c.coding_scheme) for c in entry.classified(attributes.get(name, {}).get("classification", ""))]
        if (code, scheme) not in found:
            shown = ", ".join(f"{c} ({s})" for c, s in found) or "-"
            judge.fail(ENTRY, f"document de signature : {name} {shown}, {code} (schéma {scheme}) attendu",
                       f"signature document: {name} {shown}, {code} (scheme {scheme}) expected", entry.path, entry.line)
    submission_sets = {ss.id for ss in metadata.submission_sets}
    if not any(a.type == SIGNS and a.source == entry.id and a.target in submission_sets for a in metadata.associations):
        judge.fail(ENTRY, "document de signature sans association signs vers le lot (source : la signature, cible : le lot)",
                   "signature document without a signs association to the submission set (source: the signature, target: the set)",
                   entry.path, entry.line)


def _check(entry: DocumentEntry, metadata: Metadata, documents: dict[str, bytes], judge: Judge, trust: Any, max_bytes: int) -> None:
    judge.evaluate(MANIFEST, DIGESTS, SHA1, VERIFIES)
    where = f"{entry.path} (signature)"
    try:
        root = parse_xml(documents[entry.id], max_bytes).getroot()
    except UnsafeOrInvalidXml as exc:
        judge.fail(VERIFIES, f"document de signature illisible : {exc.fr}", f"unreadable signature document: {exc.en}", where, entry.line)
        return
    if root.tag != f"{{{DS}}}Signature":
        judge.fail(VERIFIES, "le document de signature n'est pas un ds:Signature", "the signature document is not a ds:Signature",
                   where, entry.line)
        return
    signed = _verify(root, judge, trust, where, entry.line)
    if signed is None:
        return  # the manifest read must be the one signed: nothing else is judged on an unverified signature
    manifests = [signed] if signed.tag == f"{{{DS}}}Manifest" else signed.findall(f".//{{{DS}}}Manifest")
    if len(manifests) != 1:
        judge.fail(MANIFEST, f"{len(manifests)} ds:Manifest signés (un attendu)", f"{len(manifests)} signed ds:Manifest (one expected)",
                   where, entry.line)
        return
    _algorithms(root, manifests[0], judge, where, entry.line)
    _manifest(manifests[0], entry, metadata, documents, judge, where)


def _manifest(
    manifest: etree._Element, signature: DocumentEntry, metadata: Metadata, documents: dict[str, bytes], judge: Judge, where: str
) -> None:
    by_uid: dict[str, DocumentEntry] = {}
    for entry in metadata.documents:
        if entry is not signature:
            for uid in attribute_values(entry, "DocumentEntry", "uniqueId", judge):
                by_uid[uid] = entry
    # DSG also lets the manifest name the submission set itself (no content to digest here)
    submission_uids = {uid for ss in metadata.submission_sets for uid in attribute_values(ss, "SubmissionSet", "uniqueId", judge)}
    listed: set[str] = set()
    for reference in manifest.iterfind(f"{{{DS}}}Reference"):
        uri = reference.get("URI", "")
        uid = uri.removeprefix("urn:oid:")
        if uid in submission_uids:
            continue
        member = by_uid.get(uid)
        if member is None:
            judge.fail(MANIFEST, f"référence « {uri} » : aucun document du lot n'a cet uniqueId",
                       f"reference '{uri}': no document of the submission set has this uniqueId", where, signature.line)
            continue
        listed.add(uid)
        _digest(reference, uri, documents.get(member.id), judge, where, signature.line)
    for uid, entry in by_uid.items():
        if uid not in listed:
            judge.fail(MANIFEST, f"le document « {uid} » ({entry.id}) n'est pas dans le manifeste de la signature",
                       f"document '{uid}' ({entry.id}) is not in the signature's manifest", entry.path, entry.line)


def _digest(reference: etree._Element, uri: str, content: bytes | None, judge: Judge, where: str, line: int | None) -> None:
    if content is None:
        return  # a document without readable content: XDSB-DOC-01 says so
    method = reference.find(f"{{{DS}}}DigestMethod")
    algorithm = DIGEST_ALGORITHMS.get(method.get("Algorithm", "") if method is not None else "")
    if algorithm is None:
        judge.fail(DIGESTS, f"référence « {uri} » : algorithme d'empreinte absent ou inconnu",
                   f"reference '{uri}': digest algorithm missing or unknown", where, line)
        return
    try:
        stated = base64.b64decode("".join((reference.findtext(f"{{{DS}}}DigestValue") or "").split()), validate=True)
    except (binascii.Error, ValueError):
        stated = b""
    if stated != hashlib.new(algorithm, content).digest():
        judge.fail(DIGESTS, f"référence « {uri} » : l'empreinte {algorithm} ne correspond pas au contenu du document",
                   f"reference '{uri}': the {algorithm} digest does not match the document's content", where, line)


def _algorithms(root: etree._Element, manifest: etree._Element, judge: Judge, where: str, line: int | None) -> None:
    """SHA-1 anywhere in the signature (signature method, SignedInfo or manifest digests): forbidden by PGSSI-S."""
    used = {m.get("Algorithm", "") for m in root.iter(f"{{{DS}}}DigestMethod", f"{{{DS}}}SignatureMethod")}
    used |= {m.get("Algorithm", "") for m in manifest.iter(f"{{{DS}}}DigestMethod")}
    weak = sorted(a for a in used if "sha1" in a.lower())
    if weak:
        names = ", ".join(weak)
        judge.fail(SHA1, f"SHA-1 utilisé ({names}) : interdit par la PGSSI-S", f"SHA-1 used ({names}): forbidden by PGSSI-S", where, line)


def _signing_time(root: etree._Element) -> dt.datetime | None:
    text = root.findtext(f".//{{{XADES}}}SigningTime")
    try:
        moment = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _verify(root: etree._Element, judge: Judge, trust: Any, where: str, line: int | None) -> etree._Element | None:
    """Verify with signxml (XAdES when the signature has qualifying properties); return the signed element read."""
    from signxml.algorithms import DigestAlgorithm, SignatureMethod
    from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration
    from signxml.xades.xades import XAdESVerifier

    from harness.vihf.check import _chain, _Verifier, trust_anchors

    class _XAdESVerifier(_Verifier, XAdESVerifier):  # XAdES checks, chain to in-memory anchors
        pass

    xades = root.find(f".//{{{XADES}}}QualifyingProperties") is not None
    chain = _chain(root)
    references = len(root.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference"))  # XAdES adds SignedProperties and KeyInfo
    # every algorithm accepted here: SHA-1 is judged by XDSFR-SIG-03, not refused; judged at the signing time (a capture)
    config = SignatureConfiguration(signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm),
                                    expect_references=max(references, 1), verification_time=_signing_time(root))
    verifier = (_XAdESVerifier if xades else _Verifier)(trust_anchors(trust))
    try:
        result = verifier.verify(root, x509_cert=chain[0] if (trust is None and chain) else None, expect_config=config)
    except InvalidCertificate as exc:
        judge.evaluate(TRUST)
        judge.fail(TRUST, f"certificat signataire refusé : {exc}", f"signing certificate refused: {exc}", where, line)
        return None
    except (InvalidDigest, InvalidSignature, InvalidInput, ValueError, etree.DocumentInvalid) as exc:  # DocumentInvalid: schema
        judge.fail(VERIFIES, f"signature invalide (contenu modifié, mauvaise clé ou illisible) : {exc}",
                   f"invalid signature (content altered, wrong key or unreadable): {exc}", where, line)
        return None
    if trust is not None:
        judge.evaluate(TRUST)
    else:
        judge.note(TRUST, "signataire de la signature du lot non jugé : aucun magasin de confiance fourni",
                   "submission set signer not judged: no trust store given", where, line)
    results = result if isinstance(result, list) else [result]
    for verified in results:  # the signed data, not XAdES's SignedProperties or the KeyInfo
        signed = verified.signed_xml
        if signed is not None and signed.tag in (f"{{{DS}}}Object", f"{{{DS}}}Manifest"):
            return signed
    judge.fail(VERIFIES, "la signature ne signe aucun ds:Object ni ds:Manifest", "the signature signs no ds:Object or ds:Manifest",
               where, line)
    return None
