"""The harness as an XDS.b document source/consumer: sends ITI-41/18/43/57 requests to a candidate's service over
the target's mutual TLS with a VIHF signed by the given seal, and reads the answers (suites/xds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from harness.config.target import Endpoint, Target
from harness.net.probe import HttpResponse, NoAnswer, Unreachable, base_options, http_request
from harness.vihf.build import VihfClaims, security_header, signed_vihf
from harness.xds import messages as m

if TYPE_CHECKING:
    from harness.run.recorder import Recorder

MAX_RESPONSE = 4 * 1024 * 1024
REGISTRY_ROLE, SOURCE_ROLE = "registry-repository", "document-source"  # [xds] role: what the candidate is


@dataclass
class XdsSettings:
    role: str
    endpoint: Endpoint
    path: str
    repository_id: str
    patient_id: str
    seal: tuple[Path, Path]
    trust: Path | None


@dataclass
class Exchange:
    http: HttpResponse | None
    response: m.RegistryResponse | None
    problem: str | None = None  # why there is no readable answer

    def describe(self) -> str:
        if self.problem:
            return self.problem
        assert self.response is not None
        if self.response.fault:
            return f"faute SOAP / SOAP fault {self.response.fault}"
        codes = ", ".join(f"{c} ({ctx[:80]})" for c, ctx in self.response.errors) or "—"
        return f"HTTP {self.http.status if self.http else '?'} status {self.response.status.rsplit(':', 1)[-1]}, errors: {codes}"


@dataclass
class XdsClient:
    """Sends XDS.b requests as the target's client (its TLS certificate, a VIHF signed with the seal)."""

    settings: XdsSettings
    target: Target
    enrs: Recorder | None = None  # where exchanges go as evidence (the suites); None: nowhere

    def vihf(self, claims: VihfClaims | None = None, seal: tuple[Path, Path] | None = None,
             edit: Callable[[etree._Element], None] | None = None) -> etree._Element:
        cert, key = seal or self.settings.seal
        assertion = signed_vihf(claims or VihfClaims(), cert, key)
        if edit is not None:
            edit(assertion)
        return assertion

    def send(self, action: str, body: etree._Element, attachments: dict[str, bytes] | None = None,
             vihf: etree._Element | None = None, title: str = "") -> Exchange:
        assertion = vihf if vihf is not None else self.vihf()
        root = m.envelope(action, body, security_header(assertion), to=f"https://{self.settings.endpoint.host}:{self.settings.endpoint.port}"
                          f"{self.settings.path}")
        packed = m.mtom(root, attachments or {}, action)
        try:
            http = http_request(self.settings.endpoint, self.target, base_options(self.target), "POST", self.settings.path,
                                {"Content-Type": packed.content_type}, packed.body)
        except (NoAnswer, Unreachable) as exc:
            return Exchange(None, None, f"pas de réponse / no answer: {exc}")
        if self.enrs is not None:
            self.enrs.exchange(f"{m.ACTIONS.get(action, action)} {title}".strip(), packed.body[:3000], http.excerpt())
        try:
            message = m.unpack(http.header("Content-Type") or "", http.body, MAX_RESPONSE)
            return Exchange(http, m.read_response(message))
        except m.XdsMessageError as exc:
            return Exchange(http, None, f"HTTP {http.status}, réponse illisible / unreadable answer: {exc.en}")

    # -- the transactions -------------------------------------------------------------------------------

    def publish(self, doc: m.TestDocument, replaces: str | None = None, **wrong: Any) -> Exchange:
        body, attachments = m.provide_and_register(doc, replaces, **wrong)
        return self.send(m.ITI41, body, attachments, title=doc.unique_id)

    def get(self, entry_id: str) -> list[etree._Element]:
        exchange = self.send(m.ITI18, m.get_documents([entry_id]), title=f"GetDocuments {entry_id}")
        return exchange.response.entries if exchange.response is not None and exchange.response.success else []

    def get_unique(self, unique_id: str) -> Exchange:
        return self.send(m.ITI18, m.stored_query(m.GET_DOCUMENTS, {"$XDSDocumentEntryUniqueId": [f"('{unique_id}')"]}),
                         title=f"GetDocuments uniqueId {unique_id}")

    def find(self, patient: str, statuses: tuple[str, ...] = (m.APPROVED,)) -> Exchange:
        return self.send(m.ITI18, m.find_documents(patient, statuses), title=f"FindDocuments {patient}")

    def repository_of(self, entry_id: str) -> str:
        """The repositoryUniqueId to use: the target's, else the registry's slot on the entry."""
        if self.settings.repository_id:
            return self.settings.repository_id
        entries = self.get(entry_id)
        return (m.slot_values(entries[0], "repositoryUniqueId") or [""])[0] if entries else ""

    def new_document(self) -> m.TestDocument:
        return m.generated_document(self.settings.patient_id)


def status_of(entries: list[etree._Element], entry_id: str) -> str | None:
    return next((e.get("status") for e in entries if e.get("id") == entry_id), None)


@dataclass
class Control:
    document: m.TestDocument | None
    failure: str | None
