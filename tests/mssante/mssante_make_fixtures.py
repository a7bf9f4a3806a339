"""Writes the project's own MSSanté fixtures (run by hand: `python tests/mssante/mssante_make_fixtures.py`).

From the bundled conforming CDA (fixtures/conforming/cda/cr-bio-2024.xml: the fictitious test patient
PAT-TROIS DOMINIQUE under the test INS-NIR root), an IHE XDM package (its METADATA.XML made with the XDS
fixtures' ebRIM builders, tests/xds/xds_make_fixtures.py, plus the XDM URI) and MSSanté e-mails written
from the rules (ITI-32, MSSanté ECO rules, the CI-SIS LPS volet, RFC 5322/8098), deterministic (fixed
dates, boundaries and ZIP timestamps), and one mutant per requirement, each breaking only that requirement.
Mail domains are invented (`*.mssante-essai.invalid`).
"""

from __future__ import annotations

import base64
import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / "cda"), str(ROOT / "tests" / "xds")]

import xds_make_fixtures as xds
from cda_make_fixtures import tiny_pdf

# the conforming ones are part of the embedded default of `run` (fixtures/conforming); the one-rule
# mutants join the failing set (fixtures/nonconforming)
CONFORMING = ROOT / "fixtures" / "conforming" / "mssante"
MUTANTS = ROOT / "fixtures" / "nonconforming" / "mssante"
CDA = xds.CDA.read_bytes()  # the CR-BIO the XDS builders describe
SUBJECT = "XDM/1.0/DDM+CR d'examens biologiques PAT-TROIS DOMINIQUE 28/03/1979"
CODE = "11502-2"
SENDER = "jean.medecin-essai@cabinet.mssante-essai.invalid"
RECIPIENT = "service-cardio@hopital.mssante-essai.invalid"
STAMP = (2025, 3, 12, 14, 30, 0)

README = """Paquet IHE XDM d'essai (enrs-harness) / enrs-harness test IHE XDM package
Émetteur / sender : Cabinet médical Exemple (fictif / fictitious), LPS enrs-harness fixtures 1.0
Contenu / content : IHE_XDM/SUBSET01 (1 document CDA R2, compte rendu de biologie / laboratory report)
Patient fictif / fictitious patient : PAT-TROIS DOMINIQUE
"""
INDEX = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>IHE XDM</title></head>
<body><h1>Paquet IHE XDM d'essai</h1>
<ul><li><a href="IHE_XDM/SUBSET01/METADATA.XML">IHE_XDM/SUBSET01/METADATA.XML</a></li>
<li><a href="IHE_XDM/SUBSET01/DOC0001.XML">IHE_XDM/SUBSET01/DOC0001.XML</a> CR d'examens biologiques</li></ul>
<p><a href="README.TXT">README.TXT</a></p></body></html>
"""


MASQUE_PS = "MASQUE_PS"  # TRE_A07 (1.2.250.1.213.1.1.4.13): masked to professionals


def metadata(name: str, cda: bytes, uri: str | None = None, masked: bool = False) -> bytes:
    """METADATA.XML of a one-document subset: the XDS builders' DocumentEntry (hash and size, no repository)
    with the XDM URI, its submission set and HasMember; `masked` adds the MASQUE_PS confidentiality code."""
    entry = xds.document_entry("Document01", cda, registry_side=False, hashed=True)
    language = xds.slot("languageCode", "fr-FR")
    entry = entry.replace(language, language + xds.slot("URI", name if uri is None else uri), 1)
    if masked:
        normal = entry.index("<rim:Classification id=\"cl03\"")
        entry = entry[:normal] + xds.coded("cl03m", "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", "Document01", MASQUE_PS,
                                           "1.2.250.1.213.1.1.4.13", "Masqué aux professionnels de santé") + entry[normal:]
    objects = "\n".join((entry, xds.submission_set("SubmissionSet01"),
                         xds.has_member("as01", "SubmissionSet01", "Document01", xds.slot("SubmissionSetStatus", "Original"))))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">\n  <rim:RegistryObjectList>\n    '
            f"{objects}\n  </rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n").encode()


def package(subsets: dict[str, tuple[bytes, bytes]] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """A deterministic XDM package: README.TXT, INDEX.HTM, IHE_XDM/<subset>/{METADATA.XML, DOC0001.XML} for each
    subset (name → (METADATA.XML, document)); by default SUBSET01 with the CR-BIO."""
    content = {"README.TXT": README.encode(), "INDEX.HTM": INDEX.encode()}
    for subset, (meta, document) in (subsets or {"SUBSET01": (metadata("DOC0001.XML", CDA), CDA)}).items():
        content[f"IHE_XDM/{subset}/METADATA.XML"] = meta
        content[f"IHE_XDM/{subset}/DOC0001.XML"] = document
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in content.items():
            if name not in drop:
                info = zipfile.ZipInfo(name, STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    return buffer.getvalue()


def _base64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def _attachment(content_type: str, name: str, data: bytes) -> str:
    return (f'Content-Type: {content_type}; name="{name}"\nContent-Transfer-Encoding: base64\n'
            f'Content-Disposition: attachment; filename="{name}"\n\n{_base64(data)}\n')


def _subject(text: str) -> str:
    """RFC 2047 encoded word (UTF-8, base64) when the subject is not ASCII."""
    return text if text.isascii() else f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


def _headers(fields: dict[str, str | None]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in fields.items() if value is not None)


def document_mail(zip_data: bytes | None = None, zip_name: str = "IHE_XDM.ZIP", pdf: bool = True,
                  **fields: str | None) -> bytes:
    """A document message: a text body, the IHE_XDM.ZIP and its PDF readable copy; `fields` override headers."""
    headers = {"From": SENDER, "To": RECIPIENT, "Date": "Wed, 12 Mar 2025 14:35:00 +0100",
               "Message-ID": "<20250312143500.0001@cabinet.mssante-essai.invalid>", "Subject": _subject(SUBJECT),
               "MIME-Version": "1.0", "X-MSS-CODECDA": CODE, "X-MSS-INS": "279035121518989",
               "Content-Type": 'multipart/mixed; boundary="enrs-mss-boundary"'}
    headers.update({k.replace("_", "-"): v for k, v in fields.items()})
    parts = ["""Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Bonjour,
