"""Build and sign the VIHF: the SAML 2.0 assertion a DMP client puts in the WS-Security header.

Attribute names and codings are the DMP's VIHF mapping (docs/xds.md, "VIHF"); the assertion is signed
with the organisation's seal certificate (XML-DSig enveloped, exclusive c14n) by signxml.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.signer import XMLSigner

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
HL7 = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
X509_SUBJECT_NAME = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
TLS_CLIENT = "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient"

# Attribute names of the VIHF (the DMP mapping).
VIHF_VERSION = "VIHF_Version"
STRUCTURE = "Identifiant_Structure"
SECTOR = "Secteur_Activite"
SUBJECT_ID = "urn:oasis:names:tc:xspa:1.0:subject:subject-id"
ROLE = "urn:oasis:names:tc:xacml:2.0:subject:role"
AUTHN_MODE = "Authentification_Mode"
RESOURCE_ID = "urn:oasis:names:tc:xacml:2.0:resource:resource-id"
RESOURCE_URN = "Ressource_URN"
PURPOSE = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"
LPS_NAME, LPS_VERSION, LPS_HOMOLOGATION = "LPS_Nom", "LPS_Version", "LPS_ID_HOMOLOGATION_DMP"
REQUIRED_ATTRIBUTES = (VIHF_VERSION, STRUCTURE, SECTOR, SUBJECT_ID, ROLE, AUTHN_MODE, RESOURCE_ID, RESOURCE_URN, PURPOSE,
                       LPS_NAME, LPS_VERSION, LPS_HOMOLOGATION)

SECTOR_SYSTEM = "1.2.250.1.71.4.2.4"  # secteur d'activité (J61 codes)
PURPOSE_SYSTEM = "1.2.250.1.213.1.1.4.248"
TEST_INS_NIR = "1.2.250.1.213.1.4.10"


def ins_cx(matricule: str, authority: str = TEST_INS_NIR) -> str:
    """The patient's INS in CX form, as resource-id carries it: `<INS>^^^&<OID>&ISO^NH`."""
    return f"{matricule}^^^&{authority}&ISO^NH"


@dataclass(frozen=True)
class Role:
    """An HL7 CE code (subject:role, purposeofuse)."""

    code: str
    code_system: str
    display: str = ""


@dataclass(frozen=True)
class VihfClaims:
    """What a VIHF says. The defaults describe the harness's own test client (test INS, test structure)."""

    patient_ins: str = "277076322082910"  # a test NIR with its key (97 − NIR mod 97)
    patient_authority: str = TEST_INS_NIR
    subject_id: str = "899700218896"  # an RPPS-like test identifier
    subject_name: str = "TEST MEDECIN"
    roles: tuple[Role, ...] = (Role("10", "1.2.250.1.71.1.2.7", "Médecin"),
                               Role("SM26", "1.2.250.1.71.4.2.5", "Qualifié en médecine générale"))
    structure: str = "3" + "10B0000002"
    sector: str = "SA07"
    authn_mode: str = "INDIRECTE"
    resource_urn: str = "urn:dmp"
    purpose: Role = Role("normal", PURPOSE_SYSTEM, "Accès normal")
    version: str = "4.0"
    lps_name: str = "ENRS-HARNESS"
    lps_version: str = "1.0"
    lps_homologation: str = "TEST-ENRS-HARNESS"
    lifetime: dt.timedelta = dt.timedelta(minutes=5)
    extra: dict[str, str] = field(default_factory=dict)  # more attributes (e.g. confidentiality-code)
    omit: frozenset[str] = frozenset()  # attribute names left out (to build wrong assertions)


