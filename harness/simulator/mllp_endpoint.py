"""The simulator's MLLP receiver: validates each message and answers its technical ACK.

Conforming: AA with MSA-2 = MSH-10 for a valid message; AE with one ERR per problem for an
invalid one (AR when it has no usable MSH); a malformed frame ends that connection only.
"""

from __future__ import annotations

import socket
import struct

from harness import mllp
from harness.simulator.listener import Listener

WRONG_CONTROL_ID = "NOT-THE-MSH-10"


class MllpConfig:
    def __init__(self, faults: frozenset[str], max_frame: int, slow_seconds: float) -> None:
        self.faults, self.max_frame, self.slow_seconds = faults, max_frame, slow_seconds


def mllp_handler(config: MllpConfig):  # type: ignore[no-untyped-def]
    def handle(conn: socket.socket, listener: Listener) -> None:
        faults = config.faults
        while not listener.stopping.is_set():
            try:
                message = mllp.read_frame(conn, config.max_frame)
            except mllp.FrameError as exc:
                if "fragile" in faults and exc.kind != "closed":
                    listener.crash()
                return
            except TimeoutError:
                return
            if "reset" in faults:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if "no-ack" in faults:
                _wait_for_close(conn, listener)
                return
            if "slow" in faults:
                listener.stopping.wait(config.slow_seconds)
            conn.sendall(mllp.frame(answer(message, faults)))

    return handle


def answer(message: bytes, faults: frozenset[str]) -> bytes:
    problems = mllp.problems(message)
    control_id = WRONG_CONTROL_ID if "ack-wrong-control-id" in faults else None
    if not problems or "ack-aa-invalid" in faults:
        return mllp.build_ack(message, "AA", control_id=control_id)
    code = "AR" if mllp.parse_msh(message) is None else "AE"
    return mllp.build_ack(message, code, problems, control_id=control_id)


def _wait_for_close(conn: socket.socket, listener: Listener) -> None:
    """Hang: keep the connection open without answering until the client gives up or the simulator stops."""
    conn.settimeout(0.2)
    while not listener.stopping.is_set():
        try:
            if not conn.recv(65536):
                return
        except TimeoutError:
            continue
