"""The simulator's XDS.b registry/repository on real mutual-TLS exchanges: the round trip, each error code with
nothing stored, ITI-57 errors, VIHF refusals, bad input, 50 concurrent submissions, the SQLite file."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from harness.config.target import Target, Timeouts
from harness.net.probe import base_options, http_request
from harness.net.xds import XdsClient, XdsSettings, status_of
from harness.pki import PkiManifest
from harness.simulator import Simulator
from harness.vihf import build as vb
from harness.xds import messages as m

PATIENT = m.xds_patient_id(vb.VihfClaims().patient_ins)


def _client(simulator: Simulator, timeouts: Timeouts | None = None) -> XdsClient:
    target = simulator.target() if timeouts is None else simulator.target(timeouts)
    endpoint = next(e for e in target.endpoints if e.name == "https")
    table = simulator.xds_table()
    settings = XdsSettings(table["role"], endpoint, table["path"], table["repository_unique_id"], PATIENT,
                           simulator.pki.cert_key("seal"), simulator.pki.trust_anchor)
    return XdsClient(settings, target)


@pytest.fixture
def sim(xds_pki: PkiManifest) -> Iterator[Simulator]:
    with Simulator(xds_pki, io_timeout=5.0) as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> XdsClient:
    return _client(sim)


def _ok(exchange) -> None:
    assert exchange.response is not None and exchange.response.success and not exchange.response.errors, exchange.describe()


def test_round_trip(client: XdsClient, sim: Simulator) -> None:
    doc = client.new_document()
    _ok(client.publish(doc))
    assert doc.entry_id in {e.get("id") for e in client.find(PATIENT).response.entries}
    retrieved = client.send(m.ITI43, m.retrieve(client.settings.repository_id, doc.unique_id)).response
    assert retrieved.documents == [(doc.unique_id, "text/xml", doc.content)]
    entry = client.get(doc.entry_id)[0]
    assert m.slot_values(entry, "hash") == [hashlib.sha1(doc.content).hexdigest()]
    assert m.slot_values(entry, "size") == [str(len(doc.content))]
    new = client.new_document()
    _ok(client.publish(new, replaces=doc.entry_id))
    assert status_of(client.get(doc.entry_id), doc.entry_id) == m.DEPRECATED
    _ok(client.send(m.ITI57, m.update_metadata(dataclasses.replace(new, confidentiality=(m.NORMAL, m.MASQUE_PS)), new.entry_id, "1",
                                                                                                   client.settings.repository_id)))
    versions = client.get_unique(new.unique_id).response.entries
    assert sorted((e.get("status"), m.MASQUE_PS in m.codes(e, m.CONFIDENTIALITY)) for e in versions) == [(m.APPROVED, True),
                                                                                                      (m.DEPRECATED, False)]
    latest = next(e.get("id") for e in versions if e.get("status") == m.APPROVED)
    _ok(client.send(m.ITI57, m.update_status(new, latest, m.APPROVED, m.ARCHIVED)))
    _ok(client.send(m.ITI57, m.update_status(new, latest, m.ARCHIVED, m.DELETED)))
    assert status_of(client.get(latest), latest) == m.DELETED
    assert not client.find(PATIENT).response.entries  # nothing Approved left
    assert client.send(m.ITI43, m.retrieve(client.settings.repository_id, new.unique_id)).response.codes() == ["XDSDocumentUniqueIdError"]
    assert sim.xds.store.counts() == {"entries": 3, "documents": 2, "submission_sets": 2}


@pytest.mark.parametrize("wrong, code", [
    ({"omit": frozenset({"classCode"})}, "XDSRegistryMetadataError"),
    ({"omit": frozenset({"uniqueId", "creationTime"})}, "XDSRegistryMetadataError"),
    ({"document_patient": m.xds_patient_id("180017512345660")}, "XDSPatientIdDoesNotMatch"),
    ({"hash_value": "0" * 40}, "XDSRepositoryMetadataError"),
], ids=["class-code", "unique-id", "patient-mismatch", "hash"])
def test_wrong_submission_stores_nothing(client: XdsClient, sim: Simulator, wrong: dict, code: str) -> None:
    exchange = client.publish(client.new_document(), **wrong)
    assert exchange.response.status == m.FAILURE and code in exchange.response.codes()
    assert sim.xds.store.counts() == {"entries": 0, "documents": 0, "submission_sets": 0}


def test_unknown_patient_duplicate_and_unresolved_replacement(client: XdsClient, sim: Simulator) -> None:
    unknown = dataclasses.replace(client.new_document(), patient_id="X1^^^&1.2.3&ISO")
    assert client.publish(unknown).response.codes() == ["XDSUnknownPatientId"]
    doc = client.new_document()
    _ok(client.publish(doc))
    assert client.publish(dataclasses.replace(client.new_document(), unique_id=doc.unique_id)).response.codes() == [
        "XDSDuplicateUniqueIdInRegistry"]
    assert client.publish(client.new_document(), replaces="urn:uuid:00000000-0000-0000-0000-000000000000").response.codes() == [
        "XDSUnresolvedReferenceException"]
    assert sim.xds.store.counts()["entries"] == 1


def test_metadata_update_errors(client: XdsClient) -> None:
    doc = client.new_document()
    _ok(client.publish(doc))
    assert client.send(m.ITI57, m.update_status(doc, doc.entry_id, m.DEPRECATED, m.ARCHIVED)).response.codes() == ["XDSMetadataUpdateError"]
    assert "XDSMetadataUpdateError" in client.send(m.ITI57, m.update_status(doc, doc.entry_id, m.APPROVED, "urn:x:Gone")).response.codes()
    stale = m.update_metadata(doc, doc.entry_id, "7", client.settings.repository_id)
    assert client.send(m.ITI57, stale).response.codes() == ["XDSMetadataVersionError"]
    assert status_of(client.get(doc.entry_id), doc.entry_id) == m.APPROVED


def test_stored_query_errors(client: XdsClient) -> None:
    assert client.send(m.ITI18, m.stored_query("urn:uuid:00000000-0000-0000-0000-000000000001", {})).response.codes() == [
        "XDSUnknownStoredQuery"]
    assert client.send(m.ITI18, m.stored_query(m.FIND_DOCUMENTS, {})).response.codes() == ["XDSStoredQueryParamNumber"]


@pytest.mark.parametrize("vihf", [
    pytest.param(lambda c: c.vihf(edit=lambda a: a.remove(a.find(f"{{{vb.DS}}}Signature"))), id="unsigned"),
    pytest.param(lambda c: c.vihf(seal=(c.settings.seal[0].with_name("unknown-ca.pem"), c.settings.seal[1].with_name("unknown-ca.key"))),
                 id="untrusted"),
])
def test_bad_vihf_gets_a_soap_fault(client: XdsClient, sim: Simulator, vihf) -> None:
    body, attachments = m.provide_and_register(client.new_document())
    exchange = client.send(m.ITI41, body, attachments, vihf=vihf(client))
    assert exchange.http.status == 400 and "wsse:FailedAuthentication" in exchange.response.fault
    assert sim.xds.store.counts()["entries"] == 0


def test_accept_unsigned_vihf_fault(xds_pki: PkiManifest) -> None:
    with Simulator(xds_pki, frozenset({"xds-accept-unsigned-vihf"}), io_timeout=5.0) as simulator:
        client = _client(simulator)
        body, attachments = m.provide_and_register(client.new_document())
        _ok(client.send(m.ITI41, body, attachments, vihf=client.vihf(edit=lambda a: a.remove(a.find(f"{{{vb.DS}}}Signature")))))


@pytest.mark.parametrize("body", [b"not xml", b'<!DOCTYPE x [<!ENTITY e "e">]><x/>', b"<x/>"], ids=["garbage", "doctype", "no-envelope"])
def test_bad_input_gets_a_sender_fault(sim: Simulator, body: bytes) -> None:
    target: Target = sim.target()
    endpoint = next(e for e in target.endpoints if e.name == "https")
    response = http_request(endpoint, target, base_options(target), "POST", "/xds/", {"Content-Type": "application/soap+xml"}, body)
    assert response.status == 400 and b"soap:Sender" in response.body and b"Traceback" not in response.body


def test_fifty_concurrent_submissions(sim: Simulator) -> None:
    # What is judged is that none is lost or mixed up, not how fast: on a loaded machine (CI runs mutation testing
    # beside the suite) fifty signed TLS exchanges at once can take longer than the simulator's 3 s read timeout.
    client = _client(sim, Timeouts(connect=10.0, read=60.0, exchange=120.0))
    docs = [client.new_document() for _ in range(50)]
    with ThreadPoolExecutor(50) as pool:
        exchanges = list(pool.map(client.publish, docs))
    assert [e.describe() for e in exchanges if e.response is None or not e.response.success] == []
    assert sim.xds.store.counts() == {"entries": 50, "documents": 50, "submission_sets": 50}
    assert len(client.find(PATIENT).response.entries) == 50


def test_store_in_a_file_survives_a_restart(xds_pki: PkiManifest, tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    with Simulator(xds_pki, io_timeout=5.0, xds_store=path) as simulator:
        doc = _client(simulator).new_document()
        _ok(_client(simulator).publish(doc))
    with Simulator(xds_pki, io_timeout=5.0, xds_store=path) as simulator:
        assert status_of(_client(simulator).get(doc.entry_id), doc.entry_id) == m.APPROVED


def test_mtom_split_keeps_bytes() -> None:
    data = b"\r\n--not-the-boundary\r\n\x00\xff binary\r\n"
    root = m.envelope(m.ITI41, etree.Element("x"))
    packed = m.mtom(root, {"a@b": data}, m.ITI41)
    assert m.unpack(packed.content_type, packed.body, 1 << 20).attachments == {"a@b": data}
