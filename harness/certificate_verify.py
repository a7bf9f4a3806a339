"""Verification of a signed certificate.html, offline, with only the issuer's certificate.

Checks, each giving a reason in French and English when it fails:
1. the page holds exactly one JWS and its signature is valid for the issuer certificate it carries;
2. that issuer is trusted: it is one of the `--trust` certificates, or its chain (x5c) leads to one,
   and it was valid when the run finished;
3. the visible page says what the signed payload says: identifier, candidate, dates, harness
   version, profiles, every requirement verdict, every artefact hash, every waiver, the overall
   verdict; and the page is byte for byte the one that was signed (digest in the header);
4. optionally, given files hash to artefacts the certificate lists.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import lxml.html
from cryptography import x509

from harness.errors import HarnessError
from harness.fileio import read_bounded, sha256_hex
from harness.i18n import label
from harness.signing import (ALGORITHMS, PAGE_DIGEST_HEADER, SIGNATURE_ELEMENT, b64url_decode, canonical_json,
                             certificate_fingerprint, page_digest, verify_signature)
from harness.validation import expand_paths

MAX_CERTIFICATE_BYTES = 20 * 1024 * 1024


@dataclass
class Problem:
    fr: str
    en: str

    def message(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    payload: dict[str, Any] | None = None
    issuer: dict[str, str] | None = None
    artefacts_checked: int = 0

    @property
    def valid(self) -> bool:
        return not self.problems

    def fail(self, fr: str, en: str) -> None:
        self.problems.append(Problem(fr, en))


def verify_certificate(path: Path, trusted: list[x509.Certificate], artefacts: Sequence[Path] = ()) -> Verification:
    """Every check of a certificate page; `valid` is true only when none found a problem."""
    result = Verification()
    page = read_bounded(Path(path), MAX_CERTIFICATE_BYTES).decode("utf-8", errors="replace")
    found = SIGNATURE_ELEMENT.findall(page)
    if len(found) != 1:
        if found:
            result.fail("plusieurs signatures dans la page", "several signatures in the page")
        else:
            result.fail("certificat non signé (aucun élément enrs-signature)", "unsigned certificate (no enrs-signature element)")
        return result
    header, payload, chain = _check_jws(found[0], result)
    if header is None or payload is None or not chain:
        return result
    result.payload = payload
    leaf = chain[0]
    result.issuer = {"subject": leaf.subject.rfc4514_string(), "fingerprint": certificate_fingerprint(leaf)}
    _check_trust(chain, trusted, _signed_time(payload), result)
    _check_page(page, payload, result)
    if header.get(PAGE_DIGEST_HEADER) != page_digest(page):
        result.fail("la page a été modifiée après signature (empreinte de la page différente)",
                    "the page was modified after signing (page digest differs)")
    if artefacts:
        _check_artefacts(list(artefacts), payload, result)
    return result


# -- 1. the JWS ---------------------------------------------------------------------------------
def _check_jws(jws: str, result: Verification) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[x509.Certificate]]:
    parts = jws.split(".")
    if len(parts) != 3:
        result.fail("signature mal formée (JWS compact attendu)", "malformed signature (compact JWS expected)")
        return None, None, []
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload_bytes = b64url_decode(parts[1])
        payload = json.loads(payload_bytes)
        signature = b64url_decode(parts[2])
        chain = [x509.load_der_x509_certificate(b64url_std(c)) for c in (header.get("x5c", []) if isinstance(header, dict) else [])]
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        result.fail(f"signature illisible : {exc}", f"unreadable signature: {exc}")
        return None, None, []
    if not isinstance(header, dict) or not isinstance(payload, dict):
        result.fail("signature mal formée", "malformed signature")
        return None, None, []
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        result.fail(f"algorithme refusé : {alg}", f"algorithm refused: {alg}")
        return None, None, []
    if header.get("crit"):
        result.fail("paramètres critiques inconnus dans l'en-tête", "unknown critical header parameters")
        return None, None, []
    if not chain:
        result.fail("certificat de l'émetteur absent de la signature (x5c)", "issuer certificate missing from the signature (x5c)")
        return None, None, []
    if not verify_signature(chain[0].public_key(), alg, f"{parts[0]}.{parts[1]}".encode("ascii"), signature):
        result.fail("signature invalide : le contenu signé a été modifié ou la signature n'est pas de cet émetteur",
                    "invalid signature: the signed content was changed or the signature is not this issuer's")
        return None, None, []
    if canonical_json(payload) != payload_bytes:
        result.fail("contenu signé non canonique (RFC 8785)", "signed content not canonical (RFC 8785)")
    return header, payload, chain


def b64url_std(text: str) -> bytes:
    """x5c holds standard base64 (RFC 7515 §4.1.6), not base64url."""
    import base64

    return base64.b64decode(text, validate=True)


def _signed_time(payload: dict[str, Any]) -> dt.datetime | None:
    value = payload.get("finished") or payload.get("started")
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


# -- 2. the issuer ------------------------------------------------------------------------------
def _check_trust(chain: list[x509.Certificate], trusted: list[x509.Certificate], at: dt.datetime | None, result: Verification) -> None:
    leaf = chain[0]
    if not trusted:
        result.fail("émetteur non vérifié : aucun certificat de confiance donné (--trust)",
                    "issuer not verified: no trusted certificate given (--trust)")
        return
    trusted_fps = {certificate_fingerprint(t) for t in trusted}
    path_ok = False
    for index, cert in enumerate(chain):
        if certificate_fingerprint(cert) in trusted_fps or any(_issued_by(cert, t) for t in trusted):
            path_ok = True
            break
        if index + 1 >= len(chain) or not _issued_by(cert, chain[index + 1]):
            break
    if not path_ok:
        result.fail(f"émetteur non reconnu : {leaf.subject.rfc4514_string()} (empreinte {certificate_fingerprint(leaf)}) "
                    "n'est ni un certificat de confiance ni émis par l'un d'eux",
                    f"untrusted issuer: {leaf.subject.rfc4514_string()} (fingerprint {certificate_fingerprint(leaf)}) "
                    "is neither a trusted certificate nor issued by one")
        return
    if at is not None and not leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc:
        result.fail(f"le certificat de l'émetteur n'était pas valide au moment de la signature ({at.isoformat()})",
                    f"the issuer's certificate was not valid when the certificate was signed ({at.isoformat()})")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            result.fail("le certificat de l'émetteur n'autorise pas la signature (keyUsage)",
                        "the issuer's certificate does not allow signing (keyUsage)")
    except x509.ExtensionNotFound:
        pass


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - InvalidSignature, ValueError, TypeError: all mean "not issued by"
        return False
    return True


# -- 3. the visible page ------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


def _text(node: Any) -> str:
    return " ".join(node.text_content().split()) if node is not None else ""


def _check_page(page: str, payload: dict[str, Any], result: Verification) -> None:
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True)
    try:
        doc = lxml.html.document_fromstring(page, parser=parser)
    except Exception as exc:  # noqa: BLE001 - lxml raises several types on hopeless input
        result.fail(f"page illisible : {exc}", f"unreadable page: {exc}")
        return
    lang = doc.get("lang", "fr")
    lang = lang if lang in ("fr", "en") else "fr"

    def one(element_id: str) -> Any:
        nodes = doc.xpath("//*[@id=$i]", i=element_id)
        return nodes[0] if len(nodes) == 1 else None

    def compare(what_fr: str, what_en: str, shown: Any, signed: Any) -> None:
        signed = _norm(signed) if isinstance(signed, str) else signed
        if shown != signed:
            result.fail(f"{what_fr} : la page affiche « {shown} », le contenu signé dit « {signed} »",
                        f"{what_en}: the page shows '{shown}', the signed content says '{signed}'")

    candidate = payload.get("candidate", {})
    body = doc.find("body")
    compare("identifiant", "identifier", _text(one("certificate-id")), payload.get("certificate_id"))
    compare("identifiant (attribut)", "identifier (attribute)", body.get("data-certificate-id") if body is not None else None, payload.get("certificate_id"))
    compare("candidat", "candidate", _text(one("candidate")), candidate.get("name"))
    compare("éditeur", "vendor", _text(one("vendor")), candidate.get("vendor"))
    compare("version du candidat", "candidate version", _text(one("candidate-version")), candidate.get("version"))
    title = _text(doc.find("head/title"))
    if not title.endswith(f" — {candidate.get('name')}"):
        result.fail(f"titre de la page : « {title} » ne nomme pas le candidat signé « {candidate.get('name')} »",
                    f"page title: '{title}' does not name the signed candidate '{candidate.get('name')}'")
    compare("version de l'outil", "harness version", _text(one("harness-version")), payload.get("harness_version"))
    compare("date de début", "start date", _text(one("started")), payload.get("started") or "—")
    compare("date de fin", "end date", _text(one("finished")), payload.get("finished") or "—")
    issued = bool(payload.get("issued"))
    compare("délivrance (attribut)", "issuance (attribute)", body.get("data-issued") if body is not None else None, str(issued).lower())
    expected = label("conformant" if issued else ("incomplete" if payload.get("status") != "complete" else "nonconformant"), lang)
    compare("verdict global", "overall verdict", _text(one("overall")).removeprefix(label("overall", lang)).lstrip(" :"), expected)

    shown_profiles = [(_text(r[0]), _text(r[2])) for r in doc.xpath("//table[@id='profiles']/tbody/tr") if len(r) >= 3]
    signed_profiles = [(p.get("id"), p.get("version")) for p in payload.get("profiles", [])]
    if shown_profiles != signed_profiles:
        compare("profils", "profiles", ", ".join(f"{i} {v}" for i, v in shown_profiles), ", ".join(f"{i} {v}" for i, v in signed_profiles))

    shown_requirements: dict[str, tuple[str, str, str, str]] = {}
    for row in doc.xpath("//table[@id='requirements']/tbody/tr"):
        cells = row.findall("td")
        rid = row.get("data-requirement")
        if rid in shown_requirements or len(cells) < 4:
            result.fail(f"exigence {rid} : ligne en double ou incomplète", f"requirement {rid}: duplicate or incomplete row")
            continue
        shown_requirements[rid] = (_text(cells[0]), _text(cells[1]), cells[3].get("data-verdict") or "", _text(cells[3]))
    signed_requirements = {r["id"]: r for r in payload.get("requirements", [])}
    for rid, req in signed_requirements.items():
        shown = shown_requirements.get(rid)
        if shown is None:
            result.fail(f"exigence {rid} : absente de la page", f"requirement {rid}: missing from the page")
            continue
        shown_id, level, verdict, verdict_text = shown
        compare(f"exigence {rid}, identifiant", f"requirement {rid}, identifier", shown_id, rid)
        compare(f"exigence {rid}, niveau", f"requirement {rid}, level", level, req["level"])
        compare(f"exigence {rid}, verdict", f"requirement {rid}, verdict", verdict, req["verdict"])
        compare(f"exigence {rid}, verdict affiché", f"requirement {rid}, verdict shown", verdict_text, label(req["verdict"], lang))
    for rid in shown_requirements.keys() - signed_requirements.keys():
        result.fail(f"exigence {rid} : sur la page mais pas dans le contenu signé", f"requirement {rid}: on the page but not in the signed content")

    shown_artefacts = sorted((_text(r[0]), _text(r[1])) for r in doc.xpath("//table[@id='artefacts']/tbody/tr") if len(r) == 2)
    signed_artefacts = sorted((_norm(a["name"]), a["sha256"]) for a in payload.get("artefacts", []))
    if shown_artefacts != signed_artefacts:
        for name, sha in sorted(set(shown_artefacts) ^ set(signed_artefacts)):
            where = ("la page", "the page") if (name, sha) in shown_artefacts else ("le contenu signé", "the signed content")
            result.fail(f"artefact {name} ({sha}) : seulement dans {where[0]}", f"artefact {name} ({sha}): only in {where[1]}")

    shown_waivers = sorted((r.get("data-requirement"), r.get("data-status"), _text(r[2]), _text(r[3]), _text(r[4]))
                           for r in doc.xpath("//table[@id='waivers']/tbody/tr") if len(r) >= 5)
    signed_waivers = sorted((w["requirement"], w["status"], _norm(w["justification"]), _norm(w["approver"]), w["expires"]) for w in payload.get("waivers", []))
    if shown_waivers != signed_waivers:
        result.fail(f"dérogations : la page affiche {shown_waivers}, le contenu signé dit {signed_waivers}",
                    f"waivers: the page shows {shown_waivers}, the signed content says {signed_waivers}")


# -- 4. the artefacts ---------------------------------------------------------------------------
def _check_artefacts(paths: list[Path], payload: dict[str, Any], result: Verification) -> None:
    listed = {a["sha256"]: a["name"] for a in payload.get("artefacts", [])}
    names = {Path(a["name"]).name: a["sha256"] for a in payload.get("artefacts", [])}
    for path in expand_paths(paths):
        digest = sha256_hex(read_bounded(path))
        result.artefacts_checked += 1
        if digest in listed:
            continue
        if path.name in names:
            result.fail(f"artefact {path} modifié : SHA-256 {digest}, le certificat atteste {names[path.name]}",
                        f"artefact {path} modified: SHA-256 {digest}, the certificate attests {names[path.name]}")
        else:
            result.fail(f"artefact {path} (SHA-256 {digest}) absent du certificat", f"artefact {path} (SHA-256 {digest}) not in the certificate")


def load_trusted(paths: list[Path]) -> list[x509.Certificate]:
    from harness.signing import load_certificates

    trusted: list[x509.Certificate] = []
    for path in paths:
        if not Path(path).is_file():
            raise HarnessError(f"certificat de confiance introuvable : {path}", f"trusted certificate not found: {path}")
        trusted.extend(load_certificates(path))
    return trusted
