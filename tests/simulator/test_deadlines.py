"""An overall deadline per exchange on both sides, against slow-loris peers (one byte at a time) on loopback.

A per-read timeout alone never ends an exchange with a peer that sends a byte before each read times
out. The harness's clients give up at the target's `[timeouts] exchange` with the reason; the
simulator frees a connection at its deadline and bounds the connections of one peer.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from harness.config.target import Endpoint, Target, Timeouts, default_target
from harness.net import mllp
from harness.net.deadline import DeadlineSocket, ExchangeDeadline, bounded_connection
from harness.net.probe import NoAnswer, TlsOptions, http_request, mllp_exchange, mllp_socket
from harness.pki import PkiManifest
from harness.simulator import Simulator

ADT = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04^ADT_A01|X1|P|2.5\r"


@contextmanager
def slow_loris_server(payload: bytes, interval: float = 1.0, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """A loopback server sending `payload` one byte every `interval` seconds to each client (over TLS
    when `tls` is given, after the handshake); yields its port, stops its threads on exit."""
    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    workers: list[threading.Thread] = []

    def dribble(conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if tls is not None:
                conn = tls.wrap_socket(conn, server_side=True)
            for byte in payload:
                if stop.wait(interval):
                    break
                conn.sendall(bytes([byte]))
        except OSError:
            pass  # the client gave up: what the test expects
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=dribble, args=(conn,), daemon=True)
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(timeout=2)
        server.close()
        for worker in workers:
            worker.join(timeout=6)


def _target(exchange: float, read: float = 2.0) -> Target:
    import dataclasses

    return dataclasses.replace(default_target(), timeouts=Timeouts(connect=1.0, read=read, exchange=exchange))


@pytest.mark.parametrize("deadline", [2.0, 3.5])
def test_the_mllp_client_gives_up_a_slow_loris_receiver_at_the_exchange_deadline(deadline: float) -> None:
    """Each byte comes within the 2 s read timeout: only the deadline ends the exchange, and it is the deadline that sets when."""
    with slow_loris_server(mllp.START + b"MSH|^~\\&|" + b"x" * 100, interval=0.5) as port:
        endpoint = Endpoint("slow", "mllp", "127.0.0.1", port)
        started = time.monotonic()
        sock = mllp_socket(endpoint, _target(deadline), None)
        try:
            with pytest.raises(NoAnswer) as caught:
                mllp_exchange(sock, ADT)
        finally:
            sock.close()
        elapsed = time.monotonic() - started
    assert "exchange deadline exceeded" in str(caught.value) and f"({deadline:g} s" in str(caught.value)
    assert caught.value.silent  # no refusal was signalled
    assert deadline - 0.3 <= elapsed <= deadline + 1.0, elapsed


def test_the_https_client_gives_up_a_slow_loris_server_at_the_exchange_deadline(pki: PkiManifest) -> None:
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*pki.cert_key("server"))
    with slow_loris_server(b"HTTP/1.1 200 OK\r\nServer: slow\r\n" + b"X" * 100, interval=0.5, tls=server_tls) as port:
        endpoint = Endpoint("slow", "https", "127.0.0.1", port, "/api/")
        started = time.monotonic()
        with pytest.raises(NoAnswer) as caught:
            http_request(endpoint, _target(3.0), TlsOptions())
        elapsed = time.monotonic() - started
    assert "exchange deadline exceeded (3 s" in str(caught.value) and caught.value.silent
    assert 2.7 <= elapsed <= 4.0, elapsed


def test_a_run_against_a_slow_loris_receiver_fails_with_the_deadline_reason_in_bounded_time(suite: Any) -> None:
    with slow_loris_server(mllp.START + b"MSH|^~\\&|" + b"x" * 200, interval=0.5) as port:
        target = f"""[candidate]
name = "slow loris"
vendor = "test"
version = "1"

[timeouts]
connect = 1.0
read = 2.0
exchange = 2.5

