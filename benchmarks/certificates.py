"""Sign and verify times of certificates (run by hand: python benchmarks/certificates.py RUN_DIR).

RUN_DIR is a run folder (results.json + certificate.html) of any run; the page is re-signed with a
fresh issuer of each key type, then verified, N times.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from harness.certificates.page import certificate_payload, render_certificate
from harness.certificates.signing import EMPTY_SIGNATURE_ELEMENT, Signer, keygen, sign_page, signature_section
from harness.certificates.verify import verify_certificate

N = 50


def main(run_dir: Path) -> None:
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    print(f"{len(results['requirements'])} requirements, {len(results['artefacts'])} artefacts")
    for key_type in ("rsa", "ec", "ed25519"):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            keygen(Path(tmp), "bench", key_type=key_type)
            made = time.perf_counter() - started
            signer = Signer.load(Path(tmp))
            started = time.perf_counter()
            for _ in range(N):
                page = render_certificate(results, "fr", EMPTY_SIGNATURE_ELEMENT, signature_section(signer, "fr"))
                page = sign_page(page, certificate_payload(results), signer)
            sign = (time.perf_counter() - started) / N
            path = Path(tmp) / "certificate.html"
            path.write_text(page, encoding="utf-8")
            started = time.perf_counter()
            for _ in range(N):
                assert verify_certificate(path, [signer.certificate]).valid
            verify = (time.perf_counter() - started) / N
            print(f"{signer.alg:6} keygen {made * 1000:7.1f} ms   render+sign {sign * 1000:6.2f} ms   verify {verify * 1000:6.2f} ms   "
                  f"page {len(page)} B")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
