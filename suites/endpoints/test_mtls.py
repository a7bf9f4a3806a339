"""Mutual TLS of every TLS endpoint: no certificate and each bad certificate refused, the good one accepted.

Each attempt sends a request and reads the answer: under TLS 1.3 the server's refusal of a client
certificate shows only then. The valid client certificate of the target is the control: what it
gets (e.g. HTTP 401 for a missing token) counts as "served". The bad certificates come from the
lab-mode test PKI the candidate trusts (target settings.test_pki, written by `enrs-harness pki init`).
"""

from __future__ import annotations

import pytest

from harness.config.target import Endpoint, Target
from harness.net.probe import control_refused
from harness.pki import PkiManifest, with_crl_warning
from harness.run.recorder import Recorder

PUBLIC = "public"
BAD_CLIENT_CERTIFICATES = ("expired", "not-yet-valid", "wrong-eku", "unknown-ca", "revoked")


@pytest.fixture
def control(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, control_for):
    """The valid client certificate's attempt on this endpoint (once per session), or None without one.
    An endpoint the target declares public (role "public") needs no client certificate: NOT_APPLICABLE."""
    if PUBLIC in tls_endpoint.roles:
        enrs.not_applicable("point d'accès déclaré public (rôle « public ») / endpoint declared public (role 'public')")
    if enrs_target.tls.client_cert is None:
        return None
    return control_for(tls_endpoint)


@pytest.mark.requirement("SEC-MTLS-01")
def test_connection_without_client_certificate_refused(tls_endpoint: Endpoint, enrs: Recorder, attempt, control, reachable,
                                                       test_pki: PkiManifest | None) -> None:
    if control is not None and control.silent:
        enrs.abort(f"témoin muet : le certificat client valide n'obtient aucune réponse, rien à comparer / silent control: the valid "
                   f"client certificate gets no answer, nothing to compare with ({control.detail})")
    if control is not None and control.refused():
        enrs.abort(with_crl_warning(control_refused(control), test_pki))
    with reachable():
        result = attempt(tls_endpoint, client_cert=None)
    enrs.evidence("sans certificat client / without a client certificate", result.detail)
    assert not result.accepted(control), \
        f"connexion sans certificat client acceptée / connection without a client certificate accepted: {result.detail}"


@pytest.mark.requirement("SEC-MTLS-02")
def test_good_client_certificate_accepted(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, control,
                                         test_pki: PkiManifest | None) -> None:
    if control is None:
        enrs.abort("la cible ne donne pas de certificat client ([tls] client_cert) / the target gives no client certificate")
    enrs.evidence("certificat client valide / valid client certificate", control.detail)
    if control.silent:
        enrs.abort(f"connecté avec le certificat valide, mais aucune réponse ni refus : acceptation non jugeable / connected with the "
                   f"valid certificate, but neither an answer nor a refusal: acceptance cannot be judged ({control.detail})")
    assert control.answered and control.status not in (400, 403, 495, 496) and (control.ack_code is None or control.accepted()) \
        and (control.smtp_code is None or control.accepted()), \
        with_crl_warning(f"certificat client valide refusé / valid client certificate refused: {control.detail}", test_pki)


@pytest.mark.requirement("SEC-MTLS-02")
@pytest.mark.parametrize("defect", BAD_CLIENT_CERTIFICATES)
def test_bad_client_certificate_refused(defect: str, tls_endpoint: Endpoint, enrs: Recorder, attempt, control, reachable,
                                        test_pki: PkiManifest | None) -> None:
    if test_pki is None:
        enrs.abort("mode laboratoire requis : la cible ne nomme pas de PKI de test (settings.test_pki) / lab mode needed: "
                   "the target names no test PKI (settings.test_pki)")
    if control is None or not control.accepted():
        enrs.abort(with_crl_warning(control_refused(control), test_pki) if control
                   else "contrôle impossible : la cible ne donne pas de certificat client / "
                   "no control: the target gives no client certificate ([tls] client_cert)")
    with reachable():
        result = attempt(tls_endpoint, client_cert=test_pki.cert_key("client", defect))
    enrs.evidence(f"certificat client {defect} / {defect} client certificate", result.detail)
    if not result.accepted(control):
        return
    with reachable():
        anonymous = attempt(tls_endpoint, client_cert=None)
    if anonymous.accepted(control):  # the bad certificate was perhaps never asked for: say what happened
        raise AssertionError(
            f"certificat client {defect} jamais jugé : le serveur sert aussi un client sans certificat (il ne demande ou n'exige pas de "
            f"certificat client) : {result.detail} / {defect} client certificate never judged: the server also serves a client "
            f"without any certificate (it does not ask for or require one): {result.detail}")
    raise AssertionError(f"certificat client {defect} accepté / {defect} client certificate accepted: {result.detail}")
