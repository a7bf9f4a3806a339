"""Checks of `certificate verify` a forger would try to slip past: the issuer's keyUsage and the
canonical form (RFC 8785) of the signed payload. Each is shown both ways on one signed page,
re-signed by an issuer made for the test and trusted directly.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from harness.certificates.signing import (
    EMPTY_SIGNATURE_ELEMENT,
    PAGE_DIGEST_HEADER,
    SIGNATURE_ELEMENT,
    Signer,
    b64url,
    b64url_decode,
    canonical_json,
    keygen,
    page_digest,
    sign_page,
)
from harness.certificates.verify import verify_certificate

from ..conftest import run_trust_suite

SUITE = """
import pytest

@pytest.mark.requirement("TRUST-MUST-1", "TRUST-MUST-2", "TRUST-SHOULD-1")
def test_all(enrs):
    enrs.artefact("doc-1.xml", b"<doc/>")
"""
USAGES = dict(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)


_UNSIGNED: list[tuple[str, dict[str, Any]]] = []  # made once per process: these tests check verification, not the run


@pytest.fixture
def unsigned(request: pytest.FixtureRequest, trust_packs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """A certificate page of a signed run with its signature emptied, and the payload it signed."""
    if not _UNSIGNED:
        pytester = request.getfixturevalue("pytester")
        issuer_dir = tmp_path_factory.mktemp("issuer")
        keygen(issuer_dir, "ARS Exemple — tests", key_type="ec")
        results = run_trust_suite(pytester, trust_packs, SUITE, "--enrs-sign-with", str(issuer_dir), "--enrs-lang", "en")
        assert results["summary"]["certificate_issued"] is True
        page = (pytester.path / "run" / "certificate.html").read_text(encoding="utf-8")
        payload = json.loads(b64url_decode(SIGNATURE_ELEMENT.search(page).group(1).split(".")[1]))
        _UNSIGNED.append((SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, page), payload))
    page, payload = _UNSIGNED[0]
    return page, json.loads(json.dumps(payload))  # a copy: tests change it


def _issuer(key: ec.EllipticCurvePrivateKey, usage: dict[str, bool] | None) -> x509.Certificate:
    """A self-signed issuer certificate, with the given keyUsage bits (None: no keyUsage extension)."""
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Issuer under test")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30)))
    if usage is not None:
        builder = builder.add_extension(x509.KeyUsage(**{**USAGES, **usage}), critical=True)
    return builder.sign(key, hashes.SHA256())


def _verify(tmp_path: Path, page: str, trusted: x509.Certificate) -> list[str]:
    path = tmp_path / "certificate.html"
    path.write_text(page, encoding="utf-8")
    result = verify_certificate(path, [trusted])
    assert result.valid is (not result.problems)
    return [p.en for p in result.problems]


@pytest.mark.parametrize(("usage", "allowed"), [
    ({"digital_signature": True}, True),
    ({"content_commitment": True}, True),  # non-repudiation
    (None, True),  # no keyUsage: no restriction (RFC 5280 §4.2.1.3)
    ({"key_cert_sign": True, "crl_sign": True}, False),  # a CA key
    ({"key_encipherment": True}, False),
])
def test_the_issuer_must_be_allowed_to_sign(unsigned: tuple[str, dict[str, Any]], tmp_path: Path,
                                            usage: dict[str, bool] | None, allowed: bool) -> None:
    page, payload = unsigned
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _issuer(key, usage)
    problems = _verify(tmp_path, sign_page(page, payload, Signer(key, (cert,))), cert)
    if allowed:
        assert problems == []
    else:
        assert problems == ["the issuer's certificate does not allow signing (keyUsage)"]


def _sign_raw(page: str, payload_bytes: bytes, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, **header_changes: Any) -> str:
    """A page signed over exactly `payload_bytes` (which may be any JSON text), ES256."""
    import base64

    from cryptography.hazmat.primitives import serialization

    header = {"alg": "ES256", "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")],
              PAGE_DIGEST_HEADER: page_digest(page), **header_changes}
    header = {name: value for name, value in header.items() if value is not None}  # None: leave the parameter out
    signing_input = f"{b64url(canonical_json(header))}.{b64url(payload_bytes)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    jws = f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    return page.replace(EMPTY_SIGNATURE_ELEMENT, f'<script type="application/jose" id="enrs-signature">{jws}</script>')


def test_a_payload_signed_in_its_canonical_form_verifies(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    page, payload = unsigned
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _issuer(key, {"digital_signature": True})
    assert _verify(tmp_path, _sign_raw(page, canonical_json(payload), key, cert), cert) == []


@pytest.mark.parametrize("form", ["indented", "unsorted keys", "escaped non-ASCII"])
def test_a_payload_signed_in_another_json_form_is_refused(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, form: str) -> None:
    """Same content, valid signature, but not the RFC 8785 bytes: two texts could then claim one certificate."""
    page, payload = unsigned
    text = {"indented": lambda: json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=1),
            "unsorted keys": lambda: json.dumps(dict(reversed(list(payload.items()))), ensure_ascii=False, separators=(",", ":")),
            "escaped non-ASCII": lambda: json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":"))}[form]()
    assert json.loads(text) == payload and text.encode("utf-8") != canonical_json(payload)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _issuer(key, {"digital_signature": True})
    assert _verify(tmp_path, _sign_raw(page, text.encode("utf-8"), key, cert), cert) == ["signed content not canonical (RFC 8785)"]


# -- the issuer: trusted directly, through a CA or an intermediate, valid when it signed ----------
def _ca(name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
        ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer[0].subject if issuer else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=2)).not_valid_after(now + dt.timedelta(days=60))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(issuer[1] if issuer else key, hashes.SHA256()))
    return cert, key


def _leaf(issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], days: tuple[int, int] = (-1, 30),
          ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Signing service")]))
            .issuer_name(issuer[0].subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=days[0])).not_valid_after(now + dt.timedelta(days=days[1]))
            .sign(issuer[1], hashes.SHA256()))
    return cert, key


def _problems(tmp_path: Path, page: str, trusted: list[x509.Certificate]) -> list[str]:
    path = tmp_path / "certificate.html"
    path.write_text(page, encoding="utf-8")
    return [p.en for p in verify_certificate(path, trusted).problems]


def test_an_issuer_signed_by_a_trusted_ca_is_trusted(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    page, payload = unsigned
    ca, other_ca = _ca("Regional CA"), _ca("Other CA")
    cert, key = _leaf(ca)
    signed = sign_page(page, payload, Signer(key, (cert,)))
    assert _problems(tmp_path, signed, [ca[0]]) == []
    assert _problems(tmp_path, signed, [other_ca[0], ca[0]]) == []
    [refused] = _problems(tmp_path, signed, [other_ca[0]])
    assert refused.startswith("untrusted issuer: CN=Signing service")
    assert _problems(tmp_path, signed, []) == ["issuer not verified: no trusted certificate given (--trust)"]


def test_an_issuer_under_an_intermediate_needs_the_intermediate_in_x5c(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    page, payload = unsigned
    root = _ca("Root CA")
    intermediate = _ca("Intermediate CA", root)
    cert, key = _leaf(intermediate)
    assert _problems(tmp_path, sign_page(page, payload, Signer(key, (cert, intermediate[0]))), [root[0]]) == []
    assert _problems(tmp_path, sign_page(page, payload, Signer(key, (cert, intermediate[0]))), [intermediate[0]]) == []
    [refused] = _problems(tmp_path, sign_page(page, payload, Signer(key, (cert,))), [root[0]])
    assert refused.startswith("untrusted issuer")
    # a chain whose second certificate did not issue the first leads nowhere
    stranger = _ca("Stranger CA", root)
    [refused] = _problems(tmp_path, sign_page(page, payload, Signer(key, (cert, stranger[0]))), [root[0]])
    assert refused.startswith("untrusted issuer")


@pytest.mark.parametrize(("days", "valid"), [((-1, 30), True), ((-30, -1), False), ((1, 30), False)])
def test_the_issuer_must_be_valid_when_the_run_finished(unsigned: tuple[str, dict[str, Any]], tmp_path: Path,
                                                       days: tuple[int, int], valid: bool) -> None:
    page, payload = unsigned
    ca = _ca("Regional CA")
    cert, key = _leaf(ca, days)
    problems = _problems(tmp_path, sign_page(page, payload, Signer(key, (cert,))), [ca[0]])
    if valid:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith("the issuer's certificate was not valid when the certificate was signed")


# -- the signature element and the JWS -----------------------------------------------------------
@pytest.fixture
def issuer() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _issuer(key, {"digital_signature": True}), key


def test_a_page_changed_after_signing_is_refused(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    signed = sign_page(page, payload, Signer(key, (cert,)))
    assert _problems(tmp_path, signed, [cert]) == []
    changed = signed.replace("</body>", "<p>ajout</p></body>")
    assert _problems(tmp_path, changed, [cert]) == ["the page was modified after signing (page digest differs)"]


def test_a_changed_payload_breaks_the_signature(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    signed = sign_page(page, payload, Signer(key, (cert,)))
    jws = SIGNATURE_ELEMENT.search(signed).group(1)
    head, body, signature = jws.split(".")
    forged_body = b64url(canonical_json({**payload, "issued": not payload["issued"]}))
    problems = _problems(tmp_path, signed.replace(jws, f"{head}.{forged_body}.{signature}"), [cert])
    assert problems == ["invalid signature: the signed content was changed or the signature is not this issuer's"]


@pytest.mark.parametrize(("change", "problem"), [
    ({"alg": "none"}, "algorithm refused: none"),
    ({"alg": "HS256"}, "algorithm refused: HS256"),
    ({"crit": [PAGE_DIGEST_HEADER]}, "unknown critical header parameters"),
    ({"x5c": []}, "malformed signature header (x5c: [] should be non-empty)"),  # the header's JSON shape is checked first
    ({"x5c": None}, "malformed signature header (/: 'x5c' is a required property)"),
    ({"x5c": ["bm90IGEgY2VydGlmaWNhdGU="]}, "unreadable certificate in x5c: "),
    ({"alg": "ES384"}, "invalid signature"),  # an alg that does not fit the key
])
def test_a_header_a_verifier_must_not_accept(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any,
                                             change: dict[str, Any], problem: str) -> None:
    page, payload = unsigned
    cert, key = issuer
    [found] = _problems(tmp_path, _sign_raw(page, canonical_json(payload), key, cert, **change), [cert])
    assert found.startswith(problem)


def test_the_page_must_hold_exactly_one_signature(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    signed = sign_page(page, payload, Signer(key, (cert,)))
    element = SIGNATURE_ELEMENT.search(signed).group(0)
    assert _problems(tmp_path, page.replace(EMPTY_SIGNATURE_ELEMENT, ""), [cert]) == ["unsigned certificate (no enrs-signature element)"]
    assert _problems(tmp_path, page, [cert]) == ["malformed signature (compact JWS expected)"]  # the element left empty
    assert _problems(tmp_path, signed.replace("</body>", element + "</body>"), [cert]) == ["several signatures in the page"]


@pytest.mark.parametrize(("jws", "problem"), [
    ("abc", "malformed signature (compact JWS expected)"),
    ("a.b", "malformed signature (compact JWS expected)"),
    ("a.b.c.d", "malformed signature (compact JWS expected)"),
    ("e30.e30.", "malformed signature header (/: 'alg' is a required property)"),  # {} . {}
    ("e30.W10.AAAA", "malformed signature header (/: 'alg' is a required property)"),  # {} . []: the header first
    (b64url(b'{"alg":"ES256","x5c":["AAAA"]}') + ".W10.AAAA", "malformed signed content (a JSON object expected)"),  # the payload is []
    ("W10.e30.AAAA", "malformed signature header (/: [] is not of type 'object')"),  # [] . {}: the header is not an object
    ("bm90IGpzb24.e30.AAAA", "unreadable signature: "),  # the header is not JSON
])
def test_a_malformed_signature_is_refused_with_a_reason(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any,
                                                        jws: str, problem: str) -> None:
    page, _ = unsigned
    cert, _ = issuer
    forged = page.replace(EMPTY_SIGNATURE_ELEMENT, f'<script type="application/jose" id="enrs-signature">{jws}</script>')
    [found] = _problems(tmp_path, forged, [cert])
    assert found == problem or (problem.endswith(": ") and found.startswith(problem)), found


# -- what a valid verification reports, and the visible page against the signed payload -----------
def test_a_valid_certificate_reports_its_payload_issuer_and_artefacts(unsigned: tuple[str, dict[str, Any]], tmp_path: Path,
                                                                      issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    path = tmp_path / "certificate.html"
    path.write_text(sign_page(page, payload, Signer(key, (cert,))), encoding="utf-8")
    document = tmp_path / "doc-1.xml"
    document.write_bytes(b"<doc/>")
    result = verify_certificate(path, [cert], [document])
    assert result.valid and result.payload == payload and result.artefacts_checked == 1
    assert result.issuer == {"subject": "CN=Issuer under test", "fingerprint": cert.fingerprint(hashes.SHA256()).hex()}
    document.write_bytes(b"<doc>changed</doc>")
    changed = verify_certificate(path, [cert], [document])
    assert [p.en.split(":")[0] for p in changed.problems] == [f"artefact {document} modified"]
    other = tmp_path / "other.xml"
    other.write_bytes(b"<other/>")
    assert verify_certificate(path, [cert], [other]).problems[0].en.endswith("not in the certificate")


def test_the_visible_page_must_say_what_the_payload_says(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    """A forger with a trusted key is not the threat here: the page's text must match its own payload."""
    page, payload = unsigned
    cert, key = issuer
    lied = {**payload, "candidate": {**payload["candidate"], "name": "DPI Concurrent"}}
    problems = _problems(tmp_path, sign_page(page, lied, Signer(key, (cert,))), [cert])
    assert "candidate: the page shows 'DPI Confiance', the signed content says 'DPI Concurrent'" in problems


