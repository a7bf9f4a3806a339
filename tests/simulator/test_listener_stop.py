"""A listener's stop wakes its accept loop at once, whatever the accept poll: a run never waits for it."""

from __future__ import annotations

import socket
import threading

import pytest

from harness.simulator import listener as listener_module
from harness.simulator.listener import Listener


def test_stop_wakes_the_accept_loop_without_waiting_for_its_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "ACCEPT_POLL", 60.0)  # a loop woken only by its poll would outlive stop()'s join
    served: list[bytes] = []
    done = threading.Event()

    def handler(conn: socket.socket, _listener: Listener) -> None:
        served.append(conn.recv(16))
        done.set()

    listener = Listener("test", "127.0.0.1", handler, None, io_timeout=5.0).start()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as client:  # the control: it does serve
        client.sendall(b"ping")
        assert done.wait(5)
    listener.stop()
    assert served == [b"ping"]
    assert not listener._thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", listener.port), timeout=1).close()
