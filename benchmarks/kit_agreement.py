"""Native and kit verdicts of the agency's examples, document by document (issue 19). Run by hand:

    PYTHONPATH=. python benchmarks/kit_agreement.py --kit /work/ext/TestContenuCDA-3-0 [--documents DIR] [--json OUT] [--diff BEFORE.json]

--documents defaults to the kit's ExemplesCDA. Prints one line per document (native verdict, kit
verdict, the requirements in error on each side), the disagreements with the kit's messages, and
the counts. --json saves the table; --diff names the documents whose verdicts changed since a saved
table (the "before" of a change).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.validation.agreement import compare
from harness.validation.dispatch import expand_paths, make_context


def _verdict(errors: set[str]) -> str:
    return "FAILED" if errors else "PASSED"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kit", type=Path, required=True)
    parser.add_argument("--documents", type=Path)
    parser.add_argument("--json", type=Path, help="save the table here")
    parser.add_argument("--diff", type=Path, help="a table saved earlier: list the documents whose verdicts changed")
    args = parser.parse_args()
    context = make_context([], [], args.kit)
    started = time.perf_counter()
    rows = [compare(path, context) for path in expand_paths([args.documents or args.kit / "ExemplesCDA"])]
    elapsed = time.perf_counter() - started
    table = {r.name: {"native": _verdict(r.native), "kit": _verdict(r.kit), "native_errors": sorted(r.native),
                      "kit_errors": sorted(r.kit), "volet": r.volet} for r in rows}
    for r in rows:
        mark = "  " if r.agree else "≠ "
        print(f"{mark}{_verdict(r.native):6} {_verdict(r.kit):6} {r.name}  {r.volet or ''}  native={sorted(r.native)} kit={sorted(r.kit)}")
    print("\nDisagreements:")
    for r in rows:
        if not r.agree:
            print(f"- {r.name} ({r.volet}): native {_verdict(r.native)}, kit {_verdict(r.kit)}")
            for line in (r.native_detail + r.kit_detail)[:4]:
                print(f"    {line[:300]}")
    agree = sum(r.agree for r in rows)
    print(f"\n{agree} of {len(rows)} documents get the same verdict; native FAILED {sum(bool(r.native) for r in rows)}, "
          f"kit FAILED {sum(bool(r.kit) for r in rows)}; {elapsed:.1f} s")
    if args.diff:
        before = json.loads(args.diff.read_text(encoding="utf-8"))
        print("\nChanged since", args.diff)
        for name, now in table.items():
            then = before.get(name)
            if then and (then["native"], then["kit"]) != (now["native"], now["kit"]):
                print(f"- {name}: native {then['native']} → {now['native']}, kit {then['kit']} → {now['kit']}")
    if args.json:
        args.json.write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
