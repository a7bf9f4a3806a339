"""HL7 v2 throughput, run by hand: `python benchmarks/bench_hl7v2.py` (from the repository root).

Messages per second, one core, for a typical PAM FR ADT^A01 and for an ORU^R01 carrying a ~250 KB
CDA (embedded CDA validation included — through the CDA validator when it is installed), against
two floors measured in the same run: hl7apy parse-only and the `hl7` package's parse.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "hl7v2")]

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.hl7v2 import parse
from harness.validation.dispatch import validate_bytes, validators

import builders as b


def rate(label: str, function, seconds: float = 2.0) -> float:
    function()  # warm-up: compiles profiles, loads hl7apy definitions
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        function()
        count += 1
    per_second = count / (time.perf_counter() - start)
    print(f"  {label:<58} {per_second:>10,.0f} msg/s")
    return per_second


def large_cda(size: int = 250_000) -> bytes:
    """The conforming CR-BIO fixture grown to about `size` bytes with narrative paragraphs."""
    document = b.conforming_cda()
    line = "<paragraph>Ligne de résultat de test, sans donnée réelle.</paragraph>".encode()
    at = document.index(b"</text>")
    return document[:at] + line * ((size - len(document)) // len(line)) + document[at:]


def main() -> None:
    context = ValidationContext(registry=PackRegistry.load())
    adt = b.adt("A01")
    adt_bytes = adt.encode()
    document = large_cda()
    oru = b.document_message("ORU", document=document)
    oru_bytes = oru.encode()
    cda_size = len(document)

    import hl7
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    print(f"ADT^A01 ({len(adt_bytes)} bytes, {adt.count(chr(13))} segments)")
    ours = rate("enrs-harness: tokenize + validate (PAM FR profile)", lambda: validate_bytes(adt_bytes, "a01", context))
    rate("enrs-harness: tokenize only", lambda: parse(adt_bytes))
    rate("floor: hl7 package, hl7.parse", lambda: hl7.parse(adt))
    rate("floor: hl7apy parse_message (tolerant, parse only)", lambda: parse_message(adt, validation_level=VALIDATION_LEVEL.TOLERANT), 3.0)

    child = validate_bytes(oru_bytes, "oru", context).children
    cda_state = (f"embedded CDA {child[0].verdict} by the CDA validator" if child and "cda" in validators()
                 else "no CDA validator: the child report is ABORTED")
    print(f"\nORU^R01 with a {cda_size / 1024:.0f} KB CDA ({len(oru_bytes) / 1024:.0f} KB message; {cda_state})")
    rate("enrs-harness: tokenize + validate + decode/parse/validate CDA", lambda: validate_bytes(oru_bytes, "oru", context), 3.0)
    if "cda" in validators():
        rate("  of which: the CDA validator alone on the same CDA", lambda: validate_bytes(document, "cda", context, kind="cda"), 3.0)
    rate("floor: hl7 package, hl7.parse", lambda: hl7.parse(oru))
    rate("floor: hl7apy parse_message (tolerant, parse only)", lambda: parse_message(oru, validation_level=VALIDATION_LEVEL.TOLERANT), 3.0)
    print(f"\nGoal ≥ 2,000 ADT messages/s with validation: {'met' if ours >= 2000 else 'NOT met'} ({ours:,.0f}/s)")


if __name__ == "__main__":
    main()