def test_a_page_that_is_not_utf8_is_judged_not_raised(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    path = tmp_path / "certificate.html"
    path.write_bytes(sign_page(page, payload, Signer(key, (cert,))).encode("utf-8").replace(b"</body>", b"\xff\xfe</body>"))
    assert [p.en for p in verify_certificate(path, [cert]).problems] == ["the page was modified after signing (page digest differs)"]


def test_a_certificate_file_over_20_mib_is_refused(tmp_path: Path) -> None:
    from harness.core.errors import HarnessError

    path = tmp_path / "huge.html"
    path.write_bytes(b" " * (20 * 1024 * 1024 + 1))
    with pytest.raises(HarnessError, match="over the limit of 20971520 bytes"):
        verify_certificate(path, [])


def test_a_chain_of_two_intermediates_is_validated_as_a_path(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    """x5c after the issuer's certificate is the pool the path is built from (cryptography's x509.verification):
    its order does not matter, but every link of the path must be there."""
    page, payload = unsigned
    root = _ca("Root CA")
    upper = _ca("Upper CA", root)
    lower = _ca("Lower CA", upper)
    cert, key = _leaf(lower)
    assert _problems(tmp_path, sign_page(page, payload, Signer(key, (cert, lower[0], upper[0]))), [root[0]]) == []
    assert _problems(tmp_path, sign_page(page, payload, Signer(key, (cert, upper[0], lower[0]))), [root[0]]) == []  # out of order
    [refused] = _problems(tmp_path, sign_page(page, payload, Signer(key, (cert, lower[0]))), [root[0]])  # a link missing
    assert refused.startswith("untrusted issuer: CN=") and "no valid certification path" in refused


def _dated(page: str, payload: dict[str, Any], started: str, finished: str | None) -> tuple[str, dict[str, Any]]:
    """The page and payload of a run that started and finished at the given times (ISO, Z)."""
    page = re.sub(r'(<dd id="started">)[^<]*', lambda m: m.group(1) + started, page)
    page = re.sub(r'(<dd id="finished">)[^<]*', lambda m: m.group(1) + (finished or "—"), page)
    return page, {**payload, "started": started, "finished": finished}


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_signing_time_is_when_the_run_finished_else_when_it_started(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    page, payload = unsigned
    ca = _ca("Regional CA")
    cert, key = _leaf(ca, (-1, 30))
    now = dt.datetime.now(dt.UTC)
    later, soon = _iso(now + dt.timedelta(days=40)), _iso(now + dt.timedelta(days=1))
    for started, finished, valid in ((soon, soon, True), (soon, later, False), (later, None, False), (soon, None, True)):
        dated_page, dated_payload = _dated(page, payload, started, finished)
        problems = _problems(tmp_path, sign_page(dated_page, dated_payload, Signer(key, (cert,))), [ca[0]])
        assert (problems == []) is valid, (started, finished, problems)
        assert all(p.startswith("the issuer's certificate was not valid") for p in problems)


def test_the_issuer_validity_bounds_are_inclusive(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    page, payload = unsigned
    ca = _ca("Regional CA")
    cert, key = _leaf(ca, (-1, 30))
    for moment, valid in ((cert.not_valid_before_utc, True), (cert.not_valid_after_utc, True),
                          (cert.not_valid_before_utc - dt.timedelta(seconds=1), False),
                          (cert.not_valid_after_utc + dt.timedelta(seconds=1), False)):
        dated_page, dated_payload = _dated(page, payload, _iso(moment), _iso(moment))
        problems = _problems(tmp_path, sign_page(dated_page, dated_payload, Signer(key, (cert,))), [ca[0]])
        assert (problems == []) is valid, (moment, problems)


# -- the certification path, link by link: CA policy, validity boundaries, trust anchors, signing time
SIGNED_AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _cert(name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None, valid: tuple[dt.datetime, dt.datetime],
          ca: bool | None, usage: dict[str, bool] | None = None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate valid over `valid`; `ca` None: no basicConstraints; `usage`: the keyUsage bits set (none: no keyUsage)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer[0].subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(valid[0]).not_valid_after(valid[1]))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if usage is not None:
        bits = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
                              "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
        builder = builder.add_extension(x509.KeyUsage(**{**bits, **usage}), critical=True)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


WIDE = (SIGNED_AT - dt.timedelta(days=30), SIGNED_AT + dt.timedelta(days=300))


def _path_problems(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, leaf: tuple[x509.Certificate, Any],
                   chain: list[x509.Certificate], trusted: list[x509.Certificate], finished: str | None = None) -> list[str]:
    page, payload = _dated(*unsigned, _iso(SIGNED_AT - dt.timedelta(hours=1)), finished or _iso(SIGNED_AT))
    return _problems(tmp_path, sign_page(page, payload, Signer(leaf[1], (leaf[0], *chain))), trusted)


@pytest.mark.parametrize(("usage", "refusal"), [
    ({"key_cert_sign": True, "crl_sign": True}, None),
    ({"digital_signature": True}, "ValueError: keyUsage without keyCertSign: may not certify keys"),
])
def test_an_intermediate_with_a_key_usage_must_allow_certifying_keys(unsigned: tuple[str, dict[str, Any]], tmp_path: Path,
                                                                       usage: dict[str, bool], refusal: str | None) -> None:
    root = _cert("Root CA", None, WIDE, ca=True)
    intermediate = _cert("Intermediate CA", root, WIDE, ca=True, usage=usage)
    leaf = _cert("Signing service", intermediate, WIDE, ca=None)
    problems = _path_problems(unsigned, tmp_path, leaf, [intermediate[0]], [root[0]])
    if refusal is None:
        assert problems == []
    else:
        [problem] = problems
        assert problem.startswith("untrusted issuer: CN=Signing service") and problem.endswith(f": {refusal})")


def test_an_intermediate_that_is_no_ca_breaks_the_path_with_its_reason(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    root = _cert("Root CA", None, WIDE, ca=True)
    intermediate = _cert("Intermediate", root, WIDE, ca=False)
    leaf = _cert("Signing service", intermediate, WIDE, ca=None)
    [problem] = _path_problems(unsigned, tmp_path, leaf, [intermediate[0]], [root[0]])
    # cryptography's own CA check speaks before the policy's (_require_ca): its reason is given
    assert problem.startswith("untrusted issuer: CN=Signing service")
    assert "basicConstraints.cA must be asserted in a CA certificate" in problem


def test_trusted_certificates_that_are_no_ca_anchor_nothing(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    root = _cert("Root without basicConstraints", None, WIDE, ca=None)
    leaf = _cert("Signing service", root, WIDE, ca=None)
    [problem] = _path_problems(unsigned, tmp_path, leaf, [], [root[0]])
    assert problem.startswith("untrusted issuer: CN=Signing service") and problem.endswith(
        "(aucun certificat de confiance n'est une autorité (CA:TRUE) / no trusted certificate is a certification authority (CA:TRUE))")


@pytest.mark.parametrize(("valid", "ok"), [
    ((SIGNED_AT, SIGNED_AT + dt.timedelta(days=300)), True),  # valid from the very second it signed
    ((SIGNED_AT - dt.timedelta(days=30), SIGNED_AT), True),  # up to and including that second
    ((SIGNED_AT + dt.timedelta(seconds=1), SIGNED_AT + dt.timedelta(days=300)), False),
    ((SIGNED_AT - dt.timedelta(days=30), SIGNED_AT - dt.timedelta(seconds=1)), False),
])
def test_every_certificate_of_the_chain_is_valid_at_the_signing_time_bounds_included(
        unsigned: tuple[str, dict[str, Any]], tmp_path: Path, valid: tuple[dt.datetime, dt.datetime], ok: bool) -> None:
    root = _cert("Root CA", None, WIDE, ca=True)
    intermediate = _cert("Intermediate CA", root, valid, ca=True)
    leaf = _cert("Signing service", intermediate, WIDE, ca=None)
    problems = _path_problems(unsigned, tmp_path, leaf, [intermediate[0]], [root[0]])
    assert problems == ([] if ok else ["the chain's certificate CN=Intermediate CA was not valid when the certificate was signed "
                                       "(2026-06-01T12:00:00+00:00)"])


def test_a_signing_time_without_a_time_zone_is_a_problem(unsigned: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    root = _cert("Root CA", None, WIDE, ca=True)
    leaf = _cert("Signing service", root, WIDE, ca=None)
    assert _path_problems(unsigned, tmp_path, leaf, [], [root[0]], finished="2026-06-01T12:00:00") == [
        "signing time missing or unreadable (finished/started, with a time zone): the issuer's validity cannot be checked"]


@pytest.fixture
def far_east_local_time(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The process's local time zone at UTC+14 (the path must be validated at the UTC instant, whatever the machine's zone)."""
    import time

    monkeypatch.setenv("TZ", "Etc/GMT-14")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_path_is_validated_at_the_utc_instant_whatever_the_local_time_zone(unsigned: tuple[str, dict[str, Any]], tmp_path: Path,
                                                                                 far_east_local_time: Any) -> None:
    root = _cert("Root CA", None, WIDE, ca=True)
    leaf = _cert("Signing service", root, (SIGNED_AT - dt.timedelta(days=1), SIGNED_AT + dt.timedelta(hours=1)), ca=None)
    assert _path_problems(unsigned, tmp_path, leaf, [], [root[0]]) == []


def test_a_malformed_signed_content_says_where_in_both_languages(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    forged = {**payload, "requirements": [{"id": "R1", "level": "MUST", "verdict": 3}]}
    path = tmp_path / "certificate.html"
    path.write_text(_sign_raw(page, canonical_json(forged), key, cert), encoding="utf-8")
    problems = verify_certificate(path, [cert]).problems
    assert [(p.fr, p.en) for p in problems] == [("contenu signé mal formé(e) (requirements/0/verdict : 3 is not of type 'string')",
                                                 "malformed signed content (requirements/0/verdict: 3 is not of type 'string')")]


def test_a_malformed_header_is_said_in_french_too(unsigned: tuple[str, dict[str, Any]], tmp_path: Path, issuer: Any) -> None:
    page, payload = unsigned
    cert, key = issuer
    path = tmp_path / "certificate.html"
    path.write_text(_sign_raw(page, canonical_json(payload), key, cert, x5c=[]), encoding="utf-8")
    assert [p.fr for p in verify_certificate(path, [cert]).problems] == ["en-tête de signature mal formé(e) (x5c : [] should be non-empty)"]
