"""The simulator's MLLP receiver: validates each message with the HL7 v2 validator and answers its ACK.

Conforming: the ACK `harness.hl7v2.ack.expected_ack` gives for the validation report (AA, or
AE/AR with one ERR per error); a malformed frame ends that connection only.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Callable

from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport
from harness.core.verdicts import ArtefactVerdict
from harness.hl7v2.ack import expected_ack
from harness.net import mllp
from harness.net.deadline import ExchangeDeadline
from harness.simulator.listener import Listener
from harness.validation.dispatch import validate_bytes

WRONG_CONTROL_ID = "NOT-THE-MSH-10"


class MllpConfig:
    def __init__(self, faults: frozenset[str], max_frame: int, slow_seconds: float, context: ValidationContext) -> None:
        self.faults, self.max_frame, self.slow_seconds, self.context = faults, max_frame, slow_seconds, context


def mllp_handler(config: MllpConfig) -> Callable[[socket.socket, Listener], None]:
    def handle(conn: socket.socket, listener: Listener) -> None:
        faults = config.faults
        first = True
        while not listener.stopping.is_set():
            if not first:
                listener.new_exchange(conn)  # each message and its ACK within the deadline (the first one's started at accept)
            first = False
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
            conn.sendall(mllp.frame(answer(message, config)))

    return handle


def answer(message: bytes, config: MllpConfig) -> bytes:
    """The ACK of `message`, as the faults shape it."""
    try:
        report: ArtefactReport | None = validate_bytes(message, "mllp-message.hl7", config.context, kind="hl7v2")
    except Exception as exc:  # a receiver answers AR rather than dying on a message
        report = ArtefactReport(path="mllp-message.hl7", sha256="", kind="hl7v2", verdict=ArtefactVerdict.ABORTED, reason=str(exc)[:200])
    if "ack-aa-invalid" in config.faults:
        report = None  # judged acceptable whatever it holds
    ack = expected_ack(message, report)
    if "ack-wrong-control-id" in config.faults:
        ack = re.sub(rb"(\rMSA\|[A-Z]{2}\|)[^\r|]*", rb"\g<1>" + WRONG_CONTROL_ID.encode(), ack)
    return ack


def _wait_for_close(conn: socket.socket, listener: Listener) -> None:
    """Hang: keep the connection open without answering until the client gives up or the simulator stops."""
    conn.settimeout(0.2)
    while not listener.stopping.is_set():
        try:
            if not conn.recv(65536):
                return
        except ExchangeDeadline:
            return  # held long enough: the connection is freed
        except TimeoutError:
            continue
