"""`enrs-harness run`: test a candidate system against profile packs and write the run folder."""

from __future__ import annotations

import argparse
import contextlib
import os
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.core.collector import fewer_young_collections
from harness.core.errors import HarnessError
from harness.core.i18n import in_language, label, readable_reason
from harness.core.resources import bundled_dir
from harness.core.results import RequirementRow, Results
from harness.run.folder import new_run_dir

OUTPUT_FILES = ("report.html", "results.json", "junit.xml", "certificate.html")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="run the conformance suites and write a report and a certificate")
    add_run_arguments(parser)
    parser.set_defaults(handler=run_command)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", action="append", default=[], metavar="ID",
                        help="profile pack to evaluate (repeatable; default: all but opt-in packs)")
    parser.add_argument("--profiles-dir", action="append", default=[], type=Path,
                        metavar="DIR", help="extra folder of profile packs (repeatable)")
    parser.add_argument("--target", type=Path, metavar="FILE", help="target file of the candidate system (default: the embedded reference)")
    parser.add_argument("--documents", action="append", default=[], type=Path, metavar="PATH",
                        help="documents and messages to validate (repeatable)")
    parser.add_argument("--allow-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="folder the target file's document paths may point into, besides the target file's own (repeatable)")
    parser.add_argument("--kit", type=Path, metavar="DIR",
                        help="folder laid out like the agency's CDA test kit: documents are also validated with it")
    parser.add_argument("--vihf-trust", type=Path, metavar="PEM",
                        help="CA certificates (PEM) that may sign VIHF assertions and DSG signatures (default: signers are not judged)")
    parser.add_argument("--volet-version", action="append", default=[], metavar="VOLET=VERSION",
                        help="a CDA volet's version when the document cannot say it (e.g. CR-BIO=2024.01; repeatable)")
    parser.add_argument("--suites", action="append", default=[], type=Path, metavar="DIR",
                        help="extra folders of pytest conformance suites (repeatable)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                        help="where run folders are written (default: ./reports)")
    parser.add_argument("--sign-with", type=Path, metavar="DIR",
                        help="sign the certificate with the issuer of DIR (see 'certificate keygen')")
    parser.add_argument("--waivers", type=Path, metavar="FILE", help="waivers file: valid waivers turn FAILED requirements into WAIVED")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of the certificate and summary")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--quiet", action="store_true", help="no test progress, only the summary")
    output.add_argument("-v", "--verbose", action="store_true", help="also print pytest's failures and tracebacks")
    output.add_argument("--debug", action="store_true", help="print everything pytest prints (full tracebacks, captured output)")


def pytest_arguments(args: argparse.Namespace, run_dir: Path, lang: str) -> list[str]:
    suites = bundled_dir("suites")
    from harness.extension.registry import suite_dirs  # the bundled suites, then those of installed extensions

    registered = [d for d in suite_dirs() if d.resolve() != suites.resolve()]
    argv = [str(suites), *map(str, registered), *map(str, args.suites), "-c", str(suites / "pytest.ini"), "--rootdir", str(suites),
            "-p", "no:cacheprovider", "--enrs-run-dir", str(run_dir), "--enrs-lang", lang, "--color=no",
            # The harness's modules are imported before pytest loads its plugin: nothing of theirs needs rewriting.
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if getattr(args, "debug", False):
        argv += ["-v", "--tb=long", "-rA"]
    elif getattr(args, "verbose", False):
        argv += ["--tb=short", "-q"]
    else:  # progress, then the harness's own summary; the failures' details are in report.html
        argv += ["--tb=no", "--no-summary", "-q"] + (["-q"] if args.quiet else [])
    for option, values in (("--enrs-profile", args.profile), ("--enrs-profiles-dir", args.profiles_dir),
                           ("--enrs-documents", args.documents),
                           ("--enrs-volet-version", args.volet_version), ("--enrs-allow-dir", args.allow_dir)):
        for value in values:
            argv += [option, str(value)]
    if args.target:
        argv += ["--enrs-target", str(args.target)]
    if args.kit:
        argv += ["--enrs-kit", str(args.kit)]
    if args.vihf_trust:
        argv += ["--enrs-vihf-trust", str(args.vihf_trust)]
    if args.sign_with:
        argv += ["--enrs-sign-with", str(args.sign_with)]
    if args.waivers:
        argv += ["--enrs-waivers", str(args.waivers)]
    return argv


# The pytest plugins a run loads, and only these: any other plugin installed beside the harness (hypothesis,
# pytest-benchmark, ...) would otherwise load too and could change what the run does or prints.
RUN_PLUGINS = ["-p", "pytest_metadata.plugin", "-p", "pytest_html.plugin", "-p", "pytest_html.fixtures",
               "-p", "harness.run.plugin", "-p", "harness.run.documents"]


@contextlib.contextmanager
def _only_the_runs_plugins() -> Iterator[None]:
    """pytest's automatic loading of installed plugins off while the run's pytest starts (RUN_PLUGINS names its own)."""
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before


class _FinalReportPath:
    """pytest-html names the file it wrote, `.report.html.partial`, which the run moves to report.html as it ends: name that one."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_terminal_summary(self, config: pytest.Config) -> None:
        for plugin in config.pluginmanager.get_plugins():
            path = getattr(plugin, "_report_path", None)
            if isinstance(path, Path) and path.name == ".report.html.partial":
                plugin._report_path = path.with_name("report.html")


class _FinalResults:
    """The run's final results, as written to results.json but its lists of tests and artefacts, handed over in memory:
    reading the file back cost about 20 ms per thousand documents."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    def results(self) -> dict[str, Any] | None:
        from harness.run.plugin import SESSION_KEY

        session = self.config.stash.get(SESSION_KEY, None) if self.config is not None else None
        return session.final_results if session is not None else None


def run_command(args: argparse.Namespace) -> int:
    from harness.core.i18n import default_lang

    lang = args.lang or default_lang()
    for path in [*args.documents, *args.suites,
                 *args.profiles_dir] + [p for p in (args.target, args.kit, args.sign_with, args.waivers, args.vihf_trust) if p]:
        if not path.exists():
            raise HarnessError(f"introuvable : {path}", f"not found: {path}")
    run_dir = new_run_dir(args.report_dir)
    # fewer garbage collections from the start, as while the tests run: pytest's start allocates enough to trigger a
    # collection of every object (25 ms) besides young ones
    final = _FinalResults()
    with fewer_young_collections(), _only_the_runs_plugins():
        status = pytest.main([*RUN_PLUGINS, *pytest_arguments(args, run_dir, lang)], plugins=[_FinalReportPath(), final])
    results = final.results()
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or results is None:
        raise HarnessError(f"l'exécution n'a pas pu démarrer (pytest code {int(status)}) ; voir ci-dessus",
                           f"the run could not start (pytest status {int(status)}); see above")
    print_summary(results, run_dir, lang)
    return 0 if results["summary"]["certificate_issued"] else 1


SUMMARY_ROWS = 10  # blocking requirements listed in the terminal; the rest are in report.html and certificate.html
REASON_CHARS = 160


def print_blocking_artefacts(term: Any, results: Results, lang: str) -> None:
    """What else blocks the certificate (artefacts and endpoint checks not judged), then the files the walk ignored."""
    from harness.cli.terminal import styled

    fr = lang == "fr"
    items = [b for b in results.blocking or [] if b["kind"] != "requirement"]
    if items:
        kinds = ", ".join(f"{n} {k}" for k, n in Counter(b["kind"] for b in items).items())
        term.print()
        term.print(styled(f"Autres éléments bloquants ({kinds}) :" if fr else f"Other blocking items ({kinds}):", "bold"))
    for item in items[:SUMMARY_ROWS]:
        check = f" ({item['test'].rsplit('::', 1)[-1]})" if item["kind"] == "endpoint" and item.get("test") else ""
        term.print(styled(f"  {label(item['verdict'], lang)}  ", "red"),
                   styled(f"{item['id']}{check} — {readable_reason(item['reason'][lang], lang, REASON_CHARS)}"), sep="", soft_wrap=True)
    if len(items) > SUMMARY_ROWS:
        term.print(styled(f"  … et {len(items) - SUMMARY_ROWS} autres : voir results.json" if fr
                          else f"  … and {len(items) - SUMMARY_ROWS} more: see results.json", "dim"))
    ignored = results.ignored
    if ignored:
        term.print(styled(f"Fichiers ignorés ({len(ignored)}) :" if fr else f"Ignored files ({len(ignored)}):", "dim"))
    for skipped in ignored[:SUMMARY_ROWS]:
        term.print(styled(f"  {skipped['path']} — {skipped['reason'][lang]}", "dim"), soft_wrap=True)  # paths stay whole
    if len(ignored) > SUMMARY_ROWS:
        term.print(styled(f"  … et {len(ignored) - SUMMARY_ROWS} autres" if fr else f"  … and {len(ignored) - SUMMARY_ROWS} more", "dim"))


def print_summary(results: dict[str, Any], run_dir: Path, lang: str, out: Any = None) -> None:
    """The run's verdict on one screen: candidate, counts, the blocking requirements in words, the files written."""
    from rich.console import Console
    from rich.rule import Rule

    from harness.cli.terminal import console, printable, styled

    term = Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=False, width=100) if out else console()
    term.soft_wrap = False
    fr = lang == "fr"
    typed = Results.from_dict(results)
    summary, run, candidate = typed.summary, typed.run, typed.candidate
    term.print(Rule(printable(f"enrs-harness {run.harness_version}"), style="dim"))
    term.print(styled(f"{'Candidat' if fr else 'Candidate'} : " if fr else "Candidate: ", "bold"),
               styled(f"{in_language(candidate.name, lang)} — {candidate.vendor} {candidate.version}"), sep="")
    term.print(styled("Profils : " if fr else "Profiles: ", "bold"),
               styled(", ".join(f"{p.id} {p.version}" for p in typed.profiles)), sep="")
    counts = " · ".join(f"{label(k, lang)} {v}" for k, v in summary.verdicts.items() if v)
    if typed.scope is not None:
        term.print(styled(typed.scope["statement"][lang]))  # "Portée certifiée : …" / "Scope not declared: …"
    term.print(styled("Exigences : " if fr else "Requirements: ", "bold"), styled(counts), sep="")
    groups = blocking_groups(typed.requirements, lang)
    if groups:
        term.print()
        term.print(styled("Exigences à revoir :" if fr else "Requirements to review:", "bold"))
        indent, width = " " * 6, max(60, term.width)
        for verdict, level, ids, reason in groups[:SUMMARY_ROWS]:
            lead = f"  {label(verdict, lang)}  {level}  "
            listed = ids[0] if len(ids) == 1 else f"{len(ids)} : " if fr else f"{len(ids)}: "
            listed += "" if len(ids) == 1 else ", ".join(ids[:6]) + (" …" if len(ids) > 6 else "")
            # one line when it fits: "  ÉCHEC  MUST  SM-REALMCODE — realmCode[@code='FR'] obligatoire absent."
            lines = textwrap.wrap(f"{listed} — {reason}" if reason else listed, width - len(lead),
                                  subsequent_indent=indent[len(lead):] if len(lead) < len(indent) else "",
                                  break_long_words=False, break_on_hyphens=False)
            term.print(styled(lead, "red" if verdict in ("FAILED", "ABORTED") else "yellow"), styled(lines[0] if lines else ""), sep="")
            for line in textwrap.wrap(" ".join(lines[1:]), width - len(indent), break_long_words=False, break_on_hyphens=False):
                term.print(styled(indent + line, "dim"))
        if len(groups) > SUMMARY_ROWS:
            more = sum(len(g[2]) for g in groups[SUMMARY_ROWS:])
            term.print(styled(f"  … et {more} autres : voir report.html" if fr else f"  … and {more} more: see report.html", "dim"))
    print_blocking_artefacts(term, typed, lang)
    for waiver in typed.waivers:
        status = label("waiver_" + waiver.status, lang)
        why = f" — {waiver.reason[lang]}" if waiver.reason else ""
        term.print(styled(f"{'Dérogation' if fr else 'Waiver'} {waiver.requirement} : {status} ({waiver.approver}, → "
                          f"{waiver.expires}){why}"
                          if fr else f"Waiver {waiver.requirement}: {status} ({waiver.approver}, → {waiver.expires}){why}",
                          "yellow"))
    others = typed.waivers_other_candidates
    if others:
        name = f"« {candidate.name} » {candidate.version}"
        term.print(styled(f"{others} dérogation(s) du fichier visent d'autres candidats ou versions : non appliquées (ce candidat : {name})"
                          if fr
                          else f"{others} waiver(s) of the file name other candidates or versions: not applied (this candidate: {name})",
                          "dim"))
    if not run.complete:
        term.print(styled(f"{label('incomplete', lang)} : {readable_reason(run.incomplete_reason, lang)}" if fr
                          else f"{label('incomplete', lang)}: {readable_reason(run.incomplete_reason, lang)}", "bold red"))
    term.print()
    issued = summary.certificate_issued
    verdict = label("certificate_title", lang) if issued else label("nonconformity_title", lang)
    overall = label("conformant", lang) if issued else label("nonconformant" if run.complete else "incomplete", lang)
    term.print(styled(f"{label('overall', lang)}{' : ' if fr else ': '}{overall} — {verdict}", "bold green" if issued else "bold red"))
    for name in OUTPUT_FILES:
        if (run_dir / name).exists():
            term.print(styled(f"  {run_dir / name}"), soft_wrap=True)  # a path people copy: never folded
    term.print(Rule(style="dim"))


def blocking_groups(requirements: list[RequirementRow], lang: str) -> list[tuple[str, str, list[str], str]]:
    """The MUST and SHOULD requirements that failed, aborted or were not tested, grouped by verdict, level and reason.

    MUST first, then FAILED, ABORTED, NOT_TESTED; 60 requirements no test evaluated make one line, not 60.
    """
    order = {"FAILED": 0, "ABORTED": 1, "NOT_TESTED": 2}
    groups: dict[tuple[str, str, str], list[str]] = {}
    for requirement in requirements:
        if requirement.verdict in order and requirement.level in ("MUST", "SHOULD"):
            reason = next((x["reason"] for x in requirement.reasons if x.get("reason")), "")
            text = readable_reason(reason, lang, REASON_CHARS) or _no_reason(requirement.verdict, lang)
            groups.setdefault((requirement.verdict, requirement.level, text), []).append(requirement.id)
    ordered = sorted(groups.items(), key=lambda item: (item[0][1] != "MUST", order[item[0][0]]))
    return [(verdict, level, ids, reason) for (verdict, level, reason), ids in ordered]


def _no_reason(verdict: str, lang: str) -> str:
    if verdict == "NOT_TESTED":
        return "Aucun test de cette exécution ne l'évalue." if lang == "fr" else "No test of this run evaluates it."
    if verdict == "ABORTED":
        return "Le contrôle n'a pas pu aller à son terme." if lang == "fr" else "The check could not be completed."
    return ""