Veuillez trouver ci-joint le compte rendu de biologie de votre patiente (document d'essai).
"""]
    parts.append(_attachment("application/zip", zip_name, package() if zip_data is None else zip_data))
    if pdf:
        parts.append(_attachment("application/pdf", "cr-biologie.pdf", tiny_pdf("Compte rendu de biologie (document d'essai)")))
    body = "".join(f"--enrs-mss-boundary\n{p}" for p in parts) + "--enrs-mss-boundary--\n"
    return (_headers(headers) + "\n" + body).encode()


def receipt(error: bool = False, final_recipient: str | None = f"rfc822; {RECIPIENT}",
            original_id: str | None = "<20250312143500.0001@cabinet.mssante-essai.invalid>", **fields: str | None) -> bytes:
    """A read receipt (MDN, RFC 8098) for the document message; with `error`, a negative one."""
    code = "902^Identifiant de patient inconnu" if error else None
    disposition = f"automatic-action/MDN-sent-automatically; processed/Error: {code}" if error else \
        "automatic-action/MDN-sent-automatically; processed"
    subject = f"[KO Intégration système !][902] {SUBJECT}" if error else SUBJECT
    headers = {"From": RECIPIENT, "To": SENDER, "Date": "Wed, 12 Mar 2025 14:40:00 +0100",
               "Message-ID": "<20250312144000.0002@hopital.mssante-essai.invalid>", "Subject": _subject(subject),
               "In-Reply-To": "<20250312143500.0001@cabinet.mssante-essai.invalid>",
               "References": "<20250312143500.0001@cabinet.mssante-essai.invalid>", "MIME-Version": "1.0",
               "Content-Type": 'multipart/report; report-type=disposition-notification; boundary="enrs-mdn-boundary"'}
    headers.update({k.replace("_", "-"): v for k, v in fields.items()})
    notification = _headers({"Original-Recipient": f"rfc822; {RECIPIENT}", "Final-Recipient": final_recipient,
                             "Original-Message-ID": original_id, "Disposition": disposition})
    text = ("Le document n'a pas pu être intégré : erreur 902, identifiant de patient inconnu.\n" if error
            else "Le document a été intégré.\n")
    parts = [f'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n{text}',
             f"Content-Type: message/disposition-notification\n\n{notification}"]
    if error:
        parts.append(_attachment("application/zip", "IHE_XDM.ZIP", package()))
    body = "".join(f"--enrs-mdn-boundary\n{p}" for p in parts) + "--enrs-mdn-boundary--\n"
    return (_headers(headers) + "\n" + body).encode()


def error_mail(subject: str = f"[KO Intégration système !][902] {SUBJECT}", with_zip: bool = True) -> bytes:
    """A standard error-notification e-mail (when no receipt was requested): the original attachments returned."""
    headers = {"From": RECIPIENT, "To": SENDER, "Date": "Wed, 12 Mar 2025 14:41:00 +0100",
               "Message-ID": "<20250312144100.0003@hopital.mssante-essai.invalid>", "Subject": _subject(subject),
               "MIME-Version": "1.0", "Content-Type": 'multipart/mixed; boundary="enrs-err-boundary"'}
    parts = ['Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
             "Le message ci-dessous n'a pas pu être intégré : erreur 902, identifiant de patient inconnu.\n"]
    if with_zip:
        parts.append(_attachment("application/zip", "IHE_XDM.ZIP", package()))
    body = "".join(f"--enrs-err-boundary\n{p}" for p in parts) + "--enrs-err-boundary--\n"
    return (_headers(headers) + "\n" + body).encode()


def other_patient() -> tuple[bytes, bytes]:
    """The same report for another fictitious patient (another valid test NIR, another IPP), with its metadata."""
    nir = "2790351215200"
    ins = nir + f"{97 - int(nir) % 97:02d}"
    cda = CDA.replace(b'extension="279035121518989"', f'extension="{ins}"'.encode()).replace(b"IPP-000004", b"IPP-000099")
    meta = metadata("DOC0001.XML", cda).replace(b"279035121518989^", f"{ins}^".encode()).replace(b"IPP-000004", b"IPP-000099")
    return meta, cda


def mutated_cda() -> bytes:
    """The report without its realmCode: a CDA non-conformity (the CDA validator's own requirement fails)."""
    return CDA.replace(b'  <realmCode code="FR"/>\n', b"")


CONFORMING_FILES: dict[str, Callable[[], bytes]] = {
    "IHE_XDM.ZIP": package,
    "document.eml": document_mail,
    "receipt.eml": receipt,
    "receipt-error.eml": lambda: receipt(error=True),
    "error.eml": error_mail,
}

# file name → (requirement it breaks, content); each breaks only that requirement
MUTANT_FILES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "xdm-lay-01.zip": ("XDM-LAY-01", lambda: package(drop=("README.TXT",))),
    "xdm-lay-02.zip": ("XDM-LAY-02", lambda: package(drop=("INDEX.HTM",))),
    "xdm-lay-03.zip": ("XDM-LAY-03", lambda: package(drop=("IHE_XDM/SUBSET01/METADATA.XML",))),
    "xdm-doc-01.zip": ("XDM-DOC-01", lambda: package({"SUBSET01": (metadata("DOC0001.XML", CDA, uri="DOC0002.XML"), CDA)})),
    # the XDS metadata rules run on the package (pack ihe-xds-b): the file differs from its hash, not its size
    "xdm-xdsb-hash-01.zip": ("XDSB-HASH-01", lambda: package({"SUBSET01": (metadata("DOC0001.XML", CDA),
                                                                           CDA.replace(b"<!-- Synthetic", b"<!-- synthetic"))})),
    "xdm-doc-04.zip": ("XDM-DOC-04", lambda: package({"SUBSET01": (metadata("DOC0001.XML", mutated_cda()), mutated_cda())})),
    "mss-rfc-01.eml": ("MSS-RFC-01", lambda: document_mail(Date=None)),
    "mss-rfc-02.eml": ("MSS-RFC-02", lambda: document_mail(Date="le 12 mars 2025")),
    "mss-id-01.eml": ("MSS-ID-01", lambda: document_mail(Message_ID="<20250312143500.0001>")),
    "mss-id-02.eml": ("MSS-ID-02", lambda: document_mail(In_Reply_To="<20250301090000.0042@hopital.mssante-essai.invalid>")),
    "mss-att-01.eml": ("MSS-ATT-01", lambda: document_mail(zip_name="DOCUMENTS.ZIP")),
    "mss-att-02.eml": ("MSS-ATT-02", lambda: document_mail(pdf=False)),
    "mss-pat-01.eml": ("MSS-PAT-01", lambda: document_mail(package({"SUBSET01": (metadata("DOC0001.XML", CDA), CDA),
                                                                   "SUBSET02": other_patient()}))),
    "mss-sub-01.eml": ("MSS-SUB-01", lambda: document_mail(Subject=_subject("Lettre de liaison PAT-TROIS DOMINIQUE 28/03/1979"))),
    "mss-xh-01.eml": ("MSS-XH-01", lambda: document_mail(X_MSS_CODECDA="11490-0")),
    "mss-xh-02.eml": ("MSS-XH-02", lambda: document_mail(X_MSS_INS=None)),
    "mss-mask-01.eml": ("MSS-MASK-01", lambda: document_mail(package({"SUBSET01": (metadata("DOC0001.XML", CDA, masked=True), CDA)}))),
    "mss-mdn-01.eml": ("MSS-MDN-01", lambda: receipt(final_recipient=None)),
    "mss-mdn-02.eml": ("MSS-MDN-02", lambda: receipt(original_id=None)),
    "mss-mdn-03.eml": ("MSS-MDN-03", lambda: receipt(Subject=_subject("Accusé de lecture"))),
    "mss-err-01.eml": ("MSS-ERR-01", lambda: error_mail(subject=f"[Erreur d'intégration !][902] {SUBJECT}")),
    "mss-err-02.eml": ("MSS-ERR-02", lambda: error_mail(with_zip=False)),
}


def main() -> None:
    CONFORMING.mkdir(parents=True, exist_ok=True)
    MUTANTS.mkdir(parents=True, exist_ok=True)
    for name, make in CONFORMING_FILES.items():
        (CONFORMING / name).write_bytes(make())
    for name, (_, make) in MUTANT_FILES.items():
        (MUTANTS / name).write_bytes(make())


if __name__ == "__main__":
    main()
