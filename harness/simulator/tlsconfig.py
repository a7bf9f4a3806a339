"""Server TLS contexts of the simulator: versions, suites, curve and client-certificate checks pinned.

A default OpenSSL 3.0 server accepts CBC suites and X448/P-521 (security.md §6.4), so every
choice is explicit. Python 3.11 cannot set TLS 1.3 suites: OpenSSL's fixed defaults are checked
against the profile's list at start instead.
"""

from __future__ import annotations

import ssl
import warnings
from pathlib import Path

from harness.pki import PkiManifest

# Mozilla "intermediate" 5.7 TLS 1.2 suites for ECDSA and RSA certificates (OpenSSL names).
TLS12_CIPHERS = ":".join([
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
])
TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
CURVE = "prime256v1"  # Python 3.11 sets one group only; P-256 is in every profile's list
OLD_CBC = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"
WEAK = "ECDHE-ECDSA-NULL-SHA:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384"
X509_V_FLAG_NO_CHECK_TIME = 0x200000  # OpenSSL: do not check validity dates (fault "accept-expired")

SERVER_CERT_FAULTS = {
    "unknown-ca-server-cert": "unknown-ca", "hostname-mismatch": "hostname-mismatch", "expired-server-cert": "expired",
    "wrong-eku-server-cert": "wrong-eku", "weak-key-server-cert": "weak-key", "long-lived-server-cert": "long-lived",
}


def server_context(pki: PkiManifest, faults: frozenset[str], work_dir: Path) -> ssl.SSLContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 is deprecated: that is the fault
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1 if "old-tls" in faults else ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        if "tls13-only" in faults:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        if "no-tls13" in faults:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ciphers = TLS12_CIPHERS
    if "old-tls" in faults:
        ciphers += ":" + OLD_CBC + ":@SECLEVEL=0"
    if "weak-ciphers" in faults:
        ciphers += ":" + WEAK + ":@SECLEVEL=0"
    if "weak-key-server-cert" in faults and "@SECLEVEL=0" not in ciphers:
        ciphers += ":@SECLEVEL=0"
    ctx.set_ciphers(ciphers)
    unexpected = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.3"} - TLS13_SUITES
    if unexpected:
        raise RuntimeError(f"OpenSSL offers TLS 1.3 suites outside the profile: {sorted(unexpected)}")
    if "weak-curve" not in faults:  # the fault keeps OpenSSL's default groups (X25519, P-256, X448, P-521, P-384)
        ctx.set_ecdh_curve(CURVE)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION

    defect = next((d for f, d in SERVER_CERT_FAULTS.items() if f in faults), None)
    cert, key = pki.cert_key("server", defect)
    if "no-chain" in faults:
        leaf_only = work_dir / "server-leaf-only.pem"
        text = cert.read_text(encoding="ascii")
        leaf_only.write_text(text[: text.index("-----END CERTIFICATE-----") + 25] + "\n", encoding="ascii")
        cert = leaf_only
    ctx.load_cert_chain(cert, key)

    if "no-client-auth" in faults:
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx.verify_mode = ssl.CERT_OPTIONAL if "client-cert-optional" in faults else ssl.CERT_REQUIRED
    ctx.load_verify_locations(pki.path(pki.data["unknown_ca"]) if "distrust-client-ca" in faults else pki.trust_anchor)
    if "accept-unknown-ca" in faults:
        ctx.load_verify_locations(pki.path(pki.data["unknown_ca"]))
    if not faults & {"accept-revoked", "accept-unknown-ca", "distrust-client-ca"}:
        ctx.load_verify_locations(pki.crl_chain)  # every CA's CRL, checked along the whole chain as nginx does
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    if "accept-expired" in faults:
        ctx.verify_flags |= X509_V_FLAG_NO_CHECK_TIME
    return ctx
