"""The certification scope: what the candidate is, hence which requirements a run certifies.

A target file may declare it (`[scope]`, docs/target-file.md): the candidate's roles (what it is:
a CDA producer, an MLLP receiver, an HTTPS service…), the profile packs it claims, and for a CDA
producer the volets it produces. `--profile` narrows it further. A requirement outside the scope
is NOT_APPLICABLE with the reason "outside the declared scope" and never blocks the certificate.
Without a declared scope, every requirement of the selected profiles is in scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.config.packs import PackRegistry, ProfilePack, Requirement
from harness.core.errors import HarnessError

# A role is what a candidate is; it brings into scope the requirements that apply to (`applies_to`)
# one of its tokens, in the packs that have such requirements.
ROLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "cda-producer": (("cda",), "producteur de documents CDA", "CDA document producer"),
    "hl7v2-sender": (("hl7v2",), "émetteur de messages HL7 v2", "HL7 v2 message sender"),
    "mllp-receiver": (("mllp",), "récepteur HL7 v2 sur MLLP", "HL7 v2 receiver over MLLP"),
    "mllp-tls-receiver": (("mllp+tls",), "récepteur HL7 v2 sur MLLP sécurisé par TLS", "HL7 v2 receiver over MLLP secured by TLS"),
    "https-service": (("https",), "service HTTPS", "HTTPS service"),
    "mssante-operator": (("smtp",), "opérateur MSSanté (soumission SMTP)", "MSSanté operator (SMTP submission)"),
    "mssante-sender": (("email", "xdm"), "émetteur de courriels MSSanté (paquets XDM)", "MSSanté e-mail sender (XDM packages)"),
    "xds-registry-repository": (("xds-registry",), "registre/entrepôt de documents XDS.b", "XDS.b document registry/repository"),
    "xds-document-source": (("xds-source", "vihf", "xds"), "source de documents XDS.b (logiciel qui publie)",
                            "XDS.b document source (publishing software)"),
}


@dataclass(frozen=True)
class DeclaredScope:
    """The `[scope]` table of a target file, as written."""

    roles: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    volets: tuple[str, ...] = ()


def volet_of(requirement: Requirement, volet_keys: Iterable[str]) -> str | None:
    """The volet a requirement is specific to, by the naming rule of the volets pack: `VOL-<key without hyphens>-…`."""
    for key in volet_keys:
        if requirement.id.startswith(f"VOL-{key.replace('-', '').upper()}-"):
            return key
    return None


def volet_keys(registry: PackRegistry) -> list[str]:
    """Every volet of the loaded packs' `[data.volets]` tables, longest first (so a prefix never hides a longer key)."""
    keys = {key for pack in registry.packs.values() for key in pack.data.get("volets", {})}
    return sorted(keys, key=lambda k: (-len(k), k))


