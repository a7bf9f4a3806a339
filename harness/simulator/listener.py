"""A loopback TCP listener with a bounded pool of connection threads, socket timeouts and clean stop."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

ACCEPT_POLL = 0.2
MAX_CONNECTIONS = 16

Handler = Callable[[socket.socket, "Listener"], None]


class Listener:
    """Accepts connections on `host`:0 and runs `handler(conn, listener)` for each one in a worker thread."""

    def __init__(self, name: str, host: str, handler: Handler, tls: ssl.SSLContext | None, io_timeout: float, serial: bool = False) -> None:
        self.name, self.host, self.handler, self.tls = name, host, handler, tls
        self.io_timeout, self.serial = io_timeout, serial
        self.stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._pool = ThreadPoolExecutor(MAX_CONNECTIONS, thread_name_prefix=f"sim-{name}")
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(32)
        self._sock.settimeout(ACCEPT_POLL)
        self.port: int = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name=f"sim-{name}-accept", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def crash(self) -> None:
        """Stop accepting connections, as a receiver that died would (fault "fragile")."""
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._sock.close()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            conn.settimeout(self.io_timeout)
            if self.serial:
                self._serve(conn, slot=False)
            elif self._slots.acquire(blocking=False):
                self._pool.submit(self._serve, conn, True)
            else:
                conn.close()  # too many connections: refuse rather than queue without bound

    def _serve(self, conn: socket.socket, slot: bool) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handler(conn, self)
        except (OSError, ssl.SSLError, ValueError):
            pass  # a client that fails the handshake or goes away ends its own connection only
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            if slot:
                self._slots.release()

    def stop(self) -> None:
        self.crash()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
