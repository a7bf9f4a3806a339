"""`enrs-harness pki init DIR`: build a test health PKI (root, organisations CA, good and bad leaves, CRLs);
`enrs-harness pki crl DIR`: re-issue its CRLs."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.core.errors import HarnessError
from harness.pki import build_pki, renew_crls
from harness.pki.crl import CRL_DAYS


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("pki", help="test health PKI for lab-mode endpoint tests")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="build a test PKI in DIR and write DIR/manifest.json")
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--host", action="append", default=[], metavar="NAME",
                      help="server host name or IP in the server certificates (repeatable; default: localhost, 127.0.0.1)")
    init.add_argument("--force", action="store_true", help="replace a test PKI already in DIR")
    init.add_argument("--lang", choices=("fr", "en"))
    init.set_defaults(handler=init_command)
    crl = actions.add_parser("crl", help="re-issue the CRL of every CA of the test PKI in DIR (with the keys in DIR/private)")
    crl.add_argument("directory", type=Path, metavar="DIR")
    crl.add_argument("--days", type=float, default=CRL_DAYS, help=f"validity of the new CRLs in days (default: {CRL_DAYS})")
    crl.add_argument("--lang", choices=("fr", "en"))
    crl.set_defaults(handler=crl_command)


def init_command(args: argparse.Namespace) -> int:
    manifest = build_pki(args.directory, hosts=args.host or None, force=args.force)
    print(f"{manifest.directory / 'manifest.json'}")
    for entry in manifest.data["certificates"]:
        print(f"  {entry['name']:<26} {entry['not_before'][:10]} → {entry['not_after'][:10]}  {entry['subject']}")
    print(f"  trust anchor: {manifest.trust_anchor}\n  CRLs: {manifest.crl_chain} (next update {manifest.data['crl_next_update']})")
    return 0


def crl_command(args: argparse.Namespace) -> int:
    if not args.days > 0:
        raise HarnessError(f"--days doit être positif : {args.days}", f"--days must be positive: {args.days}")
    manifest = renew_crls(args.directory, days=args.days)
    for crl in manifest.data["crls"].values():
        print(f"  {crl['file']:<28} n° {crl['number']}  next update {crl['next_update']}")
    print(f"  {manifest.crl_chain}")
    return 0
