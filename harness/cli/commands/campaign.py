"""`enrs-harness campaign run FILE`: run many candidates, write their reports, a dashboard and campaign.json."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("campaign", help="run a conformance campaign over many candidates")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run every candidate of a campaign file (docs/campaigns.md)")
    run.add_argument("file", type=Path, metavar="FILE")
    run.add_argument("--jobs", type=int, metavar="N", help="candidates run at the same time (default: the file's, else min(4, CPUs))")
    run.add_argument("--output", type=Path, metavar="DIR",
                     help="folder of the campaign's runs (default: the file's, else reports/campaigns/<id>)")
    run.add_argument("--lang", choices=("fr", "en"))
    run.add_argument("--cluster", metavar="ADDRESS",
                     help="run each candidate as a task on a Dask cluster: tcp://host:8786 or local[:N] (docs/cluster.md)")
    run.set_defaults(handler=run_command)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_command(args: argparse.Namespace) -> int:
    from harness.campaign.config import load_campaign
    from harness.campaign.execute import execute
    from harness.config.packs import PackRegistry
    from harness.core.i18n import default_lang
    from harness.run.waivers import load_waivers

    if args.cluster:
        from harness.cluster import check_spec

        check_spec(args.cluster)
    campaign = load_campaign(args.file, args.output)
    lang = args.lang or campaign.lang or default_lang()
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise HarnessError("--jobs doit être entre 1 et 64", "--jobs must be between 1 and 64")
    registry = PackRegistry.load(campaign.profiles_dirs)  # errors in packs, profiles or waivers stop the campaign before it starts
    for candidate in campaign.candidates:
        registry.select(candidate.profiles)
    if campaign.waivers:
        load_waivers(campaign.waivers, set(registry.requirements))
    if campaign.sign_with:
        from harness.certificates.signing import Signer

        Signer.load(campaign.sign_with)
    fr = lang == "fr"
    print(f"{'Campagne' if fr else 'Campaign'} {campaign.id}: {len(campaign.candidates)} {'candidats' if fr else 'candidates'}, "
          f"jobs={args.jobs or campaign.jobs}", flush=True)

    def done(outcome: dict[str, Any]) -> None:
        reason = f" — {outcome['reason'][:160]}" if outcome.get("reason") else ""
        print(f"  {outcome['status']:<15} {outcome['name']} ({outcome.get('duration', 0):.1f} s){reason}", flush=True)

    signal.signal(signal.SIGTERM, _interrupt)  # stopped from outside: stop the candidates' runs too
    folder, data = execute(campaign, args.jobs, lang, done, args.cluster)
    summary = data["summary"]
    for problem in data.get("waiver_problems", []):
        print(f"  {'Dérogation sans objet' if fr else 'Waiver matching nothing'}: {problem['requirement']} / {problem['candidate']} — "
              f"{problem['reason'][lang]}")
    print(f"{'Tableau de bord' if fr else 'Dashboard'}: {folder / 'dashboard.html'}")
    print(f"campaign.json: {folder / 'campaign.json'}")
    print(f"CERTIFIED {summary['certified']}  NOT_CONFORMANT {summary['not_conformant']}  ABORTED {summary['aborted']}  "
          f"({data['campaign']['duration']} s)", file=sys.stdout)
    return 0 if summary["certified"] == summary["candidates"] else 1
