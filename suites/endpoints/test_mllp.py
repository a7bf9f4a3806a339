"""Behaviour of every MLLP endpoint (plain or TLS): ACKs, robustness to malformed frames, concurrency.

No answer within the target's read timeout is a FAILED requirement with the reason, never a hang.
"""

from __future__ import annotations

import secrets
import socket

import pytest

from harness.config.packs import PackRegistry
from harness.config.target import Endpoint, Target
from harness.core.findings import Severity
from harness.core.verdicts import Verdict
from harness.hl7v2.ack import judge_ack
from harness.net import mllp
from harness.net.probe import NoAnswer, Unreachable, base_options, mllp_exchange, mllp_socket
from harness.run.recorder import Recorder

ACK_REQUIREMENTS = ("HL7V2-ACK-01", "HL7V2-ACK-02", "HL7V2-ACK-03", "HL7V2-ACK-04")


@pytest.fixture(autouse=True)
def _tls_control_served(mllp_endpoint: Endpoint, served) -> None:
    """Over MLLP/TLS, an endpoint that refuses the target's own client certificate (a TLS alert) gives
    ABORTED checks: its ACK behaviour cannot be judged (plain MLLP has no such control)."""
    if mllp_endpoint.protocol == "mllp+tls":
        served(mllp_endpoint)


def _open(endpoint: Endpoint, target: Target) -> socket.socket:
    try:
        return mllp_socket(endpoint, target, base_options(target))
    except NoAnswer as exc:
        raise AssertionError(f"connexion refusée / connection refused: {exc}") from exc


def _exchange(endpoint: Endpoint, target: Target, enrs: Recorder, message: bytes) -> bytes:
    """Send `message`, return the framed answer; no answer in time → AssertionError with the reason."""
    sock = _open(endpoint, target)
    try:
        answer = mllp_exchange(sock, message)
    except NoAnswer as exc:
        raise AssertionError(str(exc)) from exc
    finally:
        sock.close()
    enrs.exchange("MLLP", message.replace(b"\r", b"\n"), answer.replace(b"\r", b"\n"))
    return answer


def _judge(enrs: Recorder, registry: PackRegistry, sent: bytes, answer: bytes, expected: set[str]) -> list[str]:
    """The ACK rules of the HL7 v2 validator (HL7V2-ACK-01…04) on a received ACK: their verdicts are
    recorded when those requirements are loaded; the errors are returned (warnings are evidence)."""
    findings = judge_ack(sent, answer, expected=expected)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    for requirement_id in ACK_REQUIREMENTS:
        if requirement_id in registry.requirements:
            mine = [f for f in errors if f.requirement == requirement_id]
            enrs.requirement(requirement_id, Verdict.FAILED if mine else Verdict.PASSED, "; ".join(f.message_fr for f in mine) or None)
    warnings = [f"{f.requirement}: {f.message_en}" for f in findings if f.severity is not Severity.ERROR]
    if warnings:
        enrs.evidence("avertissements sur l'ACK / ACK warnings", warnings)
    return [f"{f.requirement} {f.location or ''}: {f.message_fr} / {f.message_en}" for f in errors]


def _check_accepted(answer: bytes, control_id: str) -> None:
    ack = mllp.parse_ack(answer)
    assert ack is not None, "la réponse n'est pas un ACK (MSH + MSA) / the answer is not an ACK (MSH + MSA)"
    assert ack.code in ("AA", "CA"), f"MSA-1 = {ack.code!r} pour un message valide / for a valid message"
    assert ack.control_id == control_id, f"MSA-2 = {ack.control_id!r} ≠ MSH-10 {control_id!r}"


@pytest.mark.requirement("CISIS-MLLP-01")
def test_valid_message_gets_correct_ack(mllp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, enrs_registry: PackRegistry,
                                        hl7_message, mllp_settings: dict, reachable) -> None:
    message, _ = hl7_message()
    with reachable():
        answer = _exchange(mllp_endpoint, enrs_target, enrs, message)
    errors = _judge(enrs, enrs_registry, message, answer, set(mllp_settings["accepted_codes"]))
    assert not errors, "; ".join(errors)


