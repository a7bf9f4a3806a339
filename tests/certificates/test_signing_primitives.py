"""The signing primitives a verifier outside enrs-harness relies on: RFC 8785 canonical JSON,
base64url, JWS signatures of every supported algorithm (RFC 7515/7518), the page digest."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from harness.certificates.signing import (
    EMPTY_SIGNATURE_ELEMENT,
    PAGE_DIGEST_HEADER,
    Signer,
    algorithm_for,
    b64url,
    b64url_decode,
    canonical_json,
    page_digest,
    sign_page,
    verify_signature,
)
from harness.core.errors import HarnessError

from ..conftest import _certificate


# -- RFC 8785 ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "text"), [
    (None, "null"), (True, "true"), (False, "false"), (0, "0"), (-7, "-7"), (2**53 - 1, "9007199254740991"),
    ("", '""'), ("é€😀", '"é€😀"'), ("\"\\\b\f\n\r\t\u0001\u001f", '"\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f"'), ("</script>", '"</script>"'),
    ([], "[]"), ([1, [2, {}]], "[1,[2,{}]]"), ((1, 2), "[1,2]"), ({}, "{}"),
    ({"b": 1, "a": {"d": [], "c": None}}, '{"a":{"c":null,"d":[]},"b":1}'),
    ({"\u20ac": 1, "\U0001f600": 2, "\ufb33": 3, "a": 0}, '{"a":0,"\u20ac":1,"\U0001f600":2,"\ufb33":3}'),  # UTF-16 order
])
def test_canonical_json(value: object, text: str) -> None:
    assert canonical_json(value) == text.encode("utf-8")
    assert json.loads(text) == (list(value) if isinstance(value, tuple) else value)


@pytest.mark.parametrize(("value", "reason"), [
    (1.5, "floating-point numbers are not used in signed payloads"),
    ({"a": [0.0]}, "floating-point numbers are not used in signed payloads"),
    (2**53, "integer outside the I-JSON range"),
    (-(2**53), "integer outside the I-JSON range"),
    ({1: "a"}, "object keys must be strings"),
    ({"a": {1, 2}}, "cannot canonicalise set"),
    (b"bytes", "cannot canonicalise bytes"),
])
def test_canonical_json_refuses_what_it_cannot_write_exactly(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        canonical_json(value)


# -- base64url ---------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"f", b"fo", b"foo", b"\xff\xfe\xfd\xfc", bytes(range(256))])
def test_base64url_round_trip_without_padding(data: bytes) -> None:
    text = b64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url_decode(text) == data


def test_base64url_alphabet() -> None:
    assert b64url(b"\xfb\xff") == "-_8"
    assert b64url_decode("-_8") == b"\xfb\xff"
    assert b64url(b"\x00\x00\x17") == "AAAX" and b64url(b"\x00\x05") == "AAU"  # only '=' is stripped


@pytest.mark.parametrize("text", ["a+b/", "ab=c", "abcde", "a b", "é"])
def test_base64url_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="^not base64url$"):
        b64url_decode(text)


# -- algorithms and signatures -----------------------------------------------------------------
KEYS = {
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {alg: make() for alg, make in KEYS.items()}


def test_algorithm_for_each_key_type(keys: dict[str, object]) -> None:
    for alg, key in keys.items():
        assert algorithm_for(key) == alg and algorithm_for(key.public_key()) == alg
    for unsupported in (ec.generate_private_key(ec.SECP521R1()), object()):
        with pytest.raises(HarnessError):
            algorithm_for(unsupported)


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_signatures_verify_and_any_change_breaks_them(keys: dict[str, object], alg: str) -> None:
    key = keys[alg]
    cert = _certificate("signer", None, key=key if isinstance(key, ec.EllipticCurvePrivateKey) else None)[0]
    signer = Signer(key, (cert,))
    assert signer.alg == alg
    head, body, signature = signer.sign({"verdict": "PASSED"}, {"x-test": "1"}).split(".")
    header = json.loads(b64url_decode(head))
    assert header["alg"] == alg and header["x-test"] == "1" and (header["typ"], header["cty"]) == ("JOSE", "json")
    der = cert.public_bytes(serialization.Encoding.DER)
    assert header["x5c"] == [base64.b64encode(der).decode("ascii")]
    assert header["x5t#S256"] == b64url(hashlib.sha256(der).digest())  # RFC 7515 §4.1.8
    assert b64url_decode(body) == canonical_json({"verdict": "PASSED"})
    public, data, raw = key.public_key(), f"{head}.{body}".encode(), b64url_decode(signature)
    if alg.startswith("ES"):
        assert len(raw) == (64 if alg == "ES256" else 96)  # raw R || S, not DER
    assert verify_signature(public, alg, data, raw) is True
    assert verify_signature(public, alg, data + b"x", raw) is False
    assert verify_signature(public, alg, data, raw[:-1] + bytes([raw[-1] ^ 1])) is False
    other = next(a for a in sorted(KEYS) if a != alg)
    assert verify_signature(public, other, data, raw) is False  # the header's alg must fit the key
    assert verify_signature(keys[other].public_key(), alg, data, raw) is False


def test_es256_signature_of_the_wrong_length_is_refused(keys: dict[str, object]) -> None:
    key = keys["ES256"]
    head, body, signature = Signer(key, (_certificate("s", None, key=key)[0],)).sign({}).split(".")
    raw = b64url_decode(signature)
    assert verify_signature(key.public_key(), "ES256", f"{head}.{body}".encode(), raw + b"\x00") is False


def test_ps256_is_accepted_for_rsa_keys_only(keys: dict[str, object]) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    rsa_key = keys["RS256"]
    data = b"header.payload"
    signature = rsa_key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    assert verify_signature(rsa_key.public_key(), "PS256", data, signature) is True
    assert verify_signature(rsa_key.public_key(), "RS256", data, signature) is False
    assert verify_signature(keys["ES256"].public_key(), "PS256", data, signature) is False


# -- the page ----------------------------------------------------------------------------------
PAGE = f"<html><head>{EMPTY_SIGNATURE_ELEMENT}</head><body>PASSED</body></html>"


def test_sign_page_fills_the_one_empty_element_and_the_digest_ignores_it(keys: dict[str, object]) -> None:
    key = keys["ES256"]
    signer = Signer(key, (_certificate("s", None, key=key)[0],))
    signed = sign_page(PAGE, {"a": 1}, signer)
    assert signed.startswith("<html><head><script type=\"application/jose\" id=\"enrs-signature\">ey")
    assert signed.endswith("</script></head><body>PASSED</body></html>")
    header = json.loads(b64url_decode(signed.split('id="enrs-signature">')[1].split(".")[0]))
    assert header[PAGE_DIGEST_HEADER] == page_digest(PAGE) == page_digest(signed)
    assert page_digest(signed.replace("PASSED", "FAILED")) != page_digest(PAGE)
    for bad in (PAGE.replace(EMPTY_SIGNATURE_ELEMENT, ""), PAGE + EMPTY_SIGNATURE_ELEMENT):
        with pytest.raises(ValueError, match="^the page must hold exactly one empty signature element$"):
            sign_page(bad, {"a": 1}, signer)
