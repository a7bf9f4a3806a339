"""Throughput of native CDA validation against the lxml parse-only floor, in one run. Run by hand:

    PYTHONPATH=. python benchmarks/bench_cda.py [FOLDER ...] [--copies 10] [--kit DIR] [--jobs 2] [--repeat 5]
    PYTHONPATH=. python benchmarks/bench_cda.py /path/to/TestContenuCDA-3-0/ExemplesCDA --copies 10 \
        --kit /path/to/TestContenuCDA-3-0
    PYTHONPATH=. python benchmarks/bench_cda.py /path/to/ExemplesCDA --per-rule [--top 20]
    PYTHONPATH=. python benchmarks/bench_cda.py /path/to/ExemplesCDA --copies 10 --in-process  (items 1-3 only: A/B)

Default corpus: the bundled CDA fixtures (fixtures/*/cda); --pad-kb N pads the conforming ones to about
N KB each instead (entries in N3 documents, a larger PDF in N1 documents; they still PASS). --copies
writes that many copies of every document to a temporary folder (ten copies of the agency's 94
examples: the issue 13 measure).

Reported, documents per second:
1. parse floor: lxml `etree.fromstring` of the bytes already in memory, each tree dropped before the next parse;
2. XSD: the same parse plus lxml XMLSchema validation with the kit's CDA_extended.xsd (with --kit);
3. native in process, one core: `validate_file` on the files (read, hash, parse, rules), and its parts per
   document: the bounded read, SHA-256, the parse floor and the rest (rules and report);
4. native whole process, one core: `enrs-harness validate --format json --jobs 1 FOLDER`, startup included;
5. native whole process, `--jobs N`: the CPU time of the process and its workers (what parallelism costs; on a
   busy machine CPU time itself grows when both cores are taken, shared caches and memory bandwidth, so compare
   it at the same load, or count instructions: valgrind --tool=callgrind, whose forked children also count what
   their parent ran before the fork), and the wall time of --jobs 1 and --jobs N; beside them the machine's
   ceiling: N `--jobs 1` processes started together, each on its N-th of the files (N startups, no parallelism
   code at all): what N processes at once cost on this machine, in CPU time and in wall time. The three are
   alternated. The wall ratios are only meaningful with N idle cores (the issue asks >= 0.85 N); read --jobs N
   against the ceiling measured in the same run;
6. `validate` startup: the whole command on one small fixture.
The floor and native in process are measured in alternated rounds (floor, native, floor, native, ...): each round's
ratio native / floor compares two measures made a moment apart, under the same load, and the ratio reported is the
median of the rounds' ratios (the least would select the round whose noise favoured native; the ratio of the two
bests mixes moments). Their ms/doc figures are the best round of each.
In-process and one-core measures use CPU time (of this process, or of the child process tree), the best of
--repeat runs: the machine may be shared, and wall time would count the other jobs. The load average
is printed with every whole-process measure so that a reader can judge the wall-time figures. The child
processes cache their bytecode (as an installed harness has it), whatever PYTHONDONTWRITEBYTECODE says.

--loop floor|native runs one pass of that measure alone, for an instruction count that the load of the machine
does not move (CPU time on a shared machine moves by 10 % from one run to the next):

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \
        python benchmarks/bench_cda.py FOLDER --loop native     # "Collected": the instructions of that pass

Valgrind runs SHA-256 without the processor's SHA instructions: compare native with native (A/B), not with the floor.

--per-rule instead times, in process, every active rule over the documents (each parsed, untimed, just before its rules): the CPU
time per document of each rule (its `when` condition included), the best of --repeat runs, the most
costly first, and the header index walk, the shared document scan and volet detection apart.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.fileio import read_bounded, sha256_hex
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes, validate_file, walk_artefacts

FIXTURES = [REPO / "fixtures" / "conforming" / "cda", REPO / "fixtures" / "nonconforming" / "cda"]
STARTUP_FIXTURE = REPO / "fixtures" / "conforming" / "cda" / "n1-pdf.xml"
NS = {"cda": "urn:hl7-org:v3"}
ENTRY = ('<entry xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><observation classCode="OBS" moodCode="EVN">'
         '<templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/><id root="1.2.250.1.999.9" extension="OBS-{n}"/>'
         '<code code="8302-2" codeSystem="2.16.840.1.113883.6.1" displayName="Taille"/><text><reference value="#obs-{n}"/></text>'
         '<statusCode code="completed"/><effectiveTime value="20250310"/><value xsi:type="PQ" value="{n}" unit="cm"/></observation>'
         '</entry>')


def padded(path: Path, size: int) -> bytes:
    """A conforming fixture grown to about `size` bytes, still conforming."""
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


def documents(folders: list[Path], pad_kb: int | None) -> list[tuple[str, bytes]]:
    if pad_kb:
        context = ValidationContext(registry=PackRegistry.load())
        found = [(p.name, padded(p, pad_kb * 1024)) for p in sorted(FIXTURES[0].glob("*.xml"))]
        for name, data in found:
            report = validate_bytes(data, name, context)
            assert report.verdict is ArtefactVerdict.PASSED, (name, [(f.requirement, f.location) for f in report.findings][:5])
        return found
    files, _ignored = walk_artefacts(folders)
    return [(f"{i:03d}-{p.name}", p.read_bytes()) for i, p in enumerate(files) if p.suffix.lower() == ".xml"]


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_only(data: bytes) -> etree._Element | None:
    """The floor's parse (a document that is not well-formed, as some nonconforming fixtures are, costs its failed parse)."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def parse_each(blobs: list[bytes]) -> None:
    """The floor: every document parsed, then its tree dropped before the next, as validation does (keeping the 940
    trees alive, ~1 GB, until the end made the floor ~20 % slower: fresh memory for every tree, then one large free)."""
    for data in blobs:
        parse_only(data)


