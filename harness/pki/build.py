"""Builds the test PKI folder and its manifest (see docs/security.md, "Test PKI")."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness.core.errors import HarnessError
from harness.core.fileio import atomic_write_bytes, atomic_write_text, sha256_hex
from harness.pki.crl import CRL_DAYS, issue_crls

MANIFEST = "manifest.json"
PRIVATE = "private"  # the CA keys, apart from what a server or a client is given
SCHEMA = "enrs-harness/pki/1"
ORGANISATION = "ENRS-HARNESS"
TEST_OU = "IGC-SANTE TEST (SIMULATION ENRS-HARNESS)"
LEAF_DAYS = 1095  # IGC-Santé leaves live 3 years
LONG_LIVED_DAYS = 3650
CA_AGE_DAYS = 730  # the CAs predate every leaf, the expired ones included, as real CAs do
# The defects of the bad certificates, per role; "good" has none.
SERVER_DEFECTS = ("expired", "not-yet-valid", "wrong-eku", "unknown-ca", "revoked", "hostname-mismatch", "long-lived", "weak-key")
CLIENT_DEFECTS = ("expired", "not-yet-valid", "wrong-eku", "unknown-ca", "revoked")
# The organisation seal ("certificat de cachet") that signs VIHF assertions: same DN as the good client
# certificate, as the DMP requires of the TLS client and VIHF signing certificates (SEC-MTLS-05).
SEAL_DEFECTS = ("expired", "unknown-ca")

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, ou: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


@dataclass
class _Ca:
    cert: x509.Certificate
    key: Key


def _ca(cn: str, now: dt.datetime, parent: _Ca | None, path_length: int | None) -> _Ca:
    key = _key()
    subject = _name(cn, TEST_OU)
    issuer_name = parent.cert.subject if parent else subject
    signer = parent.key if parent else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=CA_AGE_DAYS)).not_valid_after(now + dt.timedelta(days=3650 if parent else 7300))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if parent:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()), critical=False)
    return _Ca(builder.sign(signer, hashes.SHA256()), key)


def _leaf(issuer: _Ca, role: str, defect: str | None, now: dt.datetime, hosts: list[str], leaf_days: int) -> tuple[x509.Certificate, Key]:
    key: Key = rsa.generate_private_key(65537, 1024) if defect == "weak-key" else _key()
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=leaf_days)
    if defect == "expired":
        start, end = now - dt.timedelta(days=400), now - dt.timedelta(days=30)
    elif defect == "not-yet-valid":
        start, end = now + dt.timedelta(days=30), now + dt.timedelta(days=400)
    elif defect == "long-lived":
        end = start + dt.timedelta(days=LONG_LIVED_DAYS)
    signing = role == "seal"
    if role == "server":
        names = ["wrong.invalid"] if defect == "hostname-mismatch" else hosts
        subject = _name(names[0], "10B0000001")
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if defect == "wrong-eku" else ExtendedKeyUsageOID.SERVER_AUTH
    elif signing:
        subject = _name("ENRS-HARNESS CLIENT", "10B0000002")
        usage = ExtendedKeyUsageOID.CLIENT_AUTH  # IGC-Santé ORG certificates: one EKU for authentication and seal
    else:
        subject = _name("ENRS-HARNESS CLIENT" if defect is None else f"ENRS-HARNESS CLIENT {defect.upper()}", "10B0000002")
        usage = ExtendedKeyUsageOID.SERVER_AUTH if defect == "wrong-eku" else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer.cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, signing, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    if role == "server":  # organisation client certificates carry no SAN, as IGC-Santé ones
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(h) for h in names]), critical=False)
    return builder.sign(issuer.key, hashes.SHA256()), key


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _write_key(path: Path, data: bytes, durable: bool) -> None:
    atomic_write_bytes(path, data, durable)
    os.chmod(path, 0o600)


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """The facts of a certificate the manifest records."""
    def ext(oid: x509.ObjectIdentifier) -> Any:
        try:
            return cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            return None

    eku = ext(x509.oid.ExtensionOID.EXTENDED_KEY_USAGE)
    san = ext(x509.oid.ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "extended_key_usage": [o._name for o in eku] if eku else [],
        "subject_alt_names": [str(v.value) for v in san] if san else [],
        "sha256": sha256_hex(cert.public_bytes(serialization.Encoding.DER)),
    }


@dataclass
class PkiManifest:
    """A built test PKI: its folder and manifest."""

    directory: Path
    data: dict[str, Any]

    def path(self, relative: str) -> Path:
        return self.directory / relative

    @property
    def trust_anchor(self) -> Path:
        return self.path(self.data["trust_anchor"])

    @property
    def crl(self) -> Path:
        """The organisations CA's CRL (the leaves' issuer)."""
        return self.path(self.data["crl"])

    @property
    def crl_chain(self) -> Path:
        """Every trusted CA's CRL in one file (nginx `ssl_crl`, OpenSSL CRL_CHECK_ALL)."""
        return self.path(self.data["crl_chain"])

    def entry(self, role: str, defect: str | None = None) -> dict[str, Any]:
        entries: list[dict[str, Any]] = self.data["certificates"]
        for entry in entries:
            if entry["role"] == role and entry["defect"] == defect:
                return entry
        raise KeyError(f"{role}/{defect or 'good'}")

    def cert_key(self, role: str, defect: str | None = None) -> tuple[Path, Path]:
        """The chain file (leaf + intermediate) and key file of one leaf."""
        entry = self.entry(role, defect)
        return self.path(entry["cert"]), self.path(entry["key"])


