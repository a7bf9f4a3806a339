"""Checks of `certificate verify` a forger would try to slip past: the issuer's keyUsage and the
canonical form (RFC 8785) of the signed payload. Each is shown both ways on one signed page,
re-signed by an issuer made for the test and trusted directly.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from harness.certificate_verify import verify_certificate
from harness.signing import (EMPTY_SIGNATURE_ELEMENT, PAGE_DIGEST_HEADER, SIGNATURE_ELEMENT, Signer, b64url, b64url_decode,
                             canonical_json, keygen, page_digest, sign_page)

from .conftest import run_trust_suite

SUITE = """
import pytest

@pytest.mark.requirement("TRUST-MUST-1", "TRUST-MUST-2", "TRUST-SHOULD-1")
def test_all(enrs):
    enrs.artefact("doc-1.xml", b"<doc/>")
"""
USAGES = dict(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)


@pytest.fixture
def unsigned(pytester: pytest.Pytester, trust_packs: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A certificate page of a signed run with its signature emptied, and the payload it signed."""
    keygen(tmp_path / "issuer", "ARS Exemple — tests", key_type="ec")
    results = run_trust_suite(pytester, trust_packs, SUITE, "--enrs-sign-with", str(tmp_path / "issuer"), "--enrs-lang", "en")
    assert results["summary"]["certificate_issued"] is True
    page = (pytester.path / "run" / "certificate.html").read_text(encoding="utf-8")
    payload = json.loads(b64url_decode(SIGNATURE_ELEMENT.search(page).group(1).split(".")[1]))  # type: ignore[union-attr]
    return SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, page), payload


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


def _sign_raw(page: str, payload_bytes: bytes, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> str:
    """A page signed over exactly `payload_bytes` (which may be any JSON text), ES256."""
    import base64

    from cryptography.hazmat.primitives import serialization

    header = {"alg": "ES256", "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")],
              PAGE_DIGEST_HEADER: page_digest(page)}
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