def build_assertion(claims: VihfClaims, issuer: str, now: dt.datetime | None = None) -> etree._Element:
    """The unsigned saml2:Assertion, with a placeholder where the signature goes (after Issuer, as SAML requires)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    a = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml2": SAML},
                      attrib={"ID": f"_{uuid.uuid4()}", "IssueInstant": stamp, "Version": "2.0"})
    etree.SubElement(a, f"{{{SAML}}}Issuer", Format=X509_SUBJECT_NAME).text = issuer
    etree.SubElement(a, f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    subject = etree.SubElement(a, f"{{{SAML}}}Subject")
    name_id = etree.SubElement(subject, f"{{{SAML}}}NameID", Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
    name_id.text = claims.subject_id
    etree.SubElement(a, f"{{{SAML}}}Conditions", NotBefore=stamp,
                     NotOnOrAfter=(now + claims.lifetime).strftime("%Y-%m-%dT%H:%M:%SZ"))
    authn = etree.SubElement(a, f"{{{SAML}}}AuthnStatement", AuthnInstant=stamp)
    etree.SubElement(etree.SubElement(authn, f"{{{SAML}}}AuthnContext"), f"{{{SAML}}}AuthnContextClassRef").text = TLS_CLIENT
    statement = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
    texts = {
        VIHF_VERSION: claims.version, STRUCTURE: claims.structure, SECTOR: f"{claims.sector}^{SECTOR_SYSTEM}",
        SUBJECT_ID: claims.subject_name, AUTHN_MODE: claims.authn_mode,
        RESOURCE_ID: ins_cx(claims.patient_ins, claims.patient_authority), RESOURCE_URN: claims.resource_urn,
        LPS_NAME: claims.lps_name, LPS_VERSION: claims.lps_version, LPS_HOMOLOGATION: claims.lps_homologation, **claims.extra,
    }
    # extra attributes come after the required ones; an extra with a required name replaces its value
    for name in dict.fromkeys((*REQUIRED_ATTRIBUTES, *claims.extra)):
        if name in claims.omit:
            continue
        attribute = etree.SubElement(statement, f"{{{SAML}}}Attribute", Name=name)
        if name == ROLE:
            for role in claims.roles:
                _ce(attribute, "Role", role)
        elif name == PURPOSE:
            _ce(attribute, "PurposeOfUse", claims.purpose)
        else:
            etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = texts[name]
    return a


def _ce(attribute: etree._Element, tag: str, value: Role) -> None:
    holder = etree.SubElement(attribute, f"{{{SAML}}}AttributeValue")
    ce = etree.SubElement(holder, f"{{{HL7}}}{tag}", nsmap={None: HL7, "xsi": XSI}, code=value.code, codeSystem=value.code_system)
    ce.set(f"{{{XSI}}}type", "CE")
    if value.display:
        ce.set("displayName", value.display)


def issuer_dn(cert: x509.Certificate) -> str:
    """The Issuer text: the seal certificate's subject DN (RFC 4514)."""
    return cert.subject.rfc4514_string()


def sign_assertion(assertion: etree._Element, cert_chain_pem: bytes, key_pem: bytes, algorithm: str = "sha256") -> etree._Element:
    """The assertion signed (enveloped, exclusive c14n, reference to its ID) with the seal key; `cert_chain_pem`
    (leaf first) goes into KeyInfo. `algorithm="sha1"` makes the weak signature the checks must flag."""
    leaf = x509.load_pem_x509_certificate(cert_chain_pem)
    family = "ecdsa" if "EC" in type(leaf.public_key()).__name__.upper() else "rsa"
    signer_class = _LegacySigner if algorithm == "sha1" else XMLSigner
    signer = signer_class(signature_algorithm=f"{family}-{algorithm}", digest_algorithm=algorithm,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signer.namespaces = {"ds": DS}
    certs = [c.public_bytes(Encoding.PEM).decode("ascii") for c in x509.load_pem_x509_certificates(cert_chain_pem)]
    return signer.sign(assertion, key=key_pem, cert=certs, reference_uri=f"#{assertion.get('ID')}", id_attribute="ID",
                       always_add_key_value=False)


class _LegacySigner(XMLSigner):
    """Signs with SHA-1, which signxml refuses by default: the weak assertions (as the public DMP example still is)
    that CISIS-VIHF-09 must flag."""

    def check_deprecated_methods(self) -> None:
        pass


def signed_vihf(claims: VihfClaims, cert_file: Path, key_file: Path, algorithm: str = "sha256",
                now: dt.datetime | None = None) -> etree._Element:
    """Build and sign a VIHF with the seal certificate chain `cert_file` (leaf + issuer) and its key."""
    chain = cert_file.read_bytes()
    leaf = x509.load_pem_x509_certificate(chain)
    return sign_assertion(build_assertion(claims, issuer_dn(leaf), now), chain, key_file.read_bytes(), algorithm)


def security_header(assertion: etree._Element) -> etree._Element:
    """The wsse:Security header block carrying the assertion."""
    header = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE})
    header.append(assertion)
    return header

