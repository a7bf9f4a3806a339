"""`enrs-harness simulate [--faults NAME,…]`: run the reference ENRS simulator on loopback until interrupted."""

from __future__ import annotations

import argparse
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from harness.core.fileio import atomic_write_text
from harness.pki import build_pki, load_manifest
from harness.simulator import FAULTS, Simulator, parse_faults


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("simulate", help="run the reference ENRS simulator (MLLP, MLLP/TLS, HTTPS with mutual TLS) on loopback")
    parser.add_argument("--faults", action="append", default=[], metavar="NAME,…", help="fault modes to switch on (see --list-faults)")
    parser.add_argument("--list-faults", action="store_true", help="list the fault modes and exit")
    parser.add_argument("--pki", type=Path, metavar="DIR", help="test PKI folder to use (built there when empty; default: a temporary one)")
    parser.add_argument("--target-file", type=Path, default=Path("enrs-simulator.toml"), metavar="FILE",
                        help="where to write the target file of the simulator (default: ./enrs-simulator.toml)")
    parser.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many seconds (default: until Ctrl-C)")
    parser.add_argument("--lang", choices=("fr", "en"))
    parser.set_defaults(handler=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    if args.list_faults:
        for name, (scope, what, breaks) in FAULTS.items():
            print(f"{name:<24} [{scope}] {what} → {breaks}")
        return 0
    faults = parse_faults(args.faults)
    owned = None
    if args.pki and (args.pki / "manifest.json").exists():
        pki = load_manifest(args.pki)
    else:
        directory = args.pki or Path(tempfile.mkdtemp(prefix="enrs-pki-"))
        owned = None if args.pki else directory
        pki = build_pki(directory)
    simulator = Simulator(pki, faults, owned_dir=owned).start()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        atomic_write_text(args.target_file, simulator.target_toml())
        from harness.core.i18n import default_lang

        fr = default_lang() == "fr"
        state = (f"{'pannes' if fr else 'faults'}: {', '.join(sorted(faults))}" if faults else ("conforme" if fr else "conforming"))
        print(f"enrs-harness simulate — {state}")
        for endpoint in simulator.endpoints():
            print(f"  {endpoint.name:<9} {endpoint.url}")
        https = next(e for e in simulator.endpoints() if e.name == "https")
        print(f"  {'xds':<9} https://{https.host}:{https.port}{simulator.xds_table()['path']} (ITI-41/18/43/57)")
        print(f"  {'IGC de test' if fr else 'test PKI'}: {pki.directory}\n  {'fichier cible' if fr else 'target file'}: {args.target_file}")
        print("  Ctrl-C pour arrêter" if fr else "  Ctrl-C to stop", flush=True)
        stop.wait(args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        simulator.stop()
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
    return 0
