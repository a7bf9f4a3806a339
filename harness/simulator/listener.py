"""A loopback TCP listener with a bounded pool of connection threads, a bounded number of connections
per peer, a timeout on every socket operation, an overall deadline per exchange, and a clean stop."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from harness.net.deadline import accept_bounded, wrap

ACCEPT_POLL = 0.2
MAX_CONNECTIONS = 16
MAX_PER_PEER = 8  # one peer (IP address) cannot take every slot
EXCHANGE_DEADLINE = 30.0

Handler = Callable[[socket.socket, "Listener"], None]


class Listener:
    """Accepts connections on `host`:0 and runs `handler(conn, listener)` for each one in a worker thread."""

    def __init__(self, name: str, host: str, handler: Handler, tls: ssl.SSLContext | None, io_timeout: float, serial: bool = False,
                 exchange_deadline: float = EXCHANGE_DEADLINE, max_per_peer: int = MAX_PER_PEER,
                 max_connections: int = MAX_CONNECTIONS, port: int = 0) -> None:
        self.name, self.host, self.handler, self.tls = name, host, handler, tls
        self.io_timeout, self.serial = io_timeout, serial
        self.exchange_deadline, self.max_per_peer = exchange_deadline, max_per_peer
        self.stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._peers: Counter[str] = Counter()
        self._peers_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_connections, thread_name_prefix=f"sim-{name}")
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))  # 0: a free port
        self._sock.listen(max(32, max_connections))
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
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes an accept() waiting in the loop (a close alone does not, on Linux)
        with contextlib.suppress(OSError):
            self._sock.close()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, address = accept_bounded(self._sock)
            except TimeoutError:
                continue
            except OSError:
                break
            conn.settimeout(self.io_timeout)
            conn.set_deadline(self.exchange_deadline)  # the first exchange (TLS handshake included) starts now
            peer = address[0]
            with self._peers_lock:
                crowded = self._peers[peer] >= self.max_per_peer
                if not crowded:
                    self._peers[peer] += 1
            if crowded:
                conn.close()  # this peer holds enough connections already
            elif self.serial:
                self._serve(conn, peer, slot=False)
            elif self._slots.acquire(blocking=False):
                self._pool.submit(self._serve, conn, peer, True)
            else:
                self._release(peer)
                conn.close()  # too many connections: refuse rather than queue without bound

    def new_exchange(self, conn: socket.socket) -> None:
        """Start the deadline of the next exchange on `conn` (a handler calls it before each request)."""
        set_deadline = getattr(conn, "set_deadline", None)  # DeadlineSocket and DeadlineSSLSocket
        if set_deadline is not None:
            set_deadline(self.exchange_deadline)

    def _release(self, peer: str) -> None:
        with self._peers_lock:
            self._peers[peer] -= 1
            if self._peers[peer] <= 0:
                del self._peers[peer]

    def _serve(self, conn: socket.socket, peer: str, slot: bool) -> None:
        try:
            if self.tls is not None:
                conn = wrap(self.tls, conn, server_side=True)  # type: ignore[arg-type]  # ssl wraps the harness's deadline socket, a socket subclass
            self.handler(conn, self)
        except (OSError, ssl.SSLError, ValueError):
            pass  # a client that fails the handshake or goes away ends its own connection only
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            self._release(peer)
            if slot:
                self._slots.release()

    def stop(self) -> None:
        self.crash()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
