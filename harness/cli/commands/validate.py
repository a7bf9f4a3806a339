"""`enrs-harness validate PATH…`: validate artefacts (CDA, HL7 v2, XDS.b, XDM, MSSanté e-mails), outside a run.

Exit codes: 0 every file PASSED, 1 any FAILED, 2 any ABORTED (unreadable, unrecognised) or a usage error.
The JSON output is documented in docs/validate-output.md.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.config.context import ValidationContext
from harness.core.collector import fewer_young_collections
from harness.core.findings import ArtefactReport, Severity
from harness.core.i18n import in_language
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import Ignored, make_context, prepare_validators, validate_file, walk_artefacts

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future  # imported when --jobs asks for workers (it imports logging)

VALIDATE_SCHEMA = "enrs-harness/validate/1"
_worker_context: ValidationContext | None = None
_worker_output: tuple[str, str] = ("text", "fr")  # the format and language the workers render their reports in


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate artefacts: CDA documents, HL7 v2 messages, XDS.b captures, XDM packages, MSSanté e-mails (files or folders)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--profile", action="append", default=[], metavar="ID",
                        help="profile pack to apply (repeatable; default: all but opt-in packs)")
    parser.add_argument("--profiles-dir", action="append", default=[], type=Path,
                        metavar="DIR", help="extra folder of profile packs (repeatable)")
    parser.add_argument("--kit", type=Path, metavar="DIR", help="folder laid out like the agency's CDA test kit (XSD and schematrons)")
    parser.add_argument("--volet-version", action="append", default=[], metavar="VOLET=VERSION",
                        help="a CDA volet's version when the document cannot say it (e.g. CR-BIO=2024.01; repeatable)")
    parser.add_argument("--vihf-trust", type=Path, metavar="PEM",
                        help="CA certificates (PEM) that may sign VIHF assertions and DSG signatures (default: signers are not judged)")
    parser.add_argument("--format", choices=("text", "json", "jsonl"), default="text",
                        help="text: one block per file as it is judged; json: one document at the end; "
                             "jsonl: one JSON line per file as it is judged")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="parallel worker processes (default 1)")
    parser.add_argument("--lang", choices=("fr", "en"))
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="judge on a Dask cluster: a scheduler address (tcp://host:8786) or local[:N] (docs/cluster.md)")
    parser.add_argument("--cluster-ship", action="store_true",
                        help="with --cluster: send the documents from here even if the workers could read them")
    parser.set_defaults(handler=validate_command)


def _init_worker(profiles_dirs: list[Path], profile_ids: list[str], kit: Path | None, volet_versions: list[str],
                 vihf_trust: Path | None, output: tuple[str, str]) -> None:
    """Where workers cannot be forked: each loads the packs once, at its start."""
    global _worker_context, _worker_output
    _worker_context = make_context(profiles_dirs, profile_ids, kit, volet_versions, vihf_trust)
    _worker_output = output


def _validate_in_worker(path: str) -> Rendered:
    assert _worker_context is not None
    return _rendered(validate_file(Path(path), _worker_context), *_worker_output)


Rendered = tuple[str, str]  # a report's verdict, and the report as the output writes it


def _rendered(report: ArtefactReport, form: str, lang: str) -> Rendered:
    """`report` as `_Output` writes it: its text block, its JSON line, or its entry of the JSON document's "files"
    (indented as there). Workers render their own reports: the parent only writes them."""
    if form == "text":
        block = io.StringIO()
        _print_report(report, lang, block, indent="")
        return str(report.verdict), block.getvalue()
    if form == "jsonl":
        return str(report.verdict), json.dumps({"type": "file", **report.to_dict()}, ensure_ascii=False)
    return str(report.verdict), json.dumps(report.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n" + _FILES_INDENT)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def validate_command(args: argparse.Namespace) -> int:
    from harness.cli import EXIT_ERROR
    from harness.core.errors import HarnessError
    from harness.core.i18n import default_lang

    lang = args.lang or default_lang()
    if args.jobs < 1:
        raise HarnessError("--jobs doit être au moins 1", "--jobs must be at least 1")
    cores = available_cores()
    if args.jobs > cores:  # more workers than cores only multiplies memory (each holds its documents' trees)
        note = (f"--jobs {args.jobs} ramené à {cores} (cœurs disponibles)" if lang == "fr"
                else f"--jobs {args.jobs} capped to {cores} (available cores)")
        print(f"enrs-harness: {note}", file=sys.stderr)
        args.jobs = cores
    if args.kit is not None and not args.kit.is_dir():
        raise HarnessError(f"dossier du kit introuvable : {args.kit}", f"kit folder not found: {args.kit}")
    # checks packs, profile ids and the trust store up front
    context = make_context(args.profiles_dir, args.profile, args.kit, args.volet_version, args.vihf_trust)
    files, ignored = walk_artefacts(args.paths)
    if not files:
        raise HarnessError(f"aucun fichier à valider ({len(ignored)} ignoré(s))", f"no file to validate ({len(ignored)} ignored)")
    counts: Counter[str] = Counter()
    with (_fewer_collections(), _judged(files, context, args, lang) as reports,
          _Output(args.format, context, lang, len(files), ignored) as output):
        for verdict, text in reports:
            counts[verdict] += 1
            output.add(text)
        output.finish(counts)
    if counts[ArtefactVerdict.ABORTED]:
        return EXIT_ERROR
    return 1 if counts[ArtefactVerdict.FAILED] else 0


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often while the files are judged (~5 % of the CPU measured): a document's
    objects are freed by their reference counts, and each collection walked the young objects again. What is loaded
    by then (modules, packs) is frozen out of the collections (and a forked worker's pages stay shared)."""
    gc.freeze()
    try:
        with fewer_young_collections():
            yield
    finally:
        gc.unfreeze()


