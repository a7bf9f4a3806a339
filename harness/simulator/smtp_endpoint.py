"""The simulator's MSSanté operator: SMTP submission (aiosmtpd) with STARTTLS required and mutual TLS,
delivery to local Maildir mailboxes.

Conforming: STARTTLS offered and required before MAIL (530), no AUTH (application mailboxes
authenticate with their client certificate), senders restricted to the operator's mailboxes,
recipients to the operator's own domain (no relaying: 554), messages bounded by the announced SIZE
(552). Fault modes (harness.simulator.faults, scope "smtp") break one of these each. Every message
accepted is kept in `received` (the harness's receiving operator judges them, see harness.mssante.receive).

aiosmtpd serves from one asyncio loop in its own thread; the idle timeout of a connection is the
simulator's I/O timeout, and the number of connections at once is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mailbox
import re
import ssl
import threading
import types
from asyncio import sslproto
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtpd.smtp
from aiosmtpd.smtp import SMTP, Envelope, Session

logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd logs every refused client: the suites say why


class _AlertingSSLProtocol(sslproto.SSLProtocol):
    """asyncio's TLS layer closes a failed handshake without sending OpenSSL's alert (e.g. unknown_ca for a client
    certificate), so the client sees a bare close, which no real server does: send the alert first."""

    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None:
            with contextlib.suppress(Exception):
                self._process_outgoing()  # type: ignore[attr-defined]  # asyncio's private flush of the TLS output
        super()._on_handshake_complete(handshake_exc)


# aiosmtpd's STARTTLS builds its TLS layer from the name sslproto.SSLProtocol: give it the one above
aiosmtpd.smtp.sslproto = types.SimpleNamespace(SSLProtocol=_AlertingSSLProtocol)  # type: ignore[attr-defined,assignment]  # a namespace for the module

DOMAIN = "operateur.mssante.test"  # RFC 2606 .test: never a real operator
SENDER = f"lps.application@{DOMAIN}"  # the application mailbox of the simulator's client certificate
RECIPIENT = f"destinataire@{DOMAIN}"
MAILBOXES = (SENDER, RECIPIENT)
MAX_MESSAGE = 1024 * 1024  # announced in EHLO (SIZE) and enforced at DATA
FAULT_MAX_MESSAGE = 16 * MAX_MESSAGE  # what "accepts-oversized" really takes: still bounded in memory
MAX_CONNECTIONS = 16
X_MSS = re.compile(rb"^X-MSS-[^:]*:.*(?:\r?\n[ \t].*)*\r?\n", re.IGNORECASE | re.MULTILINE)


@dataclass
class Received:
    """One message the operator accepted: envelope, bytes as received, the client certificate's subject."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer_subject: str = ""


@dataclass
class OperatorConfig:
    faults: frozenset[str]
    maildir: Path  # one Maildir per local mailbox under it
    domains: tuple[str, ...] = (DOMAIN,)
    mailboxes: tuple[str, ...] = MAILBOXES
    max_message: int = MAX_MESSAGE
    keep: int = 200  # messages kept in `received` (the oldest dropped first)
    connection_seconds: float = 60.0  # the whole life of a connection (TLS, commands, DATA), then it is cut
    sink: bool = False  # the harness's receiving operator: any sender and recipient, nothing delivered, everything kept to judge
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _subject(session: Session) -> str:
    cert = (session.ssl or {}).get("peercert") or {}
    return ", ".join(f"{k}={v}" for rdn in cert.get("subject", ()) for k, v in rdn)


