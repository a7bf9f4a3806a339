"""Mutual TLS of every TLS endpoint: no certificate and each bad certificate refused, the good one accepted.

Each attempt sends a request and reads the answer: under TLS 1.3 the server's refusal of a client
certificate shows only then. The bad certificates come from the lab-mode test PKI the candidate
trusts (target settings.test_pki, written by `enrs-harness pki init`).
"""

from __future__ import annotations

import pytest

from harness.netprobe import attempt_with_certificate, base_options
from harness.pki import PkiManifest
from harness.recorder import Recorder
from harness.target import Endpoint, Target

BAD_CLIENT_CERTIFICATES = ("expired", "not-yet-valid", "wrong-eku", "unknown-ca", "revoked")


@pytest.fixture(scope="session")
def controls() -> dict[tuple[str, int], tuple[bool, str]]:
    return {}


def _attempt(endpoint: Endpoint, target: Target, hl7_message, mllp_settings: dict, **options) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    message, _ = hl7_message()
    return attempt_with_certificate(endpoint, target, base_options(target, **options), message, tuple(mllp_settings["accepted_codes"]))


@pytest.mark.requirement("SEC-MTLS-01")
def test_connection_without_client_certificate_refused(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, hl7_message,
                                                        mllp_settings: dict, reachable) -> None:
    if "public" in tls_endpoint.roles:
        enrs.not_applicable("point d'accès déclaré public / endpoint declared public")
    with reachable():
        accepted, what = _attempt(tls_endpoint, enrs_target, hl7_message, mllp_settings, client_cert=None)
    enrs.evidence("sans certificat client / without a client certificate", what)
    assert not accepted, f"connexion sans certificat client acceptée / connection without a client certificate accepted: {what}"


@pytest.mark.requirement("SEC-MTLS-02")
def test_good_client_certificate_accepted(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, hl7_message,
                                          mllp_settings: dict, reachable, controls: dict) -> None:
    if enrs_target.tls.client_cert is None:
        enrs.abort("la cible ne donne pas de certificat client ([tls] client_cert) / the target gives no client certificate")
    with reachable():
        accepted, what = _attempt(tls_endpoint, enrs_target, hl7_message, mllp_settings)
    controls[(tls_endpoint.host, tls_endpoint.port)] = (accepted, what)
    enrs.evidence("certificat client valide / valid client certificate", what)
    assert accepted, f"certificat client valide refusé / valid client certificate refused: {what}"


@pytest.mark.requirement("SEC-MTLS-02")
@pytest.mark.parametrize("defect", BAD_CLIENT_CERTIFICATES)
def test_bad_client_certificate_refused(defect: str, tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, hl7_message,
                                        mllp_settings: dict, reachable, test_pki: PkiManifest | None, controls: dict) -> None:
    if test_pki is None:
        enrs.abort("mode laboratoire requis : la cible ne nomme pas de PKI de test (settings.test_pki) / lab mode needed: "
                   "the target names no test PKI (settings.test_pki)")
    key = (tls_endpoint.host, tls_endpoint.port)
    with reachable():
        if key not in controls and enrs_target.tls.client_cert is not None:
            controls[key] = _attempt(tls_endpoint, enrs_target, hl7_message, mllp_settings)
        control = controls.get(key)
        if control is None or not control[0]:
            enrs.abort(f"témoin : le certificat client valide n'est pas accepté, rien à conclure / control: the valid client "
                       f"certificate is not accepted, nothing to conclude ({control[1] if control else 'no client certificate'})")
        accepted, what = _attempt(tls_endpoint, enrs_target, hl7_message, mllp_settings, client_cert=test_pki.cert_key("client", defect))
    enrs.evidence(f"certificat client {defect} / {defect} client certificate", what)
    assert not accepted, f"certificat client {defect} accepté / {defect} client certificate accepted: {what}"
