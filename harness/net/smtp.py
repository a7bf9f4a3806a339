"""An SMTP client for probing a submission endpoint (RFC 5321, STARTTLS RFC 3207, SIZE RFC 1870).

Built on the harness's bounded sockets (harness.net.probe.connect, harness.net.deadline): every
read has the target's timeout and the exchange its deadline; replies are read with a size bound.
The probes need to send what a careful client never would (MAIL before STARTTLS, AUTH in clear
text, a message above the announced SIZE), which smtplib refuses or hides: hence a small client.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from harness.config.target import Endpoint, Target
from harness.net.deadline import ExchangeDeadline
from harness.net.probe import NoAnswer, TlsOptions, _describe, connect, open_tls

MAX_REPLY = 64 * 1024
CLIENT_NAME = "enrs-harness.test"


@dataclass
class Reply:
    code: int
    lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return " / ".join(f"{self.code} {line}".strip() for line in self.lines) or str(self.code)

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 400


class SmtpClient:
    """One SMTP connection: commands and their replies, STARTTLS, a message sent with DATA."""

    def __init__(self, sock: socket.socket, tls: bool = False) -> None:
        self.sock, self.tls = sock, tls
        self._buffer = bytearray()
        self.capabilities: dict[str, str] = {}

    def _line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > MAX_REPLY:
                raise NoAnswer("réponse SMTP trop longue / SMTP reply too long")
            try:
                chunk = self.sock.recv(65536)
            except ExchangeDeadline as exc:
                raise NoAnswer(f"pas de réponse SMTP / no SMTP reply: {exc}", silent=True) from exc
            except (ssl.SSLError, OSError) as exc:  # a TLS alert is a refusal; a timeout or a reset is not
                raise NoAnswer(f"pas de réponse SMTP / no SMTP reply: {_describe(exc)}", silent=not isinstance(exc, ssl.SSLError)) from exc
            if not chunk:
                raise NoAnswer("connexion fermée sans réponse SMTP / connection closed without an SMTP reply", silent=True)
            self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\r\n")
        self._buffer = bytearray(rest)
        return line

    def reply(self) -> Reply:
        lines: list[str] = []
        while True:
            line = self._line().decode("utf-8", "replace")
            if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in ("", " ", "-"):
                raise NoAnswer(f"réponse SMTP invalide / invalid SMTP reply: {line[:100]!r}", silent=True)
            lines.append(line[4:])
            if line[3:4] != "-":
                return Reply(int(line[:3]), lines)
            if len(lines) > 100:
                raise NoAnswer("réponse SMTP trop longue / SMTP reply too long", silent=True)

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (ssl.SSLError, OSError) as exc:
            raise NoAnswer(f"envoi impossible / could not send: {_describe(exc)}", silent=not isinstance(exc, ssl.SSLError)) from exc

    def command(self, line: str) -> Reply:
        self.send(line.encode("utf-8") + b"\r\n")
        return self.reply()

    def ehlo(self) -> Reply:
        reply = self.command(f"EHLO {CLIENT_NAME}")
        if reply.code == 250:
            self.capabilities = {k.upper(): v for k, _, v in (line.partition(" ") for line in reply.lines[1:])}
        return reply

    def data(self, message: bytes) -> Reply:
        """DATA, then the message (dot-stuffed, CRLF line ends) and its end; the reply to the end (or to DATA)."""
        reply = self.command("DATA")
        if reply.code != 354:
            return reply
        lines = message.replace(b"\r\n", b"\n").split(b"\n")
        body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)
        self.send(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        return self.reply()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.sock.settimeout(0.5)
            self.sock.sendall(b"QUIT\r\n")
        with contextlib.suppress(OSError):
            self.sock.close()


def greet(client: SmtpClient) -> Reply:
    """The server's greeting (220), else NoAnswer."""
    reply = client.reply()
    if reply.code != 220:
        raise NoAnswer(f"accueil SMTP refusé / SMTP greeting refused: {reply}")
    return reply


def starttls_preamble(sock: socket.socket) -> None:
    """On a fresh connection: greeting, EHLO, STARTTLS answered 220. The TLS handshake comes next
    (harness.net.probe.open_tls calls this for an "smtp" endpoint). NoAnswer when STARTTLS is not offered."""
    client = SmtpClient(sock)
    greet(client)
    ehlo = client.ehlo()
    if ehlo.code != 250:
        raise NoAnswer(f"EHLO refusé / EHLO refused: {ehlo}")
    if "STARTTLS" not in client.capabilities:
        raise NoAnswer(f"STARTTLS non proposé / STARTTLS not offered (EHLO: {', '.join(client.capabilities) or '-'})")
    reply = client.command("STARTTLS")
    if reply.code != 220:
        raise NoAnswer(f"STARTTLS refusé / STARTTLS refused: {reply}")


def open_plain(endpoint: Endpoint, target: Target) -> SmtpClient:
    """A clear-text connection after the greeting (Unreachable when it cannot connect)."""
    client = SmtpClient(connect(endpoint, target))
    try:
        greet(client)
    except NoAnswer:
        client.close()
        raise
    return client


def ehlo_over_tls(endpoint: Endpoint, target: Target, options: TlsOptions) -> tuple[SmtpClient, Reply]:
    """A connection upgraded with STARTTLS (the handshake with `options`) and the reply to EHLO sent again over TLS."""
    tls, _ = open_tls(endpoint, target, options)
    client = SmtpClient(tls, tls=True)
    try:
        return client, client.ehlo()
    except NoAnswer:
        client.close()
        raise


def open_secure(endpoint: Endpoint, target: Target, options: TlsOptions) -> SmtpClient:
    """A connection upgraded with STARTTLS whose EHLO over TLS is answered 250, else NoAnswer."""
    client, reply = ehlo_over_tls(endpoint, target, options)
    if reply.code != 250:
        client.close()
        raise NoAnswer(f"EHLO refusé après STARTTLS / EHLO refused after STARTTLS: {reply}")
    return client


def submit(client: SmtpClient, sender: str, recipients: list[str], message: bytes, size: int | None = None) -> list[tuple[str, Reply]]:
    """MAIL (with SIZE= when given), RCPT for each recipient, DATA: the replies in order, stopping at the first refusal."""
    steps: list[tuple[str, Reply]] = []
    mail = f"MAIL FROM:<{sender}>" + (f" SIZE={size}" if size is not None else "")
    for command in [mail, *(f"RCPT TO:<{r}>" for r in recipients)]:
        reply = client.command(command)
        steps.append((command, reply))
        if not reply.positive:
            return steps
    steps.append(("DATA", client.data(message)))
    return steps


def transcript(steps: list[tuple[str, Reply]], one_line: bool = False) -> str:
    """The exchange as client (C:) and server (S:) lines; on one line for a verdict's reason."""
    if one_line:
        return "; ".join(f"{command} → {reply}" for command, reply in steps)
    return "\n".join(f"C: {command}\nS: {reply}" for command, reply in steps)


def control_message(sender: str, recipient: str, headers: dict[str, str], attachment: bytes | None = None) -> tuple[bytes, str]:
    """A valid message with `headers` (e.g. X-MSS-*), a fresh Message-ID and, if given, `attachment` as IHE_XDM.ZIP:
    (bytes with CRLF line ends, Message-ID)."""
    message_id = f"<enrs-{secrets.token_hex(8)}@{CLIENT_NAME}>"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Date"], msg["Message-ID"] = sender, recipient, formatdate(localtime=False), message_id
    msg["Subject"] = "enrs-harness : message de contrôle / control message"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Message de contrôle d'enrs-harness. / enrs-harness control message.\n")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), message_id
