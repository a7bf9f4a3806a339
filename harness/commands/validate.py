"""`enrs-harness validate PATH…`: validate CDA documents and HL7 v2 messages, outside a run.

Exit codes: 0 every file PASSED, 1 any FAILED, 2 any ABORTED (unreadable, unrecognised) or a usage error.
The JSON output is documented in docs/validate-output.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from harness import __version__
from harness.cdakit.layout import with_kit_pack
from harness.cdakit.provenance import kit_provenance
from harness.findings import ArtefactReport, Severity
from harness.packs import PackRegistry
from harness.validation import ValidationContext, expand_paths, validate_file
from harness.verdicts import ArtefactVerdict

VALIDATE_SCHEMA = "enrs-harness/validate/1"
_worker_context: ValidationContext | None = None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("validate", help="validate CDA documents and HL7 v2 messages (files or folders)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--profile", action="append", default=[], metavar="ID", help="profile pack to apply (repeatable; default: all)")
    parser.add_argument("--profiles-dir", action="append", default=[], type=Path,
                        metavar="DIR", help="extra folder of profile packs (repeatable)")
    parser.add_argument("--kit", type=Path, metavar="DIR", help="folder laid out like the agency's CDA test kit (XSD and schematrons)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="parallel worker processes (default 1)")
    parser.add_argument("--lang", choices=("fr", "en"))
    parser.set_defaults(handler=validate_command)


def _init_worker(profiles_dirs: list[Path], profile_ids: list[str], kit: Path | None) -> None:
    global _worker_context
    _worker_context = make_context(profiles_dirs, profile_ids, kit)


def _validate_in_worker(path: Path) -> ArtefactReport:
    assert _worker_context is not None
    return validate_file(path, _worker_context)


def make_context(profiles_dirs: list[Path], profile_ids: list[str], kit: Path | None) -> ValidationContext:
    registry = PackRegistry.load(with_kit_pack(profiles_dirs, kit))
    return ValidationContext(registry=registry, selected=registry.select(profile_ids), kit_dir=kit)


def validate_command(args: argparse.Namespace) -> int:
    from harness.cli import EXIT_ERROR, default_lang
    from harness.errors import HarnessError

    lang = args.lang or default_lang()
    if args.jobs < 1:
        raise HarnessError("--jobs doit être au moins 1", "--jobs must be at least 1")
    if args.kit is not None and not args.kit.is_dir():
        raise HarnessError(f"dossier du kit introuvable : {args.kit}", f"kit folder not found: {args.kit}")
    context = make_context(args.profiles_dir, args.profile, args.kit)  # checks packs and profile ids up front
    files = list(expand_paths(args.paths))
    if not files:
        raise HarnessError("aucun fichier à valider", "no file to validate")
    if args.jobs == 1 or len(files) == 1:
        reports = [validate_file(path, context) for path in files]
    else:
        with ProcessPoolExecutor(args.jobs, initializer=_init_worker, initargs=(args.profiles_dir, args.profile, args.kit)) as pool:
            reports = list(pool.map(_validate_in_worker, files, chunksize=max(1, len(files) // (args.jobs * 8))))
    if args.format == "json":
        print(json.dumps(json_output(reports, context), ensure_ascii=False, indent=2))
    else:
        print_text(reports, lang)
    verdicts = {r.verdict for r in reports}
    if ArtefactVerdict.ABORTED in verdicts:
        return EXIT_ERROR
    return 1 if ArtefactVerdict.FAILED in verdicts else 0


def json_output(reports: list[ArtefactReport], context: ValidationContext) -> dict[str, Any]:
    counts = Counter(str(r.verdict) for r in reports)
    return {
        "schema": VALIDATE_SCHEMA,
        "harness_version": __version__,
        "profiles": [{"id": p.id, "version": p.version} for p in context.selected],
        "kit": kit_provenance(context.kit_dir) if context.kit_dir else None,
        "summary": {v: counts.get(v, 0) for v in ("PASSED", "FAILED", "ABORTED")},
        "files": [r.to_dict() for r in reports],
    }


def print_text(reports: list[ArtefactReport], lang: str, out: Any = None) -> None:
    out = out or sys.stdout  # looked up at call time (tests and callers may swap sys.stdout)
    for report in reports:
        _print_report(report, lang, out, indent="")
    counts = Counter(str(r.verdict) for r in reports)
    total = len(reports)
    print(f"\n{total} {'fichier(s)' if lang == 'fr' else 'file(s)'}: "
          + ", ".join(f"{v} {counts.get(v, 0)}" for v in ("PASSED", "FAILED", "ABORTED")), file=out)


def _print_report(report: ArtefactReport, lang: str, out: Any, indent: str) -> None:
    detected = " ".join(x for x in (report.kind, report.profile, report.version) if x)
    print(f"{indent}{report.verdict:<7} {report.path}  [{detected or '?'}]", file=out)
    if report.reason:
        print(f"{indent}        {_in_language(report.reason, lang)}", file=out)
    for finding in sorted(report.findings, key=lambda f: (_SEVERITY_ORDER[f.severity], f.line or 0)):
        where = " ".join(x for x in (f"l.{finding.line}" if finding.line else "", finding.location or "") if x)
        print(f"{indent}  {finding.severity:<7} {finding.requirement}  {where}", file=out)
        print(f"{indent}          {finding.message(lang)}", file=out)
    for child in report.children:
        _print_report(child, lang, out, indent + "    ")


def _in_language(reason: str, lang: str) -> str:
    """The French or English half of a "français / English" reason (the whole text when it has no such halves)."""
    halves = reason.split(" / ", 1)
    return (halves[0] if lang == "fr" else halves[1]) if len(halves) == 2 else reason


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