@dataclass
class Scope:
    """The requirements a run certifies."""

    declared: bool
    source: str | None  # the target file that declares it
    roles: tuple[str, ...] = ()
    volets: tuple[str, ...] = ()
    tokens: frozenset[str] | None = None  # applies_to values in scope; None: all
    profiles: tuple[str, ...] = ()  # pack ids in scope (claimed and selected)
    not_selected: tuple[str, ...] = ()  # packs claimed but left out by --profile
    outside: tuple[str, ...] = ()  # selected packs outside the declared scope
    _volet_keys: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def resolve(cls, declared: DeclaredScope | None, selected: list[ProfilePack], registry: PackRegistry,
                source: str | None, narrowed: bool) -> Scope:
        """The scope of a run: the declared one (if any) within the selected packs; errors name what is wrong."""
        selected_ids = [p.id for p in selected]
        if declared is None or declared == DeclaredScope():
            return cls(declared=False, source=None, profiles=tuple(selected_ids))
        unknown = [r for r in declared.roles if r not in ROLES]
        if unknown:
            raise _error(f"rôle inconnu « {unknown[0]} » (connus : {', '.join(ROLES)})",
                         f"unknown role '{unknown[0]}' (known: {', '.join(ROLES)})")
        for pack_id in declared.profiles:
            if pack_id not in registry.packs:
                raise _error(f"profil inconnu ou non chargé « {pack_id} » (chargés : {', '.join(registry.packs)})",
                             f"unknown or unloaded profile '{pack_id}' (loaded: {', '.join(registry.packs)})")
        keys = volet_keys(registry)
        for volet in declared.volets:
            if volet not in keys:
                raise _error(f"volet inconnu « {volet} » (connus : {', '.join(sorted(keys))})",
                             f"unknown volet '{volet}' (known: {', '.join(sorted(keys))})")
        if declared.volets and "cda-producer" not in declared.roles and declared.roles:
            raise _error("« volets » ne vaut que pour le rôle cda-producer", "'volets' only applies to the cda-producer role")
        tokens = frozenset(t for role in declared.roles for t in ROLES[role][0]) or None
        # roles claim the packs with requirements for them, never an opt-in pack: that one is claimed by name
        claimed = list(declared.profiles) or [p.id for p in registry.packs.values() if not p.opt_in
                                              and (tokens is None or any(tokens & set(r.applies_to) for r in p.requirements))]
        in_scope = tuple(p for p in selected_ids if p in claimed)
        scope = cls(declared=True, source=source, roles=declared.roles, volets=declared.volets, tokens=tokens, profiles=in_scope,
                    not_selected=tuple(p for p in claimed if p not in selected_ids) if narrowed else (),
                    outside=tuple(p for p in selected_ids if p not in claimed), _volet_keys=tuple(keys))
        if not any(scope.covers(r) for p in selected for r in p.requirements):
            raise _error(f"aucune exigence des profils sélectionnés ({', '.join(selected_ids)}) n'est dans la portée déclarée "
                         f"({scope.describe('fr')})",
                         f"no requirement of the selected profiles ({', '.join(selected_ids)}) is in the declared scope "
                         f"({scope.describe('en')})")
        return scope

    def covers(self, requirement: Requirement) -> bool:
        return self.why_outside(requirement) is None

    def why_outside(self, requirement: Requirement) -> tuple[str, str] | None:
        """Why a requirement is outside the scope (fr, en), or None when it is in scope."""
        if not self.declared:
            return None
        base_fr, base_en = "hors de la portée déclarée", "outside the declared scope"
        if requirement.pack_id not in self.profiles:
            return f"{base_fr} (profil {requirement.pack_id} non revendiqué)", f"{base_en} (profile {requirement.pack_id} not claimed)"
        if self.tokens is not None and not self.tokens & set(requirement.applies_to):
            applies = ", ".join(requirement.applies_to)
            return (f"{base_fr} (s'applique à {applies}, hors des rôles {', '.join(self.roles)})",
                    f"{base_en} (applies to {applies}, not to the roles {', '.join(self.roles)})")
        volet = volet_of(requirement, self._volet_keys) if self.volets else None
        if volet is not None and volet not in self.volets:
            return f"{base_fr} (volet {volet} non revendiqué)", f"{base_en} (volet {volet} not claimed)"
        return None

    def volet(self, requirement: Requirement) -> str | None:
        """The declared volet a requirement belongs to (its documents must be submitted), if any."""
        volet = volet_of(requirement, self._volet_keys) if self.volets else None
        return volet if volet in self.volets else None

    def describe(self, lang: str) -> str:
        fr = lang == "fr"
        if not self.declared:
            return ("non déclarée : toutes les exigences des profils sélectionnés" if fr
                    else "not declared: every requirement of the selected profiles")
        parts = [", ".join((ROLES[r][1] if fr else ROLES[r][2]) for r in self.roles)] if self.roles else []
        if self.volets:
            parts.append(("volets " if fr else "volets ") + ", ".join(self.volets))
        parts.append(("profils " if fr else "profiles ") + ", ".join(self.profiles))
        return " ; ".join(p for p in parts if p) if fr else "; ".join(p for p in parts if p)

    def to_dict(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The `scope` object of results.json (docs/results.md)."""
        outside = [r["id"] for r in rows if r.get("in_scope") is False]
        not_assessed: list[dict[str, Any]] = [{"id": p, "reason": {"fr": "hors de la portée déclarée", "en": "outside the declared scope"}}
                                              for p in self.outside]
        not_assessed += [{"id": p, "reason": {"fr": "non sélectionné pour cette exécution (--profile)",
                                              "en": "not selected for this run (--profile)"}}
                         for p in self.not_selected]
        statement = {}
        for lang in ("fr", "en"):
            fr = lang == "fr"
            if not self.declared:
                statement[lang] = ("Portée non déclarée : toutes les exigences des profils sélectionnés sont évaluées." if fr
                                   else "Scope not declared: every requirement of the selected profiles is assessed.")
                continue
            missing = ", ".join(p["id"] for p in not_assessed) or ("aucun" if fr else "none")
            statement[lang] = (f"Portée certifiée : {self.describe(lang)}. Non évalués : profils {missing} ; "
                               f"{len(outside)} exigence(s) hors portée."
                               if fr
                               else f"Certified scope: {self.describe(lang)}. Not assessed: profiles {missing}; "
                                    f"{len(outside)} requirement(s) outside the scope.")
        return {
            "declared": self.declared,
            "source": self.source,
            "roles": list(self.roles),
            "volets": list(self.volets),
            "profiles": list(self.profiles),
            "profiles_not_assessed": not_assessed,
            "requirements_not_assessed": outside,
            "statement": statement,
        }


def _error(fr: str, en: str) -> HarnessError:
    return HarnessError(f"portée [scope] : {fr}", f"scope [scope]: {en}")


_OUTCOME_PREFIX = re.compile(r"^(Aborted|NotApplicable|Skipped): ")


def split_reason(reason: str | None) -> dict[str, str]:
    """A `"français / English"` reason as {fr, en}; a reason in one language is used for both.

    The halves are translations, so they hold as many " / " of their own (e.g. "https / mllp+tls"):
    the separator is the middle one. With an even number of them the text is kept whole in both.
    """
    text = _OUTCOME_PREFIX.sub("", (reason or "").strip())
    parts = text.split(" / ")
    if len(parts) % 2:  # no separator, or an ambiguous even number of them
        return {"fr": text, "en": text}
    middle = len(parts) // 2
    return {"fr": " / ".join(parts[:middle]), "en": " / ".join(parts[middle:])}
