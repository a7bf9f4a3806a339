"""The run folder: results.json (see docs/results.md), report.html, junit.xml and certificate.html.

Every file is written atomically. results.json exists from the start, marked "running", and is
rewritten as tests finish, so that a run killed at any point leaves a report marked incomplete.
"""

from __future__ import annotations

import json
import platform
import secrets
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness import __version__
from harness.core.fileio import atomic_write_bytes, atomic_write_text
from harness.core.verdicts import Verdict, aggregate, verdict_counts
from harness.run.certification import blocking_items, judge_rows
from harness.run.waivers import apply_waivers, other_candidates

if TYPE_CHECKING:
    import pytest

    from harness.certificates.signing import Signer
    from harness.config.packs import PackRegistry, ProfilePack
    from harness.config.scope import Scope
    from harness.config.target import Target
    from harness.run.recorder import TestRecord
    from harness.run.waivers import Waiver
    from harness.validation.dispatch import Ignored

RESULTS_SCHEMA = "enrs-harness/results/1"
COMPLETE_EXIT_STATUSES = (0, 1)  # pytest: all passed, some failed
MAX_TESTS_LISTED = 50
MAX_REASONS_LISTED = 20
_EXIT_REASONS = {  # pytest's exit statuses other than 0 and 1, said for people
    2: ("exécution interrompue (Ctrl-C ou erreur de collecte des tests) ; ", "run interrupted (Ctrl-C or an error collecting the tests); "),
    3: ("erreur interne ; ", "internal error; "),
    4: ("erreur d'utilisation ; ", "usage error; "),
    5: ("aucun test collecté ; ", "no test collected; "),
}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_dir(parent: Path) -> Path:
    """A new folder `<UTC timestamp>-<short id>` under `parent`."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(parent) / f"{stamp}-{secrets.token_hex(3)}"
    path.mkdir(parents=True, exist_ok=False)
    return path


class RunSession(Protocol):
    """What the run folder reads of the plugin's session (harness.run.plugin.EnrsSession), named here so that
    this module does not import the plugin that imports it."""

    config: pytest.Config
    lang: str
    records: dict[str, TestRecord]
    exitstatus: int | None
    incomplete_reason: str | None
    signer: Signer | None
    waivers: list[Waiver]
    ignored: list[Ignored]

    @property
    def registry(self) -> PackRegistry: ...
    @property
    def selected(self) -> list[ProfilePack]: ...
    @property
    def kit_dir(self) -> Path | None: ...
    @property
    def candidate(self) -> Target: ...
    @property
    def scope(self) -> Scope: ...


class RunWriter:
    """Writes the files of one run folder for a pytest session."""

    def __init__(self, run_dir: Path, session: RunSession) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.session = session
        self.run_id = str(uuid.uuid4())
        self.started = utc_now()
        self.finished: str | None = None
        self.kit = None
        self._rows: tuple[tuple[str, int], tuple[list[dict[str, Any]], list[dict[str, Any]]]] | None = None  # the last rows and their key
        if session.kit_dir:  # kit mode imported only when a kit is given
            from harness.cdakit.provenance import kit_provenance

            self.kit = kit_provenance(session.kit_dir)

    def partial(self, name: str) -> Path:
        """Where a file another plugin writes goes until the run ends and it is moved in place."""
        return self.run_dir / f".{name}.partial"

    def start(self) -> None:
        self.write_results(final=False)

    def results(self, final: bool) -> dict[str, Any]:
        session = self.session
        status, reason = self._status(final)
        requirements, waivers = self.requirement_rows(status)
        artefacts: dict[tuple[str, str], dict[str, Any]] = {}
        for record in session.records.values():
            for artefact in record.artefacts:
                artefacts.setdefault((artefact.sha256, artefact.name), artefact.to_dict())
        counts = verdict_counts(r["verdict"] for r in requirements)
        blocking = blocking_items(requirements, session.records.values(), session.scope)
        must_blocking = [b["id"] for b in blocking if b["kind"] == "requirement"]
        issued = status == "complete" and not blocking and counts[Verdict.PASSED] + counts[Verdict.WAIVED] > 0
        return {
            "schema": RESULTS_SCHEMA,
            "run": {
                "id": self.run_id,
                "status": status,
                "complete": status == "complete",
                "incomplete_reason": reason,
                "started": self.started,
                "finished": self.finished,
                "harness_version": __version__,
                "lang": session.lang,
                "pytest_exit_status": session.exitstatus,
                "platform": {
                    "python": sys.version.split()[0],
                    "implementation": platform.python_implementation(),
                    "system": platform.system(),
                    "release": platform.release(),
                    "machine": platform.machine(),
                },
                "command": list(session.config.invocation_params.args),
                "kit": self.kit,
            },
            "candidate": session.candidate.public_dict(),
            "scope": session.scope.to_dict(requirements),
            "profiles": [pack.summary() for pack in session.selected],
            "requirements": requirements,
            "tests": [record.to_dict() for record in session.records.values()],
            "artefacts": list(artefacts.values()),
            "ignored": [i.to_dict() for i in session.ignored],
            "waivers": waivers,
            "waivers_other_candidates": other_candidates(session.waivers, session.candidate.name, session.candidate.version),
            "blocking": blocking,
            "summary": {
                "verdicts": counts,
                "failed_must": sum(1 for r in requirements if r["level"] == "MUST" and r["verdict"] == Verdict.FAILED),
                "failed_should": sum(1 for r in requirements if r["level"] == "SHOULD" and r["verdict"] == Verdict.FAILED),
                "blocking": must_blocking,
                "blocking_count": len(blocking),
                "ignored_count": len(session.ignored),
                "certificate_issued": issued,
            },
        }

    def _status(self, final: bool) -> tuple[str, str | None]:
        session = self.session
        if not final:
            return "running", "l'exécution des tests n'est pas terminée / the test run has not finished"
        if session.exitstatus not in COMPLETE_EXIT_STATUSES:
            fr, en = _EXIT_REASONS.get(session.exitstatus, ("", "")) if session.exitstatus is not None else ("", "")
            return ("interrupted",
                    f"{fr}pytest a terminé avec le code {session.exitstatus} / {en}pytest ended with exit status {session.exitstatus}")
        if session.incomplete_reason:
            return "interrupted", session.incomplete_reason
        unfinished = [r.nodeid for r in session.records.values() if not r.finished]
        if unfinished:
            return "interrupted", f"tests non terminés / unfinished tests: {', '.join(unfinished[:5])}"
        return "complete", None

    def requirement_rows(self, status: str = "complete") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every requirement's verdict within the scope, with its reason, once the candidate's waivers are applied;
        and those waivers' statuses."""
        session = self.session
        # Once every test has ended, report.html's summary and the final results.json ask for the same rows: computed once.
        key = (status, len(session.records)) if all(r.finished for r in session.records.values()) else None
        if key is not None and self._rows is not None and self._rows[0] == key:
            return self._rows[1]
        rows = self._requirement_verdicts()
        judge_rows(rows, session.registry.requirements, session.records.values(), session.scope, session.lang, status)
        target = self.session.candidate
        waivers = apply_waivers(rows, self.session.waivers, target.name, target.version, date.fromisoformat(self.started[:10]))
        self._rows = (key, (rows, waivers)) if key is not None else None
        return rows, waivers

    def _requirement_verdicts(self) -> list[dict[str, Any]]:
        session = self.session
        # requirement id -> verdict -> the tests that gave it (each test once: records are keyed by node id), and the
        # first reasons given with it: one pass over the contributions, which number tests x requirements
        given: dict[str, dict[Verdict, list[str]]] = {}
        reasons: dict[str, dict[Verdict, list[tuple[str, str]]]] = {}
        for record in session.records.values():
            nodeid = record.nodeid
            for requirement_id, (verdict, reason) in record.contributions().items():
                given.setdefault(requirement_id, {}).setdefault(verdict, []).append(nodeid)
                if reason:
                    kept = reasons.setdefault(requirement_id, {}).setdefault(verdict, [])
                    if len(kept) < MAX_REASONS_LISTED:
                        kept.append((nodeid, reason))
        rows = []
        for pack in session.selected:
            for requirement in pack.requirements:
                tests = given.get(requirement.id, {})
                verdict = aggregate(tests)
                row = requirement.to_dict()
                row.update({
                    "pack_version": pack.version,
                    "verdict": str(verdict),
                    # The tests that decided the verdict first (e.g. the failing ones), capped: over
                    # thousands of documents the full mapping is in tests[].requirements.
                    "tests": sorted(tests.get(verdict, []))[:MAX_TESTS_LISTED]
                             + sorted(n for v, nodeids in tests.items() if v is not verdict for n in nodeids)[:MAX_TESTS_LISTED // 5],
                    "tests_count": sum(len(nodeids) for nodeids in tests.values()),
                    "reasons": [{"test": nodeid, "verdict": str(verdict), "reason": reason}
                                for nodeid, reason in reasons.get(requirement.id, {}).get(verdict, [])],
                })
                rows.append(row)
        return rows

    def write_results(self, final: bool) -> dict[str, Any]:
        results = self.results(final)
        # Snapshots while running are compact (they are rewritten); the final file is indented for people.
        text = json.dumps(results, ensure_ascii=False, default=str, indent=1 if final else None, separators=None if final else (",", ":"))
        atomic_write_text(self.run_dir / "results.json", text)
        return results

    def finish(self) -> dict[str, Any]:
        """End of the session: move the other plugins' files in place, write the results and the certificate."""
        from harness.certificates.page import render_certificate

        self.finished = utc_now()
        for name in ("report.html", "junit.xml"):
            partial = self.partial(name)
            if partial.exists():
                text = partial.read_text(encoding="utf-8")
                if name == "report.html":
                    from harness.run.html_report import localized_report

                    text = localized_report(text, self.session.lang)
                atomic_write_bytes(self.run_dir / name, text.encode("utf-8"))
                partial.unlink()
        results = self.write_results(final=True)
        signer = self.session.signer
        if signer is None:
            page = render_certificate(results, self.session.lang)
        else:
            from harness.certificates.page import certificate_payload
            from harness.certificates.signing import EMPTY_SIGNATURE_ELEMENT, sign_page, signature_section

            page = render_certificate(results, self.session.lang, extra_head=EMPTY_SIGNATURE_ELEMENT,
                                      extra_body=signature_section(signer, self.session.lang))
            payload = certificate_payload(results)
            page = sign_page(page, payload, signer)
        atomic_write_text(self.run_dir / "certificate.html", page)
        return results
