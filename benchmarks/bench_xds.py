"""Speed of XDS.b message validation against the CDA's own validation. Run by hand:

    PYTHONPATH=. python benchmarks/bench_xds.py [--size-kb 250] [--repeat 40]

Builds an ITI-41 MTOM/XOP capture (tests/xds/xds_make_fixtures.py) carrying the project's CR-BIO padded to
about --size-kb (as benchmarks/bench_cda.py pads it: observations, still PASSED), then times, median and minimum of
--repeat rounds, single core:
- the CDA alone (`validate_bytes(kind="cda")`);
- the metadata work alone: MIME split, envelope parse, ebRIM model, metadata rules, hash and size,
  CDA ↔ metadata consistency (the CDA parsed once for it);
- the whole ITI-41 validation (all of the above plus the CDA validated as the child report).
Goal (issue 14): the metadata work within 2x of the CDA's own validation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "xds"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_cda import padded

from harness.cda.parse import parse
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes
from harness.xds import check_consistency, judge_for, parse_metadata, read_message, validate_metadata

from xds_make_fixtures import CDA, iti41


def timings(works: list[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """(median, minimum) seconds of each work, timed in turn round after round (the machine's load hits all alike)."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(repeat):
        for index, work in enumerate(works):
            start = time.perf_counter()
            work()
            times[index].append(time.perf_counter() - start)
    return [(statistics.median(t), min(t)) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-kb", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    cda = padded(CDA, args.size_kb * 1024)
    capture = iti41(cda)
    context = ValidationContext(registry=PackRegistry.load())
    assert validate_bytes(cda, "cda.xml", context, kind="cda").verdict is ArtefactVerdict.PASSED
    whole = validate_bytes(capture, "iti41.mtom", context)
    assert whole.verdict is ArtefactVerdict.PASSED, [(f.requirement, f.message_en) for f in whole.findings]

    def metadata_only() -> None:
        message = read_message(capture, context.max_bytes)
        judge = judge_for(context)
        metadata = parse_metadata(message.payload, message.line_offset)
        content, _ = message.content(message.payload.find("{urn:ihe:iti:xds-b:2007}Document"))
        assert content is not None
        validate_metadata(metadata, "ITI-41", judge, {"Document01": content})
        document = parse(content, context.max_bytes).document
        assert document is not None
        check_consistency(metadata.documents[0], document, judge)
        assert not judge.findings or all(f.severity == "info" for f in judge.findings)

    validate_bytes(capture, "warm.mtom", context)  # warm the caches (packs, compiled expressions) first
    (cda_s, cda_min), (meta_s, meta_min), (whole_s, whole_min) = timings(
        [
            lambda: validate_bytes(cda, "cda.xml", context, kind="cda"),
            metadata_only,
            lambda: validate_bytes(capture, "iti41.mtom", context),
        ],
        args.repeat,
    )
    print(f"CDA {len(cda) / 1024:.0f} KB, ITI-41 capture {len(capture) / 1024:.0f} KB, {args.repeat} rounds (median / minimum)")
    print(f"  CDA validation alone        {cda_s * 1000:7.1f} / {cda_min * 1000:5.1f} ms")
    print(f"  ITI-41 metadata work alone  {meta_s * 1000:7.1f} / {meta_min * 1000:5.1f} ms   "
          f"({meta_s / cda_s:.2f}x / {meta_min / cda_min:.2f}x the CDA's validation; goal ≤ 2x)")
    print(f"  ITI-41 whole validation     {whole_s * 1000:7.1f} / {whole_min * 1000:5.1f} ms   "
          f"({whole_s / cda_s:.2f}x / {whole_min / cda_min:.2f}x, CDA child report included)")

if __name__ == "__main__":
    main()