def build_pki(directory: Path, hosts: list[str] | None = None, leaf_days: int = LEAF_DAYS, force: bool = False,
              durable: bool = True) -> PkiManifest:
    """Create the test PKI in `directory` and return its manifest; `durable`: each file on the disk (fsync) before it
    is in place, which a throwaway PKI does not need (harness.core.fileio.atomic_write_bytes)."""
    directory = Path(directory)
    hosts = hosts or ["localhost", "127.0.0.1"]
    if (directory / MANIFEST).exists() and not force:
        raise HarnessError(f"{directory} contient déjà une PKI de test (--force pour la remplacer)",
                           f"{directory} already holds a test PKI (--force to replace it)")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root = _ca("TEST AC RACINE ENRS-HARNESS", now, None, None)
    organisations = _ca("TEST AC ENRS-HARNESS ORGANISATIONS", now, root, 0)
    rogue = _ca("AC INCONNUE ENRS-HARNESS", now, None, 0)
    atomic_write_bytes(directory / "ca/root.pem", _pem(root.cert), durable)
    atomic_write_bytes(directory / "ca/organisations.pem", _pem(organisations.cert), durable)
    atomic_write_bytes(directory / "rogue/root.pem", _pem(rogue.cert), durable)
    authorities: dict[str, dict[str, Any]] = {}
    for name, ca, cert_file in (("root", root, "ca/root.pem"), ("organisations", organisations, "ca/organisations.pem"),
                                ("unknown", rogue, "rogue/root.pem")):
        _write_key(directory / PRIVATE / f"{name}.key", _key_pem(ca.key), durable)  # kept apart: `pki crl` signs with them
        authorities[name] = {**describe(ca.cert), "cert": cert_file, "key": f"{PRIVATE}/{name}.key", "issued_serials": []}
    os.chmod(directory / PRIVATE, 0o700)
    entries: list[dict[str, Any]] = []
    revoked: list[x509.Certificate] = []
    for role, defects in (("server", SERVER_DEFECTS), ("client", CLIENT_DEFECTS), ("seal", SEAL_DEFECTS)):
        for defect in (None, *defects):
            issuer, issuer_name = (rogue, "unknown") if defect == "unknown-ca" else (organisations, "organisations")
            cert, key = _leaf(issuer, role, defect, now, hosts, leaf_days)
            name = f"{role}/{defect or 'good'}"
            atomic_write_bytes(directory / f"{name}.pem", _pem(cert) + _pem(issuer.cert), durable)
            _write_key(directory / f"{name}.key", _key_pem(key), durable)
            authorities[issuer_name]["issued_serials"].append(format(cert.serial_number, "x"))
            if defect == "revoked":
                revoked.append(cert)
            entries.append({"name": name, "role": role, "defect": defect, "cert": f"{name}.pem", "key": f"{name}.key", **describe(cert)})
    authorities["root"]["issued_serials"].append(format(organisations.cert.serial_number, "x"))
    data = {
        "schema": SCHEMA,
        "created": now.isoformat(),
        "keys": "ECDSA P-256, SHA-256 (weak-key: RSA-1024)",
        "leaf_days": leaf_days,
        "hosts": hosts,
        "trust_anchor": "ca/root.pem",
        "intermediate": "ca/organisations.pem",
        "unknown_ca": "rogue/root.pem",
        "authorities": authorities,
        "revoked_serials": [format(c.serial_number, "x") for c in revoked],
        "certificates": entries,
    }
    issue_crls(directory, data, now, durable=durable)
    atomic_write_text(directory / MANIFEST, json.dumps(data, indent=2, ensure_ascii=False) + "\n", durable)
    return PkiManifest(directory, data)


def load_manifest(directory_or_file: Path) -> PkiManifest:
    """Read the manifest of a test PKI folder (or of the manifest file itself)."""
    path = Path(directory_or_file)
    path = path / MANIFEST if path.is_dir() else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"manifeste de PKI illisible : {path} ({exc})", f"unreadable PKI manifest: {path} ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise HarnessError(f"{path} n'est pas un manifeste de PKI de test enrs-harness", f"{path} is not an enrs-harness test PKI manifest")
    return PkiManifest(path.parent, data)


def renew_crls(directory_or_file: Path, days: float = CRL_DAYS, now: dt.datetime | None = None) -> PkiManifest:
    """Re-issue every CA's CRL of an existing test PKI (`enrs-harness pki crl DIR`) and update its manifest."""
    manifest = load_manifest(directory_or_file)
    if "crls" not in manifest.data:
        raise HarnessError(f"{manifest.directory} : PKI construite avant les CRL renouvelables, à recréer (pki init --force)",
                           f"{manifest.directory}: a test PKI built before renewable CRLs; rebuild it (pki init --force)")
    issue_crls(manifest.directory, manifest.data, now, days)
    atomic_write_text(manifest.directory / MANIFEST, json.dumps(manifest.data, indent=2, ensure_ascii=False) + "\n")
    return manifest
