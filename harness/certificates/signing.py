"""Signatures of certificates: JWS (RFC 7515) over RFC 8785 canonical JSON, issuer keys.

A signed certificate.html carries one compact JWS in `<script type="application/jose"
id="enrs-signature">`. Its payload is the canonical JSON (RFC 8785, JCS) of
`certificate_payload(results)`; its protected header carries the algorithm, the issuer's
certificate chain (`x5c`, RFC 7515 §4.1.6) and the SHA-256 of the page with the signature element
emptied, so that any change to the visible page is detected too. Anyone can check it with a JOSE
library or with openssl (docs/certificates.md); nothing of enrs-harness is needed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

from harness.core.errors import HarnessError
from harness.core.fileio import atomic_write_bytes, read_bounded

ISSUER_KEY = "issuer-key.pem"
ISSUER_CERT = "issuer-cert.pem"
ISSUER_CHAIN = "chain.pem"  # optional: intermediate CA certificates of a user's own PKI
KEY_PASSWORD_ENV = "ENRS_SIGNING_KEY_PASSWORD"
PAGE_DIGEST_HEADER = "urn:enrs-harness:page-sha256"  # private header parameter (RFC 7515 §4.3)
SIGNATURE_TYPE = "application/jose"
EMPTY_SIGNATURE_ELEMENT = f'<script type="{SIGNATURE_TYPE}" id="enrs-signature"></script>'
SIGNATURE_ELEMENT = re.compile(r'<script type="application/jose" id="enrs-signature">([A-Za-z0-9_.-]*)</script>')
ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
_MAX_PEM_BYTES = 1024 * 1024


# -- RFC 8785 JSON canonicalisation and base64url ------------------------------------------------
def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical form: sorted keys (by UTF-16 code units), no spaces, UTF-8.

    Certificate payloads hold no floating-point numbers; they are refused rather than risk a
    serialisation that differs from ECMAScript's.
    """
    return _jcs(value).encode("utf-8")


def _jcs(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError("integer outside the I-JSON range")
        return str(value)
    if isinstance(value, float):
        raise ValueError("floating-point numbers are not used in signed payloads")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # same escapes as ECMAScript: \" \\ \b \f \n \r \t \u00xx
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("object keys must be strings")
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs(k)}:{_jcs(value[k])}" for k in keys) + "}"
    raise ValueError(f"cannot canonicalise {type(value).__name__}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def page_digest(page: str) -> str:
    """SHA-256 of the page with its signature element emptied (what the header's digest covers)."""
    return hashlib.sha256(SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, page, count=1).encode("utf-8")).hexdigest()


def certificate_fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


# -- algorithms --------------------------------------------------------------------------------
def algorithm_for(key: Any) -> str:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RS256"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if isinstance(key.curve, ec.SECP256R1):
            return "ES256"
        if isinstance(key.curve, ec.SECP384R1):
            return "ES384"
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "EdDSA"
    raise HarnessError("type de clé non pris en charge (RSA, EC P-256/P-384 ou Ed25519)",
                       "unsupported key type (RSA, EC P-256/P-384 or Ed25519)")


def _sign(key: Any, alg: str, data: bytes) -> bytes:
    signature: bytes
    if alg == "RS256":
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return signature
    if alg in ("ES256", "ES384"):
        size = 32 if alg == "ES256" else 48
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256() if alg == "ES256" else hashes.SHA384())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # JWS: raw R || S (RFC 7518 §3.4)
    signature = key.sign(data)  # EdDSA
    return signature


