"""A candidate XDS.b document source (`[xds] role = "document-source"`): the harness listens as a registry/repository
(mutual TLS on the test PKI) for the window, shows progress, then judges every request received: the VIHF (pack
ci-sis-vihf, with the TLS client's DN) and each ITI-41 as an XDS.b capture (packs ihe-xds-b, ci-sis-xds).

The harness's repository accepts what it receives (it records, the checks judge), so one defect gives one verdict.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from harness.config.context import ValidationContext
from harness.config.target import Target
from harness.core.verdicts import Verdict
from harness.net.xds import SOURCE_ROLE
from harness.pki import load_manifest
from harness.run.recorder import Recorder
from harness.simulator.http_endpoint import HttpConfig, http_handler
from harness.simulator.listener import Listener
from harness.simulator.tlsconfig import server_context
from harness.simulator.xds.service import XdsService
from harness.simulator.xds.store import Store
from harness.vihf.check import PACK as VIHF_PACK, check_vihf, trust_anchors
from harness.xds import messages as m, validate_xds

DEFAULT_WINDOW = 60.0
PROGRESS_EVERY = 5.0
MAX_REQUEST = 8 * 1024 * 1024
RECORDING = frozenset({"xds-accept-unsigned-vihf", "xds-accept-bad-metadata"})  # record and answer; the checks judge


@dataclass
class Received:
    content_type: str
    body: bytes
    client: x509.Certificate | None
    action: str | None


@dataclass
class Window:
    received: list[Received]
    url: str
    seconds: float
    problem: str | None = None


def _say(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text)


@pytest.fixture(scope="session")
def source_window(enrs_target: Target, enrs_registry: Any, pytestconfig: pytest.Config) -> Window | None:
    """Listen for the window (once per session) and return what the candidate sent; None when not this role."""
    table: dict[str, Any] = enrs_target.raw.get("xds") or {}
    if table.get("role") != SOURCE_ROLE:
        return None
    value = enrs_target.settings.get("test_pki")
    if not value:
        return Window([], "", 0.0, "settings.test_pki requis (certificat serveur du harnais) / settings.test_pki required (the harness's "
                                   "server certificate)")
    path = Path(value)
    pki = load_manifest(path if path.is_absolute() or enrs_target.source is None else enrs_target.source.parent / path)
    received: list[Received] = []
    service = XdsService(Store(), RECORDING, trust_anchors(pki.trust_anchor), max_bytes=MAX_REQUEST)
    service.observer = lambda ct, body, client, _answer: received.append(Received(ct, body, client, _action(ct, body)))
    seconds = float(table.get("window", DEFAULT_WINDOW))
    with tempfile.TemporaryDirectory(prefix="enrs-xds-source-") as work:
        tls = server_context(pki, frozenset(), Path(work))
        handler = http_handler(HttpConfig("/api/", frozenset(), MAX_REQUEST, 0.0, service, "/xds/"), enrs_target.timeouts.read)
        host, port = table.get("listen_host", "127.0.0.1"), int(table.get("listen_port", 0))
        try:
            listener = Listener("xds-source", host, handler, tls, enrs_target.timeouts.read, max_connections=16, max_per_peer=16, port=port)
        except OSError as exc:
            return Window([], "", seconds, f"écoute impossible sur / cannot listen on {host}:{port}: {exc}")
        url = f"https://{listener.host}:{listener.port}/xds/"
        listener.start()
        try:
            _say(pytestconfig, f"\nenrs-harness : dépôt XDS.b à l'écoute / XDS.b repository listening on {url} for {seconds:g} s")
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                time.sleep(min(PROGRESS_EVERY, left))
                left = max(0, round(end - time.monotonic()))
                _say(pytestconfig, f"  {left} s, {len(received)} requête(s) reçue(s) / request(s) received")
        finally:
            listener.stop()
            service.store.close()
    return Window(received, url, seconds)


def _action(content_type: str, body: bytes) -> str | None:
    try:
        return m.unpack(content_type, body, MAX_REQUEST).action
    except m.XdsMessageError:
        return None


@pytest.fixture
def window(source_window: Window | None, enrs: Recorder) -> Window:
    if source_window is None:
        enrs.not_applicable("le candidat n'est pas une source de documents ([xds] role) / the candidate is not a document source")
    if source_window.problem:
        enrs.abort(source_window.problem)
    return source_window


def _submissions(window: Window) -> list[Received]:
    return [r for r in window.received if r.action == m.ITI41]


@pytest.mark.requirement("XDSB-SRC-01")
def test_source_sends_submissions(window: Window, enrs: Recorder) -> None:
    enrs.evidence("requêtes reçues / requests received", [{"action": r.action, "bytes": len(r.body)} for r in window.received])
    assert _submissions(window), (f"aucune requête ITI-41 lisible reçue en {window.seconds:g} s sur {window.url} / no readable ITI-41 "
                                  f"request received in {window.seconds:g} s on {window.url}")


@pytest.fixture
def submissions(window: Window, enrs: Recorder) -> list[Received]:
    found = _submissions(window)
    if not found:
        enrs.abort("témoin en échec (XDSB-SRC-01) : aucune soumission à juger / control failed (XDSB-SRC-01): no submission to judge")
    return found


@pytest.mark.profile("ci-sis-vihf")
def test_source_vihf(window: Window, enrs: Recorder, enrs_registry: Any, source_trust: Any) -> None:
    """ci-sis-vihf on the VIHF of every request the candidate sent, with its TLS client certificate."""
    pack = enrs_registry.packs.get(VIHF_PACK)
    if pack is None:
        pytest.skip(f"{VIHF_PACK} non chargé / not loaded")
    submissions = _submissions(window)
    if not submissions:  # the pack's requirements are this check's: ABORTED with the control's reason, not left NOT_TESTED
        reason = "témoin en échec (XDSB-SRC-01) : aucune soumission à juger / control failed (XDSB-SRC-01): no submission to judge"
        for requirement in pack.requirements:
            enrs.requirement(requirement.id, Verdict.ABORTED, reason)
        enrs.abort(reason)
    failed: dict[str, list[str]] = {}
    evaluated: set[str] = set()
    for number, request in enumerate(submissions, 1):
        report = check_vihf(m.unpack(request.content_type, request.body, MAX_REQUEST).root, source_trust, settings=pack.settings,
                            tls_client_cert=request.client)
        evaluated |= report.evaluated
        for finding in report.findings:
            failed.setdefault(finding.requirement, []).append(f"#{number}: {finding.message_fr} / {finding.message_en}")
    for requirement in sorted(evaluated):
        enrs.requirement(requirement, Verdict.FAILED if requirement in failed else Verdict.PASSED,
                         "; ".join(failed.get(requirement, [])[:3]) or None)


@pytest.fixture(scope="session")
def source_trust(enrs_target: Target) -> list[x509.Certificate]:
    table: dict[str, Any] = enrs_target.raw.get("xds") or {}
    value = table.get("vihf_trust") or enrs_target.settings.get("test_pki")
    if not value:
        return []
    path = Path(value)
    path = path if path.is_absolute() or enrs_target.source is None else enrs_target.source.parent / path
    return trust_anchors(load_manifest(path).trust_anchor if path.name == "manifest.json" or path.is_dir() else path)


# The XDS packs its validator judges. The CDA documents the submissions carry are judged too, but within the XDS
# exchange: a run selecting only CDA packs judges the documents given to it, and opens no window for submissions.
@pytest.mark.selected_with("ihe-xds-b", "ci-sis-xds", "ci-sis-xds-dmp", "ci-sis-vihf")
def test_source_submission_metadata(submissions: list[Received], enrs: Recorder, pytestconfig: pytest.Config) -> None:
    """Each ITI-41 received, judged as an XDS.b capture by the artefact validator (packs ihe-xds-b, ci-sis-xds)."""
    from harness.run.plugin import session_of

    session = session_of(pytestconfig)
    context = ValidationContext(registry=session.registry, selected=session.selected, vihf_trust=session.vihf_trust)
    for number, request in enumerate(submissions, 1):
        capture = f"Content-Type: {request.content_type}\r\n\r\n".encode("latin-1") + request.body
        enrs.artefact_report(validate_xds(capture, f"ITI-41 #{number}", context), display_name=f"ITI-41 #{number} (candidate)")