@contextmanager
def _judged(files: list[Path], context: ValidationContext, args: argparse.Namespace, lang: str) -> Iterator[Iterator[Rendered]]:
    """The files' reports in order, rendered, each as soon as it is judged (by worker processes with --jobs, or a Dask
    cluster)."""
    if args.cluster:
        from harness.cluster import validate_on_cluster

        yield (_rendered(report, args.format, lang)
               for report in validate_on_cluster(args.cluster, files, args.profiles_dir, args.profile, args.kit, context,
                                                 args.cluster_ship, lang, args.volet_version, args.vihf_trust))
        return
    if args.jobs == 1 or len(files) == 1:
        yield (_rendered(validate_file(path, context), args.format, lang) for path in files)
        return
    # The workers get the paths in chunks and send back the reports rendered (a string each), in the files' order.
    # No document is judged here before they are forked: a validator's run-time state (kit mode's SaxonC runtime)
    # is never inherited; what the validators derive from the packs is built here once (prepare_validators).
    from concurrent.futures.process import BrokenProcessPool

    try:
        with _worker_pool(args, context, lang) as pool:
            yield _in_order([pool.submit(_validate_chunk, chunk) for chunk in _chunks([str(f) for f in files], args.jobs)])
    except BrokenProcessPool:  # killed (out of memory?) or crashed: said plainly, with what to do
        from harness.core.errors import HarnessError

        raise HarnessError("un processus de validation s'est arrêté brutalement (mémoire épuisée ?) ; "
                           "relancer avec --jobs 1 pour trouver le fichier en cause",
                           "a validation worker process stopped abruptly (out of memory?); "
                           "run again with --jobs 1 to find the file at fault") from None


