"""Sockets bounded by an overall deadline per exchange, on both sides (harness clients, simulator).

A per-operation timeout alone does not bound an exchange: a peer sending one byte a second keeps
every `recv` under its timeout forever (slow loris). `DeadlineSocket` and `DeadlineSSLSocket` arm
every blocking call (connect, handshake, recv, send) with min(its own timeout, the time left before
the deadline) and raise `ExchangeDeadline` once it has passed. Without a deadline they behave as
plain sockets. A TLS socket made from a bounded one keeps its deadline (`wrap`).
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any


class ExchangeDeadline(TimeoutError):
    """The exchange's overall deadline has passed (a TimeoutError, so callers treating timeouts treat it too)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"délai de l'échange dépassé ({seconds:g} s pour connexion + TLS + requête + réponse) / exchange deadline "
                         f"exceeded ({seconds:g} s for connect + TLS + request + response)")
        self.seconds = seconds


class _Bounded:
    """The deadline logic shared by the plain and the TLS socket classes (a mixin: it calls `super()`)."""

    _deadline_end: float | None = None
    _deadline_seconds: float = 0.0
    _op_timeout: float | None = None

    def set_deadline(self, seconds: float | None, end: float | None = None) -> None:
        """Start (or reset) the exchange's deadline: `seconds` from now, or at the monotonic time `end`."""
        if seconds is None:
            self._deadline_end = None
            return
        self._deadline_seconds = seconds
        self._deadline_end = end if end is not None else time.monotonic() + seconds
        self._arm()

    def settimeout(self, value: float | None) -> None:
        self._op_timeout = value
        self._arm()

    def gettimeout(self) -> float | None:
        """The per-operation timeout set (what is armed may be shorter: the time left before the deadline)."""
        return self._op_timeout

    def _arm(self) -> None:
        if self._deadline_end is None:
            super().settimeout(self._op_timeout)  # type: ignore[misc]  # socket.settimeout of the base class, on an SSLSocket subclass
            return
        left = self._deadline_end - time.monotonic()
        if left <= 0:
            raise ExchangeDeadline(self._deadline_seconds)
        super().settimeout(left if self._op_timeout is None else min(self._op_timeout, left))  # type: ignore[misc]  # socket.settimeout of the base class, on an SSLSocket subclass

    def _bounded(self, call: Any, *args: Any) -> Any:
        self._arm()
        try:
            return call(*args)
        except TimeoutError as exc:
            if self._deadline_end is not None and time.monotonic() >= self._deadline_end and not isinstance(exc, ExchangeDeadline):
                raise ExchangeDeadline(self._deadline_seconds) from exc
            raise


class DeadlineSocket(_Bounded, socket.socket):
    """A TCP socket whose every blocking call respects the exchange's deadline."""

    def connect(self, address: Any) -> None:
        self._bounded(super().connect, address)

    def recv(self, size: int, flags: int = 0) -> bytes:
        return self._bounded(super().recv, size, flags)  # type: ignore[no-any-return]  # _bounded returns what the wrapped socket call returns

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        return self._bounded(super().recv_into, buffer, nbytes, flags)  # type: ignore[no-any-return]  # _bounded returns what the wrapped socket call returns

    def send(self, data: Any, flags: int = 0) -> int:
        return self._bounded(super().send, data, flags)  # type: ignore[no-any-return]  # _bounded returns what the wrapped socket call returns

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._bounded(super().sendall, data, flags)


class DeadlineSSLSocket(_Bounded, ssl.SSLSocket):
    """A TLS socket (an SSLContext's `sslsocket_class`) whose every blocking call respects the deadline."""

    def do_handshake(self, block: bool = False) -> None:
        self._bounded(super().do_handshake, block)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        return self._bounded(super().recv, buflen, flags)  # type: ignore[no-any-return]  # _bounded returns what the wrapped socket call returns

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        return self._bounded(super().recv_into, buffer, nbytes, flags)  # type: ignore[no-any-return]  # _bounded returns what the wrapped socket call returns

    def send(self, data: Any, flags: int = 0) -> int:
        return self._bounded(super().send, data, flags)  # type: ignore[no-any-return]  # _bounded returns what the wrapped socket call returns

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._bounded(super().sendall, data, flags)


def bounded_connection(address: tuple[str, int], connect_timeout: float, op_timeout: float, deadline: float | None,
                       source: tuple[str, int] | None = None) -> DeadlineSocket:
    """Connect to `address` (each resolved address in turn) with the deadline started now."""
    error: OSError | None = None
    started = time.monotonic()
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(*address, type=socket.SOCK_STREAM):
        sock = DeadlineSocket(family, kind, proto)
        try:
            if source:
                sock.bind(source)
            sock.settimeout(connect_timeout)
            sock.set_deadline(deadline, None if deadline is None else started + deadline)
            sock.connect(sockaddr)
            sock.settimeout(op_timeout)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"no address for {address[0]}")


def accept_bounded(listener: socket.socket) -> tuple[DeadlineSocket, Any]:
    """`listener.accept()`, the connection as a DeadlineSocket (as socket.accept builds its own)."""
    fd, address = listener._accept()  # type: ignore[attr-defined]  # socket._accept is private and untyped: it gives the fd for our own socket class
    return DeadlineSocket(listener.family, listener.type, listener.proto, fileno=fd), address


def wrap(context: ssl.SSLContext, sock: DeadlineSocket, server_side: bool = False, server_hostname: str | None = None) -> DeadlineSSLSocket:
    """TLS over `sock` with the same deadline and timeout, the handshake bounded by them."""
    context.sslsocket_class = DeadlineSSLSocket
    end, seconds, op_timeout = sock._deadline_end, sock._deadline_seconds, sock._op_timeout
    tls = context.wrap_socket(sock, server_side=server_side, server_hostname=server_hostname, do_handshake_on_connect=False)
    assert isinstance(tls, DeadlineSSLSocket)
    tls._op_timeout = op_timeout
    if end is not None:
        tls.set_deadline(seconds, end)
    else:
        tls.settimeout(op_timeout)
    tls.do_handshake()
    return tls
