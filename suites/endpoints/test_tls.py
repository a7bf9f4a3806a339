"""TLS of every TLS endpoint: versions, cipher suites, groups, and the server certificate.

Each probe presents the target's client certificate (a mutual-TLS endpoint would otherwise refuse
every TLS 1.2 handshake for the wrong reason).
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from harness.config.target import Endpoint, Target
from harness.net.probe import LocalLimitation, NoAnswer, base_options, handshake, hostname_matches, server_name
from harness.pki import PkiManifest
from harness.run.recorder import Recorder

V = ssl.TLSVersion
OLD_VERSIONS = {"TLSv1": V.TLSv1, "TLSv1.1": V.TLSv1_1}


def _try(endpoint: Endpoint, target: Target, **options: Any):
    try:
        return handshake(endpoint, target, base_options(target, **options))
    except NoAnswer as exc:
        return exc


@pytest.mark.requirement("SEC-TLS-02")
def test_tls_1_0_and_1_1_refused(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable, served) -> None:
    served(tls_endpoint)  # judged only when the target's own request is served
    accepted = []
    with reachable():
        for name in security["forbidden_tls_versions"]:
            result = _try(tls_endpoint, enrs_target, min_version=OLD_VERSIONS[name],
                          max_version=OLD_VERSIONS[name], ciphers="DEFAULT:@SECLEVEL=0")
            enrs.evidence(f"{name}",
                          str(result) if isinstance(result, NoAnswer) else f"accepté / accepted: {result.version} {result.cipher}")
            if not isinstance(result, NoAnswer):
                accepted.append(f"{result.version} ({result.cipher})")
    assert not accepted, f"versions interdites acceptées / forbidden versions accepted: {', '.join(accepted)}"


@pytest.mark.requirement("SEC-TLS-03")
def test_tls_1_2_supported(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable, served) -> None:
    served(tls_endpoint)  # judged only when the target's own request is served
    with reachable():
        result = _try(tls_endpoint, enrs_target, min_version=V.TLSv1_2, max_version=V.TLSv1_2)
    assert not isinstance(result, NoAnswer), f"TLS 1.2 refusé / TLS 1.2 refused: {result}"
    enrs.evidence("TLS 1.2", f"{result.version} {result.cipher}")


@pytest.mark.requirement("SEC-TLS-04")
def test_tls_1_3_supported_and_preferred(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable, served) -> None:
    served(tls_endpoint)  # judged only when the target's own request is served
    with reachable():
        only = _try(tls_endpoint, enrs_target, min_version=V.TLSv1_3, max_version=V.TLSv1_3)
        default = _try(tls_endpoint, enrs_target)
    assert not isinstance(only, NoAnswer), f"TLS 1.3 refusé / TLS 1.3 refused: {only}"
    assert not isinstance(default, NoAnswer), f"poignée de main par défaut refusée / default handshake refused: {default}"
    enrs.evidence("TLS 1.3", f"{only.version} {only.cipher}; négocié par défaut / negotiated by default: {default.version}")
    assert default.version == "TLSv1.3", f"version négociée / negotiated version: {default.version}"


@pytest.mark.requirement("SEC-TLS-05")
def test_forbidden_cipher_suites_refused(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable,
                                         served) -> None:
    served(tls_endpoint)  # judged only when the target's own request is served
    with reachable():
        result = _try(tls_endpoint, enrs_target, max_version=V.TLSv1_2, ciphers=security["tls12_forbidden_ciphers"] + ":@SECLEVEL=0")
    enrs.evidence("suites interdites offertes / forbidden suites offered", security["tls12_forbidden_ciphers"])
    assert isinstance(result, NoAnswer), f"suite interdite acceptée / forbidden suite accepted: {result.cipher} ({result.version})"


@pytest.mark.requirement("SEC-TLS-05B")
def test_tls_1_2_suites_within_profile(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable,
                                       served) -> None:
    served(tls_endpoint)  # judged only when the target's own request is served
    """Offer every TLS 1.2 suite outside the allowlist; each one accepted is removed and offered again."""
    allowed = security["tls12_cipher_allowlist"]
    excluded = [f"!{name}" for name in allowed]
    accepted: list[str] = []
    with reachable():
        for _ in range(40):
            result = _try(tls_endpoint, enrs_target, min_version=V.TLSv1_2, max_version=V.TLSv1_2,
                          ciphers=":".join(["ALL", "COMPLEMENTOFALL", *excluded, *(f"!{c}" for c in accepted), "@SECLEVEL=0"]))
            if isinstance(result, NoAnswer):
                break
            accepted.append(result.cipher)
    enrs.evidence("suites hors profil acceptées / suites outside the profile accepted", accepted or "aucune / none")
    assert not accepted, f"suites TLS 1.2 hors profil acceptées / TLS 1.2 suites outside the profile accepted: {', '.join(accepted)}"


@pytest.mark.requirement("SEC-TLS-10")
def test_groups_within_profile(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable, served) -> None:
    served(tls_endpoint)  # judged only when the target's own request is served
    """Offer one group at a time over TLS 1.3, where the group is only the key exchange's (under TLS 1.2
    an ECDSA certificate's own curve must also be shared, which would hide the answer)."""
    accepted, untested = [], []
    with reachable():
        control = _try(tls_endpoint, enrs_target, min_version=V.TLSv1_3)
        if isinstance(control, NoAnswer):
            enrs.abort("groupes sondés en TLS 1.3, refusé par le serveur / groups are probed over TLS 1.3, refused by the server: "
                       f"{control}")
        for curve in security["tls_groups_probed"]:
            try:
                result = _try(tls_endpoint, enrs_target, min_version=V.TLSv1_3, curve=curve)
            except LocalLimitation as exc:
                untested.append(f"{curve} ({exc})")
                continue
            if not isinstance(result, NoAnswer):
                accepted.append(curve)
    enrs.evidence("groupes hors profil / groups outside the profile", {"accepted": accepted, "not_probed": untested})
    if len(untested) == len(security["tls_groups_probed"]):
        enrs.abort(f"aucun groupe n'a pu être sondé / no group could be probed: {untested}")
    assert not accepted, f"groupes hors profil acceptés / groups outside the profile accepted: {', '.join(accepted)}"


