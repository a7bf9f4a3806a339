"""XDS.b endpoint suite: the target's `[xds]` table names the service (an [[endpoints]] entry, a path) and the
candidate's role. The harness is the document source/consumer: it signs its VIHF with the seal the table gives
(default: the test PKI's), sends over the target's mutual TLS, and judges the answers.

The valid publication is the control: every check that needs a published document ABORTS when it failed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.config.target import Target
from harness.net.xds import REGISTRY_ROLE, Control, XdsClient, XdsSettings, status_of
from harness.pki import PkiManifest, load_manifest
from harness.run.recorder import Recorder
from harness.vihf.build import VihfClaims
from harness.vihf.check import check_vihf
from harness.xds import messages as m

DEFAULT_PATIENT = m.xds_patient_id(VihfClaims().patient_ins)


def _path(target: Target, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() or target.source is None else target.source.parent / path


def _test_pki(target: Target) -> PkiManifest | None:
    value = target.settings.get("test_pki")
    return load_manifest(_path(target, value)) if value else None


@pytest.fixture(scope="session")
def test_pki_seal(enrs_target: Target) -> Callable[[str], tuple[Path, Path]] | None:
    """The test PKI's bad seal certificates ("expired", "unknown-ca"), when the target names the PKI."""
    pki = _test_pki(enrs_target)
    return (lambda defect: pki.cert_key("seal", defect)) if pki is not None else None


@pytest.fixture(scope="session")
def xds_settings(enrs_target: Target) -> XdsSettings | None:
    """The `[xds]` table, resolved; None when the target has none."""
    table: dict[str, Any] = enrs_target.raw.get("xds") or {}
    if not table or table["role"] != REGISTRY_ROLE:
        return None
    endpoint = next((e for e in enrs_target.endpoints if e.name == table.get("endpoint")), None)
    if endpoint is None:
        raise pytest.UsageError(f"[xds] endpoint « {table.get('endpoint')} » absent des [[endpoints]] / not among the [[endpoints]]")
    pki = _test_pki(enrs_target)
    if "vihf_cert" in table:
        seal = (_path(enrs_target, table["vihf_cert"]), _path(enrs_target, table.get("vihf_key", table["vihf_cert"])))
    elif pki is not None:
        seal = pki.cert_key("seal")
    else:
        raise pytest.UsageError("[xds] vihf_cert/vihf_key (certificat de cachet) ou settings.test_pki requis / "
                                "[xds] vihf_cert/vihf_key (seal certificate) or settings.test_pki required")
    trust = _path(enrs_target, table["vihf_trust"]) if "vihf_trust" in table else (pki.trust_anchor if pki else None)
    return XdsSettings(table["role"], endpoint, table.get("path", endpoint.path), table.get("repository_unique_id", ""),
                       table.get("patient_id", DEFAULT_PATIENT), seal, trust)


@pytest.fixture
def registry_settings(xds_settings: XdsSettings | None, enrs: Recorder, enrs_target: Target) -> XdsSettings:
    if xds_settings is None:
        role = (enrs_target.raw.get("xds") or {}).get("role")
        enrs.not_applicable(f"rôle XDS du candidat : {role} / candidate's XDS role: {role}" if role
                            else "aucune table [xds] dans la cible / no [xds] table in the target")
    return xds_settings


@pytest.fixture
def xds_client(registry_settings: XdsSettings, enrs_target: Target, enrs: Recorder) -> XdsClient:
    return XdsClient(registry_settings, enrs_target, enrs)


@pytest.fixture(scope="session")
def _control_state() -> dict[str, Control]:
    return {}


@pytest.fixture
def control(xds_client: XdsClient, _control_state: dict[str, Control]) -> Control:
    """The control, once per session: the harness's own VIHF is valid, a generated document is published (ITI-41
    Success) and found by patient (FindDocuments) and by UUID (GetDocuments), Approved."""
    if "control" not in _control_state:
        _control_state["control"] = _publish_and_find(xds_client)
    return _control_state["control"]


def _publish_and_find(client: XdsClient) -> Control:
    own = check_vihf(client.vihf(), client.settings.trust, tls_client_cert=None)
    if not own.ok:
        return Control(None, "le VIHF du harnais est invalide avec le certificat de cachet donné / the harness's VIHF is invalid with the "
                             f"seal certificate given: {'; '.join(f.message_en for f in own.findings[:3])}")
    doc = client.new_document()
    published = client.publish(doc)
    if published.response is None or not published.response.success or published.response.errors:
        return Control(None, f"publication ITI-41 refusée / ITI-41 publication refused: {published.describe()}")
    found = client.find(doc.patient_id)
    if found.response is None or doc.entry_id not in {e.get("id") for e in found.response.entries}:
        return Control(None, f"document publié absent de FindDocuments / published document missing from FindDocuments: {found.describe()}")
    by_uuid = client.get(doc.entry_id)
    if status_of(by_uuid, doc.entry_id) != m.APPROVED or m.external_value(by_uuid[0], m.DOC_UNIQUE_ID) != doc.unique_id:
        return Control(None, "GetDocuments par UUID : fiche absente, non Approved ou uniqueId différent / GetDocuments by UUID: entry "
                             "missing, not Approved or another uniqueId")
    return Control(doc, None)


@pytest.fixture
def published(control: Control, enrs: Recorder) -> m.TestDocument:
    """The control's document; ABORTS the check when the control failed."""
    if control.document is None:
        enrs.abort(f"témoin en échec (XDSB-ACT-01), rien à juger / control failed (XDSB-ACT-01), nothing to judge: {control.failure}")
    return control.document


@pytest.fixture
def fresh(xds_client: XdsClient, published: m.TestDocument, enrs: Recorder) -> Callable[[], m.TestDocument]:
    """A function publishing another generated document (its own entry, for checks that change it); ABORTS when refused."""
    def make() -> m.TestDocument:
        doc = xds_client.new_document()
        exchange = xds_client.publish(doc)
        if exchange.response is None or not exchange.response.success or exchange.response.errors:
            enrs.abort(f"publication préalable refusée / preliminary publication refused: {exchange.describe()}")
        return doc

    return make