def _invalid(message: bytes) -> bytes:
    """The valid message with MSH-12 (version) emptied and a malformed segment added."""
    msh, _, rest = message.partition(b"\r")
    fields = msh.split(b"|")
    fields[11] = b""
    return b"|".join(fields) + b"\r" + rest + b"zz9 not a segment\r"


@pytest.mark.requirement("CISIS-MLLP-02")
def test_invalid_message_gets_error_ack(mllp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, enrs_registry: PackRegistry,
                                        hl7_message, mllp_settings: dict, reachable) -> None:
    message, _ = hl7_message()
    invalid = _invalid(message)
    with reachable():
        answer = _exchange(mllp_endpoint, enrs_target, enrs, invalid)
    errors = _judge(enrs, enrs_registry, invalid, answer, set(mllp_settings["error_codes"]))
    assert not errors, "; ".join(errors)


def _malformed(kind: str, message: bytes, max_frame: int) -> bytes:
    if kind == "garbage":
        return secrets.token_bytes(512).replace(mllp.START, b"G") + b"\r\n"
    if kind == "truncated":
        return mllp.START + message[: len(message) // 2]
    return mllp.START + b"A" * (max_frame + 65536) + mllp.END


@pytest.mark.requirement("CISIS-MLLP-03")
@pytest.mark.parametrize("kind", ["garbage", "truncated", "oversized"])
def test_survives_malformed_frame(kind: str, mllp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, hl7_message,
                                  mllp_settings: dict, reachable) -> None:
    message, _ = hl7_message()
    with reachable():
        sock = _open(mllp_endpoint, enrs_target)
    try:
        sock.sendall(_malformed(kind, message, mllp_settings["max_frame_bytes"]))
        sock.shutdown(socket.SHUT_WR)
        sock.recv(65536)  # whatever the receiver says (or a close) before the next step
    except OSError:
        pass  # the receiver may cut the connection: that is its right
    finally:
        sock.close()
    enrs.evidence("trame malformée envoyée / malformed frame sent", kind)
    message, control_id = hl7_message()
    try:
        answer = _exchange(mllp_endpoint, enrs_target, enrs, message)
    except Unreachable as exc:
        raise AssertionError(f"le récepteur ne répond plus après une trame {kind} / "
                             f"the receiver is gone after a {kind} frame: {exc}") from exc
    _check_accepted(answer, control_id)


@pytest.mark.requirement("CISIS-MLLP-04")
def test_concurrent_connections(mllp_endpoint: Endpoint, enrs_target: Target, enrs: Recorder,
                                hl7_message, mllp_settings: dict, reachable) -> None:
    count = mllp_settings["concurrent_connections"]
    sockets: list[socket.socket] = []
    try:
        with reachable():
            for _ in range(count):
                sockets.append(_open(mllp_endpoint, enrs_target))
        messages = [hl7_message() for _ in sockets]
        # the last connection first: a receiver serving one connection at a time answers only the first
        for sock, (message, control_id) in reversed(list(zip(sockets, messages, strict=True))):
            try:
                answer = mllp_exchange(sock, message)
            except NoAnswer as exc:
                raise AssertionError(f"connexion {sockets.index(sock) + 1}/{count} sans ACK alors que {count} sont ouvertes / "
                                     f"connection {sockets.index(sock) + 1}/{count} got no ACK with {count} open: {exc}") from exc
            ack = mllp.parse_ack(answer)
            assert ack is not None and ack.control_id == control_id, "ACK absent ou d'un autre message / ACK missing or of another message"
        enrs.evidence("connexions simultanées / simultaneous connections", f"{count} ACK")
    finally:
        for sock in sockets:
            sock.close()