# -- the server certificate ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def certificates() -> dict[tuple[str, int], x509.Certificate]:
    return {}


@pytest.fixture
def server_certificate(tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable, certificates: dict) -> x509.Certificate:
    """The leaf the server presents (read without verification, once per endpoint and session)."""
    endpoint, target, _certificates = tls_endpoint, enrs_target, certificates
    key = (endpoint.host, endpoint.port)
    if key not in _certificates:
        with reachable():
            try:
                result = handshake(endpoint, target, base_options(target))
            except NoAnswer as exc:
                enrs.abort(f"certificat serveur non obtenu / server certificate not obtained: {exc}")
        if not result.peer_der:
            enrs.abort("le serveur n'a présenté aucun certificat / the server presented no certificate")
        _certificates[key] = x509.load_der_x509_certificate(result.peer_der)
    cert = _certificates[key]
    enrs.evidence("certificat serveur / server certificate", {
        "subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(), "not_after": cert.not_valid_after_utc.isoformat(),
    })
    return cert


# OpenSSL verification errors that mean "no path to the trust anchor could be built" (X509_V_ERR_*):
# unable to get issuer certificate, self-signed certificate in chain, unable to get local issuer, unable
# to verify the first certificate. Other errors (expired, purpose, key too weak…) come after the path
# was built: they are the other requirements' to judge.
PATH_ERRORS = {2, 19, 20, 21}


def _chains_with_known_intermediates(leaf: x509.Certificate, anchors: list[x509.Certificate], known: list[x509.Certificate]) -> str | None:
    """None when `leaf` chains to `anchors` with the intermediates the harness knows (the trust bundle's
    and the lab PKI's), else why not. Dates are judged at a moment the leaf is valid (SEC-PKI-04 judges
    them), usages not at all (SEC-PKI-05): only the path and its CA constraints and signatures."""
    now = datetime.now(UTC)
    moment = min(max(now, leaf.not_valid_before_utc + timedelta(seconds=1)), leaf.not_valid_after_utc - timedelta(seconds=1))
    verifier = (PolicyBuilder().store(Store(anchors)).time(moment)
                .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
                .build_client_verifier())
    try:
        verifier.verify(leaf, known)
    except VerificationError as exc:
        return str(exc)
    return None


def _trust(target: Target, test_pki: PkiManifest | None) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """The trust anchors of the target ([tls] ca_bundle) and the intermediates the harness knows."""
    assert target.tls.ca_bundle is not None
    anchors = x509.load_pem_x509_certificates(target.tls.ca_bundle.read_bytes())
    known = list(anchors)
    if test_pki is not None:
        known += x509.load_pem_x509_certificates(test_pki.path(test_pki.data["intermediate"]).read_bytes())
    return anchors, known


@pytest.mark.requirement("SEC-PKI-01")
def test_certificate_chains_to_trust_anchor(server_certificate: x509.Certificate, tls_endpoint: Endpoint, enrs_target: Target,
                                            enrs: Recorder, test_pki: PkiManifest | None) -> None:
    if enrs_target.tls.ca_bundle is None:
        enrs.abort("la cible ne donne pas d'ancre de confiance ([tls] ca_bundle) / the target gives no trust anchor ([tls] ca_bundle)")
    anchors, known = _trust(enrs_target, test_pki)
    why = _chains_with_known_intermediates(server_certificate, anchors, known)
    assert why is None, (f"le certificat ne se rattache pas à {enrs_target.tls.ca_bundle.name} (émetteur "
                         f"{server_certificate.issuer.rfc4514_string()}) "
                         f"/ the certificate does not chain to {enrs_target.tls.ca_bundle.name}: {why}")


