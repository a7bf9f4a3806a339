"""Kit mode benchmark (run by hand): compile times and documents per second with a kit.

    PYTHONPATH=. python benchmarks/bench_cda_kit.py [--kit DIR] [--documents DIR] [--min-seconds S]

Defaults: the project's mini kit and its documents (tests/cdakit/). With the agency's kit:
    --kit /path/to/TestContenuCDA-3-0 --documents /path/to/TestContenuCDA-3-0/ExemplesCDA

Measures, in one process, with a fresh cache folder:
1. first compile: every schematron the documents need, schematron → XSLT (written to the cache),
   then XSLT → Saxon executable, timed apart;
2. cached compile: the same after forgetting the process's state (as a new process would): the
   schematron is read and hashed, the XSLT found in the cache, and Saxon compiles it;
3. throughput: kit_findings on every document (XSD + every schematron), documents/s and MB/s,
   with the lxml parse-only floor of the same documents for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.cdakit import kit_findings, runtime
from harness.cdakit.kit import open_kit, reset_process_caches
from harness.cdakit.prepare import STATS, prepare
from harness.cdakit.volet import choose_volet
from harness.core.xmlsafe import parse_xml


def schematrons_needed(kit_dir: Path, trees: list) -> list[Path]:
    kit = open_kit(str(kit_dir.resolve()))
    paths = [path for _req, path in kit.layout.profiles]
    for tree in trees:
        for _version, path in choose_volet(tree, kit.layout).schematrons:
            if path not in paths:
                paths.append(path)
    return paths


def timed_prepare(paths: list[Path], kit_dir: Path) -> tuple[float, list]:
    """Schematron → XSLT (or cache hit), without Saxon."""
    start = time.perf_counter()
    prepared = [prepare(path, kit_dir.resolve()) for path in paths]
    return time.perf_counter() - start, prepared


def timed_saxon(prepared: list) -> float:
    start = time.perf_counter()
    for item in prepared:
        if item.xslt_file is not None:
            with contextlib.suppress(runtime.SchematronRunError):  # a kit defect; kit_findings reports it
                runtime.executable(item.digest, item.xslt_file)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=ROOT / "tests/cdakit/mini-kit")
    parser.add_argument("--documents", type=Path, default=ROOT / "tests/cdakit/documents")
    parser.add_argument("--min-seconds", type=float, default=5.0, help="repeat the corpus until this long (default 5)")
    args = parser.parse_args()

    files = sorted(p for p in args.documents.rglob("*.xml") if p.is_file())
    datas = [p.read_bytes() for p in files]
    trees = [parse_xml(d) for d in datas]
    megabytes = sum(len(d) for d in datas) / 1e6
    print(f"kit: {args.kit}\ndocuments: {len(files)} ({megabytes:.2f} MB) from {args.documents}")

    with tempfile.TemporaryDirectory(prefix="enrs-kit-bench-") as cache:
        os.environ["ENRS_HARNESS_CACHE"] = cache
        reset_process_caches()
        paths = schematrons_needed(args.kit, trees)
        generate, prepared = timed_prepare(paths, args.kit)
        saxon = timed_saxon(prepared)
        generated = STATS["generated"]
        reset_process_caches()
        hit, prepared = timed_prepare(paths, args.kit)
        saxon_again = timed_saxon(prepared)
        print(f"schematrons: {len(paths)}")
        print(f"first compile:  schematron → XSLT {generate:.2f} s ({generated} generated) + Saxon compile {saxon:.2f} s"
              f" = {generate + saxon:.2f} s")
        print(f"cached compile: XSLT from cache {hit:.2f} s ({STATS['reused']} reused) + Saxon compile {saxon_again:.2f} s"
              f" = {hit + saxon_again:.2f} s")
        structural = [p for p in paths if "structurationminimale" in str(p).lower()]
        if structural:
            reset_process_caches()
            hit_one, one = timed_prepare(structural, args.kit)
            print(f"  of which header schematron: XSLT from cache {hit_one:.2f} s + Saxon compile {timed_saxon(one):.2f} s")

        for tree, data in zip(trees, datas, strict=True):  # warm-up: JIT, document pool
            kit_findings(tree, data, args.kit)
        count, start = 0, time.perf_counter()
        while True:
            for data in datas:
                kit_findings(parse_xml(data), data, args.kit)
                count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.min_seconds:
                break
        rounds = count / len(datas)
        print(f"kit mode: {count / elapsed:.2f} documents/s, {megabytes * rounds / elapsed:.2f} MB/s "
              f"({count} documents in {elapsed:.1f} s, parse included)")

        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            for data in datas:
                parse_xml(data)
                count += 1
        elapsed = time.perf_counter() - start
        print(f"parse-only floor (lxml): {count / elapsed:.0f} documents/s")


if __name__ == "__main__":
    main()
