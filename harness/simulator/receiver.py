"""The harness as the MSSanté operator of a candidate LPS: it receives what the candidate sends for a time window.

The operator is the simulator's (harness.simulator.smtp_endpoint) in "sink" mode: STARTTLS required, the
client certificate required and checked against the test PKI and its CRLs, any sender and recipient
taken (what the candidate sends is judged afterwards, not routed), messages bounded in size and number.
`ReceiverSettings.from_target` reads the target's [settings] (docs/mssante.md); `receive` runs the window.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError
from harness.pki import PkiManifest
from harness.simulator.smtp_endpoint import OperatorConfig, Received, SmtpOperator
from harness.simulator.tlsconfig import server_context

MAX_SECONDS = 3600
MAX_MESSAGE_BYTES = 20 * 1024 * 1024  # an XDM package with its documents; the SIZE announced
MAX_MESSAGES = 200
PROGRESS_EVERY = 5.0
CONNECTION_SECONDS = 600.0  # one connection's whole life: a large message over a slow link fits


@dataclass(frozen=True)
class ReceiverSettings:
    seconds: float  # the window
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port (printed when the window opens)
    messages: int | None = None  # the window closes early once this many messages are in
    max_bytes: int = MAX_MESSAGE_BYTES

    @classmethod
    def from_target(cls, settings: dict[str, Any]) -> ReceiverSettings | None:
        """The receiving window the target asks for ([settings] mssante_receive_*), None without one; a bad value is an error."""
        if "mssante_receive_seconds" not in settings:
            return None

        def number(key: str, low: float, high: float, default: Any, integer: bool = False) -> Any:
            value = settings.get(key, default)
            if value is None and default is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)) or not low <= value <= high:
                kind = "un entier" if integer else "un nombre"
                kind_en = "an integer" if integer else "a number"
                raise HarnessError(f"[settings] {key} : {kind} entre {low:g} et {high:g} attendu, pas {value!r}",
                                   f"[settings] {key}: {kind_en} between {low:g} and {high:g} expected, not {value!r}")
            return value

        host = settings.get("mssante_receive_host", "127.0.0.1")
        if not isinstance(host, str) or not host:
            raise HarnessError("[settings] mssante_receive_host : une adresse IP attendue",
                               "[settings] mssante_receive_host: an IP address expected")
        return cls(seconds=float(number("mssante_receive_seconds", 1, MAX_SECONDS, None)), host=host,
                   port=number("mssante_receive_port", 0, 65535, 0, integer=True),
                   messages=number("mssante_receive_messages", 1, MAX_MESSAGES, None, integer=True),
                   max_bytes=number("mssante_receive_max_bytes", 1024, 100 * 1024 * 1024, MAX_MESSAGE_BYTES, integer=True))


def receive(settings: ReceiverSettings, pki: PkiManifest, io_timeout: float,
            progress: Callable[[str], None] = lambda line: None) -> list[Received]:
    """Run the operator for the window (or until `settings.messages` are in), saying what happens; the messages received."""
    work = Path(tempfile.mkdtemp(prefix="enrs-receiver-"))
    config = OperatorConfig(frozenset(), work / "mail", max_message=settings.max_bytes, keep=MAX_MESSAGES, sink=True,
                            connection_seconds=CONNECTION_SECONDS)
    try:
        operator = SmtpOperator(config, server_context(pki, frozenset(), work), io_timeout, settings.host, port=settings.port)
        try:
            operator.start()
        except OSError as exc:
            raise HarnessError(f"l'opérateur de réception n'a pas pu écouter sur {settings.host}:{settings.port} : {exc}",
                               f"the receiving operator could not listen on {settings.host}:{settings.port}: {exc}") from exc
        try:
            return _wait(operator, settings, progress)
        finally:
            operator.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _wait(operator: SmtpOperator, settings: ReceiverSettings, progress: Callable[[str], None]) -> list[Received]:
    end = time.monotonic() + settings.seconds
    progress(f"\nOpérateur MSSanté du harnais : soumission SMTP (STARTTLS, certificat client) sur {operator.host}:{operator.port}, "
             f"{settings.seconds:g} s / harness MSSanté operator: SMTP submission (STARTTLS, client certificate) on "
             f"{operator.host}:{operator.port}, {settings.seconds:g} s")
    next_line, count = time.monotonic() + PROGRESS_EVERY, 0
    while (left := end - time.monotonic()) > 0:
        received = operator.received
        if len(received) != count or time.monotonic() >= next_line:
            count = len(received)
            progress(f"  {count} message(s) reçu(s), {left:.0f} s restantes / received, {left:.0f} s left")
            next_line = time.monotonic() + PROGRESS_EVERY
        if settings.messages is not None and count >= settings.messages:
            break
        time.sleep(min(0.1, left))
    received = operator.received
    progress(f"  fenêtre close : {len(received)} message(s) reçu(s) / window closed: {len(received)} received")
    return received
