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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
from cryptography import x509
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError
from jsonschema import Draft202012Validator

from harness.certificates.signing import (
    ALGORITHMS,
    PAGE_DIGEST_HEADER,
    SIGNATURE_ELEMENT,
    b64url_decode,
    canonical_json,
    certificate_fingerprint,
    page_digest,
    verify_signature,
)
from harness.core.errors import HarnessError
from harness.core.fileio import read_bounded, sha256_hex
from harness.core.i18n import label
from harness.validation.dispatch import expand_paths

MAX_CERTIFICATE_BYTES = 20 * 1024 * 1024
MAX_CHAIN_DEPTH = 5

# The shape of what the checks read: a JWS header and payload from a file anyone may have written.
_STRING = {"type": "string"}
_NULLABLE = {"type": ["string", "null"]}
_OBJECTS: Callable[..., dict[str, Any]] = lambda *keys: {  # noqa: E731  # a one-line schema builder reads best as a lambda
    "type": "array", "items": {"type": "object", "required": list(keys), "properties": {k: _STRING for k in keys}}}
HEADER_SCHEMA = Draft202012Validator({"type": "object", "required": ["alg", "x5c"], "properties": {
    "alg": _STRING, "x5c": {"type": "array", "minItems": 1, "maxItems": MAX_CHAIN_DEPTH + 1, "items": _STRING}}})
PAYLOAD_SCHEMA = Draft202012Validator({"type": "object", "properties": {
    "certificate_id": _NULLABLE, "harness_version": _NULLABLE, "started": _NULLABLE, "finished": _NULLABLE, "status": _NULLABLE,
    "issued": {"type": ["boolean", "null"]},
    "candidate": {"type": "object", "properties": {"name": _NULLABLE, "vendor": _NULLABLE, "version": _NULLABLE}},
    "profiles": {"type": "array", "items": {"type": "object", "properties": {"id": _NULLABLE, "version": _NULLABLE}}},
    "requirements": _OBJECTS("id", "level", "verdict"),
    "artefacts": _OBJECTS("name", "sha256"),
    "waivers": _OBJECTS("requirement", "status", "justification", "approver", "expires"),
}})


def _shape_problem(validator: Draft202012Validator, value: Any, what_fr: str, what_en: str, result: Verification) -> bool:
    """Record a problem when `value` does not have the shape the checks read; True when it does."""
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))), None)
    if error is None:
        return True
    where = "/".join(str(p) for p in error.absolute_path) or "/"
    result.fail(f"{what_fr} mal formé(e) ({where} : {error.message})", f"malformed {what_en} ({where}: {error.message})")
    return False


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
    if not _shape_problem(PAYLOAD_SCHEMA, payload, "contenu signé", "signed content", result):
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
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        result.fail(f"signature illisible : {exc}", f"unreadable signature: {exc}")
        return None, None, []
    if not _shape_problem(HEADER_SCHEMA, header, "en-tête de signature", "signature header", result):
        return None, None, []
    if not isinstance(payload, dict):
        result.fail("contenu signé mal formé (objet JSON attendu)", "malformed signed content (a JSON object expected)")
        return None, None, []
    try:
        chain = [x509.load_der_x509_certificate(b64url_std(c)) for c in header["x5c"]]
    except (ValueError, TypeError) as exc:
        result.fail(f"certificat illisible dans x5c : {exc}", f"unreadable certificate in x5c: {exc}")
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
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


# -- 2. the issuer ------------------------------------------------------------------------------
def _check_trust(chain: list[x509.Certificate], trusted: list[x509.Certificate], at: dt.datetime | None, result: Verification) -> None:
    """The issuer is trusted at the signing time (docs/certificates.md, "Vérification / Verification").

    Either the issuer's certificate is itself one of the `--trust` certificates (pinned), or a
    certification path from it to one of them is validated by cryptography's X.509 path
    validation: every CA of the path has basicConstraints CA:TRUE (and keyCertSign when it has a
    keyUsage), path lengths are respected, and every certificate of the path, the trust anchor
    included, is valid at the signing time.
    """
    leaf = chain[0]
    if not trusted:
        result.fail("émetteur non vérifié : aucun certificat de confiance donné (--trust)",
                    "issuer not verified: no trusted certificate given (--trust)")
        return
    if at is None:
        result.fail("date de signature absente ou illisible (finished/started, avec fuseau) : validité de l'émetteur invérifiable",
                    "signing time missing or unreadable (finished/started, with a time zone): the issuer's validity cannot be checked")
        return
    if not leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc:
        result.fail(f"le certificat de l'émetteur n'était pas valide au moment de la signature ({at.isoformat()})",
                    f"the issuer's certificate was not valid when the certificate was signed ({at.isoformat()})")
        return
    for cert in chain[1:]:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            subject = cert.subject.rfc4514_string()
            result.fail(f"le certificat {subject} de la chaîne n'était pas valide au moment de la signature ({at.isoformat()})",
                        f"the chain's certificate {subject} was not valid when the certificate was signed ({at.isoformat()})")
            return
    pinned = certificate_fingerprint(leaf) in {certificate_fingerprint(t) for t in trusted}
    if not pinned:
        problem = _path_problem(leaf, chain[1:], trusted, at)
        if problem:
            result.fail(f"émetteur non reconnu : {leaf.subject.rfc4514_string()} (empreinte {certificate_fingerprint(leaf)}) : "
                        f"aucun chemin de certification valide au {at.isoformat()} vers un certificat de confiance ({problem})",
                        f"untrusted issuer: {leaf.subject.rfc4514_string()} (fingerprint {certificate_fingerprint(leaf)}): "
                        f"no valid certification path at {at.isoformat()} to a trusted certificate ({problem})")
            return
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            result.fail("le certificat de l'émetteur n'autorise pas la signature (keyUsage)",
                        "the issuer's certificate does not allow signing (keyUsage)")
    except x509.ExtensionNotFound:
        pass
    try:
        if leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            result.fail("le certificat de l'émetteur est celui d'une autorité (CA:TRUE), pas d'un signataire",
                        "the issuer's certificate is a certification authority's (CA:TRUE), not a signer's")
    except x509.ExtensionNotFound:
        pass


