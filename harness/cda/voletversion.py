"""Which version of its volet a document is judged against: one answer for native and kit mode.

In order:
1. an explicit override (`--volet-version VOLET=VERSION`), for the odd document;
2. the version the volet templateId declares in @extension (or a known alias of it, e.g. VSM `201310`);
3. without @extension, the version of the volet that identified itself without one, documented per
   volet in the pack (`missing_extension_version`, e.g. CR-BIO 2021.01); a volet with a single
   version needs no such entry;
4. otherwise the version is undetermined (an unknown extension, or none for a volet whose every
   version declares one): never "the newest". Native mode then applies only what every version of
   the volet requires; kit mode tries every version the kit ships (harness/cdakit/volet.py).
The result says which version was applied and why, in French and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DECLARED, OVERRIDE, NO_EXTENSION, SINGLE, UNDETERMINED = "declared", "override", "no-extension", "single", "undetermined"


@dataclass(frozen=True)
class VersionInference:
    version: str | None  # None: undetermined
    how: str  # DECLARED, OVERRIDE, NO_EXTENSION, SINGLE or UNDETERMINED
    why_fr: str
    why_en: str

    @property
    def declared(self) -> bool:
        return self.how == DECLARED


def infer_version(name: str, spec: dict[str, Any], extension: str | None, override: str | None = None) -> VersionInference:
    """The version of volet `name` (its entry `spec` of the volets table) for a templateId with `extension`."""
    versions: list[str] = spec.get("versions", [])
    aliases: dict[str, str] = spec.get("version_aliases", {})
    known = ", ".join(versions)
    if override in versions:
        return VersionInference(override, OVERRIDE, f"version {override} du volet {name} imposée par --volet-version",
                                f"version {override} of volet {name} set with --volet-version")
    if override:
        return VersionInference(None, UNDETERMINED,
                                f"--volet-version {name}={override} : version inconnue (connues : {known}) : version indéterminée",
                                f"--volet-version {name}={override}: unknown version (known: {known}): version undetermined")
    if extension in versions:
        return VersionInference(extension, DECLARED, f"version {extension} déclarée par le templateId",
                                f"version {extension} declared by the templateId")
    if extension in aliases:
        version = aliases[extension]
        return VersionInference(version, DECLARED, f"extension « {extension} » : version {version}",
                                f"extension '{extension}': version {version}")
    if extension:
        return VersionInference(None, UNDETERMINED,
                                f"version « {extension} » du volet {name} inconnue (connues : {known}) : version indéterminée",
                                f"unknown version '{extension}' of volet {name} (known: {known}): version undetermined")
    if spec.get("missing_extension_version"):
        version = spec["missing_extension_version"]
        return VersionInference(version, NO_EXTENSION,
                                f"templateId du volet {name} sans @extension : version {version}, "
                                "la version du volet déclarée sans extension",
                                f"volet {name} templateId without @extension: version {version}, "
                                "the volet version declared without extension")
    if len(versions) == 1:
        return VersionInference(versions[0], SINGLE,
                                f"templateId du volet {name} sans @extension : version {versions[0]}, seule version du volet",
                                f"volet {name} templateId without @extension: version {versions[0]}, the volet's only version")
    return VersionInference(None, UNDETERMINED,
                            f"templateId du volet {name} sans @extension, et aucune version du volet ne se déclare sans extension "
                            f"(versions : {known}) : "
                            f"version indéterminée (préciser --volet-version {name}=VERSION)",
                            f"volet {name} templateId without @extension, and no version of the volet declares itself without one "
                            f"(versions: {known}): "
                            f"version undetermined (give --volet-version {name}=VERSION)")


def parse_overrides(values: list[str]) -> dict[str, str]:
    """`["CR-BIO=2024.01", …]` → {"CR-BIO": "2024.01"} (volet names in upper case); a usage error otherwise."""
    from harness.core.errors import HarnessError

    found: dict[str, str] = {}
    for value in values:
        volet, sep, version = value.partition("=")
        if not sep or not volet.strip() or not version.strip():
            raise HarnessError(f"--volet-version attend VOLET=VERSION (ex. CR-BIO=2024.01), reçu « {value} »",
                             f"--volet-version expects VOLET=VERSION (e.g. CR-BIO=2024.01), got '{value}'")
        found[volet.strip().upper()] = version.strip()
    return found