@pytest.mark.requirement("SEC-PKI-03")
def test_full_chain_sent(server_certificate: x509.Certificate, tls_endpoint: Endpoint, enrs_target: Target, enrs: Recorder,
                         reachable, served, test_pki: PkiManifest | None) -> None:
    """OpenSSL verifies the chain the server sends against the trust anchor alone: a path it cannot
    build, while the leaf does chain with the intermediates the harness knows, is an incomplete chain."""
    if enrs_target.tls.ca_bundle is None:
        enrs.abort("la cible ne donne pas d'ancre de confiance ([tls] ca_bundle) / the target gives no trust anchor ([tls] ca_bundle)")
    served(tls_endpoint)
    with reachable():
        result = _try(tls_endpoint, enrs_target, verify=True, ca_bundle=enrs_target.tls.ca_bundle)
    if not isinstance(result, NoAnswer):
        return
    enrs.evidence("vérification OpenSSL / OpenSSL verification", str(result))
    cause = result.__cause__
    if not isinstance(cause, ssl.SSLCertVerificationError):
        raise AssertionError(f"poignée de main vérifiée refusée / verified handshake refused: {result}")
    if cause.verify_code not in PATH_ERRORS:
        return  # the path was built; the error (dates, usage, key) is another requirement's
    anchors, known = _trust(enrs_target, test_pki)
    if _chains_with_known_intermediates(server_certificate, anchors, known) is not None:
        enrs.abort(f"complétude de la chaîne non jugeable : le certificat ne se rattache pas à l'ancre de confiance (SEC-PKI-01) / "
                   f"chain completeness cannot be judged: the certificate does not chain to the trust anchor (SEC-PKI-01): {result}")
    raise AssertionError(f"chaîne incomplète : le serveur n'envoie pas ses intermédiaires / incomplete chain: the server does not send "
                         f"its intermediates: {result}")


@pytest.mark.requirement("SEC-PKI-03")
def test_certificate_matches_host_name(server_certificate: x509.Certificate, tls_endpoint: Endpoint, enrs_target: Target) -> None:
    cert = server_certificate
    host = server_name(tls_endpoint, enrs_target)
    assert hostname_matches(cert, host), f"le certificat ne couvre pas {host} / the certificate does not cover {host}"


@pytest.mark.requirement("SEC-PKI-04")
def test_certificate_within_validity(server_certificate: x509.Certificate, tls_endpoint: Endpoint, enrs_target: Target) -> None:
    cert = server_certificate
    now = datetime.now(UTC)
    assert cert.not_valid_before_utc <= now, f"pas encore valide / not yet valid (from {cert.not_valid_before_utc:%Y-%m-%d})"
    assert now <= cert.not_valid_after_utc, f"expiré / expired ({cert.not_valid_after_utc:%Y-%m-%d})"


@pytest.mark.requirement("SEC-PKI-04B")
def test_certificate_not_due_for_renewal(server_certificate: x509.Certificate, security: dict,
                                         tls_endpoint: Endpoint, enrs_target: Target) -> None:
    cert = server_certificate
    left = (cert.not_valid_after_utc - datetime.now(UTC)).days
    limit = security["certificate_renewal_warning_days"]
    assert left >= limit, f"{left} jours de validité restants (< {limit}) / {left} days of validity left (< {limit})"


@pytest.mark.requirement("SEC-PKI-05")
def test_certificate_key_usage(server_certificate: x509.Certificate, tls_endpoint: Endpoint, enrs_target: Target) -> None:
    cert = server_certificate
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    assert eku is not None and x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in eku, \
        f"usage étendu serverAuth absent / serverAuth extended key usage missing: {[o._name for o in eku] if eku else 'no EKU'}"
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    assert ku.digital_signature or ku.key_encipherment, "usage de clé sans digitalSignature / key usage without digitalSignature"


@pytest.mark.requirement("SEC-PKI-07")
def test_certificate_key_and_signature_strength(server_certificate: x509.Certificate, security: dict,
                                                tls_endpoint: Endpoint, enrs_target: Target) -> None:
    cert = server_certificate
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        assert key.key_size >= security["minimum_rsa_bits"], f"clé RSA de {key.key_size} bits / {key.key_size}-bit RSA key"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        assert key.curve.key_size >= security["minimum_ec_bits"], f"clé EC de {key.curve.key_size} bits / {key.curve.key_size}-bit EC key"
    algorithm = cert.signature_hash_algorithm
    assert algorithm is not None and algorithm.name in security["allowed_signature_hashes"], \
        f"signature {algorithm.name if algorithm else '?'} hors profil / signature outside the profile"


@pytest.mark.requirement("SEC-PKI-08")
def test_certificate_lifespan_within_profile(server_certificate: x509.Certificate, security: dict,
                                             tls_endpoint: Endpoint, enrs_target: Target) -> None:
    cert = server_certificate
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    limit = security["maximum_certificate_lifespan_days"]
    assert days <= limit, f"durée de vie {days} jours > {limit} / lifespan {days} days > {limit}"
