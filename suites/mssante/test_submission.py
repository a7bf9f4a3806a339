"""SMTP submission of an MSSanté operator: STARTTLS required, no clear-text AUTH, no relaying, known
senders, bounded size with 552, delivery with the X-MSS-* headers, a valid message accepted.

TLS versions, suites, the server certificate and the client certificate of the same endpoints are
judged by the endpoints suite (pgssi-s-security), which reaches them after STARTTLS.
"""

from __future__ import annotations

import base64
import mailbox
import secrets
import time
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

import pytest

from harness.config.target import Endpoint, Target
from harness.net.probe import NoAnswer
from harness.net.smtp import control_message, open_plain, submit, transcript
from harness.run.recorder import Recorder

MAX_DELIVERED = 4 * 1024 * 1024  # a delivered file read back is never larger than this


def _sender(target: Target) -> str:
    value = target.settings.get("mssante_sender")
    return value if isinstance(value, str) and "@" in value else "enrs-harness@enrs-harness.test"


@pytest.mark.requirement("MSS-SMTP-01")
def test_starttls_offered(smtp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, guard) -> None:
    with guard():
        client = open_plain(smtp_endpoint, enrs_target)
    try:
        ehlo = client.ehlo()
        enrs.evidence("EHLO (en clair / clear text)", str(ehlo))
        assert ehlo.code == 250, f"EHLO refusé / EHLO refused: {ehlo}"
        assert "STARTTLS" in client.capabilities, \
            f"STARTTLS non proposé / STARTTLS not offered (EHLO: {', '.join(client.capabilities) or '-'})"
        reply = client.command("STARTTLS")
        enrs.evidence("STARTTLS", str(reply))
        assert reply.code == 220, f"STARTTLS refusé / STARTTLS refused: {reply}"
    except NoAnswer as exc:
        raise AssertionError(f"pas de réponse SMTP en clair / no clear-text SMTP answer: {exc}") from exc
    finally:
        client.close()


@pytest.mark.requirement("MSS-SMTP-02")
def test_mail_refused_before_starttls(smtp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, guard) -> None:
    with guard():
        client = open_plain(smtp_endpoint, enrs_target)
    try:
        client.ehlo()
        command = f"MAIL FROM:<{_sender(enrs_target)}>"
        reply = client.command(command)
        enrs.exchange("MAIL avant STARTTLS / MAIL before STARTTLS", command, str(reply))
    except NoAnswer as exc:
        if exc.silent:
            return  # the server closed the connection rather than take MAIL in clear text: no message in clear
        raise
    finally:
        client.close()
    assert reply.code >= 500, f"MAIL accepté en clair / MAIL accepted in clear text: {reply}"


@pytest.mark.requirement("MSS-SMTP-03")
def test_auth_refused_before_starttls(smtp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, mss: dict, guard) -> None:
    with guard():
        client = open_plain(smtp_endpoint, enrs_target)
    try:
        client.ehlo()
        announced = client.capabilities.get("AUTH")
        credentials = base64.b64encode(b"\0enrs-probe\0not-a-password").decode()
        reply = client.command(f"AUTH PLAIN {credentials}")
        enrs.exchange("AUTH PLAIN avant STARTTLS / before STARTTLS", "AUTH PLAIN <identifiants factices / dummy credentials>", str(reply))
        if reply.code == 334:
            client.command("*")
    except NoAnswer as exc:
        if exc.silent:
            return  # connection closed: the credentials were not taken
        raise
    finally:
        client.close()
    assert announced is None, f"AUTH annoncé en clair / AUTH announced in clear text: AUTH {announced}"
    assert reply.code in mss["auth_refusal_codes"], \
        f"AUTH en clair traité au lieu d'être refusé / clear-text AUTH processed instead of refused: {reply}"


@pytest.mark.requirement("MSS-SMTP-08")
def test_valid_submission_accepted(control: Any, enrs: Recorder) -> None:
    enrs.evidence("soumission valide / valid submission", control.detail)
    assert control.accepted, f"message valide refusé / valid message refused: {control.detail}"


@pytest.mark.requirement("MSS-SMTP-04")
def test_no_relaying_out_of_the_trust_space(smtp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, mss: dict, served: Any,
                                           guard, mailbox_of, secure_client) -> None:
    sender = mailbox_of("mssante_sender")
    outside = f"relais-{secrets.token_hex(4)}@{mss['relay_probe_domain']}"
    with guard():
        client = secure_client(smtp_endpoint)
    try:
        steps = submit(client, sender, [outside], control_message(sender, outside, {})[0])
    finally:
        client.close()
    enrs.evidence("destinataire hors espace de confiance / recipient outside the trust space", transcript(steps))
    refused = next(((c, r) for c, r in steps if not r.positive), None)
    assert refused is not None and refused[1].code >= 500, \
        f"relais accepté vers {outside} / relaying accepted to {outside}: {transcript(steps, one_line=True)}"


