"""A candidate XDS.b registry/repository (pack ihe-xds-b-actors): publish, find, retrieve, replace, mask, archive,
delete, and wrong submissions one at a time expecting their error code and nothing stored."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree

from harness.config.packs import PackRegistry
from harness.config.target import Target
from harness.core.verdicts import Verdict
from harness.net.xds import REGISTRY_ROLE, Control, Exchange, XdsClient, XdsSettings, status_of
from harness.run.recorder import Recorder
from harness.vihf import build as vb
from harness.vihf.check import PACK as VIHF_PACK
from harness.xds import messages as m

OTHER_PATIENT = m.xds_patient_id("180017512345660")  # a valid test INS, another person
UNKNOWN_PATIENT = "ENRSHARNESS0001^^^&1.2.250.1.999.9.404&ISO"  # no INS domain


@pytest.mark.requirement("XDSB-ACT-01")
def test_publish_and_find(control: Control) -> None:
    assert control.document is not None, control.failure


@pytest.mark.requirement("XDSB-ACT-02")
def test_retrieve_byte_identical(xds_client: XdsClient, published: m.TestDocument, enrs: Recorder) -> None:
    entries = xds_client.get(published.entry_id)
    exchange = xds_client.send(m.ITI43, m.retrieve(xds_client.repository_of(published.entry_id), published.unique_id),
                               title=published.unique_id)
    assert exchange.response is not None and exchange.response.success, exchange.describe()
    documents = [d for d in exchange.response.documents if d[0] == published.unique_id]
    assert len(documents) == 1, f"document {published.unique_id} absent de la réponse ITI-43 / missing from the ITI-43 response"
    _, mime_type, content = documents[0]
    assert content is not None, "document sans contenu (xop:Include sans partie) / document without content (xop:Include without part)"
    sent_hash, got_hash = hashlib.sha1(published.content).hexdigest(), hashlib.sha1(content).hexdigest()
    enrs.evidence("empreintes / hashes", {"published": sent_hash, "retrieved": got_hash, "size": [len(published.content), len(content)]})
    assert content == published.content, f"octets différents / different bytes: SHA-1 {got_hash} ≠ {sent_hash}, size {len(content)} ≠ " \
                                         f"{len(published.content)}"
    registry_hash = (m.slot_values(entries[0], "hash") or [""])[0].lower() if entries else ""
    registry_size = (m.slot_values(entries[0], "size") or [""])[0] if entries else ""
    assert registry_hash == sent_hash and registry_size == str(len(content)), \
        f"métadonnées hash/size du registre / registry hash/size metadata {registry_hash}/{registry_size} ≠ {sent_hash}/{len(content)}"
    assert mime_type == published.mime_type, f"mimeType {mime_type} ≠ {published.mime_type}"


@pytest.mark.requirement("XDSB-ACT-03")
def test_replace_deprecates_the_old_entry(xds_client: XdsClient, fresh: Callable[[], m.TestDocument]) -> None:
    old = fresh()
    new = xds_client.new_document()
    exchange = xds_client.publish(new, replaces=old.entry_id)
    assert exchange.response is not None and exchange.response.success and not exchange.response.errors, exchange.describe()
    assert status_of(xds_client.get(new.entry_id), new.entry_id) == m.APPROVED, "nouvelle fiche non Approved / new entry not Approved"
    old_status = status_of(xds_client.get(old.entry_id), old.entry_id)
    assert old_status == m.DEPRECATED, f"ancienne fiche / old entry: {old_status} (Deprecated attendu / expected)"


def _current(xds_client: XdsClient, doc: m.TestDocument) -> list[etree._Element]:
    exchange = xds_client.get_unique(doc.unique_id)
    assert exchange.response is not None and exchange.response.success, exchange.describe()
    return exchange.response.entries


@pytest.mark.requirement("XDSB-ACT-04")
def test_mask_with_a_metadata_update(xds_client: XdsClient, fresh: Callable[[], m.TestDocument]) -> None:
    doc = fresh()
    masked = dataclasses.replace(doc, confidentiality=(m.NORMAL, m.MASQUE_PS))
    exchange = xds_client.send(m.ITI57, m.update_metadata(masked, doc.entry_id, "1", xds_client.repository_of(doc.entry_id)),
                               title="MASQUE_PS")
    assert exchange.response is not None and exchange.response.success and not exchange.response.errors, exchange.describe()
    approved = [e for e in _current(xds_client, doc) if e.get("status") == m.APPROVED]
    assert len(approved) == 1, f"{len(approved)} versions Approved (1 attendue / expected)"
    assert m.MASQUE_PS in m.codes(approved[0], m.CONFIDENTIALITY), "confidentialityCode MASQUE_PS absent de la version courante / " \
                                                                   "missing from the current version"


@pytest.mark.requirement("XDSB-ACT-04")
@pytest.mark.parametrize("status", [m.ARCHIVED, m.DELETED], ids=["archive", "delete"])
def test_archive_and_delete(xds_client: XdsClient, fresh: Callable[[], m.TestDocument], status: str) -> None:
    doc = fresh()
    exchange = xds_client.send(m.ITI57, m.update_status(doc, doc.entry_id, m.APPROVED, status), title=status)
    assert exchange.response is not None and exchange.response.success and not exchange.response.errors, exchange.describe()
    now = status_of(xds_client.get(doc.entry_id), doc.entry_id)
    assert now == status, f"statut après ITI-57 / status after ITI-57: {now} ({status} attendu / expected)"
    found = xds_client.find(doc.patient_id)
    assert found.response is not None and doc.entry_id not in {e.get("id") for e in found.response.entries}, \
        "la fiche est encore trouvée parmi les Approved / the entry is still found among the Approved ones"


# -- wrong submissions, one at a time ---------------------------------------------------------------------

def _nothing_stored(xds_client: XdsClient, enrs: Recorder, doc: m.TestDocument, unique_is_new: bool = True) -> None:
    """GetDocuments by the refused entry's UUID (and its uniqueId when new) finds nothing; a query that itself fails
    cannot say so: the check is then ABORTED, never PASSED."""
    queries = [m.get_documents([doc.entry_id])]
    if unique_is_new:
        queries.append(m.stored_query(m.GET_DOCUMENTS, {"$XDSDocumentEntryUniqueId": [f"('{doc.unique_id}')"]}))
    for query in queries:
        exchange = xds_client.send(m.ITI18, query, title="rien d'enregistré ? / nothing stored?")
        if exchange.response is None or not exchange.response.success:
            enrs.abort(f"GetDocuments en échec : impossible de vérifier que rien n'a été enregistré / GetDocuments failed: cannot check "
                       f"that nothing was stored ({exchange.describe()})")
        assert not exchange.response.entries, f"la soumission refusée a été enregistrée / the refused submission was stored: {doc.entry_id}"


def _judge_failure_status(enrs: Recorder, registry: PackRegistry, exchange: Exchange) -> None:
    """XDSB-ACT-05 on every refusal that lists errors: the status is Failure."""
    response = exchange.response
    if response is None or response.fault or not response.errors:
        return
    bad = response.status != m.FAILURE
    enrs.requirement("XDSB-ACT-05", Verdict.FAILED if bad else Verdict.PASSED,
                     f"statut {response.status.rsplit(':', 1)[-1]} avec les erreurs {', '.join(response.codes())} / status with errors"
                     if bad else None)


def _expect(exchange: Exchange, codes: set[str]) -> None:
    assert exchange.response is not None, exchange.describe()
    assert set(exchange.response.codes()) & codes, f"{' ou / or '.join(sorted(codes))} attendu / expected: {exchange.describe()}"


def _wrong(case: str, xds_client: XdsClient, published: m.TestDocument) -> tuple[m.TestDocument, Exchange, set[str], bool]:
    doc = xds_client.new_document()
    if case == "missing-metadata":
        return doc, xds_client.publish(doc, omit=frozenset({"classCode"})), {"XDSRegistryMetadataError"}, True
    if case == "unknown-patient":
        doc = dataclasses.replace(doc, patient_id=UNKNOWN_PATIENT)
        return doc, xds_client.publish(doc), {"XDSUnknownPatientId"}, True
    if case == "patient-mismatch":
        return doc, xds_client.publish(doc, document_patient=OTHER_PATIENT), {"XDSPatientIdDoesNotMatch"}, True
    if case == "hash-mismatch":
        return doc, xds_client.publish(doc, hash_value=hashlib.sha1(b"other").hexdigest()), {"XDSRepositoryMetadataError"}, True
    doc = dataclasses.replace(doc, unique_id=published.unique_id)  # duplicate-unique-id
    return doc, xds_client.publish(doc), {"XDSDuplicateUniqueIdInRegistry"}, False


@pytest.mark.parametrize("case, requirement", [
    pytest.param("missing-metadata", "XDSB-ACT-06", marks=pytest.mark.requirement("XDSB-ACT-06"), id="missing-metadata"),
    pytest.param("unknown-patient", "XDSB-ACT-07", marks=pytest.mark.requirement("XDSB-ACT-07"), id="unknown-patient"),
    pytest.param("patient-mismatch", "XDSB-ACT-07", marks=pytest.mark.requirement("XDSB-ACT-07"), id="patient-mismatch"),
    pytest.param("hash-mismatch", "XDSB-ACT-08", marks=pytest.mark.requirement("XDSB-ACT-08"), id="hash-mismatch"),
    pytest.param("duplicate-unique-id", "XDSB-ACT-09", marks=pytest.mark.requirement("XDSB-ACT-09"), id="duplicate-unique-id"),
])
def test_wrong_submission_refused(case: str, requirement: str, xds_client: XdsClient, published: m.TestDocument, enrs: Recorder,
                                  enrs_registry: PackRegistry) -> None:
    doc, exchange, codes, unique_is_new = _wrong(case, xds_client, published)
    _judge_failure_status(enrs, enrs_registry, exchange)
    _expect(exchange, codes)
    _nothing_stored(xds_client, enrs, doc, unique_is_new)


def _unsigned(assertion: etree._Element) -> None:
    assertion.remove(assertion.find(f"{{{vb.DS}}}Signature"))


def _altered(assertion: etree._Element) -> None:
    assertion.find(f".//{{{vb.SAML}}}Attribute[@Name='{vb.LPS_VERSION}']/{{{vb.SAML}}}AttributeValue").text = "altered"


@pytest.mark.requirement("XDSB-ACT-10")
@pytest.mark.parametrize("defect", ["unsigned", "altered", "untrusted", "expired-seal", "expired-assertion"])
def test_wrong_vihf_refused(defect: str, xds_client: XdsClient, xds_settings: XdsSettings, published: m.TestDocument, enrs: Recorder,
                            test_pki_seal: Callable[[str], tuple[Path, Path]] | None) -> None:
    claims = vb.VihfClaims()
    if defect == "unsigned":
        vihf = xds_client.vihf(edit=_unsigned)
    elif defect == "altered":
        vihf = xds_client.vihf(edit=_altered)
    elif defect in ("untrusted", "expired-seal"):
        if test_pki_seal is None:
            pytest.skip("certificats de cachet défectueux : settings.test_pki requis / bad seal certificates need settings.test_pki")
        vihf = xds_client.vihf(seal=test_pki_seal("unknown-ca" if defect == "untrusted" else "expired"))
    else:
        cert, key = xds_settings.seal
        chain = cert.read_bytes()
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        vihf = vb.sign_assertion(vb.build_assertion(claims, vb.issuer_dn(x509.load_pem_x509_certificate(chain)), old), chain,
                                 key.read_bytes())
    doc = xds_client.new_document()
    body, attachments = m.provide_and_register(doc)
    exchange = xds_client.send(m.ITI41, body, attachments, vihf=copy.deepcopy(vihf), title=f"VIHF {defect}")
    refused = exchange.response is not None and (exchange.response.fault is not None or exchange.response.status == m.FAILURE)
    assert refused, f"VIHF {defect} accepté / accepted: {exchange.describe()}"
    _nothing_stored(xds_client, enrs, doc)


@pytest.mark.selected_with("ci-sis-vihf")
def test_vihf_producer_pack_not_applicable(registry_settings: XdsSettings, enrs: Recorder, enrs_registry: PackRegistry) -> None:
    """The harness, not the candidate, sends the VIHF when the candidate is a registry/repository: ci-sis-vihf is not
    the candidate's (NOT_APPLICABLE, with the reason)."""
    pack = enrs_registry.packs.get(VIHF_PACK)
    if pack is None:
        pytest.skip(f"{VIHF_PACK} non chargé / not loaded")
    for requirement in pack.requirements:
        enrs.requirement(requirement.id, Verdict.NOT_APPLICABLE,
                         "candidat registre/entrepôt : le VIHF est produit par le harnais / candidate registry/repository: the harness "
                         "produces the VIHF")


@pytest.mark.selected_with("ihe-xds-b-actors")
def test_registry_checks_outside_the_candidates_role(enrs_target: Target, enrs: Recorder, enrs_registry: PackRegistry) -> None:
    """A candidate that is not a registry/repository: the registry requirements are NOT_APPLICABLE, with the reason
    (XDSB-ACT-05 has no test of its own to say it)."""
    role = (enrs_target.raw.get("xds") or {}).get("role")
    if role == REGISTRY_ROLE:
        pytest.skip("candidat registre/entrepôt : jugé par les contrôles ci-dessus / registry candidate: judged by the checks above")
    pack = enrs_registry.packs.get("ihe-xds-b-actors")
    if pack is None:
        pytest.skip("ihe-xds-b-actors non chargé / not loaded")
    why = f"rôle XDS du candidat : {role} / candidate's XDS role: {role}" if role else "aucune table [xds] / no [xds] table"
    for requirement in pack.requirements:
        if "xds-registry" in requirement.applies_to:
            enrs.requirement(requirement.id, Verdict.NOT_APPLICABLE, why)
