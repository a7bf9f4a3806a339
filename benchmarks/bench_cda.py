"""Throughput of native CDA validation (layers 1–4) against the lxml parse-only floor. Run by hand:

    PYTHONPATH=. python benchmarks/bench_cda.py [--size-kb 250] [--count 200] [--jobs 4] [--seconds 3] [--corpus DIR]

The corpus is built in memory from the conforming fixtures, each padded to about --size-kb
(observations in the first section of N3 documents, a larger PDF in N1 documents), so that every
document still PASSES. Numbers: documents per second and MB/s, single core and with --jobs worker
processes (ProcessPoolExecutor, as `validate --jobs`).
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "cda"))

from harness.config.packs import PackRegistry
from harness.core.verdicts import ArtefactVerdict
from harness.core.xmlsafe import parse_xml
from harness.validation.dispatch import ValidationContext, validate_bytes

FIXTURES = REPO / "fixtures" / "conforming" / "cda"
NS = {"cda": "urn:hl7-org:v3"}
ENTRY = ('<entry xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><observation classCode="OBS" moodCode="EVN">'
         '<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/><id root="1.2.250.1.999.9" extension="OBS-{n}"/>'
         '<code code="8302-2" codeSystem="2.16.840.1.113883.6.1" displayName="Taille"/><text><reference value="#obs-{n}"/></text>'
         '<statusCode code="completed"/><effectiveTime value="20250310"/><value xsi:type="PQ" value="{n}" unit="cm"/></observation>'
         '</entry>')


def padded(path: Path, size: int) -> bytes:
    tree = etree.parse(str(path))
    root = tree.getroot()
    text = root.find(".//cda:nonXMLBody/cda:text", NS)
    if text is not None:  # N1: grow the PDF payload (a comment inside the PDF keeps it a PDF)
        pdf = base64.b64decode("".join(text.text.split()))
        filler = b"%" + b"x" * 75 + b"\n"
        pdf = pdf.replace(b"%PDF-1.4\n", b"%PDF-1.4\n" + filler * max(0, (size * 3 // 4) // len(filler)), 1)
        text.text = base64.encodebytes(pdf).decode()
    else:
        section = root.find(".//cda:structuredBody/cda:component/cda:section", NS)
        nested = section.find("cda:component", NS)  # entries go before nested sections (CDA R2 order)
        n = 0
        while len(etree.tostring(tree)) < size:
            for _ in range(50):
                n += 1
                entry = etree.fromstring(ENTRY.format(n=n))
                if nested is not None:
                    nested.addprevious(entry)
                else:
                    section.append(entry)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def corpus(size_kb: int, count: int) -> list[bytes]:
    bases = [padded(p, size_kb * 1024) for p in sorted(FIXTURES.glob("*.xml"))]
    return [bases[i % len(bases)] for i in range(count)]


def timed(label: str, work, docs: list[bytes], seconds: float, cpu: bool = True) -> float:
    """Run `work` over the corpus repeatedly for about `seconds`; print and return documents per second.

    In-process measures use this process's CPU time (the machine may be shared: wall time would
    count other jobs); the --jobs measure uses wall time (the work is in other processes).
    """
    clock = time.process_time if cpu else time.perf_counter
    rates, started = [], time.perf_counter()
    while time.perf_counter() - started < seconds or len(rates) < 3:
        t0 = clock()
        work(docs)
        rates.append(len(docs) / max(clock() - t0, 1e-9))
    rate = statistics.median(rates)
    megabytes = sum(len(d) for d in docs) / len(docs) / 1e6
    print(f"{label:<46} {rate:9.1f} docs/s {rate * megabytes:8.1f} MB/s  ({'CPU' if cpu else 'wall'} time)")
    return rate


_CONTEXT: ValidationContext | None = None


def _init() -> None:
    global _CONTEXT
    _CONTEXT = ValidationContext(registry=PackRegistry.load())


def _validate_one(data: bytes) -> str:
    assert _CONTEXT is not None
    return str(validate_bytes(data, "bench.xml", _CONTEXT).verdict)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-kb", type=int, default=250)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--corpus", type=Path, metavar="DIR",
                        help="measure these documents instead (e.g. a checkout of the agency's examples; not all need to PASS)")
    args = parser.parse_args()

    docs = sorted((p.read_bytes() for p in args.corpus.rglob("*.xml")), key=len) if args.corpus else corpus(args.size_kb, args.count)
    print(f"corpus: {len(docs)} documents, mean {sum(map(len, docs)) / len(docs) / 1024:.0f} KB, cpu_count={os.cpu_count()}")
    context = ValidationContext(registry=PackRegistry.load())
    for data in ([] if args.corpus else set(docs)):
        report = validate_bytes(data, "check.xml", context)
        assert report.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.location) for f in report.findings][:5]

    timed("lxml parse only (etree.fromstring)", lambda ds: [etree.fromstring(d) for d in ds], docs, args.seconds)
    floor = timed("safe parse (harness.core.xmlsafe.parse_xml)", lambda ds: [parse_xml(d) for d in ds], docs, args.seconds)
    native = timed("native validation, 1 core", lambda ds: [validate_bytes(d, "b.xml", context) for d in ds], docs, args.seconds)
    with ProcessPoolExecutor(args.jobs, initializer=_init) as pool:
        list(pool.map(_validate_one, docs[: args.jobs * 4]))  # warm the workers up
        chunk = max(1, len(docs) // (args.jobs * 8))
        timed(f"native validation, --jobs {args.jobs}",
              lambda ds: list(pool.map(_validate_one, ds, chunksize=chunk)), docs, args.seconds, cpu=False)
    print(f"native validation is {floor / native:.2f}x the cost of the safe parse alone (goal: within 3x)")


if __name__ == "__main__":
    main()
