"""`enrs-harness run`: test a candidate system against profile packs and write the run folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.i18n import label
from harness.resources import bundled_dir
from harness.run import new_run_dir

OUTPUT_FILES = ("report.html", "results.json", "junit.xml", "certificate.html")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="run the conformance suites and write a report and a certificate")
    add_run_arguments(parser)
    parser.set_defaults(handler=run_command)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", action="append", default=[], metavar="ID", help="profile pack to evaluate (repeatable; default: all)")
    parser.add_argument("--profiles-dir", action="append", default=[], type=Path,
                        metavar="DIR", help="extra folder of profile packs (repeatable)")
    parser.add_argument("--target", type=Path, metavar="FILE", help="target file of the candidate system (default: the embedded reference)")
    parser.add_argument("--documents", action="append", default=[], type=Path, metavar="PATH",
                        help="documents and messages to validate (repeatable)")
    parser.add_argument("--kit", type=Path, metavar="DIR",
                        help="folder laid out like the agency's CDA test kit: documents are also validated with it")
    parser.add_argument("--suites", action="append", default=[], type=Path, metavar="DIR",
                        help="extra folders of pytest conformance suites (repeatable)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                        help="where run folders are written (default: ./reports)")
    parser.add_argument("--sign-with", type=Path, metavar="DIR",
                        help="sign the certificate with the issuer of DIR (see 'certificate keygen')")
    parser.add_argument("--waivers", type=Path, metavar="FILE", help="waivers file: valid waivers turn FAILED requirements into WAIVED")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of the certificate and summary")
    parser.add_argument("--quiet", action="store_true", help="no test progress, only the summary")


def pytest_arguments(args: argparse.Namespace, run_dir: Path, lang: str) -> list[str]:
    suites = bundled_dir("suites")
    argv = [str(suites), *map(str, args.suites), "-c", str(suites / "pytest.ini"), "--rootdir", str(suites),
            "-p", "no:cacheprovider", "--enrs-run-dir", str(run_dir), "--enrs-lang", lang, "--tb=line", "-q"]
    if args.quiet:
        argv += ["-qq", "--no-summary"]
    for option, values in (("--enrs-profile", args.profile), ("--enrs-profiles-dir", args.profiles_dir),
                           ("--enrs-documents", args.documents)):
        for value in values:
            argv += [option, str(value)]
    if args.target:
        argv += ["--enrs-target", str(args.target)]
    if args.kit:
        argv += ["--enrs-kit", str(args.kit)]
    if args.sign_with:
        argv += ["--enrs-sign-with", str(args.sign_with)]
    if args.waivers:
        argv += ["--enrs-waivers", str(args.waivers)]
    return argv


def run_command(args: argparse.Namespace) -> int:
    from harness.cli import default_lang

    lang = args.lang or default_lang()
    for path in [*args.documents, *args.suites,
                 *args.profiles_dir] + [p for p in (args.target, args.kit, args.sign_with, args.waivers) if p]:
        if not path.exists():
            raise HarnessError(f"introuvable : {path}", f"not found: {path}")
    run_dir = new_run_dir(args.report_dir)
    status = pytest.main(pytest_arguments(args, run_dir, lang))
    results_file = run_dir / "results.json"
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or not results_file.exists():
        raise HarnessError(f"la campagne n'a pas pu démarrer (pytest code {int(status)}) ; voir ci-dessus",
                           f"the run could not start (pytest status {int(status)}); see above")
    results = json.loads(results_file.read_text(encoding="utf-8"))
    print_summary(results, run_dir, lang)
    return 0 if results["summary"]["certificate_issued"] else 1


def print_summary(results: dict[str, Any], run_dir: Path, lang: str, out: Any = None) -> None:
    out = out or sys.stdout  # looked up at call time: pytest's capture replaces it
    summary, run, candidate = results["summary"], results["run"], results["candidate"]
    fr = lang == "fr"
    print(file=out)
    print("=" * 72, file=out)
    print(f"enrs-harness {run['harness_version']} — {candidate['name']} ({candidate['vendor']} {candidate['version']})", file=out)
    print(", ".join(f"{p['id']} {p['version']}" for p in results["profiles"]), file=out)
    counts = "  ".join(f"{label(k, lang)}: {v}" for k, v in summary["verdicts"].items() if v)
    print(f"{'Exigences' if fr else 'Requirements'} — {counts}", file=out)
    order = {"FAILED": 0, "ABORTED": 1, "NOT_TESTED": 2}
    failing = sorted((r for r in results["requirements"] if r["verdict"] in order and r["level"] in ("MUST", "SHOULD")),
                     key=lambda r: (r["level"] != "MUST", order[r["verdict"]]))
    for requirement in failing[:12]:
        reason = next((x["reason"] for x in requirement.get("reasons", []) if x.get("reason")), "")
        print(f"  {requirement['verdict']:<10} {requirement['level']:<6} {requirement['id']}  {reason[:80]}", file=out)
    if len(failing) > 12:
        print(f"  … {len(failing) - 12} {'autres' if fr else 'more'}", file=out)
    for waiver in results.get("waivers", []):
        status = label("waiver_" + waiver["status"], lang)
        print(f"  {'Dérogation' if fr else 'Waiver'} {waiver['requirement']}: {status} ({waiver['approver']}, → {waiver['expires']})",
              file=out)
    if not run["complete"]:
        print(f"{'INCOMPLET' if fr else 'INCOMPLETE'}: {run['incomplete_reason']}", file=out)
    verdict = label("certificate_title", lang) if summary["certificate_issued"] else label("nonconformity_title", lang)
    print(f"=> {verdict}", file=out)
    for name in OUTPUT_FILES:
        if (run_dir / name).exists():
            print(f"   {run_dir / name}", file=out)
    print("=" * 72, file=out)
