"""Toy conformance suite of the toy-certs pack (tests of certificates, waivers and campaigns)."""

from __future__ import annotations

import os
import socket

import pytest

from harness.config.target import Target
from harness.run.plugin import session_of
from harness.run.recorder import Recorder
from harness.validation.dispatch import expand_paths


@pytest.fixture(scope="module")
def documents(pytestconfig: pytest.Config) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in expand_paths(session_of(pytestconfig).documents())]


def _record(enrs: Recorder, documents: list[tuple[str, bytes]]) -> None:
    for name, data in documents:
        enrs.artefact(name, data, kind="text")


@pytest.mark.requirement("TOYC-001")
def test_starts_with_toy(documents: list[tuple[str, bytes]], enrs: Recorder) -> None:
    if not documents:
        enrs.not_applicable("no documents")
    _record(enrs, documents)
    assert all(data.startswith(b"TOY\n") for _, data in documents)


@pytest.mark.requirement("TOYC-002")
def test_not_broken(documents: list[tuple[str, bytes]], enrs: Recorder) -> None:
    if not documents:
        enrs.not_applicable("no documents")
    _record(enrs, documents)
    if any(b"CRASH" in d for _, d in documents):
        os._exit(70)  # test hook: the run's process dies as a crashing candidate's would
    assert not [n for n, d in documents if b"BROKEN" in d]


@pytest.mark.requirement("TOYC-003")
def test_no_warning(documents: list[tuple[str, bytes]], enrs: Recorder) -> None:
    if not documents:
        enrs.not_applicable("no documents")
    assert not [n for n, d in documents if b"WARN" in d]


@pytest.mark.requirement("TOYC-004")
def test_ping(enrs_target: Target, enrs: Recorder) -> None:
    if not enrs_target.endpoints:
        enrs.not_applicable("no endpoints")
    for endpoint in enrs_target.endpoints:
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=enrs_target.timeouts.connect) as sock:
                sock.settimeout(enrs_target.timeouts.read)
                sock.sendall(b"PING\n")
                answer = sock.recv(16)
        except OSError as exc:
            enrs.abort(f"{endpoint.url}: {exc}")
        assert answer.strip() == b"PONG", f"{endpoint.url} answered {answer!r}"
