"""`enrs-harness profiles list|show`: the profile packs the harness knows."""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path

from harness.config.packs import PackRegistry
from harness.core.i18n import default_lang


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("profiles", help="list and show profile packs")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (("list", "list the loaded profile packs"), ("show", "show the requirements of one pack")):
        sub = actions.add_parser(name, help=help_text)
        if name == "show":
            sub.add_argument("pack_id", metavar="ID")
        sub.add_argument("--profiles-dir", action="append", default=[], type=Path,
                         metavar="DIR", help="extra folder of profile packs (repeatable)")
        sub.add_argument("--format", choices=("text", "json"), default="text")
        sub.add_argument("--lang", choices=("fr", "en"))
        sub.set_defaults(handler=list_packs if name == "list" else show_pack)
    sub = actions.add_parser("coverage", help="what evaluates each requirement (a rule, a declarative check, a suite test) "
                                              "or why nothing does; exit 1 on a requirement with neither")
    sub.add_argument("--profiles-dir", action="append", default=[], type=Path,
                     metavar="DIR", help="extra folder of profile packs (repeatable)")
    sub.add_argument("--suites", action="append", default=[], type=Path, metavar="DIR",
                     help="extra folders of pytest conformance suites (repeatable)")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--lang", choices=("fr", "en"))
    sub.set_defaults(handler=coverage_command)


def list_packs(args: argparse.Namespace) -> int:
    registry = PackRegistry.load(args.profiles_dir)
    lang = args.lang or default_lang()
    if args.format == "json":
        print(json.dumps([{**p.summary(), "opt_in": p.opt_in} for p in registry.packs.values()], ensure_ascii=False, indent=2))
        return 0
    opt_in = " (opt-in)"  # not in the default selection: named by --profile or claimed by the target's [scope] profiles
    rows = [(p.id + (opt_in if p.opt_in else ""), p.version, p.framework, str(len(p.requirements)), p.title.get(lang))
            for p in registry.packs.values()]
    _table(("ID", "VERSION", "FRAMEWORK", "REQ", "TITLE"), rows)
    return 0


def show_pack(args: argparse.Namespace) -> int:
    registry = PackRegistry.load(args.profiles_dir)
    pack = registry.get(args.pack_id)
    lang = args.lang or default_lang()
    if args.format == "json":
        print(json.dumps({**pack.summary(), "requirements": [r.to_dict() for r in pack.requirements]}, ensure_ascii=False, indent=2))
        return 0
    print(f"{pack.id} {pack.version} — {pack.title.get(lang)}")
    print(f"{pack.framework} · {pack.source.document} {pack.source.version} ({pack.source.date})")
    print()
    width = shutil.get_terminal_size((120, 20)).columns
    rows = [(r.id, r.level, r.section, r.statement.get(lang)) for r in pack.requirements]
    _table(("ID", "LEVEL", "SECTION", "STATEMENT"), rows, wrap_last=max(30, width - 60))
    return 0


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], wrap_last: int | None = None) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        lead = "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row[:-1]))
        lines = textwrap.wrap(str(row[-1]), wrap_last) if wrap_last else [str(row[-1])]
        print(f"{lead}  {lines[0] if lines else ''}")
        for line in lines[1:]:
            print(f"{' ' * len(lead)}  {line}")


def coverage_command(args: argparse.Namespace) -> int:
    from harness.core.errors import HarnessError
    from harness.extension.coverage import coverage
    from harness.extension.registry import suite_dirs

    for path in args.suites:
        if not path.is_dir():
            raise HarnessError(f"dossier de suites introuvable : {path}", f"suites folder not found: {path}")
    registry = PackRegistry.load(args.profiles_dir)
    rows = coverage(registry, [*suite_dirs(), *args.suites])
    lang = args.lang or default_lang()
    counts = {status: sum(1 for r in rows if r.status == status) for status in ("evaluated", "not-tested", "gap")}
    if args.format == "json":
        print(json.dumps({"summary": {"requirements": len(rows), **counts}, "requirements": [r.to_dict() for r in rows]},
                         ensure_ascii=False, indent=2))
    else:
        table = [(r.requirement, r.pack, r.level,
                  "; ".join(r.evaluators) if r.evaluators
                  else (("non testée : " if lang == "fr" else "not tested: ") + r.not_tested_reason.get(lang)) if r.not_tested_reason
                  else ("AUCUN ÉVALUATEUR NI RAISON" if lang == "fr" else "NOTHING EVALUATES IT, NO REASON GIVEN"))
                 for r in rows]
        width = shutil.get_terminal_size((160, 20)).columns
        _table(("ID", "PACK", "LEVEL", "EVALUATED BY" if lang == "en" else "ÉVALUÉE PAR"), table, wrap_last=max(40, width - 80))
        print()
        if lang == "fr":
            print(f"{len(rows)} exigences : {counts['evaluated']} évaluées, {counts['not-tested']} non testées avec raison, "
                  f"{counts['gap']} sans évaluateur ni raison")
        else:
            print(f"{len(rows)} requirements: {counts['evaluated']} evaluated, {counts['not-tested']} not tested with a reason, "
                  f"{counts['gap']} with neither an evaluator nor a reason")
    return 1 if counts["gap"] else 0
