"""Judge a VIHF (pack ci-sis-vihf): placement, XML-DSig signature against a trust store, Issuer, attributes and
their coding, the patient's INS, the validity window, algorithm strength and the TLS client's DN.

`check_vihf(data, trust)` takes a SOAP envelope (bytes or element) or a bare assertion and returns a
`VihfReport`: the findings (requirement ids CISIS-VIHF-nn), the attributes read from the *verified*
assertion (never from an unsigned copy next to it: signature wrapping), and the signer's certificate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.util import X509CertChainVerifier
from signxml.verifier import SignatureConfiguration, XMLVerifier

from harness.core.findings import Finding, Severity
from harness.core.xmlsafe import UnsafeOrInvalidXml, parse_xml
from harness.vihf.build import (
    AUTHN_MODE,
    DS,
    HL7,
    LPS_HOMOLOGATION,
    LPS_NAME,
    LPS_VERSION,
    PURPOSE,
    PURPOSE_SYSTEM,
    REQUIRED_ATTRIBUTES,
    RESOURCE_ID,
    RESOURCE_URN,
    ROLE,
    SAML,
    SECTOR,
    SECTOR_SYSTEM,
    STRUCTURE,
    SUBJECT_ID,
    VIHF_VERSION,
    WSSE,
    X509_SUBJECT_NAME,
)

PACK = "ci-sis-vihf"
PLACEMENT, SIGNATURE, TRUST, ISSUER, ATTRIBUTES, CODING, INS, WINDOW, ALGORITHMS, SAME_DN = (
    f"CISIS-VIHF-{n:02d}" for n in range(1, 11))
REQUIREMENTS = (PLACEMENT, SIGNATURE, TRUST, ISSUER, ATTRIBUTES, CODING, INS, WINDOW, ALGORITHMS, SAME_DN)
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WEAK = ("sha1",)  # PGSSI-S: SHA-1 signatures must not be used
INS_AUTHORITIES = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")
TEST_INS_AUTHORITIES = ("1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")
_INS_CX = re.compile(r"^(\d{5}(?:\d{2}|2A|2B)\d{6})(\d{2})\^\^\^&([0-9.]+)&ISO(\^NH)?$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
DEFAULTS: dict[str, Any] = {
    "vihf_versions": ["4.0"],  # the DMP mapping; the PSC proxy says 3.0 (a profile setting)
    "authentication_modes": ["INDIRECTE", "DIRECTE"],
    "resource_urn": "urn:dmp",
    "purpose_codes": ["normal"],
    "clock_skew_seconds": 120,
    "max_age_seconds": 3600,  # an IssueInstant older than this is stale (freshness, inferred)
}


@dataclass
class VihfReport:
    findings: list[Finding] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)  # Name → values (CE values as code^codeSystem)
    signer: x509.Certificate | None = None
    assertion_id: str | None = None
    evaluated: set[str] = field(default_factory=set)  # the requirements these checks judged

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def failed(self) -> set[str]:
        return {f.requirement for f in self.findings if f.severity is Severity.ERROR}


class _Checks:
    def __init__(self, report: VihfReport) -> None:
        self.report = report

    def judge(self, requirement: str) -> None:
        self.report.evaluated.add(requirement)

    def fail(self, requirement: str, fr: str, en: str, location: str | None = None, line: int | None = None) -> None:
        self.report.evaluated.add(requirement)
        self.report.findings.append(Finding(requirement, Severity.ERROR, fr, en, location, line))


def find_assertion(root: etree._Element, checks: _Checks) -> etree._Element | None:
    """The single saml2:Assertion of /Envelope/Header/wsse:Security (or the root itself when it is one)."""
    if root.tag == f"{{{SAML}}}Assertion":
        return root
    checks.judge(PLACEMENT)
    found = root.findall(f"{{{SOAP12}}}Header/{{{WSSE}}}Security/{{{SAML}}}Assertion")
    if len(found) == 1:
        return found[0]
    if not found:
        checks.fail(PLACEMENT, "aucune assertion VIHF (saml2:Assertion) dans l'en-tête wsse:Security",
                    "no VIHF assertion (saml2:Assertion) in the wsse:Security header", "/Envelope/Header/Security")
    else:
        checks.fail(PLACEMENT, f"{len(found)} assertions VIHF dans wsse:Security (une seule attendue)",
                    f"{len(found)} VIHF assertions in wsse:Security (exactly one expected)", "/Envelope/Header/Security")
    return None


def check_vihf(data: bytes | etree._Element, trust: Trust, now: dt.datetime | None = None,
               settings: Mapping[str, Any] | None = None, tls_client_cert: x509.Certificate | None = None) -> VihfReport:
    """Judge the VIHF of a SOAP request (or a bare assertion) against the CA certificates `trust` (PEM file, PEM bytes
    or certificates: a caller judging many requests loads them once with `trust_anchors`).

    Without `trust` the signature's integrity is checked but CISIS-VIHF-03 is not judged (the report says so).
    """
    report = VihfReport()
    checks = _Checks(report)
    options = {**DEFAULTS, **(settings or {})}
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    if isinstance(data, bytes):
        try:
            root = parse_xml(data).getroot()
        except UnsafeOrInvalidXml as exc:
            checks.fail(PLACEMENT, f"XML illisible : {exc.fr}", f"unreadable XML: {exc.en}", line=exc.line)
            return report
    else:
        root = data
    assertion = find_assertion(root, checks)
    if assertion is None:
        return report
    report.assertion_id = assertion.get("ID")
    verified = _signature(assertion, trust, now, checks)
    _algorithms(assertion, checks)
    source = verified if verified is not None else assertion  # unverified: judged as found, the signature already failed
    _header(source, now, options, checks)
    _issuer(source, report.signer, checks)
    _attributes(source, options, checks)
    if tls_client_cert is not None and report.signer is not None:
        checks.judge(SAME_DN)
        if tls_client_cert.subject != report.signer.subject:
            checks.fail(SAME_DN, f"DN du certificat TLS client ({tls_client_cert.subject.rfc4514_string()}) ≠ DN du certificat "
                                 f"signataire du VIHF ({report.signer.subject.rfc4514_string()})",
                        f"TLS client certificate DN ({tls_client_cert.subject.rfc4514_string()}) ≠ VIHF signing certificate DN "
                        f"({report.signer.subject.rfc4514_string()})")
    return report


def _where(element: etree._Element) -> str:
    return element.getroottree().getpath(element)


def _signature(assertion: etree._Element, trust: Trust, now: dt.datetime, checks: _Checks) -> etree._Element | None:
    """Verify the enveloped signature; return the element signxml verified (the one to read), None when it does not verify."""
    report = checks.report
    checks.judge(SIGNATURE)
    signature = assertion.find(f"{{{DS}}}Signature")
    if signature is None:
        checks.fail(SIGNATURE, "assertion VIHF non signée (pas de ds:Signature enfant de l'assertion)",
                    "unsigned VIHF assertion (no ds:Signature child of the assertion)", _where(assertion), assertion.sourceline)
        return None
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    assertion_id = assertion.get("ID") or ""
    if len(references) != 1 or references[0].get("URI") != f"#{assertion_id}":
        checks.fail(SIGNATURE, f"la signature doit avoir une seule référence, vers l'assertion (URI « #{assertion_id} »)",
                    f"the signature must have exactly one reference, to the assertion (URI '#{assertion_id}')", _where(signature))
        return None
    standalone = etree.fromstring(etree.tostring(assertion))  # the assertion alone: nothing around it can be what is verified
    config = SignatureConfiguration(signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm),
                                    verification_time=now)  # SHA-1 is judged by CISIS-VIHF-09, not refused here
    chain = _chain(signature)
    if chain:
        report.signer = chain[0]
    try:
        result = _Verifier(trust_anchors(trust)).verify(standalone, x509_cert=chain[0] if (trust is None and chain) else None,
                                                        id_attribute="ID", expect_config=config)
    except InvalidCertificate as exc:
        checks.judge(TRUST)
        checks.fail(TRUST, f"certificat signataire du VIHF refusé : {exc}", f"VIHF signing certificate refused: {exc}", _where(signature))
        return None
    except (InvalidDigest, InvalidSignature) as exc:
        checks.fail(SIGNATURE, f"signature du VIHF invalide (assertion modifiée ou mauvaise clé) : {exc}",
                    f"invalid VIHF signature (assertion altered or wrong key): {exc}", _where(signature))
        return None
    except (InvalidInput, ValueError) as exc:
        checks.fail(SIGNATURE, f"signature du VIHF illisible : {exc}", f"unreadable VIHF signature: {exc}", _where(signature))
        return None
    if trust is not None:
        checks.judge(TRUST)
    signed = result.signed_xml if not isinstance(result, list) else None
    if signed is None or signed.tag != f"{{{SAML}}}Assertion" or signed.get("ID") != assertion_id:
        checks.fail(SIGNATURE, "l'élément signé n'est pas l'assertion lue (emballage de signature)",
                    "the signed element is not the assertion read (signature wrapping)", _where(signature))
        return None
    return signed


Trust = Path | bytes | list[x509.Certificate] | None


def trust_anchors(trust: Trust) -> list[x509.Certificate]:
    """The CA certificates of a trust store given as a PEM file, PEM bytes or certificates."""
    if trust is None or isinstance(trust, list):
        return trust or []
    return x509.load_pem_x509_certificates(trust.read_bytes() if isinstance(trust, Path) else trust)


class _AnchorsChainVerifier(X509CertChainVerifier):
    """signxml's chain verification (cryptography's verifier) on in-memory anchors rather than a PEM file."""

    def __init__(self, anchors: list[x509.Certificate], **options: Any) -> None:
        super().__init__(ca_pem_file="(in memory)", **options)  # type: ignore[no-untyped-call]  # signxml is not annotated
        self.anchors = anchors

    @property
    def store(self) -> x509.verification.Store:
        return x509.verification.Store(self.anchors)


class _Verifier(XMLVerifier):
    def __init__(self, anchors: list[x509.Certificate]) -> None:
        super().__init__()
        self.anchors = anchors

    def get_cert_chain_verifier(self, ca_pem_file: Any, ee_policy: Any, ca_policy: Any) -> X509CertChainVerifier:
        when = self._get_cert_verification_time()  # type: ignore[no-untyped-call]  # signxml is not annotated
        return _AnchorsChainVerifier(self.anchors, verification_time=when, ee_policy=ee_policy, ca_policy=ca_policy)


def _chain(signature: etree._Element) -> list[x509.Certificate]:
    chain = []
    for value in signature.iterfind(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"):
        try:
            chain.append(x509.load_der_x509_certificate(_b64(value.text or "")))
        except ValueError:
            continue
    return chain


def _b64(text: str) -> bytes:
    import base64
    import binascii

    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _algorithms(assertion: etree._Element, checks: _Checks) -> None:
    signature = assertion.find(f"{{{DS}}}Signature")
    if signature is None:
        return
    checks.judge(ALGORITHMS)
    for path in (f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod", f"{{{DS}}}SignedInfo/{{{DS}}}Reference/{{{DS}}}DigestMethod"):
        for method in signature.iterfind(path):
            algorithm = method.get("Algorithm") or ""
            if any(algorithm.lower().endswith(weak) or f"-{weak}" in algorithm.lower() or f"#{weak}" in algorithm.lower()
                   for weak in WEAK):
                checks.fail(ALGORITHMS, f"algorithme SHA-1 ({algorithm}) : interdit par la PGSSI-S",
                            f"SHA-1 algorithm ({algorithm}): forbidden by PGSSI-S", _where(method), method.sourceline)


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _header(assertion: etree._Element, now: dt.datetime, options: Mapping[str, Any], checks: _Checks) -> None:
    checks.judge(WINDOW)
    skew = dt.timedelta(seconds=float(options["clock_skew_seconds"]))
    if not assertion.get("ID"):
        checks.fail(WINDOW, "attribut ID de l'assertion absent", "assertion ID attribute missing", _where(assertion))
    issued = _time(assertion.get("IssueInstant"))
    if issued is None:
        checks.fail(WINDOW, "IssueInstant absent ou mal formé", "IssueInstant missing or malformed", _where(assertion))
    elif issued > now + skew:
        checks.fail(WINDOW, f"IssueInstant {assertion.get('IssueInstant')} dans le futur",
                    f"IssueInstant {assertion.get('IssueInstant')} in the future")
    elif issued < now - dt.timedelta(seconds=float(options["max_age_seconds"])):
        checks.fail(WINDOW, f"IssueInstant {assertion.get('IssueInstant')} trop ancien (> {options['max_age_seconds']} s)",
                    f"IssueInstant {assertion.get('IssueInstant')} too old (> {options['max_age_seconds']} s)")
    authn = assertion.find(f"{{{SAML}}}AuthnStatement")
    if authn is None or _time(authn.get("AuthnInstant")) is None:
        checks.fail(WINDOW, "AuthnStatement/@AuthnInstant absent ou mal formé", "AuthnStatement/@AuthnInstant missing or malformed")
    conditions = assertion.find(f"{{{SAML}}}Conditions")
    if conditions is not None:
        before, after = conditions.get("NotBefore"), conditions.get("NotOnOrAfter")
        if before and (_time(before) is None or _time(before) > now + skew):  # type: ignore[operator]  # None ruled out first
            checks.fail(WINDOW, f"assertion pas encore valide (NotBefore {before})", f"assertion not yet valid (NotBefore {before})",
                        _where(conditions))
        if after and (_time(after) is None or _time(after) <= now - skew):  # type: ignore[operator]  # None ruled out first
            checks.fail(WINDOW, f"assertion expirée (NotOnOrAfter {after})", f"assertion expired (NotOnOrAfter {after})",
                        _where(conditions))
        if conditions.find(f"{{{SAML}}}AudienceRestriction") is not None:
            checks.fail(WINDOW, "Conditions/AudienceRestriction ne doit pas être renseigné",
                        "Conditions/AudienceRestriction must not be filled", _where(conditions))


def _issuer(assertion: etree._Element, signer: x509.Certificate | None, checks: _Checks) -> None:
    checks.judge(ISSUER)
    issuer = assertion.find(f"{{{SAML}}}Issuer")
    if issuer is None or not (issuer.text or "").strip():
        checks.fail(ISSUER, "saml2:Issuer absent ou vide", "saml2:Issuer missing or empty", _where(assertion))
        return
    if issuer.get("Format") != X509_SUBJECT_NAME:
        checks.fail(ISSUER, f"Issuer/@Format « {issuer.get('Format')} » ≠ {X509_SUBJECT_NAME}",
                    f"Issuer/@Format '{issuer.get('Format')}' ≠ {X509_SUBJECT_NAME}", _where(issuer), issuer.sourceline)
    if signer is not None and not _same_dn(issuer.text or "", signer.subject):
        checks.fail(ISSUER, f"Issuer « {issuer.text} » ≠ DN du certificat signataire ({signer.subject.rfc4514_string()})",
                    f"Issuer '{issuer.text}' ≠ signing certificate DN ({signer.subject.rfc4514_string()})",
                    _where(issuer), issuer.sourceline)


def _same_dn(text: str, subject: x509.Name) -> bool:
    """RFC 4514 comparison, order of the RDNs either way (both orders are met in practice), spaces after commas ignored."""
    def parts(value: str) -> list[str]:
        return [p.strip().upper() for p in re.split(r"(?<!\\),", value) if p.strip()]

    mine = parts(text)
    theirs = parts(subject.rfc4514_string())
    return mine == theirs or mine == theirs[::-1]


def read_attributes(assertion: etree._Element) -> dict[str, list[str]]:
    """Name → values; a CE value (Role, PurposeOfUse) as `code^codeSystem`."""
    values: dict[str, list[str]] = {}
    for attribute in assertion.iterfind(f"{{{SAML}}}AttributeStatement/{{{SAML}}}Attribute"):
        name = attribute.get("Name") or ""
        for value in attribute.iterfind(f"{{{SAML}}}AttributeValue"):
            coded = next(iter(value), None)
            if coded is not None and isinstance(coded.tag, str):
                values.setdefault(name, []).append(f"{coded.get('code') or ''}^{coded.get('codeSystem') or ''}")
            else:
                values.setdefault(name, []).append((value.text or "").strip())
    return values


def _attributes(assertion: etree._Element, options: Mapping[str, Any], checks: _Checks) -> None:
    values = read_attributes(assertion)
    checks.report.attributes = values
    checks.judge(ATTRIBUTES)
    for name in REQUIRED_ATTRIBUTES:
        if not any(v.strip("^") for v in values.get(name, [])):
            checks.fail(ATTRIBUTES, f"attribut VIHF obligatoire absent ou vide : {name}",
                        f"required VIHF attribute missing or empty: {name}", "/Assertion/AttributeStatement")
    checks.judge(CODING)

    def one(name: str) -> str | None:
        found = values.get(name) or []
        return found[0] if found else None

    version = one(VIHF_VERSION)
    if version is not None and version not in options["vihf_versions"]:
        checks.fail(CODING, f"VIHF_Version « {version} » (attendu : {', '.join(options['vihf_versions'])})",
                    f"VIHF_Version '{version}' (expected: {', '.join(options['vihf_versions'])})")
    sector = one(SECTOR)
    if sector is not None and not re.fullmatch(rf"[^\^]+\^{re.escape(SECTOR_SYSTEM)}", sector):
        checks.fail(CODING, f"Secteur_Activite « {sector} » : forme code^{SECTOR_SYSTEM} attendue",
                    f"Secteur_Activite '{sector}': form code^{SECTOR_SYSTEM} expected")
    mode = one(AUTHN_MODE)
    if mode is not None and mode not in options["authentication_modes"]:
        checks.fail(CODING, f"Authentification_Mode « {mode} » (attendu : {', '.join(options['authentication_modes'])})",
                    f"Authentification_Mode '{mode}' (expected: {', '.join(options['authentication_modes'])})")
    urn = one(RESOURCE_URN)
    if urn is not None and urn != options["resource_urn"]:
        checks.fail(CODING, f"Ressource_URN « {urn} » ≠ {options['resource_urn']}", f"Ressource_URN '{urn}' ≠ {options['resource_urn']}")
    for role in values.get(ROLE, []):
        code, _, system = role.partition("^")
        if not code or not _OID.match(system):
            checks.fail(CODING, f"subject:role « {role} » : un code HL7 CE (code et codeSystem OID) attendu",
                        f"subject:role '{role}': an HL7 CE code (code and codeSystem OID) expected")
    _coded_role_check(assertion, checks)
    purpose = one(PURPOSE)
    if purpose is not None:
        code, _, system = purpose.partition("^")
        if code not in options["purpose_codes"] or system != PURPOSE_SYSTEM:
            checks.fail(CODING, f"purposeofuse « {purpose} » : attendu {'/'.join(options['purpose_codes'])}^{PURPOSE_SYSTEM}",
                        f"purposeofuse '{purpose}': expected {'/'.join(options['purpose_codes'])}^{PURPOSE_SYSTEM}")
    for name in (STRUCTURE, SUBJECT_ID, LPS_NAME, LPS_VERSION, LPS_HOMOLOGATION):
        if len(values.get(name, [])) > 1:
            checks.fail(CODING, f"attribut {name} répété", f"attribute {name} repeated")
    checks.judge(INS)
    resource = one(RESOURCE_ID)
    if resource is not None:
        problem = ins_problem(resource)
        if problem:
            checks.fail(INS, f"resource-id « {resource} » : {problem[0]}", f"resource-id '{resource}': {problem[1]}")


def _coded_role_check(assertion: etree._Element, checks: _Checks) -> None:
    """Role and PurposeOfUse values are HL7 elements (urn:hl7-org:v3), typed CE."""
    for name, tag in ((ROLE, "Role"), (PURPOSE, "PurposeOfUse")):
        for value in assertion.iterfind(f"{{{SAML}}}AttributeStatement/{{{SAML}}}Attribute[@Name='{name}']/{{{SAML}}}AttributeValue"):
            coded = next(iter(value), None)
            if coded is None or coded.tag != f"{{{HL7}}}{tag}":
                checks.fail(CODING, f"{name} : valeur attendue hl7:{tag} (CE)", f"{name}: hl7:{tag} (CE) value expected",
                            _where(value), value.sourceline)


def ins_problem(value: str, type_code: bool = True) -> tuple[str, str] | None:
    """Why `value` is not an INS in CX form `<13 digits><key>^^^&<INS OID>&ISO^NH` (NIR key = 97 − NIR mod 97), or None.
    `type_code=False`: the XDS patientId form, without the identifier type (`…&ISO`)."""
    match = _INS_CX.match(value)
    form = "INS^^^&<OID>&ISO^NH" if type_code else "INS^^^&<OID>&ISO"
    if match is None or bool(match.group(4)) != type_code:
        return (f"forme {form} attendue (15 chiffres)", f"form {form} expected (15 digits)")
    nir, key, authority, _ = match.groups()
    if authority not in INS_AUTHORITIES:
        return (f"autorité {authority} : pas un OID d'INS ({', '.join(INS_AUTHORITIES)})",
                f"authority {authority}: not an INS OID ({', '.join(INS_AUTHORITIES)})")
    number = int(nir[:5] + {"2A": "19", "2B": "18"}.get(nir[5:7], nir[5:7]) + nir[7:])  # Corsica, as the NIR key rule says
    expected = 97 - number % 97
    if expected != int(key):
        return (f"clé {key} fausse (attendue {expected:02d})", f"wrong key {key} (expected {expected:02d})")
    return None
