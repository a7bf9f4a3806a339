"""A candidate LPS sending through the harness: the harness is its MSSanté operator for a time window and
judges every message received with the e-mail rules (packs mssante-exchange and ihe-xdm, CDA packs for
the documents inside), as the documents suite judges files.

The window is the target's [settings] mssante_receive_seconds (docs/mssante.md); the run waits and says
what it receives. Only messages submitted after STARTTLS with a client certificate of the test PKI reach
the judgement (the operator refuses the others, as a real operator would).
"""

from __future__ import annotations

import pytest

from harness.config.context import ValidationContext
from harness.config.target import Target
from harness.core.errors import HarnessError
from harness.core.findings import Severity
from harness.core.verdicts import ArtefactVerdict
from harness.mssante import judge_email
from harness.pki import PkiManifest
from harness.run.plugin import session_of
from harness.run.recorder import Recorder
from harness.simulator.receiver import ReceiverSettings, receive


def _say(config: pytest.Config):
    """Print a progress line now, outside pytest's output capture (the run is waiting for the candidate)."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        if capture is None:
            print(line, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(line, flush=True)

    return say


@pytest.mark.profile("mssante-exchange", "ihe-xdm")
def test_messages_sent_by_the_candidate(enrs_target: Target, enrs: Recorder, test_pki: PkiManifest | None,
                                        pytestconfig: pytest.Config) -> None:
    session = session_of(pytestconfig)
    try:
        settings = ReceiverSettings.from_target(enrs_target.settings)
    except HarnessError as exc:
        enrs.abort(f"{exc.fr} / {exc.en}")
    if settings is None:
        enrs.not_applicable("la cible ne demande pas de fenêtre de réception ([settings] mssante_receive_seconds) : le candidat n'est "
                            "pas un LPS qui envoie par le harnais / the target asks for no receiving window ([settings] "
                            "mssante_receive_seconds): the candidate is not an LPS sending through the harness")
    if test_pki is None:
        enrs.abort("l'opérateur de réception a besoin de la PKI de test (settings.test_pki) pour son certificat serveur et pour vérifier "
                   "les certificats clients / the receiving operator needs the test PKI (settings.test_pki) for its server certificate "
                   "and to check client certificates")
    try:
        messages = receive(settings, test_pki, enrs_target.timeouts.read, _say(pytestconfig))
    except HarnessError as exc:
        enrs.abort(f"{exc.fr} / {exc.en}")
    enrs.evidence("fenêtre de réception / receiving window",
                  {"seconds": settings.seconds, "messages": len(messages), "address": f"{settings.host}:{settings.port or '(free port)'}"})
    if not messages:
        enrs.abort(f"aucun message reçu pendant la fenêtre de {settings.seconds:g} s : rien à juger / no message received during the "
                   f"{settings.seconds:g} s window: nothing to judge")
    context = ValidationContext(registry=session.registry, selected=session.selected, kit_dir=session.kit_dir,
                                volet_versions=session.volet_versions, vihf_trust=session.vihf_trust)
    errors, aborted = [], []
    for number, message in enumerate(messages, 1):
        name = f"message-{number:03d}.eml"
        report = judge_email(message.data, name, context)
        enrs.artefact_report(report, display_name=f"{name} ({message.mail_from} → {', '.join(message.rcpt_tos)})")
        enrs.evidence(f"{name} — transport", {"client_certificate": message.peer_subject, "mail_from": message.mail_from,
                                                "rcpt_to": message.rcpt_tos, "bytes": len(message.data)})
        if report.verdict is ArtefactVerdict.ABORTED:
            aborted.append(f"{name}: {report.reason}")
        errors += [f"{name} {f.requirement} {f.location or ''}: {f.message(session.lang)}"
                   for f in report.all_findings() if f.severity is Severity.ERROR]
    assert not errors, "; ".join(errors[:5]) + (f" … (+{len(errors) - 5})" if len(errors) > 5 else "")
    if aborted:
        enrs.abort("; ".join(aborted[:3]))