class _Handler:
    """aiosmtpd hooks: the operator's policy, as the fault modes shape it."""

    def __init__(self, config: OperatorConfig) -> None:
        self.config = config

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]) -> list[str]:
        faults = self.config.faults
        session.host_name = hostname
        if "cleartext-auth" not in faults:  # no AUTH at all: the client certificate authenticates
            responses = [r for r in responses if not r[4:].startswith("AUTH")]
        if "accepts-oversized" in faults:  # announces the limit, does not enforce it (takes up to FAULT_MAX_MESSAGE)
            responses = [f"250-SIZE {self.config.max_message}" if r.startswith("250-SIZE") else r for r in responses]
        return responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        faults = self.config.faults
        if session.ssl is None and "plaintext" not in faults:
            return "530 5.7.0 Must issue a STARTTLS command first"
        if address.lower() not in self.config.mailboxes and "any-sender" not in faults and not self.config.sink:
            return "553 5.7.1 Sender address rejected: not a mailbox of this operator"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        domain = address.rpartition("@")[2].lower()
        if not self.config.sink:  # the sink takes every recipient: what the candidate sends is judged, not routed
            if domain not in self.config.domains and "open-relay" not in self.config.faults:
                return "554 5.7.1 Relay access denied"
            if domain in self.config.domains and address.lower() not in self.config.mailboxes:
                return "550 5.1.1 Recipient address rejected: unknown mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        faults = self.config.faults
        if "defer-all" in faults:
            return "451 4.3.0 Temporary failure, try again later"
        data = envelope.original_content or b""
        stored = X_MSS.sub(b"", data) if "strip-x-mss" in faults else data
        for rcpt in envelope.rcpt_tos:
            local, _, domain = rcpt.lower().rpartition("@")
            if domain in self.config.domains and not self.config.sink:
                mailbox.Maildir(self.config.maildir / local, create=True).add(stored)
        with self.config.lock:
            self.config.received.append(Received(envelope.mail_from or "", list(envelope.rcpt_tos), data, _subject(session)))
            del self.config.received[: -self.config.keep]
        return "250 2.0.0 OK: queued"

    async def handle_AUTH(self, server: SMTP, session: Session, envelope: Envelope, args: list[str]) -> Any:
        if "cleartext-auth" in self.config.faults:  # takes any credentials, even in clear text
            session.authenticated = True
            return "235 2.7.0 Authentication successful"
        return "502 5.5.1 AUTH not available: authenticate with the client certificate"


class _Smtp(SMTP):
    """aiosmtpd's SMTP with a bound on connections at once (a shared counter) and on each connection's
    whole life (aiosmtpd's own timeout is per command: a client sending a byte at a time would stay)."""

    active: list[int]  # set per operator
    lifetime: float  # seconds, set per operator
    _cut: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # connection_made runs again after STARTTLS
        super().connection_made(transport)
        if first:
            self.active[0] += 1
            self._cut = self.loop.call_later(self.lifetime, transport.close)
            if self.active[0] > MAX_CONNECTIONS:
                transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        self.active[0] -= 1
        if self._cut is not None:
            self._cut.cancel()
        super().connection_lost(error)


class SmtpOperator:
    """The operator on `host`:0 in a thread of its own; `stop()` closes it."""

    def __init__(self, config: OperatorConfig, tls: ssl.SSLContext | None, io_timeout: float, host: str = "127.0.0.1",
                 server_name: str = "localhost", port: int = 0) -> None:
        self.config, self.tls, self.io_timeout, self.host, self.server_name = config, tls, io_timeout, host, server_name
        self.port = port  # 0: a free port, known after start()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="sim-smtp", daemon=True)

    def _protocol(self) -> SMTP:
        faults = self.config.faults
        cls = type("OperatorSmtp", (_Smtp,), {"active": self._active, "lifetime": self.config.connection_seconds})
        return cls(  # type: ignore[no-any-return]  # the class built above is an SMTP subclass
            _Handler(self.config), data_size_limit=FAULT_MAX_MESSAGE if "accepts-oversized" in faults else self.config.max_message,
            hostname=self.server_name, ident="enrs-harness MSSante operator simulator",
            tls_context=None if "no-starttls" in faults else self.tls,
            require_starttls=not faults & {"plaintext", "cleartext-auth"}, timeout=self.io_timeout,
            auth_require_tls="cleartext-auth" not in faults, loop=self._loop,
        )

    def start(self) -> SmtpOperator:
        self.config.maildir.mkdir(parents=True, exist_ok=True)
        for address in () if self.config.sink else self.config.mailboxes:  # each mailbox exists from the start (the suite reads one)
            mailbox.Maildir(self.config.maildir / address.partition("@")[0].lower(), create=True)
        self._active = [0]
        self._server = self._loop.run_until_complete(self._loop.create_server(self._protocol, self.host, self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread.start()
        return self

    @property
    def received(self) -> list[Received]:
        with self.config.lock:
            return list(self.config.received)

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None

        async def close() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()
