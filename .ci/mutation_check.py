"""Run mutmut over the trust paths and judge the result (docs/testing.md).

Every mutant of the functions in SCOPE must be killed by the fast trust tests ([tool.mutmut] in
pyproject.toml), or be listed in .ci/mutation-equivalents.toml with the reason it cannot change
any outcome. Prints the mutation score per module; exit status 1 on an unexplained survivor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / ".ci" / "mutation-equivalents.toml"

# The trust paths: the functions whose mutants are run (mutmut's names: module.x_function, module.xǁClassǁmethod).
SCOPE = {
    "harness/core/verdicts.py": ["harness.core.verdicts.x_aggregate", "harness.core.verdicts.x_verdict_counts"],
    "harness/run/folder.py": ["harness.run.folder.xǁRunWriterǁresults", "harness.run.folder.xǁRunWriterǁ_status"],
    "harness/run/certification.py": ["harness.run.certification.x_blocking_items"],
    "harness/run/waivers.py": ["harness.run.waivers.xǁWaiverǁcovers", "harness.run.waivers.x_apply_waivers"],
    "harness/certificates/verify.py": ["harness.certificates.verify.x_verify_certificate", "harness.certificates.verify.x__check_jws",
                                      "harness.certificates.verify.x__check_trust", "harness.certificates.verify.x__path_problem",
                                      "harness.certificates.verify.x__require_ca", "harness.certificates.verify.x__require_cert_sign",
                                      "harness.certificates.verify.x__is_ca", "harness.certificates.verify.x__shape_problem",
                                      "harness.certificates.verify.x__signed_time"],
    "harness/certificates/signing.py": [
        "harness.certificates.signing.x_canonical_json", "harness.certificates.signing.x__jcs",
        "harness.certificates.signing.x_b64url", "harness.certificates.signing.x_b64url_decode",
        "harness.certificates.signing.x_page_digest", "harness.certificates.signing.x_algorithm_for",
        "harness.certificates.signing.x__sign", "harness.certificates.signing.x_verify_signature",
        "harness.certificates.signing.xǁSignerǁsign", "harness.certificates.signing.x_sign_page"],
    "harness/net/probe.py": ["harness.net.probe.x_hostname_matches", "harness.net.probe.x_client_context"],
    "harness/core/xmlsafe.py": ["harness.core.xmlsafe.x_parse_xml", "harness.core.xmlsafe.x__parser",
                                "harness.core.xmlsafe.x__check_prolog"],
}
CAUGHT = {"killed", "timeout", "caught by type check", "segfault"}


def function_of(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def mutmut(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, text=True, check=False,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE if capture else None)


def statuses() -> dict[str, str]:
    """Every mutant in scope and its status, from `mutmut results --all true`."""
    process = mutmut("results", "--all", "true", capture=True)
    functions = {f for names in SCOPE.values() for f in names}
    found = {}
    for line in process.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name and function_of(name) in functions:
            found[name] = status
    return found


def change_of(mutant: str) -> tuple[str, str]:
    """The original and mutated lines of a mutant (whitespace-normalised), from `mutmut show`."""
    diff = mutmut("show", mutant, capture=True).stdout.splitlines()
    removed = " ".join(" ".join(line[1:].split()) for line in diff if line.startswith("-") and not line.startswith("---"))
    added = " ".join(" ".join(line[1:].split()) for line in diff if line.startswith("+") and not line.startswith("+++"))
    return removed, added


def children(argv: list[str]) -> int:
    """How many mutants run at once: `--children N`, else one per core (CI gives fewer when the suite runs beside)."""
    if "--children" in argv:
        return max(1, int(argv[argv.index("--children") + 1]))
    return os.cpu_count() or 2


def main(argv: list[str]) -> int:
    started = time.monotonic()
    if "--keep" not in argv:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    globs = [f"{f}__mutmut_*" for names in SCOPE.values() for f in names]
    run = mutmut("run", "--max-children", str(children(argv)), *globs)
    found = statuses()
    if run.returncode != 0 or not found:
        print(f"mutation: mutmut failed (exit {run.returncode}, {len(found)} mutants in scope)", file=sys.stderr)
        return 2
    allowed = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", [])
    used: set[int] = set()
    unexplained: list[tuple[str, str, str, str]] = []
    print(f"{'module':32} {'mutants':>7} {'killed':>6} {'equivalent':>10} {'survived':>8} {'score':>6}")
    for module, functions in SCOPE.items():
        mine = {n: s for n, s in found.items() if function_of(n) in functions}
        counts = Counter("killed" if s in CAUGHT else "other" for s in mine.values())
        equivalent = 0
        for name, status in sorted(mine.items()):
            if status in CAUGHT:
                continue
            removed, added = change_of(name)
            match = next((i for i, e in enumerate(allowed) if e["function"] == function_of(name) and e["mutated"] == added
                          and e.get("original", removed) == removed), None)
            if match is None:
                unexplained.append((name, status, removed, added))
            else:
                used.add(match)
                equivalent += 1
        killed = counts["killed"]
        score = 100.0 * (killed + equivalent) / len(mine) if mine else 100.0
        print(f"{module:32} {len(mine):7} {killed:6} {equivalent:10} {counts['other'] - equivalent:8} {score:5.1f}%")
    for index, entry in enumerate(allowed):
        if index not in used:
            print(f"note: allow-list entry no longer matches a surviving mutant (remove it?): {entry['function']}: {entry['mutated']}")
    for name, status, removed, added in unexplained:
        print(f"\nUNEXPLAINED {status}: {name}\n  - {removed}\n  + {added}")
    print(f"\nmutation: {len(found)} mutants in {time.monotonic() - started:.0f} s; "
          f"{len(unexplained)} unexplained survivor(s) (see docs/testing.md)")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
