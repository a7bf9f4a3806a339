"""A test health PKI modelled on the national IGC-Santé hierarchy, built with `cryptography`.

Root "TEST AC RACINE" → "TEST AC … ORGANISATIONS" intermediate (pathlen 0) → server (serverAuth)
and client (clientAuth) leaves, a CRL per CA (and a chain file of them), the CA keys apart in
`private/`, and the bad certificates the endpoint suites need. Keys are ECDSA P-256 signed with
SHA-256 (fast to generate; IGC-Santé itself uses RSA-4096 CAs). Everything is generated locally; nothing is downloaded.
"""

from harness.pki.build import PkiManifest, build_pki, load_manifest, renew_crls
from harness.pki.crl import stale_crl_warning, with_crl_warning

__all__ = ["PkiManifest", "build_pki", "load_manifest", "renew_crls", "stale_crl_warning", "with_crl_warning"]
