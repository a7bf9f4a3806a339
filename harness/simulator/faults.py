"""Fault modes of the reference simulator: each one makes the failing path of requirements real."""

from __future__ import annotations

from harness.core.errors import HarnessError

# name: (scope, what it does (en), what it breaks)
FAULTS: dict[str, tuple[str, str, str]] = {
    # TLS, on every TLS endpoint
    "old-tls": ("tls", "accepts TLS 1.0 and 1.1 (with CBC-SHA1 suites)", "SEC-TLS-02"),
    "tls13-only": ("tls", "refuses TLS 1.2", "SEC-TLS-03"),
    "no-tls13": ("tls", "refuses TLS 1.3", "SEC-TLS-04"),
    "weak-ciphers": ("tls", "accepts a NULL cipher suite and CBC suites on TLS 1.2", "SEC-TLS-05, SEC-TLS-05B"),
    "weak-curve": ("tls", "keeps OpenSSL's default groups, which add X448 and P-521 to the profile's", "SEC-TLS-10"),
    "unknown-ca-server-cert": ("tls", "presents a server certificate from an unknown CA", "SEC-PKI-01"),
    "no-chain": ("tls", "sends the server leaf without its intermediate CA", "SEC-PKI-03"),
    "hostname-mismatch": ("tls", "presents a certificate for another host name", "SEC-PKI-03"),
    "expired-server-cert": ("tls", "presents an expired server certificate", "SEC-PKI-04"),
    "wrong-eku-server-cert": ("tls", "presents a server certificate whose EKU is clientAuth only", "SEC-PKI-05"),
    "weak-key-server-cert": ("tls", "presents a server certificate with an RSA-1024 key", "SEC-PKI-07"),
    "long-lived-server-cert": ("tls", "presents a server certificate valid 10 years", "SEC-PKI-08"),
    # mutual TLS
    "no-client-auth": ("tls", "never asks for a client certificate (accepts every client)", "SEC-MTLS-01, SEC-MTLS-02"),
    "client-cert-optional": ("tls", "asks for a client certificate but accepts a client without one", "SEC-MTLS-01"),
    "accept-revoked": ("tls", "does not check the CRL of client certificates", "SEC-MTLS-02"),
    "accept-expired": ("tls", "does not check the validity dates of client certificates", "SEC-MTLS-02"),
    "accept-unknown-ca": ("tls", "also trusts an unknown CA for client certificates (and checks no CRL)", "SEC-MTLS-02"),
    "distrust-client-ca": ("tls", "trusts only another CA: refuses the good client certificate", "SEC-MTLS-02"),
    # HTTP
    "http10": ("http", "answers in HTTP/1.0", "SEC-TLS-11"),
    "no-security-headers": ("http", "sends no HSTS, nosniff, CSP, Referrer-Policy, Cache-Control nor charset",
                            "SEC-HTTP-01, 02, 03, 04, 09"),
    "verbose-errors": ("http", "shows stack traces in errors and its version in Server / X-Powered-By", "SEC-INPUT-04, SEC-HTTP-06"),
    "allow-trace": ("http", "answers TRACE by echoing the request, and any method", "SEC-HTTP-07"),
    "cors-reflect": ("http", "reflects any Origin with credentials allowed", "SEC-HTTP-08"),
    "catch-all": ("http",
                  "answers every other GET path, a random one included, with one app page (a fresh nonce each time): exposes nothing",
                  "(none)"),
    "http-cert-error": ("http", "answers HTTP 400 'SSL certificate error' to every request, the valid client's included",
                        "SEC-MTLS-02 (HTTP checks ABORTED)"),
    "exposed-debug": ("http", "serves /.git/HEAD and /actuator", "SEC-HTTP-10"),
    "no-size-limit": ("http", "accepts request bodies of any size", "SEC-INPUT-07"),
    "smuggling": ("http", "accepts Content-Length with Transfer-Encoding, and conflicting Content-Length", "SEC-INPUT-08"),
    # MLLP
    "ack-wrong-control-id": ("mllp", "ACKs with an MSA-2 that is not the message's MSH-10", "CISIS-MLLP-01"),
    "ack-aa-invalid": ("mllp", "answers AA to an invalid message", "CISIS-MLLP-02"),
    "no-ack": ("mllp", "reads messages and never answers (hang)", "CISIS-MLLP-01"),
    "reset": ("mllp", "resets the connection when a message arrives", "CISIS-MLLP-01"),
    "fragile": ("mllp", "stops listening after a malformed frame (garbage, truncated, oversized)", "CISIS-MLLP-03"),
    "serial": ("mllp", "serves one connection at a time, until the client closes it", "CISIS-MLLP-04"),
    # XDS.b registry/repository (under /xds/ of the HTTPS endpoint)
    "xds-accept-bad-metadata": ("xds", "registers submissions missing required metadata", "XDSB-ACT-06"),
    "xds-success-on-failure": ("xds", "answers Success (with its error list) to submissions it refuses", "XDSB-ACT-05"),
    "xds-wrong-hash-on-retrieve": ("xds", "returns altered bytes on retrieve (hash and size differ)", "XDSB-ACT-02"),
    "xds-no-rplc-deprecation": ("xds", "leaves the replaced entry Approved after an RPLC", "XDSB-ACT-03"),
    "xds-accept-unsigned-vihf": ("xds", "does not verify the VIHF (accepts unsigned, expired or untrusted ones)", "XDSB-ACT-10"),
    # SMTP (the MSSanté operator, harness.simulator.smtp_endpoint)
    "no-starttls": ("smtp", "does not offer STARTTLS (and so takes no message: MAIL stays refused)", "MSS-SMTP-01, MSS-SMTP-08"),
    "plaintext": ("smtp", "accepts MAIL before STARTTLS (mail in clear text)", "MSS-SMTP-02"),
    "cleartext-auth": ("smtp", "announces AUTH PLAIN/LOGIN before STARTTLS and takes any credentials in clear text", "MSS-SMTP-03"),
    "open-relay": ("smtp", "relays to any domain, outside the MSSanté trust space included", "MSS-SMTP-04"),
    "any-sender": ("smtp", "accepts any sender address, unknown mailboxes included", "MSS-SMTP-05"),
    "accepts-oversized": ("smtp", "announces SIZE 1 MiB but accepts messages up to 16 MiB (a zip bomb attachment included)",
                          "MSS-SMTP-06"),
    "strip-x-mss": ("smtp", "delivers messages without their X-MSS-* headers", "MSS-SMTP-07"),
    "defer-all": ("smtp", "answers 451 to every message (the valid submission included)", "MSS-SMTP-08 (others ABORTED)"),
    # HTTP and MLLP
    "slow": ("any", "answers after a delay longer than the client's timeout", "CISIS-MLLP-01, SEC-HTTP-01…"),
}


def parse_faults(text: str | list[str] | None) -> frozenset[str]:
    """Fault names from 'a,b' (or a list); unknown names are a usage error."""
    if not text:
        return frozenset()
    items = text if isinstance(text, list) else [text]
    names = {n.strip() for item in items for n in item.split(",") if n.strip()}
    unknown = sorted(names - FAULTS.keys())
    if unknown:
        known = ", ".join(sorted(FAULTS))
        raise HarnessError(f"mode de panne inconnu : {', '.join(unknown)} (connus : {known})",
                           f"unknown fault mode: {', '.join(unknown)} (known: {known})")
    return frozenset(names)
