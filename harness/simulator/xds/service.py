"""The simulator's XDS.b document registry and repository: ITI-41, ITI-18, ITI-43 and ITI-57 as the DMP maps them.

Every request carries a VIHF, verified against the test PKI (harness.vihf.check); a wrong one gets a SOAP fault.
A submission is checked whole and stored whole, or not at all with its RegistryResponse errors. Fault modes
(harness.simulator.faults, scope "xds") make chosen requirements of the pack ihe-xds-b-actors fail for real.
"""

from __future__ import annotations

import copy
import hashlib
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from harness.config.packs import ProfilePack
from harness.core.findings import Severity
from harness.simulator.xds.store import Entry, Store
from harness.vihf.check import check_vihf, ins_problem
from harness.xds import Judge, messages as m, parse_metadata, validate_metadata

REPOSITORY_ID = "1.2.250.1.999.9.2"
ALLOWED_STATUSES = (m.APPROVED, m.DEPRECATED, m.ARCHIVED, m.DELETED)
WSSE_FAILED = "wsse:FailedAuthentication"
# Rules the registry/repository applies itself, with their own error codes: the patient's identity (XDSUnknownPatientId)
# and the document's hash and size, which the repository computes (XDSRepositoryMetadataError).
OWN_CHECKS = ("XDSFR-INS", "XDSB-HASH", "XDSB-SIZE")


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes


class XdsFault(Exception):
    """A request refused with a SOAP 1.2 fault (Sender: the request's fault)."""

    def __init__(self, subcode: str, reason: str) -> None:
        super().__init__(reason)
        self.subcode, self.reason = subcode, reason


