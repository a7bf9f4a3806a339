"""Mutual TLS of every TLS endpoint: no certificate and each bad certificate refused, the good one accepted.

Each attempt sends a request and reads the answer: under TLS 1.3 the server's refusal of a client
certificate shows only then. The valid client certificate of the target is the control: what it
gets (e.g. HTTP 401 for a missing token) counts as "served". The bad certificates come from the
lab-mode test PKI the candidate trusts (target settings.test_pki, written by `enrs-harness pki init`).
"""

from __future__ import annotations

import pytest

from harness.netprobe import Attempt, attempt_with_certificate, base_options
from harness.pki import PkiManifest
from harness.recorder import Recorder
from harness.target import Endpoint, Target

PUBLIC = "public"
BAD_CLIENT_CERTIFICATES = ("expired", "not-yet-valid", "wrong-eku", "unknown-ca", "revoked")


@pytest.fixture(scope="session")
def controls() -> dict[tuple[str, int], Attempt]:
    return {}


@pytest.fixture
def attempt(enrs_target: Target, hl7_message):
    def run(endpoint: Endpoint, **options) -> Attempt:
        return attempt_with_certificate(endpoint, enrs_target, base_options(enrs_target, **options), hl7_message()[0])

    return run


@pytest.fixture
def control(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, attempt, controls: dict, reachable):
    """The valid client certificate's attempt on this endpoint (once per session), or None without one.
    An endpoint the target declares public (role "public") needs no client certificate: NOT_APPLICABLE."""
    if PUBLIC in tls_endpoint.roles:
        enrs.not_applicable("point d'accès déclaré public (rôle « public ») / endpoint declared public (role 'public')")
    if enrs_target.tls.client_cert is None:
        return None
    key = (tls_endpoint.host, tls_endpoint.port)
    if key not in controls:
        with reachable():
            controls[key] = attempt(tls_endpoint)
    return controls[key]


@pytest.mark.requirement("SEC-MTLS-01")
def test_connection_without_client_certificate_refused(tls_endpoint: Endpoint, enrs: Recorder, attempt, control, reachable) -> None:
    if control is not None and control.silent:
        enrs.abort(f"témoin muet : le certificat client valide n'obtient aucune réponse, rien à comparer / silent control: the valid "
                   f"client certificate gets no answer, nothing to compare with ({control.detail})")
    with reachable():
        result = attempt(tls_endpoint, client_cert=None)
    enrs.evidence("sans certificat client / without a client certificate", result.detail)
    assert not result.accepted(control), \
        f"connexion sans certificat client acceptée / connection without a client certificate accepted: {result.detail}"


@pytest.mark.requirement("SEC-MTLS-02")
def test_good_client_certificate_accepted(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, control) -> None:
    if control is None:
        enrs.abort("la cible ne donne pas de certificat client ([tls] client_cert) / the target gives no client certificate")
    enrs.evidence("certificat client valide / valid client certificate", control.detail)
    if control.silent:
        enrs.abort(f"connecté avec le certificat valide, mais aucune réponse ni refus : acceptation non jugeable / connected with the "
                   f"valid certificate, but neither an answer nor a refusal: acceptance cannot be judged ({control.detail})")
    assert control.answered and control.status not in (400, 403, 495, 496) and (control.ack_code is None or control.accepted()), \
        f"certificat client valide refusé / valid client certificate refused: {control.detail}"


@pytest.mark.requirement("SEC-MTLS-02")
@pytest.mark.parametrize("defect", BAD_CLIENT_CERTIFICATES)
def test_bad_client_certificate_refused(defect: str, tls_endpoint: Endpoint, enrs: Recorder, attempt, control, reachable,
                                        test_pki: PkiManifest | None) -> None:
    if test_pki is None:
        enrs.abort("mode laboratoire requis : la cible ne nomme pas de PKI de test (settings.test_pki) / lab mode needed: "
                   "the target names no test PKI (settings.test_pki)")
    if control is None or not control.accepted():
        enrs.abort(f"témoin : le certificat client valide n'est pas servi, rien à conclure / control: the valid client "
                   f"certificate is not served, nothing to conclude ({control.detail if control else 'no client certificate'})")
    with reachable():
        result = attempt(tls_endpoint, client_cert=test_pki.cert_key("client", defect))
    enrs.evidence(f"certificat client {defect} / {defect} client certificate", result.detail)
    assert not result.accepted(control), f"certificat client {defect} accepté / {defect} client certificate accepted: {result.detail}"