def best_cpu(work: Callable[[], object], repeat: int) -> float:
    """The least CPU time of this process over `repeat` runs of `work`."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        work()
        times.append(time.process_time() - t0)
    return min(times)


@dataclass
class PairedRounds:
    """CPU times of the floor and of native validation measured in alternated rounds (floor, native, floor, ...)."""

    floor: list[float] = field(default_factory=list)
    native: list[float] = field(default_factory=list)

    def best_floor(self) -> float:
        return min(self.floor)

    def best_native(self) -> float:
        return min(self.native)

    def ratios(self) -> list[float]:
        return [native / floor for floor, native in zip(self.floor, self.native, strict=True)]

    def median_ratio(self) -> float:
        return statistics.median(self.ratios())


def paired_rounds(floor: Callable[[], object], native: Callable[[], object], rounds: int) -> PairedRounds:
    """`rounds` rounds, each the floor then native right after it: both see the same load, and each round gives a
    ratio. The ratio kept is the median of the rounds' ratios: a ratio of two bests (each from a different moment)
    moves with the load between them, and the least ratio would pick the round where noise happened to favour
    native."""
    paired = PairedRounds()
    for _ in range(rounds):
        for work, times in ((floor, paired.floor), (native, paired.native)):
            t0 = time.process_time()
            work()
            times.append(time.process_time() - t0)
    return paired


# The child processes run this checkout's harness, whatever is installed (and from its folder: `python -m` puts the
# working directory first on the path, before PYTHONPATH's entries). Their bytecode is cached in a folder of the
# benchmark's (PYTHONDONTWRITEBYTECODE dropped): an installed harness has its bytecode, and compiling the modules
# at every start would count ~0.05 s of compilation in the startup and in every whole-process measure.
_CHILD_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
              "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


@dataclass
class ChildRuns:
    """The runs of one command: CPU time of its whole process tree (its workers included) and wall time, with the
    load average (1 min) when each started."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)

    def best_cpu(self) -> float:
        return min(self.cpu)

    def best_wall(self) -> tuple[float, float]:
        """The least wall time, and the load average when that run started."""
        return min(zip(self.wall, self.load, strict=True))

    def loads(self) -> str:
        return f"load {min(self.load):.2f}-{max(self.load):.2f}"


def child_run(command: list[str], runs: ChildRuns) -> None:
    """One run of a child process, added to `runs`; its JSON output is checked, then discarded."""
    children_run([command], runs)


