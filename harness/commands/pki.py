"""`enrs-harness pki init DIR`: build a test health PKI (root, organisations CA, good and bad leaves, CRL)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.pki import build_pki


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


def init_command(args: argparse.Namespace) -> int:
    manifest = build_pki(args.directory, hosts=args.host or None, force=args.force)
    print(f"{manifest.directory / 'manifest.json'}")
    for entry in manifest.data["certificates"]:
        print(f"  {entry['name']:<26} {entry['not_before'][:10]} → {entry['not_after'][:10]}  {entry['subject']}")
    print(f"  trust anchor: {manifest.trust_anchor}\n  CRL: {manifest.crl}")
    return 0
