"""`certificate verify` validates the issuer's certification path and survives malformed signatures (issue 18 item 4)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.certificates.signing import EMPTY_SIGNATURE_ELEMENT, Signer, b64url, sign_page
from harness.certificates.verify import verify_certificate

from ..conftest import run_cli

NOW = dt.datetime.now(dt.UTC)
PAGE = f"<html lang='en'><head>{EMPTY_SIGNATURE_ELEMENT}<title>x</title></head><body></body></html>"
PEM = serialization.Encoding.PEM


def _cert(name: str, key, issuer: tuple[str, object] | None = None, ca: bool | None = None,
          days: tuple[int, int] = (-1, 30), cert_sign: bool | None = None) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (name, key)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)])).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW + dt.timedelta(days=days[0])).not_valid_after(NOW + dt.timedelta(days=days[1])))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if cert_sign is not None:
        builder = builder.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                                      data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                                                      crl_sign=cert_sign, encipher_only=False, decipher_only=False), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _signed(tmp_path: Path, key, cert: x509.Certificate, chain: list[x509.Certificate], payload: dict | None = None) -> Path:
    folder = tmp_path / "issuer"
    folder.mkdir(exist_ok=True)
    (folder / "issuer-key.pem").write_bytes(key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "issuer-cert.pem").write_bytes(cert.public_bytes(PEM))
    if chain:
        (folder / "chain.pem").write_bytes(b"".join(c.public_bytes(PEM) for c in chain))
    page = tmp_path / "certificate.html"
    body = payload if payload is not None else {"finished": NOW.isoformat().replace("+00:00", "Z"), "candidate": {"name": "x"}}
    page.write_text(sign_page(PAGE, body, Signer.load(folder)), encoding="utf-8")
    return page


def _trust_problems(page: Path, trusted: list[x509.Certificate]) -> list[str]:
    return [p.en for p in verify_certificate(page, trusted).problems if "issuer" in p.en or "chain" in p.en]


def test_a_key_certified_by_an_end_entity_is_refused(tmp_path):
    root_key, ee_key, forged_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Root", root_key, ca=True, cert_sign=True)
    end_entity = _cert("Genuine signer", ee_key, ("Root", root_key), ca=False)
    forged = _cert("Forged signer", forged_key, ("Genuine signer", ee_key), ca=False)
    page = _signed(tmp_path, forged_key, forged, [end_entity])
    problems = _trust_problems(page, [root])
    assert problems and "untrusted issuer" in problems[0], problems
    # pinned: trusting the end entity itself does not make it a certification authority
    assert any("untrusted issuer" in p for p in _trust_problems(page, [end_entity]))
    # both ways: the genuine signer under the same root is accepted
    (tmp_path / "genuine").mkdir()
    genuine = _signed(tmp_path / "genuine", ee_key, end_entity, [])
    assert _trust_problems(genuine, [root]) == []


def test_a_ca_without_keycertsign_is_refused(tmp_path):
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Root", root_key, ca=True, cert_sign=True)
    inter = _cert("Intermediate", inter_key, ("Root", root_key), ca=True, cert_sign=False)
    leaf = _cert("Signer", leaf_key, ("Intermediate", inter_key), ca=False)
    assert any("untrusted issuer" in p for p in _trust_problems(_signed(tmp_path, leaf_key, leaf, [inter]), [root]))


@pytest.mark.parametrize("expired", [True, False])
def test_a_leaf_under_an_expired_intermediate_is_refused(tmp_path, expired):
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Root", root_key, ca=True, cert_sign=True, days=(-400, 400))
    inter = _cert("Intermediate", inter_key, ("Root", root_key), ca=True, cert_sign=True, days=(-400, -10) if expired else (-400, 400))
    leaf = _cert("Signer", leaf_key, ("Intermediate", inter_key), ca=False, days=(-20, 30))
    problems = _trust_problems(_signed(tmp_path, leaf_key, leaf, [inter]), [root])
    if expired:
        assert problems and "CN=Intermediate was not valid when the certificate was signed" in problems[0], problems
    else:
        assert problems == []


def _jws(header: object, payload: object, signature: bytes = b"x") -> str:
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(signature)])


@pytest.mark.parametrize(("header", "payload", "expected"), [
    ({"alg": 5, "x5c": "abc"}, {}, "malformed signature header"),
    ({"alg": "ES256"}, {}, "malformed signature header"),
    ({"alg": "ES256", "x5c": ["!!not base64!!"]}, {}, "unreadable certificate in x5c"),
    ({"alg": "ES256", "x5c": [{"a": 1}]}, {}, "malformed signature header"),
    (["not", "an", "object"], {}, "malformed signature header"),
    ({"alg": "ES256", "x5c": ["AAAA"]}, [1, 2], "malformed signed content"),
])
def test_a_malformed_signature_is_a_clear_error_in_text_and_json(tmp_path, header, payload, expected):
    page = tmp_path / "c.html"
    page.write_text(PAGE.replace(EMPTY_SIGNATURE_ELEMENT,
                                 EMPTY_SIGNATURE_ELEMENT.replace("></script>", f">{_jws(header, payload)}</script>")),
                    encoding="utf-8")
    text = run_cli("certificate", "verify", str(page), "--lang", "en")
    assert text.returncode in (1, 2) and "Traceback" not in text.stderr and expected in text.stdout + text.stderr
    as_json = run_cli("certificate", "verify", str(page), "--lang", "en", "--format", "json")
    assert as_json.returncode in (1, 2) and "Traceback" not in as_json.stderr
    result = json.loads(as_json.stdout)
    assert result["valid"] is False and any(expected in p["en"] for p in result["problems"])


@pytest.mark.parametrize("payload", [
    {"finished": "2026-01-01T00:00:00Z", "candidate": "not a table"},
    {"finished": "2026-01-01T00:00:00Z", "requirements": [{"id": 1}]},
    {"finished": "2026-01-01T00:00:00Z", "artefacts": "x"},
    {"finished": "2026-01-01T00:00:00Z", "waivers": [{"requirement": "R"}]},
    {"finished": 12},
])
def test_a_correctly_signed_payload_of_the_wrong_shape_is_a_clear_error(tmp_path, payload):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("Signer", key, ca=False, days=(-3000, 3000))
    page = _signed(tmp_path, key, cert, [], payload)
    (tmp_path / "trust.pem").write_bytes(cert.public_bytes(PEM))
    result = run_cli("certificate", "verify", str(page), "--trust", str(tmp_path / "trust.pem"), "--lang", "en", "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert any("malformed signed content" in p["en"] for p in json.loads(result.stdout)["problems"])
