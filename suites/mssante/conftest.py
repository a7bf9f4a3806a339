"""MSSanté operator suite: each test runs once per "smtp" endpoint of the target (submission, STARTTLS).

The target names its application mailbox and a recipient at the operator ([settings] mssante_sender,
mssante_recipient) and, in lab mode, the recipient's Maildir (mssante_maildir), from which delivery is
read back: the harness has no IMAP client checks (see docs/mssante.md). The control of every check that
needs a served submission is the target's own valid message, submitted once per endpoint and session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.config.packs import PackRegistry
from harness.config.target import Endpoint, Target
from harness.net.probe import LocalLimitation, NoAnswer, Unreachable, base_options
from harness.net.smtp import SmtpClient, control_message, open_secure, submit, transcript
from harness.run.plugin import session_of
from harness.run.recorder import Recorder

PACK = "mssante-operator"
X_MSS_SENT = {"X-MSS-INS": "1234567890123 (INS de test / test INS)", "X-MSS-CODECDA": "11488-4"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    session = session_of(metafunc.config)
    if "smtp_endpoint" in metafunc.fixturenames and session.keeps(metafunc.definition):  # a dropped test needs no candidate
        endpoints = session.target().endpoints_for("smtp")
        params = [pytest.param(e, id=e.name) for e in endpoints] or [pytest.param(None, id="none")]
        metafunc.parametrize("smtp_endpoint", params, indirect=True)


@pytest.fixture
def smtp_endpoint(request: pytest.FixtureRequest, enrs: Recorder) -> Endpoint:
    if request.param is None:
        enrs.not_applicable("aucun point d'accès smtp dans la cible / no smtp endpoint in the target")
    return request.param  # type: ignore[no-any-return]  # a pytest.param value


@pytest.fixture(scope="session")
def mss(enrs_registry: PackRegistry) -> dict[str, Any]:
    """The [settings] of the mssante-operator pack."""
    pack = enrs_registry.packs.get(PACK)
    if pack is None:
        pytest.skip(f"profil {PACK} non chargé / pack {PACK} not loaded")
    return pack.settings


@pytest.fixture
def guard(enrs: Recorder):
    """Context manager: an unreachable endpoint or a local TLS limitation ABORTS the test."""

    @contextmanager
    def run() -> Iterator[None]:
        try:
            yield
        except (Unreachable, LocalLimitation) as exc:
            enrs.abort(str(exc))

    return run


def mailbox_setting(target: Target, enrs: Recorder, key: str) -> str:
    value = target.settings.get(key)
    if not isinstance(value, str) or "@" not in value:
        enrs.abort(f"la cible ne nomme pas [settings] {key} (une adresse) / the target names no [settings] {key} (an address)")
    return value


@pytest.fixture
def mailbox_of(enrs_target: Target, enrs: Recorder):
    """A function giving the address of [settings] `key`, or ABORTING the test without it."""
    return lambda key: mailbox_setting(enrs_target, enrs, key)


@pytest.fixture
def secure_client(enrs_target: Target):
    """A function opening a STARTTLS connection with the target's client certificate, EHLO answered 250."""
    return lambda endpoint: secure(endpoint, enrs_target)


@dataclass
class Submission:
    """The control: the target's valid message submitted over STARTTLS with its client certificate."""

    accepted: bool
    detail: str
    message_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # the X-MSS-* headers sent


def secure(endpoint: Endpoint, target: Target) -> SmtpClient:
    return open_secure(endpoint, target, base_options(target))


@pytest.fixture(scope="session")
def submissions() -> dict[tuple[str, int], Submission]:
    return {}


@pytest.fixture
def control(smtp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, submissions: dict, guard) -> Submission:
    """The control of this endpoint (made once per session)."""
    key = (smtp_endpoint.host, smtp_endpoint.port)
    if key not in submissions:
        sender = mailbox_setting(enrs_target, enrs, "mssante_sender")
        recipient = mailbox_setting(enrs_target, enrs, "mssante_recipient")
        message, message_id = control_message(sender, recipient, X_MSS_SENT)
        with guard():
            try:
                client = secure(smtp_endpoint, enrs_target)
            except NoAnswer as exc:
                submissions[key] = Submission(False, f"STARTTLS/EHLO : {exc}")
            else:
                try:
                    steps = submit(client, sender, [recipient], message)
                    ok = steps[-1][0] == "DATA" and steps[-1][1].code == 250
                    submissions[key] = Submission(ok, transcript(steps, one_line=True), message_id, dict(X_MSS_SENT))
                except NoAnswer as exc:
                    submissions[key] = Submission(False, str(exc))
                finally:
                    client.close()
    return submissions[key]  # type: ignore[no-any-return]  # the dict holds Submissions


@pytest.fixture
def served(control: Submission, enrs: Recorder) -> Submission:
    """The control, accepted; otherwise the test is ABORTED (a server refusing everything proves no refusal)."""
    if not control.accepted:
        enrs.abort("contrôle refusé : le message valide de la cible (boîte applicative, certificat client) n'est pas accepté / "
                   "control refused: the target's valid message (application mailbox, client certificate) is not accepted: "
                   f"{control.detail}")
    return control
