"""`enrs-harness certificate keygen|verify`: issuer keys, and offline verification of signed certificates."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.core.errors import HarnessError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("certificate", help="make an issuer key; verify a signed certificate")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    keygen = actions.add_parser("keygen", help="write a new issuer key and self-signed certificate into DIR")
    keygen.add_argument("directory", type=Path, metavar="DIR")
    keygen.add_argument("--name", default="enrs-harness — émetteur de certificats de conformité", help="common name (CN) of the issuer")
    keygen.add_argument("--organisation", help="organisation (O) of the issuer")
    keygen.add_argument("--days", type=int, default=1095, help="validity of the issuer certificate in days (default 1095)")
    keygen.add_argument("--key-type", choices=("rsa", "ec", "ed25519"), default="rsa",
                        help="RSA 3072 (RS256, default), EC P-256 (ES256) or Ed25519 (EdDSA)")
    keygen.add_argument("--force", action="store_true", help="replace an existing issuer in DIR")
    keygen.add_argument("--lang", choices=("fr", "en"))
    keygen.set_defaults(handler=keygen_command)

    verify = actions.add_parser("verify", help="verify a signed certificate.html offline")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--trust", action="append", default=[], type=Path, metavar="ISSUER_CERT",
                        help="trusted issuer or CA certificate, PEM (repeatable)")
    verify.add_argument("--artefacts", nargs="+", action="extend", default=[], type=Path, metavar="PATH",
                        help="files or folders that must hash to artefacts the certificate lists")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("--lang", choices=("fr", "en"))
    verify.set_defaults(handler=verify_command)


def keygen_command(args: argparse.Namespace) -> int:
    from harness.certificates.signing import Signer, keygen
    from harness.core.i18n import default_lang

    lang = args.lang or default_lang()
    key_path, cert_path = keygen(args.directory, args.name, args.organisation, args.days, args.key_type, args.force)
    info = Signer.load(args.directory).describe()
    fr = lang == "fr"
    print(f"{'Clé privée (à protéger)' if fr else 'Private key (keep it safe)'}: {key_path}")
    print(f"{'Certificat à diffuser' if fr else 'Certificate to publish'}: {cert_path}")
    print(f"{'Empreinte SHA-256' if fr else 'SHA-256 fingerprint'}: {info['fingerprint']}")
    print(f"{'Algorithme' if fr else 'Algorithm'}: {info['alg']}")
    return 0


def verify_command(args: argparse.Namespace) -> int:
    from harness.certificates.verify import load_trusted, verify_certificate
    from harness.core.i18n import default_lang

    lang = args.lang or default_lang()
    if not args.file.is_file():
        raise HarnessError(f"introuvable : {args.file}", f"not found: {args.file}")
    for path in args.artefacts:
        if not path.exists():
            raise HarnessError(f"introuvable : {path}", f"not found: {path}")
    result = verify_certificate(args.file, load_trusted(args.trust), args.artefacts)
    fr = lang == "fr"
    if args.format == "json":
        print(json.dumps({
            "valid": result.valid,
            "problems": [{"fr": p.fr, "en": p.en} for p in result.problems],
            "issuer": result.issuer,
            "certificate": result.payload,
            "artefacts_checked": result.artefacts_checked,
        }, ensure_ascii=False, indent=2))
        return 0 if result.valid else 1
    payload = result.payload or {}
    if payload:
        candidate = payload.get("candidate", {})
        print(f"{'Certificat' if fr else 'Certificate'} {payload.get('certificate_id')} — {candidate.get('name')} "
              f"({candidate.get('vendor')} {candidate.get('version')}), {payload.get('finished')}")
    if result.issuer:
        print(f"{'Émetteur' if fr else 'Issuer'}: {result.issuer['subject']} (SHA-256 {result.issuer['fingerprint']})")
    if result.artefacts_checked:
        print(f"{'Artefacts vérifiés' if fr else 'Artefacts checked'}: {result.artefacts_checked}")
    if result.valid:
        print("VALIDE" if fr else "VALID")
        return 0
    print(("NON VALIDE" if fr else "NOT VALID"), file=sys.stdout)
    for problem in result.problems:
        print(f"  - {problem.message(lang)}")
    return 1
