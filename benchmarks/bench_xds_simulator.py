"""The reference XDS.b registry/repository over mutual TLS: one registry round trip (publish, find by patient, get by
UUID, retrieve, replace, mask, archive, delete) and N concurrent submissions. Run by hand:

    PYTHONPATH=. python benchmarks/bench_xds_simulator.py [--rounds 20] [--concurrent 50]

Each request is a fresh TLS connection (as the harness's client does) carrying a freshly signed VIHF.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.net.xds import XdsClient, XdsSettings
from harness.pki import build_pki
from harness.simulator import Simulator
from harness.vihf import build as vb
from harness.xds import messages as m

PATIENT = m.xds_patient_id(vb.VihfClaims().patient_ins)


def client_for(simulator: Simulator) -> XdsClient:
    target = simulator.target()
    endpoint = next(e for e in target.endpoints if e.name == "https")
    table = simulator.xds_table()
    return XdsClient(XdsSettings(table["role"], endpoint, table["path"], table["repository_unique_id"], PATIENT,
                                 simulator.pki.cert_key("seal"), simulator.pki.trust_anchor), target)


def round_trip(client: XdsClient) -> int:
    """The eight transactions of the embedded default's registry round trip (plus the reads that check them)."""
    doc = client.new_document()
    client.publish(doc)
    client.find(PATIENT)
    client.get(doc.entry_id)
    client.send(m.ITI43, m.retrieve(client.settings.repository_id, doc.unique_id))
    new = client.new_document()
    client.publish(new, replaces=doc.entry_id)
    client.send(m.ITI57, m.update_metadata(dataclasses.replace(new, confidentiality=(m.NORMAL, m.MASQUE_PS)), new.entry_id, "1",
                                                                                                 client.settings.repository_id))
    latest = next(e.get("id") for e in client.get_unique(new.unique_id).response.entries if e.get("status") == m.APPROVED)
    client.send(m.ITI57, m.update_status(new, latest, m.APPROVED, m.ARCHIVED))
    client.send(m.ITI57, m.update_status(new, latest, m.ARCHIVED, m.DELETED))
    return 9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Simulator(build_pki(Path(folder)), io_timeout=10.0) as simulator:
        client = client_for(simulator)
        round_trip(client)  # warm-up
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            requests = round_trip(client)
            times.append(time.perf_counter() - start)
        print(f"round trip ({requests} requests): median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"({args.rounds} rounds)")
        docs = [client.new_document() for _ in range(args.concurrent)]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrent) as pool:
            results = list(pool.map(client.publish, docs))
        elapsed = time.perf_counter() - start
        ok = sum(1 for r in results if r.response is not None and r.response.success)
        print(f"{args.concurrent} concurrent submissions: {ok} Success in {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