def _chunks(paths: list[str], jobs: int) -> Iterator[list[str]]:
    """The paths in consecutive chunks for `jobs` workers: at most 16 (the first lines come early), smaller and smaller
    towards the end (a worker left alone with a long last chunk would leave the others idle)."""
    start = 0
    while start < len(paths):
        size = max(1, min(16, (len(paths) - start) // (jobs * 4)))
        yield paths[start:start + size]
        start += size


def _validate_chunk(paths: list[str]) -> list[Rendered]:
    return [_validate_in_worker(path) for path in paths]


def _in_order(chunks: list[Future[list[Rendered]]]) -> Iterator[Rendered]:
    """The chunks' reports in the files' order, each chunk's as soon as it is done; the chunks not started yet are
    cancelled when the reading stops (Ctrl-C, an error)."""
    try:
        for chunk in chunks:
            yield from chunk.result()
    finally:
        for chunk in chunks:
            chunk.cancel()


@contextmanager
def _worker_pool(args: argparse.Namespace, context: ValidationContext, lang: str) -> Iterator[Executor]:
    """`args.jobs` worker processes, each with the context: forked from this process where the system allows it
    (the context already loaded, shared until written), otherwise started afresh, each loading the packs once."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _worker_context, _worker_output
    if "fork" in multiprocessing.get_all_start_methods():
        prepare_validators(context)  # built once here, not once in every worker (~0.1 G instructions each)
        gc.freeze()  # what it built is kept out of the collections too (_fewer_collections)
        _worker_context, _worker_output = context, (args.format, lang)  # inherited, as the collector's settings
        try:
            with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                yield pool
        finally:
            _worker_context = None
        return
    with ProcessPoolExecutor(args.jobs, initializer=_init_worker,
                             initargs=(args.profiles_dir, args.profile, args.kit, args.volet_version, args.vihf_trust,
                                       (args.format, lang))) as pool:
        yield pool


class _Output:
    """Where the reports go: text blocks (and a progress bar on a terminal), JSON Lines, or one JSON document."""

    def __init__(self, form: str, context: ValidationContext, lang: str, total: int, ignored: list[Ignored]) -> None:
        self.form, self.context, self.lang, self.total = form, context, lang, total
        self.ignored = ignored  # files the folder walk skipped, with why (docs/results.md)
        self.files: list[str] = []  # --format json: the entries of "files", rendered
        self.progress: Any = None

    def __enter__(self) -> _Output:
        out = sys.stdout
        if self.form == "jsonl":
            self._line({"type": "header", **_header(self.context)})
        elif self.form == "text" and out.isatty() and self.total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            from harness.cli.terminal import console

            # On a terminal the bar stays under the lines, which rich prints above it (escaped by styled()).
            self.progress = Progress(TextColumn("validate"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                     console=console(), transient=True, redirect_stdout=False, redirect_stderr=False)
            self.progress.start()
            self.task = self.progress.add_task("validate", total=self.total)
        return self

    def add(self, text: str) -> None:
        """One report, rendered by `_rendered` in this output's format."""
        if self.form == "json":
            self.files.append(text)
        elif self.form == "jsonl":
            print(text, flush=True)
        elif self.progress is not None:
            from harness.cli.terminal import styled

            self.progress.console.print(styled(text.rstrip("\n")))
            self.progress.advance(self.task)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def finish(self, counts: Counter[str]) -> None:
        summary = {v: counts.get(v, 0) for v in ("PASSED", "FAILED", "ABORTED")}
        ignored = [i.to_dict() for i in self.ignored]
        if self.form == "json":  # json.dumps of {header, "summary", "files", "ignored"} (indent 2), "files" rendered already
            head = json.dumps({**_header(self.context), "summary": summary}, ensure_ascii=False, indent=2)
            files = f"[\n{_FILES_INDENT}" + f",\n{_FILES_INDENT}".join(self.files) + "\n  ]" if self.files else "[]"
            skipped = json.dumps(ignored, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            print(f'{head[:-2]},\n  "files": {files},\n  "ignored": {skipped}\n}}')
        elif self.form == "jsonl":
            for item in ignored:
                self._line({"type": "ignored", **item})
            self._line({"type": "summary", "summary": summary})
        else:
            self.__exit__(None, None, None)
            print_ignored(self.ignored, self.lang)
            print_count(counts, self.lang, ignored=len(self.ignored))

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    @staticmethod
    def _line(value: dict[str, Any]) -> None:
        print(json.dumps(value, ensure_ascii=False), flush=True)


def _header(context: ValidationContext) -> dict[str, Any]:
    kit = None
    if context.kit_dir:
        from harness.cdakit.provenance import kit_provenance  # kit mode only

        kit = kit_provenance(context.kit_dir)
    return {
        "schema": VALIDATE_SCHEMA,
        "harness_version": __version__,
        "profiles": [{"id": p.id, "version": p.version} for p in context.selected],
        "kit": kit,
    }


def print_ignored(ignored: list[Ignored], lang: str, out: Any = None) -> None:
    """One line per file the folder walk skipped, with why."""
    from harness.cli.terminal import printable

    for skipped in ignored:
        reason = skipped.reason_fr if lang == "fr" else skipped.reason_en
        print(printable(f"{'IGNORÉ' if lang == 'fr' else 'IGNORED':<7} {skipped.path}  {reason}"), file=out or sys.stdout)


def print_count(counts: Counter[str], lang: str, out: Any = None, ignored: int = 0) -> None:
    """The final line: how many files, how many of each verdict (and how many the walk ignored)."""
    total = sum(counts.values())
    words = f"{total} fichier(s) : " if lang == "fr" else f"{total} file(s): "
    skipped = (f", ignoré(s) {ignored}" if lang == "fr" else f", ignored {ignored}") if ignored else ""
    print("\n" + words + ", ".join(f"{v} {counts.get(v, 0)}" for v in ("PASSED", "FAILED", "ABORTED")) + skipped, file=out or sys.stdout)


def _print_report(report: ArtefactReport, lang: str, out: Any, indent: str) -> None:
    detected = " ".join(x for x in (report.kind, report.profile, report.version) if x)
    print(f"{indent}{report.verdict:<7} {report.path}  [{detected or '?'}]", file=out)
    if report.reason:
        print(f"{indent}        {in_language(report.reason, lang)}", file=out)
    for finding in sorted(report.findings, key=lambda f: (_SEVERITY_ORDER[f.severity], f.line or 0)):
        where = " ".join(x for x in (f"l.{finding.line}" if finding.line else "", finding.location or "") if x)
        print(f"{indent}  {finding.severity:<7} {finding.requirement}  {where}", file=out)
        print(f"{indent}          {finding.message(lang)}", file=out)
    for child in report.children:
        _print_report(child, lang, out, indent + "    ")


_FILES_INDENT = " " * 4  # where the entries of "files" stand in the JSON document (indent 2, depth 2)
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
