"""Endpoint suites: each test runs once per endpoint of the target of its kind.

A kind the target does not have gives one NOT_APPLICABLE test; an endpoint that cannot be
connected to gives ABORTED (`reachable`). Connections go only to the target's endpoints, each
socket with the target's timeouts (harness.net.probe).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.config.packs import PackRegistry
from harness.config.target import Endpoint, Target
from harness.core.resources import bundled_dir
from harness.net.probe import Attempt, LocalLimitation, Unreachable, attempt_with_certificate, base_options, control_refused
from harness.pki import PkiManifest, with_crl_warning
from harness.run.plugin import session_of
from harness.run.recorder import Recorder

KINDS = {
    "tls_endpoint": ("https", "mllp+tls", "smtp"),  # smtp: TLS after STARTTLS (harness.net.probe.open_tls)
    "https_endpoint": ("https",),
    "mllp_endpoint": ("mllp", "mllp+tls"),
}
SECURITY_PACK = "pgssi-s-security"
MLLP_PACK = "ci-sis-mllp-transport"
MESSAGE = ("fixtures", "conforming/hl7v2/adt-a04.hl7")  # a PAM FR ADT^A04 that passes the HL7 v2 validator


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    session = session_of(metafunc.config)
    for fixture, protocols in KINDS.items():
        if fixture in metafunc.fixturenames and session.keeps(metafunc.definition):  # a dropped test needs no candidate
            endpoints = session.target().endpoints_for(*protocols)
            params = [pytest.param(e, id=e.name) for e in endpoints] or [pytest.param(None, id="none")]
            metafunc.parametrize(fixture, params, indirect=True)


def _endpoint(request: pytest.FixtureRequest, kind: str, enrs: Recorder) -> Endpoint:
    if request.param is None:
        protocols = " / ".join(KINDS[kind])
        enrs.not_applicable(f"aucun point d'accès {protocols} dans la cible / no {protocols} endpoint in the target")
    return request.param


@pytest.fixture
def tls_endpoint(request: pytest.FixtureRequest, enrs: Recorder) -> Endpoint:
    return _endpoint(request, "tls_endpoint", enrs)


@pytest.fixture
def https_endpoint(request: pytest.FixtureRequest, enrs: Recorder) -> Endpoint:
    return _endpoint(request, "https_endpoint", enrs)


@pytest.fixture
def mllp_endpoint(request: pytest.FixtureRequest, enrs: Recorder) -> Endpoint:
    return _endpoint(request, "mllp_endpoint", enrs)


def _settings(registry: PackRegistry, pack_id: str) -> dict[str, Any]:
    pack = registry.packs.get(pack_id)
    if pack is None:
        pytest.skip(f"profil {pack_id} non chargé / pack {pack_id} not loaded")
    return pack.settings


@pytest.fixture(scope="session")
def security(enrs_registry: PackRegistry) -> dict[str, Any]:
    """The [settings] of the security pack (cipher lists, lifespans, header thresholds…)."""
    return _settings(enrs_registry, SECURITY_PACK)


@pytest.fixture(scope="session")
def mllp_settings(enrs_registry: PackRegistry) -> dict[str, Any]:
    return _settings(enrs_registry, MLLP_PACK)


@pytest.fixture
def reachable(enrs: Recorder):
    """Context manager: an unreachable endpoint ABORTS the test, a local TLS limitation too."""

    @contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except Unreachable as exc:
            enrs.abort(str(exc))
        except LocalLimitation as exc:
            enrs.abort(str(exc))

    return guard


@pytest.fixture
def hl7_message(enrs_target: Target):
    """A function giving (message bytes, control id): the valid message with a fresh MSH-10 each time."""
    value = enrs_target.settings.get("mllp_message")
    path = Path(value) if value else bundled_dir(MESSAGE[0]) / MESSAGE[1]
    if value and not path.is_absolute() and enrs_target.source is not None:
        path = enrs_target.source.parent / path
    template = path.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")

    def make() -> tuple[bytes, str]:
        control_id = f"ENRS{secrets.token_hex(6).upper()}"
        msh, _, rest = template.partition(b"\r")
        fields = msh.split(b"|")
        fields[9] = control_id.encode()
        return b"|".join(fields) + b"\r" + rest, control_id

    return make


# -- the control: the target's own request, which every comparison needs served ---------------------

@pytest.fixture(scope="session")
def controls() -> dict[tuple[str, int], Attempt]:
    return {}


@pytest.fixture
def attempt(enrs_target: Target, hl7_message):
    """A function making one request (HTTPS: GET on the path; MLLP/TLS: the valid message) with the
    target's credentials, changed by `options` (e.g. client_cert=None)."""
    def run(endpoint: Endpoint, **options) -> Attempt:
        return attempt_with_certificate(endpoint, enrs_target, base_options(enrs_target, **options), hl7_message()[0])

    return run


@pytest.fixture
def control_for(attempt, controls: dict, reachable):
    """A function giving the control of an endpoint: the target's own request, made once per endpoint and session."""
    def get(endpoint: Endpoint) -> Attempt:
        key = (endpoint.host, endpoint.port)
        if key not in controls:
            with reachable():
                controls[key] = attempt(endpoint)
        return controls[key]

    return get


@pytest.fixture
def served(enrs: Recorder, control_for, test_pki: PkiManifest | None):
    """A function that ABORTS the test when the endpoint refuses the control (TLS alert, refusal
    status): a check comparing a probe with a served request cannot judge an error page."""
    def check(endpoint: Endpoint) -> Attempt:
        control = control_for(endpoint)
        if control.refused():
            enrs.abort(with_crl_warning(control_refused(control), test_pki))
        return control

    return check

