"""Text in French and English: the one bilingual type (`Text`), and the labels the harness shows people."""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A text in French and English: pack titles and statements, findings' messages, errors' messages."""

    fr: str
    en: str

    def get(self, lang: str = "fr") -> str:
        return self.fr if lang == "fr" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"fr": self.fr, "en": self.en}


LABELS: dict[str, tuple[str, str]] = {
    "certificate_title": ("Certificat de conformité", "Conformance certificate"),
    "nonconformity_title": ("Rapport de non-conformité", "Non-conformity report"),
    "incomplete_title": ("Rapport de non-conformité — exécution incomplète", "Non-conformity report — incomplete run"),
    "certificate_statement": (
        "Le système candidat ci-dessous satisfait toutes les exigences obligatoires (MUST) applicables des profils évalués.",
        "The candidate system below meets every applicable mandatory (MUST) requirement of the profiles evaluated.",
    ),
    "nonconformity_statement": (
        "Aucun certificat n'est délivré : des exigences obligatoires (MUST), des artefacts ou des contrôles de la portée ont échoué ou "
        "n'ont pas pu être évalués (voir les éléments bloquants).",
        "No certificate is issued: mandatory (MUST) requirements, artefacts or checks in scope failed or could not be judged (see the "
        "blocking items).",
    ),
    "incomplete_statement": (
        "Aucun certificat n'est délivré : l'exécution des tests n'est pas allée à son terme.",
        "No certificate is issued: the test run did not complete.",
    ),
    "candidate": ("Système candidat", "Candidate system"),
    "name": ("Nom", "Name"),
    "vendor": ("Éditeur", "Vendor"),
    "version": ("Version", "Version"),
    "profiles": ("Profils évalués", "Profiles evaluated"),
    "framework": ("Cadre", "Framework"),
    "source": ("Source", "Source"),
    "harness": ("Outil", "Tool"),
    "date": ("Date", "Date"),
    "started": ("Début", "Started"),
    "finished": ("Fin", "Finished"),
    "identifier": ("Identifiant", "Identifier"),
    "overall": ("Verdict global", "Overall verdict"),
    "requirements": ("Exigences", "Requirements"),
    "requirement": ("Exigence", "Requirement"),
    "level": ("Niveau", "Level"),
    "statement": ("Énoncé", "Statement"),
    "section": ("Section", "Section"),
    "verdict": ("Verdict", "Verdict"),
    "reason": ("Motif", "Reason"),
    "artefacts": ("Artefacts testés (SHA-256)", "Tested artefacts (SHA-256)"),
    "blocking": ("Éléments bloquants", "Blocking items"),
    "none": ("aucun", "none"),
    "conformant": ("CONFORME", "CONFORMANT"),
    "nonconformant": ("NON CONFORME", "NOT CONFORMANT"),
    "incomplete": ("INCOMPLET", "INCOMPLETE"),
    "incomplete_reason": ("Raison", "Reason"),
    "counts": ("Décompte des verdicts", "Verdict counts"),
    "PASSED": ("CONFORME", "PASSED"),
    "FAILED": ("ÉCHEC", "FAILED"),
    "ABORTED": ("NON ÉVALUÉ (interrompu)", "ABORTED"),
    "NOT_APPLICABLE": ("NON APPLICABLE", "NOT APPLICABLE"),
    "NOT_TESTED": ("NON TESTÉ", "NOT TESTED"),
    "WAIVED": ("DÉROGATION", "WAIVED"),
    "waivers": ("Dérogations", "Waivers"),
    "with_waivers": ("Sous réserve des dérogations listées ci-dessous.", "Subject to the waivers listed below."),
    "status": ("Statut", "Status"),
    "justification": ("Justification", "Justification"),
    "approver": ("Approuvée par", "Approved by"),
    "expires": ("Expire le", "Expires"),
    "waiver_applied": ("appliquée", "applied"),
    "waiver_expired": ("EXPIRÉE — ignorée", "EXPIRED — ignored"),
    "waiver_not_needed": ("sans objet (rien n'a échoué)", "not needed (nothing failed)"),
    "waiver_not_judged": ("NON APPLIQUÉE — exigence non jugée", "NOT APPLIED — requirement not judged"),
    "waiver_not_in_run": ("NON APPLIQUÉE — exigence hors de l'exécution", "NOT APPLIED — requirement not in the run"),
    "signature": ("Signature électronique", "Electronic signature"),
    "signature_format": ("Format", "Format"),
    "issuer": ("Émetteur", "Issuer"),
    "fingerprint": ("Empreinte SHA-256 du certificat de l'émetteur", "SHA-256 fingerprint of the issuer's certificate"),
    "validity": ("Validité du certificat de l'émetteur", "Validity of the issuer's certificate"),
    "how_to_verify": ("Vérification", "Verification"),
    "signed_by": ("Signé par", "Signed by"),
    "not_signed": ("Non signé : cette page ne porte pas de signature électronique ; elle ne peut pas être vérifiée hors de l'outil qui l'a "
                   "produite.",
                   "Not signed: this page carries no electronic signature; it cannot be verified apart from the tool that produced it."),
    "canonical_json": ("JSON canonique (RFC 8785)", "canonical JSON (RFC 8785)"),
    "scope": ("Périmètre", "Scope"),
    "scope_declared": ("Déclaré", "Declared"),
    "scope_roles": ("Rôles", "Roles"),
    "scope_profiles": ("Profils du périmètre", "Profiles in scope"),
    "scope_profiles_not_assessed": ("Profils non évalués", "Profiles not assessed"),
    "scope_volets": ("Volets", "Volets"),
    "annex": ("Annexe — détail des exigences", "Annex — requirements in detail"),
    "annex_attention": ("À revoir", "To review"),
    "annex_other": ("Satisfaites ou non applicables", "Met or not applicable"),
    "and_more": ("… et %d de plus : results.json les liste tous, l'annexe commence par les exigences",
                 "… and %d more: results.json lists them all, the annex starts with the requirements"),
    "ignored": ("Fichiers ignorés", "Ignored files"),
    "report_title": ("Rapport de test", "Test report"),
    "tests": ("Tests", "Tests"),
    "evidence_location": ("Emplacement", "Location"),
    "evidence_line": ("Ligne", "Line"),
    "evidence_severity": ("Gravité", "Severity"),
    "evidence_message": ("Constat", "Finding"),
    "evidence_file": ("Fichier", "File"),
}


def label(key: str, lang: str) -> str:
    fr, en = LABELS[key]
    return fr if lang == "fr" else en


def default_lang() -> str:
    """ENRS_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG): English when it says so, French otherwise."""
    for name in ("ENRS_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "fr"
    return "fr"


def in_language(text: str, lang: str) -> str:
    """The French or English part of a bilingual "français / English" text (the whole text when it has no such parts).

    Messages come in two forms: whole halves ("déclaration refusée : x / declaration refused: x") and short pairs
    before a shared detail ("suite interdite acceptée / forbidden suite accepted: NULL-SHA", "réponse / response:
    X-Frame-Options: absent / missing"). The second form is told by a French half without any colon and an English
    one with an English colon (no space before it); each colon-separated part is then taken in `lang`.
    """
    halves = text.split(" / ", 1)
    if len(halves) != 2:
        return text
    left, right = halves
    if ":" not in left and _ENGLISH_COLON.search(right):
        parts = [_half(part, lang) for part in _ENGLISH_COLON.split(text)]
        return (" : " if lang == "fr" else ": ").join(parts)
    return left if lang == "fr" else right


_ENGLISH_COLON = re.compile(r"(?<! ): ")


def _half(text: str, lang: str) -> str:
    halves = text.split(" / ", 1)
    return (halves[0] if lang == "fr" else halves[1]) if len(halves) == 2 else text


# A Python exception's name as pytest reports it ("AssertionError: ", "harness.run.outcomes.Aborted: ", "Failed: "):
# people read the message, not the class that carried it.
_EXCEPTION_NAME = re.compile(r"(?:\b[a-z_]\w*\.)*\b(?:\w*Error|\w*Exception|Aborted|Failed|Skipped|NotApplicable|Exit)\s*:\s*")


def readable_reason(reason: str | None, lang: str, limit: int | None = None) -> str:
    """A verdict's reason as a sentence in `lang`: no exception name, no other language, cut only between words."""
    if not reason:
        return ""
    text = " ".join(in_language(_EXCEPTION_NAME.sub("", reason), lang).split())
    if not text:
        return "Le test a échoué sans donner de motif." if lang == "fr" else "The test failed without giving a reason."
    if limit and len(text) > limit:
        text = textwrap.shorten(text, limit, placeholder=" …")
    elif text[-1] not in ".!?…)»":
        text += "."
    return text