[[endpoints]]
name = "slow"
protocol = "mllp"
host = "127.0.0.1"
port = {port}
"""
        started = time.monotonic()
        results = suite.run_on(target, "test_mllp.py", keyword="valid_message and not invalid", packs=("ci-sis-mllp-transport",))
        elapsed = time.monotonic() - started
    assert suite.verdicts(results)["CISIS-MLLP-01"] == "FAILED"
    assert "exchange deadline exceeded (2.5 s" in suite.reasons(results, "CISIS-MLLP-01")
    assert elapsed < 8, elapsed


def _held_for(sock: socket.socket, send: bytes, interval: float, limit: float) -> float:
    """Send `send` one byte every `interval` s until the peer closes; how long the connection lived."""
    started = time.monotonic()
    sock.settimeout(interval)
    for byte in send:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(65536) == b"":
                break
        except TimeoutError:
            pass
        except OSError:
            break
        if time.monotonic() - started > limit:
            break
    return time.monotonic() - started


@pytest.mark.parametrize("listener", ["mllp", "mllp-tls", "https"])
def test_the_simulator_frees_a_slow_loris_connection_at_its_deadline(pki: PkiManifest, listener: str) -> None:
    """Bytes every 0.5 s (under the 5 s operation timeout): the connection ends at the 2 s deadline,
    during the TLS handshake or the request alike."""
    with Simulator(pki, io_timeout=5.0, exchange_deadline=2.0) as simulator:
        port = simulator.listeners[listener].port
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            payload = b"\x16\x03\x01\x02\x00\x01" + b"\x00" * 40 if listener != "mllp" else mllp.START + b"MSH|" + b"x" * 40
            lived = _held_for(sock, payload, 0.5, limit=8)
    assert 1.5 <= lived <= 3.5, lived


def test_the_simulator_deadline_is_per_exchange_not_per_connection(pki: PkiManifest) -> None:
    """Messages answered promptly on one connection keep it open past the deadline."""
    with Simulator(pki, io_timeout=5.0, exchange_deadline=1.0) as simulator:
        sock = bounded_connection(("127.0.0.1", simulator.listeners["mllp"].port), 1.0, 5.0, None)
        with sock:
            for _ in range(4):
                sock.sendall(mllp.frame(ADT))
                assert mllp.parse_ack(mllp.read_frame(sock)) is not None
                time.sleep(0.4)  # 1.6 s in all: more than one deadline


def test_one_peer_cannot_take_every_connection_of_the_simulator(pki: PkiManifest) -> None:
    with Simulator(pki, io_timeout=5.0, exchange_deadline=20.0) as simulator:
        port = simulator.listeners["mllp"].port
        limit = simulator.listeners["mllp"].max_per_peer
        crowd = [bounded_connection(("127.0.0.1", port), 1.0, 2.0, None, source=("127.0.0.2", 0)) for _ in range(limit)]
        try:
            time.sleep(0.3)
            extra = bounded_connection(("127.0.0.1", port), 1.0, 2.0, None, source=("127.0.0.2", 0))
            with extra:
                try:
                    extra.sendall(mllp.frame(ADT))
                    refused = extra.recv(1) == b""
                except OSError:
                    refused = True
            assert refused, "a peer past its limit was served"
            other = bounded_connection(("127.0.0.1", port), 1.0, 2.0, None)  # another peer is still served
            with other:
                other.sendall(mllp.frame(ADT))
                assert mllp.parse_ack(mllp.read_frame(other)) is not None
        finally:
            for sock in crowd:
                sock.close()
        time.sleep(0.3)
        again = bounded_connection(("127.0.0.1", port), 1.0, 2.0, None, source=("127.0.0.2", 0))  # its slots freed
        with again:
            again.sendall(mllp.frame(ADT))
            assert mllp.parse_ack(mllp.read_frame(again)) is not None


def test_deadline_sockets_without_a_deadline_behave_as_plain_ones() -> None:
    left, right = socket.socketpair()
    with left, right:
        sock = DeadlineSocket(fileno=left.detach())
        with sock:
            sock.settimeout(0.2)
            assert sock.gettimeout() == 0.2
            right.sendall(b"abc")
            assert sock.recv(10) == b"abc"
            with pytest.raises(TimeoutError) as caught:
                sock.recv(10)
            assert not isinstance(caught.value, ExchangeDeadline)
            sock.set_deadline(0.3)
            time.sleep(0.35)
            with pytest.raises(ExchangeDeadline):
                sock.recv(10)