def _path_problem(leaf: x509.Certificate, intermediates: list[x509.Certificate], trusted: list[x509.Certificate],
                  at: dt.datetime) -> str | None:
    """Why no certification path from `leaf` to a trusted certificate is valid at `at`; None when one is."""
    anchors = [t for t in trusted if _is_ca(t)]
    if not anchors:
        return "aucun certificat de confiance n'est une autorité (CA:TRUE) / no trusted certificate is a certification authority (CA:TRUE)"
    verifier = (PolicyBuilder().store(Store(anchors)).time(at.astimezone(dt.UTC).replace(tzinfo=None)).max_chain_depth(MAX_CHAIN_DEPTH)
                .extension_policies(ca_policy=_CA_POLICY, ee_policy=ExtensionPolicy.permit_all())
                .build_client_verifier())
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        return str(exc)
    return None


def _require_ca(_policy: Any, _cert: x509.Certificate, value: x509.BasicConstraints) -> None:
    if not value.ca:
        raise ValueError("basicConstraints CA:FALSE: not a certification authority")


def _require_cert_sign(_policy: Any, _cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    if value is not None and not value.key_cert_sign:
        raise ValueError("keyUsage without keyCertSign: may not certify keys")


# A certification authority of the path: CA:TRUE, and keyCertSign when it has a keyUsage (RFC 5280 §4.2.1.3, 4.2.1.9).
_CA_POLICY = (ExtensionPolicy.permit_all()
              .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _require_ca)
              .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _require_cert_sign))


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


# -- 3. the visible page ------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


def _text(node: Any) -> str:
    return " ".join(node.text_content().split()) if node is not None else ""


def _check_page(page: str, payload: dict[str, Any], result: Verification) -> None:
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True)
    try:
        doc = lxml.html.document_fromstring(page, parser=parser)
    except Exception as exc:  # lxml raises several types on hopeless input
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
    compare("identifiant (attribut)", "identifier (attribute)",
            body.get("data-certificate-id") if body is not None else None, payload.get("certificate_id"))
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
    for row in doc.xpath("//table[@id='requirements']/tbody/tr[not(@class='group')]"):  # group rows head each profile
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
        result.fail(f"exigence {rid} : sur la page mais pas dans le contenu signé",
                    f"requirement {rid}: on the page but not in the signed content")

    shown_artefacts = sorted((_text(r[0]), _text(r[1])) for r in doc.xpath("//table[@id='artefacts']/tbody/tr") if len(r) == 2)
    signed_artefacts = sorted((_norm(a["name"]), a["sha256"]) for a in payload.get("artefacts", []))
    if shown_artefacts != signed_artefacts:
        for name, sha in sorted(set(shown_artefacts) ^ set(signed_artefacts)):
            where = ("la page", "the page") if (name, sha) in shown_artefacts else ("le contenu signé", "the signed content")
            result.fail(f"artefact {name} ({sha}) : seulement dans {where[0]}", f"artefact {name} ({sha}): only in {where[1]}")

    shown_waivers = sorted((r.get("data-requirement"), r.get("data-status"), _text(r[2]), _text(r[3]), _text(r[4]))
                           for r in doc.xpath("//table[@id='waivers']/tbody/tr") if len(r) >= 5)
    signed_waivers = sorted((w["requirement"], w["status"], _norm(w["justification"]),
                             _norm(w["approver"]), w["expires"]) for w in payload.get("waivers", []))
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
            result.fail(f"artefact {path} (SHA-256 {digest}) absent du certificat",
                        f"artefact {path} (SHA-256 {digest}) not in the certificate")


def load_trusted(paths: list[Path]) -> list[x509.Certificate]:
    from harness.certificates.signing import load_certificates

    trusted: list[x509.Certificate] = []
    for path in paths:
        if not Path(path).is_file():
            raise HarnessError(f"certificat de confiance introuvable : {path}", f"trusted certificate not found: {path}")
        trusted.extend(load_certificates(path))
    return trusted