def children_run(commands: list[list[str]], runs: ChildRuns) -> None:
    """Child processes started together, as one run added to `runs` (wall time: until the last ends); their JSON
    outputs are checked, then discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # a child's reaped workers are counted in its own
    runs.load.append(os.getloadavg()[0])
    t0 = time.perf_counter()
    started = [(command, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_CHILD_ENV, cwd=REPO))
               for command in commands]
    done = [(command, child.returncode, *child.communicate()) for command, child in started]
    runs.wall.append(time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for command, status, out, err in done:
        try:  # exit 1 or 2: some document FAILED or was ABORTED, which a corpus may hold; the JSON must be whole
            json.loads(out)["summary"]
        except (ValueError, KeyError):
            raise SystemExit(f"{' '.join(command)}: exit {status}\n{err.decode(errors='replace')[-2000:]}") from None
    runs.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def per_rule(blobs: list[bytes], repeat: int, top: int) -> None:
    """CPU time per document of each active rule (best of `repeat` runs), the most costly first: where the rules' time goes."""
    from harness.cda import active_requirements, data_of, declarative_rules_of, volet_rules_of, volets
    from harness.cda.engine import RULES, SEVERITY_OF_LEVEL, Doc, Out
    from harness.cda.index import _ASKED
    from harness.cda.parse import Parsed, UnsafeOrInvalidXml, parse
    from harness.extension.registry import cda_rules

    def parsed_or_none(data: bytes) -> Parsed | None:
        try:
            return parse(data, context.max_bytes)
        except UnsafeOrInvalidXml:  # some nonconforming fixtures: refused before any rule runs
            return None

    context = ValidationContext(registry=PackRegistry.load())
    cda_rules()  # the registered rule modules (entry points), as validate_cda loads them
    active, cdata = active_requirements(context), data_of(context)
    rules = [*RULES, *volet_rules_of(context), *declarative_rules_of(context)]  # as validate_cda runs them
    clock = time.process_time
    best: dict[str, float] = {}
    count = 0
    for _ in range(repeat):
        spent: dict[str, float] = dict.fromkeys(["(header index walk)", "(document scan)", "(volet detection)"], 0.0)
        count = 0
        for data in blobs:
            # parsed right before its rules (untimed), as validation does: a tree parsed long before (all of them parsed
            # first) is out of the processor's caches, and its first walks cost 2-4 times more than in validation
            item = parsed_or_none(data)
            if item is None or item.document is None:
                continue
            count += 1
            doc = Doc(root=item.document, self_presenting=item.self_presenting)
            t0 = clock()
            doc.header  # noqa: B018  (the walk, timed apart from the first rule that asks for it)
            t1 = clock()
            doc.volet = volets.detect_volet(doc, cdata, context.volet_versions)
            if doc.volet is not None:
                doc.volet_spec = cdata.volets[doc.volet.key]
            t2 = clock()
            if _ASKED:  # the shared scan of the document for the tags the rules asked (of earlier runs), timed apart
                doc.everywhere(next(iter(_ASKED)))
            t3 = clock()
            spent["(header index walk)"] += t1 - t0
            spent["(volet detection)"] += t2 - t1
            spent["(document scan)"] += t3 - t2
            for rule_ in rules:  # as engine.run_rules, each rule timed
                level = active.get(rule_.requirement)
                if level is None:
                    continue
                t0 = clock()
                if rule_.when is None or rule_.when(doc):
                    out = Out(rule_.requirement, SEVERITY_OF_LEVEL[level])
                    rule_.check(doc, cdata, out)
                    out.close()
                spent[rule_.requirement] = spent.get(rule_.requirement, 0.0) + clock() - t0
        for key, seconds in spent.items():
            best[key] = min(best.get(key, seconds), seconds)
    n = max(count, 1)
    total = sum(best.values())
    print(f"per rule: {count} documents, {len(best) - 3} active rules, best of {repeat} runs; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'all rules, walk, scan and volet detection':<44} {total / n * 1000:8.3f} ms/doc")
    for key, seconds in sorted(best.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {key:<42} {seconds / n * 1000:8.3f} ms/doc  {seconds / max(total, 1e-9) * 100:5.1f} %")


def counted_loop(which: str, blobs: list[bytes]) -> None:
    """One pass of the floor or of native validation (`validate_bytes`: hash, parse, rules; not the read) over `blobs`,
    run inside functools.reduce so that callgrind counts it alone (--toggle-collect=functools_reduce), after a pass
    that warms the packs' caches."""
    context = ValidationContext(registry=PackRegistry.load())
    for data in blobs[:200]:
        validate_bytes(data, "warm.xml", context)
    if which == "floor":
        functools.reduce(lambda _, data: parse_only(data), blobs, None)  # each tree dropped when the next is returned
    else:
        functools.reduce(lambda _, data: validate_bytes(data, "doc.xml", context), blobs, None)
    print(f"{which}: {len(blobs)} documents")


def line(label: str, count: int, seconds: float, floor: float | None, how: str) -> None:
    rate = count / max(seconds, 1e-9)
    ratio = f"{seconds / floor:6.2f}x floor" if floor else " " * 13
    print(f"{label:<44} {rate:9.1f} docs/s  {ratio}  ({how})")


def jobs_measure(command: list[str], paths: list[Path], floor: float, jobs: int, repeat: int) -> None:
    """`validate --jobs 1`, `--jobs N` and the machine's ceiling (N `--jobs 1` processes started together, each on
    its N-th of the files), the three alternated: CPU of each process tree, and wall times with their ratios."""
    n = len(paths)
    with tempfile.TemporaryDirectory(prefix="bench-cda-parts-") as tmp:
        folder, parts = paths[0].parent, [Path(tmp) / f"part-{k}" for k in range(jobs)]
        for k, part in enumerate(parts):  # the k-th contiguous block of the files, linked (copied where links fail)
            part.mkdir()
            for path in paths[k * n // jobs:(k + 1) * n // jobs]:
                try:
                    os.link(path, part / path.name)
                except OSError:
                    (part / path.name).write_bytes(path.read_bytes())
        one, many, ceiling = ChildRuns(), ChildRuns(), ChildRuns()
        for _ in range(repeat):  # alternated, so that all see the same changes of load
            child_run([*command, "--jobs", "1", str(folder)], one)
            child_run([*command, "--jobs", str(jobs), str(folder)], many)
            children_run([[*command, "--jobs", "1", str(part)] for part in parts], ceiling)
    line("native, enrs-harness validate --jobs 1", n, one.best_cpu(), floor, f"CPU of the process, startup included; {one.loads()}")
    line(f"native, enrs-harness validate --jobs {jobs}", n, many.best_cpu(), floor, f"CPU of the process and its workers; {many.loads()}")
    line(f"ceiling: {jobs} x --jobs 1 on 1/{jobs} each", n, ceiling.best_cpu(), floor,
         f"CPU of the {jobs} processes, {jobs} startups; {ceiling.loads()}")
    print(f"{'':<44} CPU cost of --jobs {jobs}: {many.best_cpu() / one.best_cpu():.2f}x the CPU of --jobs 1 "
          f"({(many.best_cpu() - one.best_cpu()) / n * 1000:+.3f} ms/doc); of {jobs} processes at once (the ceiling): "
          f"{ceiling.best_cpu() / one.best_cpu():.2f}x")
    (wall1, load1), (wall_n, load_n), (wall_c, load_c) = one.best_wall(), many.best_wall(), ceiling.best_wall()
    line("native, --jobs 1, wall", n, wall1, None, f"wall, load {load1:.2f} at its start")
    line(f"native, --jobs {jobs}, wall", n, wall_n, None, f"wall, load {load_n:.2f} at its start")
    line(f"ceiling, {jobs} x --jobs 1 at once, wall", n, wall_c, None, f"wall until the last ends, load {load_c:.2f} at its start")
    print(f"{'':<44} --jobs {jobs} / --jobs 1 (wall): {wall1 / wall_n:.2f}x, goal >= {0.85 * jobs:.2f}x; the ceiling: "
          f"{wall1 / wall_c:.2f}x (meaningful only with {jobs} idle cores: cpu_count={os.cpu_count()}, load average now "
          f"{os.getloadavg()[0]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, help="documents to measure (default: the bundled CDA fixtures)")
    parser.add_argument("--copies", type=int, default=1, help="copies of every document (e.g. 10)")
    parser.add_argument("--pad-kb", type=int, help="the conforming fixtures padded to about this size instead")
    parser.add_argument("--kit", type=Path, help="the agency's kit folder: adds the lxml XSD measure")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the --jobs measure (default 2)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measure; the best is kept (default 5)")
    parser.add_argument("--in-process", action="store_true", help="the in-process measures only (no child processes)")
    parser.add_argument("--loop", choices=["floor", "native"],
                        help="run that measure once, inside functools.reduce, for callgrind's instruction count (see above)")
    parser.add_argument("--per-rule", action="store_true", help="time every active rule in process instead (the most costly first)")
    parser.add_argument("--top", type=int, default=15, help="rules listed by --per-rule (default 15)")
    args = parser.parse_args()

    docs = documents(args.folders or FIXTURES, args.pad_kb)
    if args.per_rule:
        per_rule([data for _name, data in docs] * args.copies, args.repeat, args.top)
        return
    if args.loop:
        counted_loop(args.loop, [data for _name, data in docs] * args.copies)
        return
    with tempfile.TemporaryDirectory(prefix="bench-cda-") as tmp:
        folder = Path(tmp)
        for copy in range(args.copies):
            for name, data in docs:
                (folder / f"{copy:02d}-{name}").write_bytes(data)
        paths = sorted(folder.iterdir())
        blobs = [p.read_bytes() for p in paths]
        n = len(paths)
        print(f"corpus: {n} documents ({len(docs)} x {args.copies}), mean {sum(map(len, blobs)) / n / 1024:.0f} KB; "
              f"cpu_count={os.cpu_count()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        context = ValidationContext(registry=PackRegistry.load())
        validate_file(paths[0], context)  # packs' compiled checks and caches made once, outside the rounds
        paired = paired_rounds(lambda: parse_each(blobs), lambda: [validate_file(p, context) for p in paths], args.repeat)
        floor, native = paired.best_floor(), paired.best_native()
        line("parse floor (lxml etree.fromstring)", n, floor, floor, "CPU, in process")
        if args.kit:
            from harness.cdakit.layout import locate
            from harness.cdakit.xsd import _schema

            xsd_path = locate(args.kit.resolve()).xsd
            schema = _schema(str(xsd_path))[0] if xsd_path else None
            if schema is None:
                print("XSD: the kit's schema could not be found or compiled")
            else:
                xsd = best_cpu(lambda: [schema.validate(t) for t in map(parse_only, blobs) if t is not None], args.repeat)
                line("XSD (lxml parse + XMLSchema)", n, xsd, floor, "CPU, in process")
        line("native, in process, 1 core", n, native, floor, "CPU, in process, best round")
        print(f"{'':<44} native / floor, paired rounds: median {paired.median_ratio():.3f}x "
              f"(rounds {min(paired.ratios()):.3f}x-{max(paired.ratios()):.3f}x, {len(paired.floor)} rounds)")
        # each file's bytes dropped before the next read, as validation does (940 kept alive would be measured
        # with the page faults of ~235 MB of fresh memory, which validation does not pay)
        read = best_cpu(lambda: [len(read_bounded(p, context.max_bytes)) for p in paths], args.repeat)
        digest = best_cpu(lambda: [sha256_hex(b) for b in blobs], args.repeat)
        ms = 1000 / n
        print(f"{'':<44} per document {native * ms:.3f} ms = read {read * ms:.3f} + SHA-256 {digest * ms:.3f} + parse floor "
              f"{floor * ms:.3f} + rules and report {(native - read - digest - floor) * ms:.3f}")

        if args.in_process:
            return
        command = [sys.executable, "-m", "harness", "validate", "--format", "json"]
        child_run([*command, str(STARTUP_FIXTURE)], ChildRuns())  # writes the bytecode cache (not measured)
        jobs_measure(command, paths, floor, args.jobs, args.repeat)
    startup = ChildRuns()
    for _ in range(max(args.repeat, 5)):
        child_run([*command, str(STARTUP_FIXTURE)], startup)
    print(f"{'validate startup (one small fixture)':<44} {startup.best_wall()[0]:9.3f} s wall, {startup.best_cpu():.3f} s CPU "
          f"(bytecode cached; {startup.loads()})")

if __name__ == "__main__":
    main()