def verify_signature(public_key: Any, alg: str, data: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid JWS signature of `data` with `alg` by `public_key`."""
    try:
        if alg != algorithm_for(public_key) and not (alg == "PS256" and isinstance(public_key, rsa.RSAPublicKey)):
            return False
        if alg == "RS256":
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":
            public_key.verify(signature, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        elif alg in ("ES256", "ES384"):
            size = 32 if alg == "ES256" else 48
            if len(signature) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256() if alg == "ES256" else hashes.SHA384()))
        else:
            public_key.verify(signature, data)
    except (InvalidSignature, HarnessError, ValueError):
        return False
    return True


# -- the issuer ---------------------------------------------------------------------------------
def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM (or DER) file."""
    data = read_bounded(Path(path), _MAX_PEM_BYTES)
    try:
        certs = x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise HarnessError(f"{path} : certificat illisible ({exc})", f"{path}: unreadable certificate ({exc})") from exc
    return certs


@dataclass(frozen=True)
class Signer:
    """An issuer: its private key and its certificate (then its intermediate CAs, if any)."""

    key: Any
    chain: tuple[x509.Certificate, ...]

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def alg(self) -> str:
        return algorithm_for(self.key)

    @classmethod
    def load(cls, directory: Path) -> Signer:
        """The issuer of DIR: issuer-key.pem, issuer-cert.pem and optionally chain.pem.

        An encrypted key is opened with the password in $ENRS_SIGNING_KEY_PASSWORD.
        """
        directory = Path(directory)
        key_path, cert_path = directory / ISSUER_KEY, directory / ISSUER_CERT
        for path in (key_path, cert_path):
            if not path.is_file():
                raise HarnessError(f"émetteur {directory} : {path.name} absent (voir « certificate keygen »)",
                                   f"issuer {directory}: {path.name} missing (see 'certificate keygen')")
        password = os.environ.get(KEY_PASSWORD_ENV)
        try:
            key = serialization.load_pem_private_key(read_bounded(key_path, _MAX_PEM_BYTES), password.encode() if password else None)
        except (ValueError, TypeError) as exc:
            raise HarnessError(f"{key_path} : clé illisible ou mot de passe incorrect ({KEY_PASSWORD_ENV}) : {exc}",
                               f"{key_path}: unreadable key or wrong password ({KEY_PASSWORD_ENV}): {exc}") from exc
        chain = load_certificates(cert_path)[:1]
        if (directory / ISSUER_CHAIN).is_file():
            chain += load_certificates(directory / ISSUER_CHAIN)
        algorithm_for(key)
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(serialization.Encoding.DER,
                                         public) != chain[0].public_key().public_bytes(serialization.Encoding.DER, public):
            raise HarnessError(f"émetteur {directory} : la clé ne correspond pas au certificat",
                               f"issuer {directory}: the key does not match the certificate")
        return cls(key, tuple(chain))

    def sign(self, payload: dict[str, Any], extra_header: dict[str, Any] | None = None) -> str:
        """A compact JWS of the canonical payload, with the issuer's chain in `x5c`."""
        leaf = self.certificate.public_bytes(serialization.Encoding.DER)
        header = {
            "alg": self.alg,
            "typ": "JOSE",
            "cty": "json",
            "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in self.chain],
            "x5t#S256": b64url(hashlib.sha256(leaf).digest()),
            **(extra_header or {}),
        }
        signing_input = f"{b64url(canonical_json(header))}.{b64url(canonical_json(payload))}"
        return f"{signing_input}.{b64url(_sign(self.key, self.alg, signing_input.encode('ascii')))}"

    def describe(self) -> dict[str, str]:
        cert = self.certificate
        return {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "fingerprint": certificate_fingerprint(cert),
            "not_before": cert.not_valid_before_utc.date().isoformat(),
            "not_after": cert.not_valid_after_utc.date().isoformat(),
            "alg": self.alg,
        }


def sign_page(page: str, payload: dict[str, Any], signer: Signer) -> str:
    """Fill the empty signature element of a rendered certificate page with the JWS."""
    if page.count(EMPTY_SIGNATURE_ELEMENT) != 1:
        raise ValueError("the page must hold exactly one empty signature element")
    jws = signer.sign(payload, {PAGE_DIGEST_HEADER: page_digest(page)})
    return page.replace(EMPTY_SIGNATURE_ELEMENT, f'<script type="{SIGNATURE_TYPE}" id="enrs-signature">{jws}</script>')


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only, from its creation on."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def keygen(directory: Path, common_name: str, organisation: str | None = None, days: int = 1095,
           key_type: str = "rsa", force: bool = False) -> tuple[Path, Path]:
    """Write a new issuer key (mode 0600) and its self-signed certificate into DIR."""
    directory = Path(directory)
    key_path, cert_path = directory / ISSUER_KEY, directory / ISSUER_CERT
    if not force and (key_path.exists() or cert_path.exists()):
        raise HarnessError(f"{directory} contient déjà un émetteur (--force pour le remplacer)",
                           f"{directory} already holds an issuer (--force to replace it)")
    if not 1 <= days <= 36500:
        raise HarnessError("--days doit être entre 1 et 36500", "--days must be between 1 and 36500")
    key: Any
    if key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    elif key_type == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif key_type == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        raise HarnessError(f"type de clé inconnu : {key_type}", f"unknown key type: {key_type}")
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    name = x509.Name(attributes)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, None if key_type == "ed25519" else hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_private(key_path, key_pem)
    atomic_write_bytes(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def signature_section(signer: Signer, lang: str) -> str:
    """The visible block of a signed certificate (on its first page): who signed, how, and how to check it."""
    from harness.pages import render

    return render("signature.html.j2", info=signer.describe(), lang=lang)
