"""The reference ENRS simulator: MLLP (plain and TLS) and HTTPS endpoints with mutual TLS, on loopback.

`Simulator(pki, faults).start()` opens the listeners on free loopback ports; `target()` describes
them as a harness target; `stop()` closes everything. Fault modes (harness.simulator.faults)
make chosen requirements fail for real. See docs/security.md.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from harness import __version__
from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.config.target import SIMULATOR_NAME, SIMULATOR_TIMEOUTS, Endpoint, Target, Timeouts, TlsMaterial, default_target
from harness.pki import PkiManifest, build_pki
from harness.simulator.faults import FAULTS, parse_faults
from harness.simulator.http_endpoint import HttpConfig, http_handler
from harness.simulator.listener import EXCHANGE_DEADLINE, Listener
from harness.simulator.mllp_endpoint import MllpConfig, mllp_handler
from harness.simulator.smtp_endpoint import RECIPIENT, SENDER, OperatorConfig, SmtpOperator
from harness.simulator.tlsconfig import server_context
from harness.simulator.xds.service import XdsService
from harness.simulator.xds.store import Store
from harness.vihf.check import trust_anchors

LOOPBACK = "127.0.0.1"
SERVER_NAME = "localhost"
HTTP_PATH = "/api/"
XDS_PATH = "/xds/"  # the XDS.b registry/repository, on the HTTPS endpoint
XDS_METADATA_PACKS = ("ihe-xds-b", "ci-sis-xds")  # the registry checks submissions with these packs' metadata rules
HTTPS_ROOM = {"max_connections": 64, "max_per_peer": 56}  # one client may hold 56 connections, 8 stay for the others
MAX_BODY = 1024 * 1024
MAX_FRAME = 1024 * 1024
SLOW_SECONDS = 6.0

__all__ = ["FAULTS", "Simulator", "parse_faults", "start_embedded"]


class Simulator:
    def __init__(self, pki: PkiManifest, faults: frozenset[str] = frozenset(), io_timeout: float = 10.0,
                 slow_seconds: float = SLOW_SECONDS, owned_dir: Path | None = None, exchange_deadline: float = EXCHANGE_DEADLINE,
                 xds_store: Path | None = None, registry: PackRegistry | None = None) -> None:
        self.pki, self.faults = pki, frozenset(faults)
        self._registry = registry  # the national packs, when the caller has them loaded already
        self.io_timeout, self.slow_seconds, self.exchange_deadline = io_timeout, slow_seconds, exchange_deadline
        self._owned_dir = owned_dir  # a temporary folder removed at stop
        self._work = Path(tempfile.mkdtemp(prefix="enrs-sim-"))
        self.listeners: dict[str, Listener] = {}
        self.xds_store_path = xds_store  # the registry's SQLite file; None: in memory
        self.xds: XdsService | None = None
        self.smtp: SmtpOperator | None = None  # the MSSanté operator (SMTP submission)

    def start(self) -> Simulator:
        tls = server_context(self.pki, self.faults, self._work)
        registry = self._registry or PackRegistry.load()
        mllp_config = MllpConfig(self.faults, MAX_FRAME, self.slow_seconds,
                                 ValidationContext(registry=registry, selected=registry.select([])))
        vihf = registry.packs.get("ci-sis-vihf")
        metadata_packs = [registry.packs[p] for p in XDS_METADATA_PACKS if p in registry.packs]
        self.xds = XdsService(Store(self.xds_store_path), self.faults, trust_anchors(self.pki.trust_anchor),
                              vihf.settings if vihf else None, max_bytes=MAX_BODY, metadata_packs=metadata_packs)
        http = http_handler(HttpConfig(HTTP_PATH, self.faults, MAX_BODY, self.slow_seconds, self.xds, XDS_PATH), self.io_timeout)
        serial = "serial" in self.faults
        try:
            for name, handler, context, is_serial in (
                ("mllp", mllp_handler(mllp_config), None, serial),
                ("mllp-tls", mllp_handler(mllp_config), tls, serial),
                ("https", http, tls, False),
            ):
                room = HTTPS_ROOM if name == "https" else {}  # the XDS registry/repository holds 50 concurrent submissions
                self.listeners[name] = Listener(name, LOOPBACK, handler, context, self.io_timeout, is_serial,
                                                self.exchange_deadline, **room).start()
            self.smtp = SmtpOperator(OperatorConfig(self.faults, self._work / "mail"), tls, self.io_timeout, LOOPBACK, SERVER_NAME).start()
        except BaseException:
            self.stop()
            raise
        return self

    def endpoints(self) -> tuple[Endpoint, ...]:
        protocol = {"mllp": "mllp", "mllp-tls": "mllp+tls", "https": "https"}
        roles = {"mllp": ("hl7v2-receiver",), "mllp-tls": ("hl7v2-receiver",), "https": ("api",)}
        smtp = (Endpoint("smtp", "smtp", LOOPBACK, self.smtp.port, "/", ("mssante-operator",)),) if self.smtp else ()
        return tuple(
            Endpoint(name, protocol[name], LOOPBACK, listener.port, HTTP_PATH if name == "https" else "/", roles[name])
            for name, listener in self.listeners.items()
        ) + smtp

    def mssante_settings(self) -> dict[str, str]:
        """What the MSSanté suite needs of the operator: its mailboxes and, in lab mode, the recipient's Maildir."""
        return {"mssante_sender": SENDER, "mssante_recipient": RECIPIENT,
                "mssante_maildir": str(self._work / "mail" / RECIPIENT.partition("@")[0])}

    def _tls_material(self) -> TlsMaterial:
        cert, key = self.pki.cert_key("client")
        return TlsMaterial(ca_bundle=self.pki.trust_anchor, client_cert=cert, client_key=key, server_name=SERVER_NAME)

    def _name(self) -> str:
        suffix = f" — pannes / faults: {', '.join(sorted(self.faults))}" if self.faults else ""
        return f"{SIMULATOR_NAME}{suffix}"

    def target(self, timeouts: Timeouts = SIMULATOR_TIMEOUTS) -> Target:
        """The simulator as the embedded target: its endpoints plus the bundled documents."""
        settings = {"test_pki": str(self.pki.directory / "manifest.json"), "simulator_faults": sorted(self.faults),
                    **self.mssante_settings()}
        return dataclasses.replace(
            default_target(), name=self._name(), version=__version__, endpoints=self.endpoints(),
            tls=self._tls_material(), timeouts=timeouts, settings=settings, raw={"settings": settings, "xds": self.xds_table()},
        )

    def xds_table(self) -> dict[str, str]:
        """The target's [xds] table: the registry/repository under XDS_PATH of the HTTPS endpoint."""
        assert self.xds is not None
        return {"role": "registry-repository", "endpoint": "https", "path": XDS_PATH, "repository_unique_id": self.xds.repository_id}

    def target_toml(self, timeouts: Timeouts = SIMULATOR_TIMEOUTS) -> str:
        tls = self._tls_material()
        q = json.dumps
        lines = [
            "# Target file written by `enrs-harness simulate`: the reference ENRS simulator on loopback.",
            "[candidate]", f"name = {q(self._name(), ensure_ascii=False)}", 'vendor = "enrs-harness"', f"version = {q(__version__)}", "",
            "[timeouts]", f"connect = {timeouts.connect}", f"read = {timeouts.read}", f"exchange = {timeouts.exchange}", "",
            "[tls]", f"ca_bundle = {q(str(tls.ca_bundle))}", f"client_cert = {q(str(tls.client_cert))}",
            f"client_key = {q(str(tls.client_key))}", f"server_name = {q(SERVER_NAME)}", "",
            "[settings]", f"test_pki = {q(str(self.pki.directory / 'manifest.json'))}",
            f"simulator_faults = {q(sorted(self.faults))}",
            *(f"{k} = {q(v)}" for k, v in self.mssante_settings().items()), "",
            "[xds]", *(f"{k} = {q(v)}" for k, v in self.xds_table().items()), "",
        ]
        documents = default_target().documents
        if documents:
            lines += ["[documents]", f"paths = {q([str(p) for p in documents])}", ""]
        for e in self.endpoints():
            lines += ["[[endpoints]]", f"name = {q(e.name)}", f"protocol = {q(e.protocol)}", f"host = {q(e.host)}",
                      f"port = {e.port}", f"path = {q(e.path)}", f"roles = {q(list(e.roles))}", ""]
        return "\n".join(lines)

    def stop(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        for listener in self.listeners.values():
            listener.stop()
        self.listeners.clear()
        if self.xds is not None:
            self.xds.store.close()
        shutil.rmtree(self._work, ignore_errors=True)
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_embedded(faults: frozenset[str] = frozenset(), registry: PackRegistry | None = None) -> Simulator:
    """A simulator on a fresh test PKI in a temporary folder (removed when it stops); `registry`: the national packs
    (PackRegistry.load()) when the caller has them loaded already."""
    directory = Path(tempfile.mkdtemp(prefix="enrs-pki-"))
    try:
        pki = build_pki(directory, durable=False)  # removed when the simulator stops: nothing to keep on the disk
        return Simulator(pki, faults, owned_dir=directory, registry=registry).start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
