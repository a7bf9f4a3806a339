"""Where things are in a folder laid out like the agency's kit (paths from the pack, any case)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.cdakit.defects import KitDefect
from harness.cdakit.paths import resolve_ci
from harness.config.packs import ProfilePack, load_pack
from harness.core.resources import bundled_dir

# Not among the default packs (profiles/*.toml): its requirements apply only when a kit is given,
# and a run without a kit would otherwise report them NOT_TESTED and refuse the certificate.
PACK_FILE = "optional/ci-sis-cda-kit.toml"


def kit_pack_dir() -> Path:
    """The folder holding the kit pack: add it to the loaded packs when a kit is given."""
    return (bundled_dir("profiles") / PACK_FILE).parent


def with_kit_pack(profiles_dirs: list[Path], kit_dir: Path | None) -> list[Path]:
    """The pack folders to load: the kit pack's folder joins them when a kit is given.

    Kit mode needs Saxon: without it, this says how to install it before any work is done."""
    if kit_dir is not None:
        from harness.cdakit.runtime import saxon  # loaded only in kit mode

        saxon()
    dirs = [Path(d) for d in profiles_dirs]
    if kit_dir is not None and kit_pack_dir().resolve() not in {d.resolve() for d in dirs}:
        dirs.append(kit_pack_dir())
    return dirs


@cache
def kit_pack() -> ProfilePack:
    return load_pack(bundled_dir("profiles") / PACK_FILE)


@dataclass
class KitLayout:
    root: Path
    xsd: Path | None
    profiles: list[tuple[str, Path]]  # (requirement id, schematron) of the generic profiles present
    volets: dict[str, dict[str, Path]]  # volet name (lower case) → version → schematron
    volet_ids: dict[str, str]  # volet templateId → volet name
    defects: list[KitDefect] = field(default_factory=list)  # what the kit lacks
    # defects that leave one schematron's checks incomplete (e.g. a terminology it skips when absent)
    schematron_defects: dict[Path, list[KitDefect]] = field(default_factory=dict)

    def volet_versions(self, volet: str) -> dict[str, Path]:
        return self.volets.get(volet.lower(), {})


def locate(root: Path, pack: ProfilePack | None = None) -> KitLayout:
    data: dict[str, Any] = (pack or kit_pack()).data
    kit = data["kit"]
    defects: list[KitDefect] = []

    def find(relative: str) -> Path | None:
        resolved = resolve_ci(root, relative)
        if resolved is None or not resolved.path.is_file():
            defects.append(KitDefect("missing-file", relative, f"fichier attendu dans le kit absent : {relative}",
                                     f"file expected in the kit is missing: {relative}"))
            return None
        if resolved.case_differs:
            defects.append(KitDefect(
                "case", relative, f"trouvé sans tenir compte de la casse : {resolved.path.relative_to(root).as_posix()}",
                f"found ignoring case: {resolved.path.relative_to(root).as_posix()}", repaired=True))
        return resolved.path

    xsd = find(kit["xsd"])
    profiles: list[tuple[str, Path]] = []
    schematron_defects: dict[Path, list[KitDefect]] = {}
    for entry in data["kit_profiles"]:
        path = find(entry["path"])
        if path is None:
            continue
        profiles.append((entry["requirement"], path))
        if entry.get("terminologies"):
            schematron_defects[path] = _missing_terminologies(root, entry["terminologies"])
    volets: dict[str, dict[str, Path]] = {}
    folder = resolve_ci(root, kit["volet_folder"])
    pattern = re.compile(kit["volet_file"], re.IGNORECASE)
    if folder is not None and folder.path.is_dir():
        for path in sorted(folder.path.iterdir()):
            match = pattern.match(path.name)
            if match and path.is_file():
                volets.setdefault(match["volet"].lower(), {})[match["version"]] = path
    return KitLayout(root=root, xsd=xsd, profiles=profiles, volets=volets, volet_ids=dict(data["kit_volets"]), defects=defects,
                     schematron_defects=schematron_defects)


def _missing_terminologies(root: Path, listing: str) -> list[KitDefect]:
    """The terminologies a list names whose file (<OID>.rdf or <OID>.xml) is absent beside it."""
    resolved = resolve_ci(root, listing)
    if resolved is None:
        return [KitDefect("missing-file", listing, f"liste des terminologies absente : {listing}",
                          f"list of terminologies missing: {listing}")]
    missing: list[KitDefect] = []
    for line in resolved.path.read_text(encoding="utf-8", errors="replace").splitlines():
        oid, _, name = line.partition("==>")
        oid, name = oid.strip(), name.strip() or oid.strip()
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)+", oid):
            continue
        if not any(resolve_ci(resolved.path.parent, oid + suffix) for suffix in (".rdf", ".xml")):
            missing.append(KitDefect("missing-terminology", f"{listing} : {oid}",
                                     f"terminologie {name} ({oid}) absente du kit : ses codes ne sont pas vérifiés",
                                     f"terminology {name} ({oid}) missing from the kit: its codes are not checked"))
    return missing
