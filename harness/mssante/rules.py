"""The rules of the `mssante-exchange` pack on one e-mail, and `judge_email`, which gives its report.

What an e-mail is decides which rules apply to it (docs/mssante.md):
- a read receipt (MDN): `multipart/report; report-type=disposition-notification` (RFC 8098);
- an error notification: an MDN whose disposition has an error modifier, or a mail whose subject
  opens with two bracketed groups (`[KO Intégration système !][code] …`);
- a document message: any other mail carrying a ZIP or CDA attachment, an `X-MSS-CODECDA` header
  or a subject in the `XDM/1.0/DDM+` form;
- any other mail: only the RFC 5322 rules.
The IHE_XDM.ZIP of a document message is judged by the XDM validator (a child report) and its CDA
documents feed the cross-checks (patient, document code, subject).
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from email.message import Message
from typing import Any

from harness.core.findings import ArtefactReport
from harness.core.verdicts import ArtefactVerdict
from harness.mssante.mail import Mail, MailUnreadable, addresses, parse_mail, payload_of, unfold
from harness.xdm.judging import Judgement, aborted_report, pack_missing
from harness.xdm.package import Document, judge_package

PACK = "mssante-exchange"
KIND = "email"
V3 = "{urn:hl7-org:v3}"
HEADERS = "MSS-RFC-01"
SYNTAX = "MSS-RFC-02"
MESSAGE_ID = "MSS-ID-01"
THREAD = "MSS-ID-02"
XDM_ATTACHMENT = "MSS-ATT-01"
READABLE_COPY = "MSS-ATT-02"
ONE_PATIENT = "MSS-PAT-01"
SUBJECT = "MSS-SUB-01"
CODECDA = "MSS-XH-01"
INS = "MSS-XH-02"
MDN_STRUCTURE = "MSS-MDN-01"
MDN_ORIGINAL = "MSS-MDN-02"
MDN_SUBJECT = "MSS-MDN-03"
MASKING = "MSS-MASK-01"
ERROR_SUBJECT = "MSS-ERR-01"
ERROR_ATTACHMENTS = "MSS-ERR-02"

XDM_NAME = "IHE_XDM.ZIP"
DOCUMENT_SUBJECT = "XDM/1.0/DDM+"
ERROR_PREFIX = "[KO Intégration système !]"
_MSG_ID = r"<[^<>\s@]+@(?:[^<>\s@\[\]]+|\[[^\[\]\s]*\])>"
_ONE_MSG_ID = re.compile(rf"^{_MSG_ID}$")
_MSG_IDS = re.compile(rf"^(?:\s*{_MSG_ID})+\s*$")
_ERROR_LIKE = re.compile(r"^\s*\[[^\]]*\]\s*\[[^\]]*\]")
_ERROR_SUBJECT = re.compile(r"^\[KO Intégration système !\]\[([^\]]+)\]\s*XDM/1\.0/DDM\+\S")
_DATE_AT_END = re.compile(r"\s(\d{2})/(\d{2})/(\d{4})\s*$")
_DISPOSITION = re.compile(r"^\s*(manual-action|automatic-action)\s*/\s*(MDN-sent-manually|MDN-sent-automatically)\s*;"
                          r"\s*(displayed|deleted|dispatched|processed)\s*(?:/\s*(.+))?$", re.IGNORECASE)
_FINAL_RECIPIENT = re.compile(r"^\s*[A-Za-z0-9-]+\s*;\s*\S+")
# RFC 5322 §3.6: how many times each field may appear (min, max)
_CARDINALITY = {"Date": (1, 1), "From": (1, 1), "Sender": (0, 1), "Reply-To": (0, 1), "To": (0, 1), "Cc": (0, 1),
                "Bcc": (0, 1), "Message-ID": (0, 1), "In-Reply-To": (0, 1), "References": (0, 1), "Subject": (0, 1)}


def judge_email(data: bytes, path: str, context: Any) -> ArtefactReport:
    """Judge one MSSanté e-mail (RFC 5322 bytes); never raises on bad input: ABORTED with the reason."""
    missing = pack_missing(context, PACK)
    if missing:
        return aborted_report(data, path, KIND, *missing)
    if len(data) > context.max_bytes:
        return aborted_report(data, path, KIND, f"{len(data)} octets, au-delà de la limite de {context.max_bytes}",
                              f"{len(data)} bytes, over the limit of {context.max_bytes}")
    try:
        mail = parse_mail(data)
    except MailUnreadable as exc:
        return aborted_report(data, path, KIND, exc.fr, exc.en)
    judgement = Judgement(context)
    settings = context.pack(PACK).settings
    check_headers(mail, judgement)
    kind = message_kind(mail)
    children: list[ArtefactReport] = []
    if kind == "document":
        children += check_document_message(mail, judgement, path, context, settings)
    if kind in ("mdn", "mdn-error"):
        check_mdn(mail, judgement, error=kind == "mdn-error")
    if kind in ("error", "mdn-error"):
        check_error_notification(mail, judgement)
    report = judgement.report(data, path, KIND)
    report.profile = f"{PACK} ({kind})"
    report.children = children
    unjudged = [c for c in children if c.verdict is ArtefactVerdict.ABORTED]
    if unjudged:  # the rules reading the package's documents could not run
        report.verdict = ArtefactVerdict.ABORTED
        fr, _, en = (unjudged[0].reason or "").partition(" / ")
        report.reason = f"pièce jointe {XDM_NAME} non jugée : {fr} / {XDM_NAME} attachment not judged: {en or fr}"
    elif any(c.verdict is ArtefactVerdict.FAILED for c in children) and report.verdict is ArtefactVerdict.PASSED:
        report.verdict = ArtefactVerdict.FAILED  # the findings are the child's own (XDM-*, CDA ids)
    return report


def message_kind(mail: Mail) -> str:
    """"mdn", "mdn-error", "error", "document" or "plain" (see the module's docstring)."""
    subject = mail.subject or ""
    report_type = mail.message.get_param("report-type")
    if mail.content_type == "multipart/report" and str(report_type or "").lower() == "disposition-notification":
        modifier = _disposition(mail)
        return "mdn-error" if modifier and modifier.lower().startswith("error") else "mdn"
    if _ERROR_LIKE.match(subject):
        return "error"
    carries = any(a.filename.upper().endswith((".ZIP", ".XML")) or a.content_type in ("application/zip", "application/x-zip-compressed")
                  for a in mail.attachments)
    if carries or mail.value("X-MSS-CODECDA") is not None or subject.lstrip().startswith("XDM/"):
        return "document"
    return "plain"


# -- RFC 5322 -------------------------------------------------------------------------------------
def check_headers(mail: Mail, judgement: Judgement) -> None:
    judgement.evaluate(HEADERS, SYNTAX, MESSAGE_ID, THREAD)
    for name, (low, high) in _CARDINALITY.items():
        count = len(mail.message.get_all(name) or [])
        if not low <= count <= high:
            expected = "exactement 1" if low == high else f"au plus {high}"
            judgement.fail(HEADERS, f"champ {name} présent {count} fois ({expected} attendu)",
                           f"field {name} present {count} time(s) (expected {'exactly 1' if low == high else f'at most {high}'})", name)
    date = mail.value("Date")
    if date is not None:
        try:
            email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            judgement.fail(SYNTAX, f"Date illisible (RFC 5322 §3.3) : {date!r}", f"unreadable Date (RFC 5322 §3.3): {date!r}", "Date")
    for name in ("From", "To", "Cc", "Sender", "Reply-To"):
        values = mail.values(name)
        if values and any("@" not in a for a in addresses(values)):
            judgement.fail(SYNTAX, f"adresse illisible dans {name} : {values[0]!r}", f"unreadable address in {name}: {values[0]!r}", name)
    message_id = mail.value("Message-ID")
    if message_id is None:
        judgement.fail(MESSAGE_ID, "Message-ID absent", "Message-ID missing", "Message-ID")
    elif not _ONE_MSG_ID.match(message_id):
        judgement.fail(MESSAGE_ID, f"Message-ID mal formé (<gauche@droite> attendu) : {message_id!r}",
                       f"malformed Message-ID (<left@right> expected): {message_id!r}", "Message-ID")
    check_thread(mail, judgement)


def check_thread(mail: Mail, judgement: Judgement) -> None:
    """In-Reply-To and References are lists of msg-ids; a reply's References holds what it replies to."""
    reply_to, references = mail.value("In-Reply-To"), mail.value("References")
    for name, value in (("In-Reply-To", reply_to), ("References", references)):
        if value is not None and not _MSG_IDS.match(value):
            judgement.fail(THREAD, f"{name} n'est pas une liste de msg-id : {value!r}", f"{name} is not a list of msg-ids: {value!r}", name)
    if reply_to is None:
        return
    if references is None:
        judgement.fail(THREAD, "réponse (In-Reply-To) sans References", "reply (In-Reply-To) without References", "References")
        return
    listed = set(re.findall(_MSG_ID, references))
    for parent in re.findall(_MSG_ID, reply_to):
        if parent not in listed:
            judgement.fail(THREAD, f"References ne contient pas {parent} (In-Reply-To)", f"References does not hold {parent} (In-Reply-To)",
                           "References")


# -- document messages ----------------------------------------------------------------------------
def check_document_message(mail: Mail, judgement: Judgement, path: str, context: Any, settings: dict[str, Any]) -> list[ArtefactReport]:
    judgement.evaluate(XDM_ATTACHMENT, READABLE_COPY, INS)
    packages = [a for a in mail.attachments if a.filename.upper() == XDM_NAME]
    readable = set(settings.get("readable_copy_types", ["application/pdf", "text/plain", "text/html"]))
    if not any(a.content_type in readable and a.filename.upper() != XDM_NAME for a in mail.attachments):
        judgement.fail(READABLE_COPY, f"aucune copie lisible en pièce jointe ({', '.join(sorted(readable))})",
                       f"no human-readable copy attached ({', '.join(sorted(readable))})", "attachments")
    ins = mail.value("X-MSS-INS")
    if not ins:
        judgement.fail(INS, "en-tête X-MSS-INS absent ou vide", "X-MSS-INS header missing or empty", "X-MSS-INS")
    documents: list[Document] = []
    children: list[ArtefactReport] = []
    if len(packages) != 1:
        judgement.fail(XDM_ATTACHMENT, f"{len(packages)} pièce(s) jointe(s) {XDM_NAME} (une attendue)",
                       f"{len(packages)} {XDM_NAME} attachment(s) (one expected)", "attachments")
    if packages:
        attachment = packages[0]
        if not attachment.data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            judgement.fail(XDM_ATTACHMENT, f"la pièce jointe {attachment.filename} n'est pas une archive ZIP",
                           f"the attachment {attachment.filename} is not a ZIP package", attachment.filename)
        else:
            package = judge_package(attachment.data, f"{path}!{attachment.filename}", context)
            children.append(package.report)
            documents = package.documents
    if any(c.verdict is ArtefactVerdict.ABORTED for c in children):
        return children  # the rules reading the documents (the subject's name too) cannot run: the e-mail is ABORTED
    check_subject(mail, judgement, documents)
    if documents:
        judgement.evaluate(ONE_PATIENT, CODECDA, MASKING)
        check_one_patient(documents, judgement)
        check_codecda(mail, judgement, documents)
        check_masking(mail, judgement, documents, settings)
    return children


def check_subject(mail: Mail, judgement: Judgement, documents: list[Document]) -> None:
    """`XDM/1.0/DDM+<libellé> <NOM> <prénom> <date>`: the prefix, a label, the patient's family name, a date."""
    judgement.evaluate(SUBJECT)
    subject = unicodedata.normalize("NFC", mail.subject or "")
    if not subject.startswith(DOCUMENT_SUBJECT) or len(subject.strip()) == len(DOCUMENT_SUBJECT):
        judgement.fail(SUBJECT, f"objet hors de la forme {DOCUMENT_SUBJECT}<libellé> <NOM> <prénom> <date> : {subject!r}",
                       f"subject not in the form {DOCUMENT_SUBJECT}<label> <NAME> <first name> <date>: {subject!r}", "Subject")
        return
    if not _DATE_AT_END.search(subject):
        judgement.fail(SUBJECT, f"l'objet ne finit pas par une date JJ/MM/AAAA : {subject!r}",
                       f"the subject does not end with a DD/MM/YYYY date: {subject!r}", "Subject")
    families = {(f.text or "").strip().upper() for d in documents
                for f in d.root.findall(f"{V3}recordTarget/{V3}patientRole/{V3}patient/{V3}name/{V3}family")} - {""}
    if families and not any(name in subject.upper() for name in families):
        judgement.fail(SUBJECT, f"l'objet ne contient pas le nom du patient ({' ou '.join(sorted(families))}) : {subject!r}",
                       f"the subject does not hold the patient's name ({' or '.join(sorted(families))}): {subject!r}", "Subject")


def patient_ids(document: Document) -> set[tuple[str, str]]:
    ids = document.root.findall(f"{V3}recordTarget/{V3}patientRole/{V3}id")
    return {(e.get("root", "").strip(), e.get("extension", "").strip()) for e in ids if e.get("root")}


def check_one_patient(documents: list[Document], judgement: Judgement) -> None:
    """Every document names the same patient: each shares an identifier with the first (INS, IPP)."""
    first = patient_ids(documents[0])
    for document in documents[1:]:
        if not first & patient_ids(document):
            judgement.fail(ONE_PATIENT, f"{document.name} concerne un autre patient que {documents[0].name}",
                           f"{document.name} is about another patient than {documents[0].name}", document.name)


def check_codecda(mail: Mail, judgement: Judgement, documents: list[Document]) -> None:
    value = mail.value("X-MSS-CODECDA")
    codes = sorted({(c.get("code") or "") for d in documents for c in d.root.findall(f"{V3}code")} - {""})
    if value is None:
        judgement.fail(CODECDA, f"en-tête X-MSS-CODECDA absent (code du document : {', '.join(codes)})",
                       f"X-MSS-CODECDA header missing (document code: {', '.join(codes)})", "X-MSS-CODECDA")
    elif value.strip() not in codes:
        judgement.fail(CODECDA, f"X-MSS-CODECDA vaut {value!r}, le code du document CDA est {', '.join(codes)}",
                       f"X-MSS-CODECDA is {value!r}, the CDA document's code is {', '.join(codes)}", "X-MSS-CODECDA")


def check_masking(mail: Mail, judgement: Judgement, documents: list[Document], settings: dict[str, Any]) -> None:
    """A document masked to professionals (MASQUE_PS in its DocumentEntry's confidentialityCode) goes to no
    professional's mailbox: every recipient must be a patient's (a domain of `patient_mailbox_domains`)."""
    masked = [d.name for d in documents if "MASQUE_PS" in d.confidentiality]
    if not masked:
        return
    patient_domains = tuple(d.lower() for d in settings.get("patient_mailbox_domains", []))
    recipients = addresses([v for name in ("To", "Cc", "Bcc") for v in mail.values(name)])
    professionals = [r for r in recipients if r.rpartition("@")[2] not in patient_domains]
    if professionals:
        judgement.fail(MASKING, f"{masked[0]} est masqué aux professionnels (MASQUE_PS) et adressé à {', '.join(professionals)}",
                       f"{masked[0]} is masked to professionals (MASQUE_PS) and sent to {', '.join(professionals)}", "To")


# -- read receipts and error notifications --------------------------------------------------------
def _notification(mail: Mail) -> Message | None:
    """The fields of the message/disposition-notification part (parsed by `email` as an embedded message)."""
    for part, _ in mail.parts:
        if part.get_content_type() == "message/disposition-notification":
            payload = payload_of(part)
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            return email.message_from_string(str(payload)) if isinstance(payload, str) else None
    return None


def _disposition(mail: Mail) -> str | None:
    """The disposition modifier of an MDN (`error…`), or None."""
    fields = _notification(mail)
    match = _DISPOSITION.match(unfold(fields.get("Disposition", ""))) if fields is not None else None
    return match.group(4) if match else None


def check_mdn(mail: Mail, judgement: Judgement, error: bool) -> None:
    judgement.evaluate(MDN_STRUCTURE, MDN_ORIGINAL)
    top = payload_of(mail.message)
    types = [p.get_content_type() for p in top if isinstance(p, Message)] if isinstance(top, list) else []
    if len(types) < 2 or not types[0].startswith("text/") or types[1] != "message/disposition-notification":
        judgement.fail(MDN_STRUCTURE, "multipart/report : une partie texte lisible puis une partie "
                       "message/disposition-notification attendues",
                       "multipart/report: a human-readable text part then a message/disposition-notification part expected",
                       "Content-Type")
    fields = _notification(mail)
    if fields is None:
        judgement.fail(MDN_STRUCTURE, "aucune partie message/disposition-notification", "no message/disposition-notification part",
                       "message/disposition-notification")
        return
    final = fields.get("Final-Recipient")
    if final is None or not _FINAL_RECIPIENT.match(unfold(final)):
        judgement.fail(MDN_STRUCTURE, f"Final-Recipient absent ou mal formé (type ; adresse) : {final!r}",
                       f"Final-Recipient missing or malformed (type; address): {final!r}", "Final-Recipient")
    disposition = fields.get("Disposition")
    if disposition is None or not _DISPOSITION.match(unfold(disposition)):
        judgement.fail(MDN_STRUCTURE, f"Disposition absent ou mal formé (mode-action/mode-envoi; type[/modificateur]) : {disposition!r}",
                       f"Disposition missing or malformed (action-mode/sending-mode; type[/modifier]): {disposition!r}", "Disposition")
    original = fields.get("Original-Message-ID")
    if original is None or not _ONE_MSG_ID.match(unfold(original)):
        judgement.fail(MDN_ORIGINAL, f"Original-Message-ID absent ou mal formé : {original!r}",
                       f"Original-Message-ID missing or malformed: {original!r}", "Original-Message-ID")
    if fields.get("Original-Recipient") is None:
        judgement.fail(MDN_ORIGINAL, "Original-Recipient absent", "Original-Recipient missing", "Original-Recipient")
    if not error:
        judgement.evaluate(MDN_SUBJECT)
        subject = unicodedata.normalize("NFC", mail.subject or "")
        if not subject.startswith(DOCUMENT_SUBJECT):
            judgement.fail(MDN_SUBJECT, f"objet de l'accusé hors de la forme {DOCUMENT_SUBJECT}… : {subject!r}",
                           f"receipt subject not in the form {DOCUMENT_SUBJECT}…: {subject!r}", "Subject")


def check_error_notification(mail: Mail, judgement: Judgement) -> None:
    judgement.evaluate(ERROR_SUBJECT, ERROR_ATTACHMENTS)
    subject = unicodedata.normalize("NFC", mail.subject or "")
    if not _ERROR_SUBJECT.match(subject):
        judgement.fail(ERROR_SUBJECT, f"objet hors de la forme {ERROR_PREFIX}[code] {DOCUMENT_SUBJECT}… : {subject!r}",
                       f"subject not in the form {ERROR_PREFIX}[code] {DOCUMENT_SUBJECT}…: {subject!r}", "Subject")
    if not any(a.filename.upper() == XDM_NAME for a in mail.attachments):
        judgement.fail(ERROR_ATTACHMENTS, f"la pièce jointe d'origine {XDM_NAME} n'est pas renvoyée",
                       f"the original {XDM_NAME} attachment is not returned", "attachments")
