"""Cost of a whole `enrs-harness run --documents` against `validate` on the same files, in one run (by hand).

    PYTHONPATH=. python benchmarks/bench_run.py [FOLDER ...] [--copies N] [--repeat 3] [--default-packs]
    PYTHONPATH=. python benchmarks/bench_run.py /path/to/TestContenuCDA-3-0/ExemplesCDA --copies 10

Default corpus: the bundled conforming CDA fixtures, 250 copies of each; with FOLDERs, their CDA documents
(*.xml), --copies copies of each (default 10: ten copies of the agency's 94 examples is the issue 13 measure).
Both commands run as child processes on the same temporary folder:

    run:      python -m harness run --documents DIR --quiet --report-dir TMP [--profile P ...]
    validate: python -m harness validate --format json --jobs 1 DIR [--profile P ...]

with the CDA packs (ci-sis-cda-*), or every loaded pack with --default-packs. Reported: the CPU time of each
child (user + system, resource.getrusage(RUSAGE_CHILDREN)), the best of --repeat runs (the machine may be
shared: wall time would count the other jobs), documents per CPU second, the ratio run / validate (issue 13:
at most 1.3), and the size of what the run wrote.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKS = ("ci-sis-cda-header", "ci-sis-cda-structure", "ci-sis-cda-volets")
FIXTURES = REPO / "fixtures" / "conforming" / "cda"


# The children keep their bytecode (PYTHONDONTWRITEBYTECODE dropped), as an installed harness has it: otherwise
# every run would compile the harness's modules again, about 0.2 s of a run's CPU (it imports more than validate).
_CHILD_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(REPO)}


def child_cpu(command: list[str]) -> tuple[float, int]:
    """CPU seconds (user + system) of one child process running `command`, and its exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, env=_CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(command[:4])} … ended with {result.returncode}:\n{result.stderr.decode(errors='replace')[-2000:]}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, result.returncode


def copy_corpus(sources: list[Path], copies: int, into: Path) -> int:
    files = [f for s in sources for f in (sorted(s.glob("*.xml")) if s.is_dir() else [s])]
    for copy in range(copies):
        for n, source in enumerate(files):
            shutil.copyfile(source, into / f"{n:03d}-{source.stem}-{copy}.xml")
    return len(files) * copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, help="folders of CDA documents (default: the bundled conforming fixtures)")
    parser.add_argument("--copies", type=int, help="copies of each document (default: 250 of the fixtures, 10 of a folder)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the best CPU time counts")
    parser.add_argument("--default-packs", action="store_true", help="every loaded pack instead of the CDA packs")
    args = parser.parse_args()
    copies = args.copies or (10 if args.folders else 250)
    packs = [] if args.default_packs else [a for p in PACKS for a in ("--profile", p)]
    with tempfile.TemporaryDirectory() as work:
        documents, reports = Path(work) / "documents", Path(work) / "reports"
        documents.mkdir()
        count = copy_corpus(args.folders or [FIXTURES], copies, documents)
        run = [sys.executable, "-m", "harness", "run", "--documents", str(documents), "--quiet", "--report-dir", str(reports), *packs]
        validate = [sys.executable, "-m", "harness", "validate", "--format", "json", "--jobs", "1", str(documents), *packs]
        best: dict[str, float] = {}
        for _ in range(args.repeat):  # interleaved: a change of load touches both alike
            for name, command in (("validate", validate), ("run", run)):
                seconds, status = child_cpu(command)
                best[name] = min(best.get(name, seconds), seconds)
                if name == "run":
                    sizes = {p.name: p.stat().st_size for d in reports.iterdir() for p in d.iterdir()}
                    shutil.rmtree(reports)
        load = os.getloadavg()[0]
    print(f"{count} documents, {'every loaded pack' if args.default_packs else ', '.join(PACKS)}; "
          f"CPU time of the child, best of {args.repeat} (load average {load:.1f})")
    for name in ("validate", "run"):
        print(f"  {name:<9} {best[name]:7.2f} s  {count / best[name]:7.0f} documents/s")
    print(f"  run / validate: {best['run'] / best['validate']:.2f}x (issue 13: at most 1.3x)")
    print(f"  run exit status {status}; the run folder:")
    for name, size in sorted(sizes.items()):
        print(f"    {name:<26} {size / 1e6:8.2f} MB")


if __name__ == "__main__":
    main()