class XdsService:
    def __init__(self, store: Store, faults: frozenset[str], trust: list[x509.Certificate], vihf_settings: dict[str, object] | None = None,
                 repository_id: str = REPOSITORY_ID, max_bytes: int = 1024 * 1024, metadata_packs: Iterable[ProfilePack] = ()) -> None:
        self.store, self.faults, self.trust = store, faults, trust
        self.vihf_settings, self.repository_id, self.max_bytes = vihf_settings or {}, repository_id, max_bytes
        self._judge = Judge.of(list(metadata_packs))  # the metadata rules of the packs given (ihe-xds-b, ci-sis-xds), as validate does
        self.observer: Callable[[str, bytes, x509.Certificate | None, Answer], None] | None = None  # the xds suite's recorder

    def handle(self, content_type: str, body: bytes, client_cert: x509.Certificate | None) -> Answer:
        """One HTTP POST: the SOAP answer (MTOM when the request was, and always for ITI-43); `observer` sees both."""
        answer = self._answer(content_type, body, client_cert)
        if self.observer is not None:
            self.observer(content_type, body, client_cert, answer)
        return answer

    def _answer(self, content_type: str, body: bytes, client_cert: x509.Certificate | None) -> Answer:
        multipart = content_type.lower().startswith("multipart/related")
        try:
            message = m.unpack(content_type, body, self.max_bytes)
            action = message.action
            handler = {m.ITI41: self._iti41, m.ITI18: self._iti18, m.ITI43: self._iti43, m.ITI57: self._iti57}.get(action or "")
            if handler is None:
                raise XdsFault("wsa:ActionNotSupported", f"action not supported: {action}")
            self._vihf(message, client_cert)
            request = message.body()
            if request is None:
                raise XdsFault("soap:Sender", "empty SOAP body")
            response, attachments = handler(request, message)
        except m.XdsMessageError as exc:
            return self._fault("soap:Sender", exc.en)
        except XdsFault as exc:
            return self._fault(exc.subcode, exc.reason)
        except Exception:  # a request the service cannot handle (e.g. a store constraint): a generic Receiver fault, never a crash
            return self._fault("soap:Receiver", "internal error", sender=False)
        reply = m.envelope(f"{action}Response", response)
        packed = m.mtom(reply, attachments, f"{action}Response") if (multipart or attachments) else m.plain(reply, f"{action}Response")
        return Answer(200, packed.content_type, packed.body)

    def _fault(self, subcode: str, reason: str, sender: bool = True) -> Answer:
        fault = etree.Element(f"{{{m.SOAP12}}}Fault")
        code = etree.SubElement(fault, f"{{{m.SOAP12}}}Code")
        etree.SubElement(code, f"{{{m.SOAP12}}}Value").text = "soap:Sender" if sender else "soap:Receiver"
        etree.SubElement(etree.SubElement(code, f"{{{m.SOAP12}}}Subcode"), f"{{{m.SOAP12}}}Value").text = subcode
        text = etree.SubElement(etree.SubElement(fault, f"{{{m.SOAP12}}}Reason"), f"{{{m.SOAP12}}}Text")
        text.text = reason[:500]
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        action = "http://www.w3.org/2005/08/addressing/soap/fault"
        packed = m.plain(m.envelope(action, fault), action)
        return Answer(400 if sender else 500, packed.content_type, packed.body)  # SOAP 1.2 HTTP binding: Sender → 400, Receiver → 500

    def _vihf(self, message: m.Unpacked, client_cert: x509.Certificate | None) -> None:
        if "xds-accept-unsigned-vihf" in self.faults:
            return  # the fault: no VIHF check at all
        report = check_vihf(message.root, self.trust, settings=self.vihf_settings, tls_client_cert=client_cert)
        if not report.ok:
            failed = "; ".join(f"{f.requirement}: {f.message_en}" for f in report.findings[:3])
            raise XdsFault(WSSE_FAILED, f"VIHF refused: {failed}")

    # -- responses ------------------------------------------------------------------------------------

    def _registry_response(self, errors: list[tuple[str, str]], tag: str = f"{{{m.RS}}}RegistryResponse") -> etree._Element:
        failed = bool(errors) and "xds-success-on-failure" not in self.faults
        response = etree.Element(tag, nsmap={"rs": m.RS, "rim": m.RIM, "query": m.QUERY},
                                 status=m.FAILURE if failed else m.SUCCESS)
        if errors:
            holder = etree.SubElement(response, f"{{{m.RS}}}RegistryErrorList", highestSeverity=m.ERROR_SEVERITY)
            for code, context in errors:
                etree.SubElement(holder, f"{{{m.RS}}}RegistryError", errorCode=code, codeContext=context[:300], location="",
                                 severity=m.ERROR_SEVERITY)
        return response

    # -- ITI-41 ----------------------------------------------------------------------------------------

    def _iti41(self, request: etree._Element, message: m.Unpacked) -> tuple[etree._Element, dict[str, bytes]]:
        objects = request.find(f"{{{m.LCM}}}SubmitObjectsRequest/{{{m.RIM}}}RegistryObjectList")
        if request.tag != f"{{{m.XDSB}}}ProvideAndRegisterDocumentSetRequest" or objects is None:
            return self._registry_response([("XDSRegistryMetadataError",
                                             "no ProvideAndRegisterDocumentSetRequest/SubmitObjectsRequest")]), {}
        contents = {d.get("id") or "": message.document(d) for d in request.iterfind(f"{{{m.XDSB}}}Document")}
        with self.store.transaction() as db:
            errors, entries, set_unique, patient = self._check_submission(objects, contents)
            replaced = self._check_replacements(objects, entries, errors)
            if not errors:
                for element, content in entries:
                    self._insert(db, element, content, patient, lid=None, version=1)
                db.execute("INSERT INTO submission_sets VALUES (?, ?)", (set_unique, patient))
                if "xds-no-rplc-deprecation" not in self.faults:
                    for old in replaced:
                        db.execute("UPDATE entries SET status = ? WHERE entry_uuid = ?", (m.DEPRECATED, old))
        return self._registry_response(errors), {}

    def _submission_set(self, objects: etree._Element, errors: list[tuple[str, str]]) -> tuple[etree._Element | None, str]:
        sets = [c.get("classifiedObject") for c in objects.iterfind(f"{{{m.RIM}}}Classification")
                if c.get("classificationNode") == m.SUBMISSION_SET]
        packages = [p for p in objects.iterfind(f"{{{m.RIM}}}RegistryPackage") if p.get("id") in sets]
        if len(packages) != 1:
            errors.append(("XDSRegistryMetadataError", f"{len(packages)} submission sets (exactly one expected)"))
            return None, ""
        package = packages[0]
        patient = m.external_value(package, m.SET_PATIENT_ID) or ""
        if patient and ins_problem(patient, type_code=False) is not None:
            errors.append(("XDSUnknownPatientId", f"patient {patient} unknown to the registry"))
        return package, patient

    def _lenient(self) -> bool:
        return "xds-accept-bad-metadata" in self.faults

    def _check_patient(self, entry: etree._Element, patient: str, errors: list[tuple[str, str]]) -> None:
        entry_id = entry.get("id") or ""
        entry_patient = m.external_value(entry, m.DOC_PATIENT_ID)
        if entry_patient and patient and entry_patient != patient:
            errors.append(("XDSPatientIdDoesNotMatch", f"DocumentEntry {entry_id}: patientId {entry_patient} ≠ submission set {patient}"))

    def _metadata_errors(self, objects: etree._Element, transaction: str) -> list[tuple[str, str]]:
        """The metadata rules of the packs (harness.xds, as `validate` applies them) as XDSRegistryMetadataError."""
        if self._lenient():
            return []
        judge = Judge(levels=self._judge.levels, data=self._judge.data)
        validate_metadata(parse_metadata(objects), transaction, judge)
        return [("XDSRegistryMetadataError", f"{f.requirement} {f.location or ''}: {f.message_en}") for f in judge.findings
                if f.severity is Severity.ERROR and not f.requirement.startswith(OWN_CHECKS)]

    def _check_submission(self, objects: etree._Element, contents: dict[str, bytes | None]
                          ) -> tuple[list[tuple[str, str]], list[tuple[etree._Element, bytes]], str, str]:
        errors: list[tuple[str, str]] = self._metadata_errors(objects, "ITI-41")
        package, patient = self._submission_set(objects, errors)
        set_unique = m.external_value(package, m.SET_UNIQUE_ID) or "" if package is not None else ""
        if set_unique and self.store.set_known(set_unique):
            errors.append(("XDSDuplicateUniqueIdInRegistry", f"submission set uniqueId {set_unique} already registered"))
        entries: list[tuple[etree._Element, bytes]] = []
        seen: set[str] = set()
        for entry in objects.iterfind(f"{{{m.RIM}}}ExtrinsicObject"):
            entry_id = entry.get("id") or ""
            self._check_patient(entry, patient, errors)
            content = contents.get(entry_id)
            if content is None:
                errors.append(("XDSMissingDocument", f"DocumentEntry {entry_id}: no document"))
                continue
            digest = hashlib.sha1(content).hexdigest()  # XDS metadata's hash is SHA-1 by definition
            for name, actual in (("hash", digest), ("size", str(len(content)))):
                given = m.slot_values(entry, name)
                if given and given[0].lower() != actual:
                    errors.append(("XDSRepositoryMetadataError", f"DocumentEntry {entry_id}: {name} {given[0]} ≠ {actual}"))
            unique = m.external_value(entry, m.DOC_UNIQUE_ID) or ""
            if unique and (unique in seen or self.store.by_unique_id(unique)):
                errors.append(("XDSDuplicateUniqueIdInRegistry", f"document uniqueId {unique} already registered"))
            seen.add(unique)
            entries.append((entry, content))
        described = {e.get("id") for e in objects.iterfind(f"{{{m.RIM}}}ExtrinsicObject")}
        for document_id in set(contents) - described:
            errors.append(("XDSMissingDocumentMetadata", f"document {document_id} has no DocumentEntry"))
        if not entries and not errors:
            errors.append(("XDSRegistryMetadataError", "no DocumentEntry in the submission"))
        return errors, entries, set_unique, patient

    def _check_replacements(self, objects: etree._Element, entries: list[tuple[etree._Element, bytes]],
                            errors: list[tuple[str, str]]) -> list[str]:
        replaced = []
        for association in objects.iterfind(f"{{{m.RIM}}}Association[@associationType='{m.RPLC}']"):
            target = association.get("targetObject") or ""
            old = self.store.entry(target)
            if old is None or old.status != m.APPROVED:
                errors.append(("XDSUnresolvedReferenceException", f"RPLC target {target} is not an Approved entry of the registry"))
            elif entries and old.patient_id != (m.external_value(entries[0][0], m.DOC_PATIENT_ID) or ""):
                errors.append(("XDSPatientIdDoesNotMatch", f"RPLC target {target} belongs to another patient"))
            else:
                replaced.append(target)
        return replaced

    def _insert(self, db: sqlite3.Connection, entry: etree._Element, content: bytes, patient: str, lid: str | None, version: int,
                status: str = m.APPROVED) -> None:
        entry_uuid = entry.get("id") or ""
        if not entry_uuid.startswith("urn:uuid:"):
            entry_uuid = f"urn:uuid:{uuid.uuid4()}"  # a symbolic id: the registry assigns the UUID
        stored = copy.deepcopy(entry)
        stored.set("id", entry_uuid)
        stored.set("lid", lid or entry_uuid)
        digest = hashlib.sha1(content).hexdigest()  # XDS metadata's hash is SHA-1 by definition
        for name, value in (("hash", digest), ("size", str(len(content))), ("repositoryUniqueId", self.repository_id)):
            for old in stored.iterfind(f"{{{m.RIM}}}Slot[@name='{name}']"):
                stored.remove(old)
            m.slot(stored, name, [value])
        unique = m.external_value(stored, m.DOC_UNIQUE_ID) or ""
        db.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (entry_uuid, lid or entry_uuid, version, unique, patient, status, digest, len(content),
                                stored.get("mimeType") or "", etree.tostring(stored), self.store.next_seq()))
        if version == 1:
            db.execute("INSERT INTO documents VALUES (?, ?)", (unique, content))

    # -- ITI-18 ----------------------------------------------------------------------------------------

    def _iti18(self, request: etree._Element, message: m.Unpacked) -> tuple[etree._Element, dict[str, bytes]]:
        query = request.find(f"{{{m.RIM}}}AdhocQuery")
        tag = f"{{{m.QUERY}}}AdhocQueryResponse"
        if query is None:
            return self._registry_response([("XDSRegistryError", "no AdhocQuery")], tag), {}
        params = {s.get("name") or "": [v for value in m.slot_values(query, s.get("name") or "") for v in _quoted(value)]
                  for s in query.iterfind(f"{{{m.RIM}}}Slot")}
        if query.get("id") == m.FIND_DOCUMENTS:
            patients = params.get("$XDSDocumentEntryPatientId", [])
            statuses = params.get("$XDSDocumentEntryStatus", [])
            if len(patients) != 1 or not statuses:
                return self._registry_response([("XDSStoredQueryParamNumber", "FindDocuments needs one patient id and statuses")], tag), {}
            found = self.store.for_patient(patients[0], statuses)
        elif query.get("id") == m.GET_DOCUMENTS:
            uuids, uniques = params.get("$XDSDocumentEntryEntryUUID", []), params.get("$XDSDocumentEntryUniqueId", [])
            if bool(uuids) == bool(uniques):
                return self._registry_response([("XDSStoredQueryParamNumber", "GetDocuments needs entry UUIDs or unique ids")], tag), {}
            found = [e for u in uuids if (e := self.store.entry(u))] + [e for u in uniques for e in self.store.by_unique_id(u)]
        else:
            return self._registry_response([("XDSUnknownStoredQuery", f"stored query {query.get('id')} not supported")], tag), {}
        response = self._registry_response([], tag)
        objects = etree.SubElement(response, f"{{{m.RIM}}}RegistryObjectList")
        for entry in found:
            objects.append(_with_status(entry))
        return response, {}

    # -- ITI-43 ----------------------------------------------------------------------------------------

    def _iti43(self, request: etree._Element, message: m.Unpacked) -> tuple[etree._Element, dict[str, bytes]]:
        response = etree.Element(f"{{{m.XDSB}}}RetrieveDocumentSetResponse", nsmap={"xdsb": m.XDSB, "rs": m.RS})
        errors: list[tuple[str, str]] = []
        found: list[tuple[str, str, bytes]] = []
        for item in request.iterfind(f"{{{m.XDSB}}}DocumentRequest"):
            repository = (item.findtext(f"{{{m.XDSB}}}RepositoryUniqueId") or "").strip()
            unique = (item.findtext(f"{{{m.XDSB}}}DocumentUniqueId") or "").strip()
            entries = self.store.by_unique_id(unique)
            deleted = any(e.status == m.DELETED for e in entries)  # the latest version was deleted (logically): no longer served
            content = self.store.document(unique) if entries and not deleted else None
            if repository != self.repository_id:
                errors.append(("XDSUnknownRepositoryId", f"repository {repository} unknown (this one: {self.repository_id})"))
            elif content is None:
                errors.append(("XDSDocumentUniqueIdError", f"document {unique} unknown"))
            else:
                if "xds-wrong-hash-on-retrieve" in self.faults:
                    content = content + b"<!-- altered -->"
                found.append((unique, entries[0].mime_type, content))
        if not found and not errors:
            errors.append(("XDSRepositoryError", "no DocumentRequest"))
        response.append(self._registry_response(errors))
        attachments = {}
        for unique, mime_type, content in found:
            item = etree.SubElement(response, f"{{{m.XDSB}}}DocumentResponse")
            etree.SubElement(item, f"{{{m.XDSB}}}RepositoryUniqueId").text = self.repository_id
            etree.SubElement(item, f"{{{m.XDSB}}}DocumentUniqueId").text = unique
            etree.SubElement(item, f"{{{m.XDSB}}}mimeType").text = mime_type
            cid = f"doc.{uuid.uuid4().hex}@enrs-simulator"
            holder = etree.SubElement(item, f"{{{m.XDSB}}}Document")
            etree.SubElement(holder, f"{{{m.XOP}}}Include", href=f"cid:{cid}", nsmap={"xop": m.XOP})
            attachments[cid] = content
        if errors and found:
            response[0].set("status", "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess")
        return response, attachments

    # -- ITI-57 ----------------------------------------------------------------------------------------

    def _iti57(self, request: etree._Element, message: m.Unpacked) -> tuple[etree._Element, dict[str, bytes]]:
        objects = request.find(f"{{{m.RIM}}}RegistryObjectList")
        if request.tag != f"{{{m.LCM}}}SubmitObjectsRequest" or objects is None:
            return self._registry_response([("XDSMetadataUpdateError", "no SubmitObjectsRequest")]), {}
        with self.store.transaction() as db:
            errors: list[tuple[str, str]] = self._metadata_errors(objects, "ITI-57")
            package, patient = self._submission_set(objects, errors)
            status_changes: list[tuple[str, str]] = []
            for association in objects.iterfind(f"{{{m.RIM}}}Association[@associationType='{m.UPDATE_STATUS}']"):
                target = association.get("targetObject") or ""
                entry = self.store.entry(target)
                original = (m.slot_values(association, "OriginalStatus") or [""])[0]
                new = (m.slot_values(association, "NewStatus") or [""])[0]
                if entry is None:
                    errors.append(("XDSMetadataUpdateError", f"entry {target} unknown"))
                elif entry.status != original:
                    errors.append(("XDSMetadataUpdateError", f"entry {target}: OriginalStatus {original} ≠ current {entry.status}"))
                elif new not in ALLOWED_STATUSES:
                    errors.append(("XDSMetadataUpdateError", f"NewStatus {new} not allowed"))
                elif patient and entry.patient_id != patient:
                    errors.append(("XDSPatientIdDoesNotMatch", f"entry {target} belongs to another patient"))
                else:
                    status_changes.append((target, new))
            versions = self._check_new_versions(objects, patient, errors)
            if not status_changes and not versions and not errors:
                errors.append(("XDSMetadataUpdateError", "nothing to update"))
            if not errors:
                for target, new in status_changes:
                    db.execute("UPDATE entries SET status = ? WHERE entry_uuid = ?", (new, target))
                for element, previous in versions:
                    content = self.store.document(previous.unique_id) or b""
                    db.execute("UPDATE entries SET status = ? WHERE entry_uuid = ?", (m.DEPRECATED, previous.entry_uuid))
                    self._insert(db, element, content, patient, lid=previous.lid, version=previous.version + 1)
        return self._registry_response(errors), {}

    def _check_new_versions(self, objects: etree._Element, patient: str,
                            errors: list[tuple[str, str]]) -> list[tuple[etree._Element, Entry]]:
        versions = []
        previous_of = {a.get("targetObject"): (m.slot_values(a, "PreviousVersion") or [""])[0]
                       for a in objects.iterfind(f"{{{m.RIM}}}Association[@associationType='{m.HAS_MEMBER}']")}
        for element in objects.iterfind(f"{{{m.RIM}}}ExtrinsicObject"):
            lid = element.get("lid") or ""
            current = self.store.latest(lid) if lid else None
            self._check_patient(element, patient, errors)
            if current is None or current.status != m.APPROVED:
                errors.append(("XDSMetadataUpdateError", f"no Approved entry with logical id {lid}"))
            elif previous_of.get(element.get("id")) != str(current.version):
                errors.append(("XDSMetadataVersionError",
                               f"PreviousVersion {previous_of.get(element.get('id'))} ≠ current {current.version}"))
            elif (m.external_value(element, m.DOC_UNIQUE_ID) or "") != current.unique_id:
                errors.append(("XDSMetadataUpdateError", "a metadata update cannot change the uniqueId"))
            else:
                versions.append((element, current))
        return versions


def _quoted(value: str) -> list[str]:
    """The values of a stored query parameter: `'a'` or `('a','b')`."""
    found = re.findall(r"'((?:[^']|'')*)'", value)
    return [v.replace("''", "'") for v in found] if found else [value.strip("() ")]


def _with_status(entry: Entry) -> etree._Element:
    element = etree.fromstring(entry.metadata)
    element.set("status", entry.status)
    info = element.find(f"{{{m.RIM}}}VersionInfo")
    if info is None:
        info = etree.SubElement(element, f"{{{m.RIM}}}VersionInfo")
    info.set("versionName", str(entry.version))
    return element
