"""CRLs of the test PKI: one per CA, a chain file (every trusted CA's CRL, as nginx `ssl_crl` and
OpenSSL's CRL_CHECK_ALL need), re-issued on demand from the CA keys kept in `private/`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from harness.core.errors import HarnessError
from harness.core.fileio import atomic_write_bytes

CRL_DAYS = 7  # IGC-Santé publishes its CRLs with a 7-day validity
CHAIN_CRL = "crl/chain.crl.pem"
TRUSTED = ("root", "organisations")  # the trusted hierarchy, whose CRLs make the chain file


def issue_crls(directory: Path, data: dict[str, Any], now: dt.datetime | None = None, days: float = CRL_DAYS,
               durable: bool = True) -> None:
    """Sign a fresh CRL for every CA of the manifest `data` (updated in place: files, numbers, dates); `durable`: as
    harness.core.fileio.atomic_write_bytes."""
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    revoked = set(data.get("revoked_serials", []))
    crls = data.setdefault("crls", {})
    pems: dict[str, bytes] = {}
    for name, authority in data["authorities"].items():
        cert = x509.load_pem_x509_certificate((directory / authority["cert"]).read_bytes())
        key_path = directory / authority["key"]
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise HarnessError(f"clé de l'AC {name} illisible : {key_path} ({exc})",
                               f"unreadable key of CA {name}: {key_path} ({exc})") from exc
        number = crls.get(name, {}).get("number", 0) + 1
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(cert.subject)
            .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=days))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)  # type: ignore[arg-type]  # the CA keys are EC or RSA; the stub's union also lists key types we never make
        )
        for serial in sorted(revoked & set(authority.get("issued_serials", []))):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(serial, 16)).revocation_date(now - dt.timedelta(minutes=5)).build())
        pem = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)  # type: ignore[arg-type]  # the CA keys are EC or RSA; the stub's union also lists key types we never make
        relative = f"crl/{name}.crl.pem"
        atomic_write_bytes(directory / relative, pem, durable)
        pems[name] = pem
        crls[name] = {"file": relative, "number": number, "last_update": (now - dt.timedelta(hours=1)).isoformat(),
                      "next_update": (now + dt.timedelta(days=days)).isoformat()}
    atomic_write_bytes(directory / CHAIN_CRL, b"".join(pems[name] for name in TRUSTED), durable)
    data["crl"] = crls["organisations"]["file"]
    data["crl_chain"] = CHAIN_CRL
    data["crl_next_update"] = min(crls[name]["next_update"] for name in TRUSTED)


def stale_crl_warning(data: dict[str, Any], now: dt.datetime | None = None) -> str | None:
    """A warning when the test PKI's CRLs have expired (a server checking them then refuses every
    client, the valid one included), else None."""
    next_update = data.get("crl_next_update")
    if not next_update:
        return None
    now = now or dt.datetime.now(dt.UTC)
    if dt.datetime.fromisoformat(next_update) > now:
        return None
    return (f"attention : CRL de la PKI de test expirées le {next_update[:16]} (`enrs-harness pki crl DIR` les renouvelle) / "
            f"warning: the test PKI's CRLs expired on {next_update[:16]} (`enrs-harness pki crl DIR` issues fresh ones)")


def with_crl_warning(reason: str, manifest: Any) -> str:
    """`reason`, after the warning when the lab PKI (a PkiManifest, or None) has expired CRLs: the likely
    cause of a refusal, put first so that no cut of a long reason loses it."""
    warning = stale_crl_warning(manifest.data) if manifest is not None else None
    return f"{warning} — {reason}" if warning else reason