@pytest.mark.requirement("MSS-SMTP-05")
def test_unknown_sender_refused(smtp_endpoint: Endpoint, enrs: Recorder, served: Any, guard, mailbox_of, secure_client) -> None:
    sender = mailbox_of("mssante_sender")
    recipient = mailbox_of("mssante_recipient")
    unknown = f"inconnu-{secrets.token_hex(4)}@{sender.rpartition('@')[2]}"
    with guard():
        client = secure_client(smtp_endpoint)
    try:
        steps = submit(client, unknown, [recipient], control_message(unknown, recipient, {})[0])
    finally:
        client.close()
    enrs.evidence(f"expéditeur inconnu / unknown sender {unknown}", transcript(steps))
    refused = next(((c, r) for c, r in steps if not r.positive), None)
    assert refused is not None and refused[1].code >= 500, \
        f"expéditeur inconnu accepté / unknown sender accepted: {transcript(steps, one_line=True)}"


def oversized_message(sender: str, recipient: str, size: int) -> bytes:
    """A message of more than `size` bytes: an IHE_XDM.ZIP attachment of zeros (what a zip bomb's transfer looks like)."""
    return control_message(sender, recipient, {}, attachment=bytes(size * 3 // 4 + 1))[0]  # base64 makes it 4/3 larger


@pytest.mark.requirement("MSS-SMTP-06")
def test_oversized_message_refused_with_552(smtp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, mss: dict,
                                            served: Any, guard, mailbox_of, secure_client) -> None:
    sender = mailbox_of("mssante_sender")
    recipient = mailbox_of("mssante_recipient")
    with guard():
        client = secure_client(smtp_endpoint)
    announced = client.capabilities.get("SIZE", "")
    limit = int(announced) if announced.isdigit() and int(announced) > 0 else None
    size = limit + mss["oversize_margin_bytes"] if limit else mss["oversize_without_size_bytes"]
    enrs.evidence("taille annoncée / announced SIZE", announced or "aucune / none")
    problems: list[str] = []
    try:
        if limit:  # declared at MAIL (RFC 1870 §6.1)
            reply = client.command(f"MAIL FROM:<{sender}> SIZE={size}")
            enrs.exchange("taille déclarée / declared size", f"MAIL FROM:<{sender}> SIZE={size}", str(reply))
            if reply.code != 552:
                problems.append(f"MAIL SIZE={size} → {reply}")
    finally:
        client.close()
    with guard():
        client = secure_client(smtp_endpoint)
    try:  # sent in DATA without a declaration (RFC 1870 §6.3)
        steps = submit(client, sender, [recipient], oversized_message(sender, recipient, size))
        enrs.evidence(f"message de {size} octets en DATA / {size}-byte message in DATA", transcript(steps))
        last = steps[-1]
        if last[1].code != 552:
            problems.append(f"{last[0]} ({size} octets / bytes) → {last[1]}")
    except NoAnswer as exc:
        problems.append(f"DATA ({size} octets / bytes) : connexion coupée sans code 552 / connection cut without a 552 code: {exc}")
    finally:
        client.close()
    assert not problems, f"message trop grand non refusé par 552 / oversized message not refused with 552: {'; '.join(problems)}"


def _delivered(folder: Path, message_id: str) -> Any:
    """The headers of the message with this Message-ID in the Maildir `folder`, or None (none yet, or no Maildir)."""
    if not (folder / "new").is_dir():
        return None
    box = mailbox.Maildir(folder, create=False)
    for key in box.iterkeys():
        try:
            with box.get_file(key) as handle:
                head = handle.read(MAX_DELIVERED)
        except (OSError, KeyError):
            continue
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        if (headers.get("Message-ID") or "").strip() == message_id:
            return headers
    return None


@pytest.mark.requirement("MSS-SMTP-07")
def test_x_mss_headers_delivered(enrs_target: Target, enrs: Recorder, mss: dict, served: Any) -> None:
    folder = enrs_target.settings.get("mssante_maildir")
    if not isinstance(folder, str) or not folder:
        enrs.abort("remise non lisible : la cible ne donne pas [settings] mssante_maildir (mode laboratoire) et le harnais ne lit pas "
                   "en IMAP / delivery cannot be read: the target gives no [settings] mssante_maildir (lab mode) and the harness "
                   "does not read over IMAP")
    path = Path(folder)
    if not path.is_absolute() and enrs_target.source is not None:
        path = enrs_target.source.parent / path
    deadline = time.monotonic() + mss["delivery_wait_seconds"]
    headers = _delivered(path, served.message_id)
    while headers is None and time.monotonic() < deadline:  # delivery may lag acceptance (a queue); the Maildir may appear with it
        time.sleep(0.2)
        headers = _delivered(path, served.message_id)
    if headers is None and not (path / "new").is_dir():
        enrs.abort(f"boîte Maildir introuvable (rien n'y a été remis, ou chemin faux) / Maildir not found (nothing delivered there, "
                   f"or a wrong path): {path}")
    assert headers is not None, (f"message {served.message_id} non remis dans {path} en {mss['delivery_wait_seconds']} s / "
                                 f"not delivered to {path} within {mss['delivery_wait_seconds']} s")
    got = {name: (headers.get(name) or "").strip() for name in served.headers}
    enrs.evidence("en-têtes X-MSS remis / delivered X-MSS headers", got)
    changed = {name: got[name] or "(absent)" for name, value in served.headers.items() if got[name] != value}
    assert not changed, f"en-têtes X-MSS perdus ou modifiés / X-MSS headers lost or changed: {changed}"
