"""Validation of artefacts (CDA documents, HL7 v2 messages): kind detection and dispatch.

Each validator is a module registered under the entry-point group `enrs_harness.validators`
(pyproject.toml; docs/extending.md) that defines:

    KIND: str                                   # "cda", "hl7v2", ...
    def detect(data: bytes) -> bool             # cheap sniffing of the first bytes
    def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport
    def prepare(context: ValidationContext) -> None  # optional: builds now what validate builds at its first call

Validators are loaded at first use, the harness's own first, then those of installed extensions.
A validator compiles what it needs (schemas, schematrons, message profiles) once per process and
reuses it. It never raises on bad input: unreadable input yields an ABORTED report with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.errors import HarnessError
from harness.core.fileio import read_bounded, sha256_hex
from harness.core.findings import ArtefactReport
from harness.core.verdicts import ArtefactVerdict
from harness.core.xmlsafe import UnsafeOrInvalidXml, looks_like_xml, readable_bytes

SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
ARTEFACT_EXTENSIONS = {".xml", ".hl7", ".er7", ".txt", ".eml"}  # always validated: a non-artefact with these names is ABORTED
SNIFF_BYTES = 65536  # what kind detection reads of a file of another extension
_KNOWN_MAGIC = ((b"\x89PNG", "PNG"), (b"%PDF", "PDF"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"PK\x03\x04", "ZIP"))


def make_context(profiles_dirs: list[Path], profile_ids: list[str], kit: Path | None,
                 volet_versions: list[str] | None = None, vihf_trust: Path | None = None) -> ValidationContext:
    """The context of `validate`, its workers and the cluster's: packs (with the kit's pack when a kit is given),
    the selected ones, the kit, the volet versions and the VIHF trust store given."""
    from harness.cda.voletversion import parse_overrides

    dirs = [Path(d) for d in profiles_dirs]
    if kit is not None:  # kit mode is imported only when a kit is given
        from harness.cdakit.layout import with_kit_pack

        dirs = with_kit_pack(dirs, kit)
    vihf_trust = vihf_trust_store(vihf_trust)
    registry = PackRegistry.load(dirs)
    return ValidationContext(registry=registry, selected=registry.select(profile_ids), kit_dir=kit,
                             volet_versions=parse_overrides(volet_versions or []), vihf_trust=vihf_trust)


def vihf_trust_store(path: Path | None) -> Path | None:
    """The VIHF/DSG trust store given (a PEM file of CA certificates), checked to exist; None when none is given."""
    if path is not None and not Path(path).is_file():
        raise HarnessError(f"magasin de confiance VIHF introuvable : {path}", f"VIHF trust store not found: {path}")
    return Path(path) if path is not None else None


def validators() -> dict[str, Any]:
    """Artefact kind → its validator module (entry points `enrs_harness.validators`), in detection order."""
    from harness.extension.registry import validators as registered

    return registered()


def prepare_validators(context: ValidationContext) -> None:
    """Every validator loaded, with what it builds from the packs once per process (its optional `prepare`), and no
    artefact judged: `validate --jobs` does this before forking its workers, which then share it instead of each
    building it again."""
    from harness.extension.registry import validator_plugin

    for kind, module in validators().items():
        prepare = getattr(module, "prepare", None)
        if prepare is None:
            continue
        plugin = validator_plugin(kind)
        if plugin is not None and not plugin.builtin:  # an extension's bug is reported by its validate, file by file
            with suppress(Exception):
                prepare(context)
        else:
            prepare(context)


def detect_kind(data: bytes) -> str | None:
    for kind, module in validators().items():
        if module.detect(data):
            return kind
    return None


def aborted(path: str, data: bytes, reason_fr: str, reason_en: str, kind: str | None = None) -> ArtefactReport:
    return ArtefactReport(path=path, sha256=sha256_hex(data), size=len(data), kind=kind,
                          verdict=ArtefactVerdict.ABORTED, reason=f"{reason_fr} / {reason_en}")


def validate_bytes(data: bytes, path: str, context: ValidationContext, kind: str | None = None) -> ArtefactReport:
    """Validate one artefact; `kind` forces the validator instead of detecting it."""
    kind = kind or detect_kind(data)
    if kind is None and looks_like_xml(data):
        try:  # XML that no validator recognised: the XML rules may say why (encoding, DOCTYPE)
            readable_bytes(data)
        except UnsafeOrInvalidXml as exc:
            return aborted(path, data, exc.fr, exc.en)
    if kind is None:
        kinds = ", ".join(validators())
        return aborted(path, data, f"type d'artefact non reconnu (aucun de : {kinds})", f"unrecognised artefact kind (none of: {kinds})")
    module = validators().get(kind)
    if module is None:
        return aborted(path, data, f"aucun validateur pour le type {kind}", f"no validator for kind {kind}", kind)
    from harness.extension.registry import validator_plugin

    plugin = validator_plugin(kind)
    if plugin is not None and not plugin.builtin:  # an extension's bug leaves this artefact unjudged, naming the extension
        try:
            report: ArtefactReport = module.validate(data, path, context).cap()
        except Exception as exc:
            return aborted(path, data, f"l'extension {plugin.label} a échoué : {type(exc).__name__}: {exc}",
                           f"plugin {plugin.label} failed: {type(exc).__name__}: {exc}", kind)
        return report
    report = module.validate(data, path, context).cap()
    return report


def validate_file(path: Path, context: ValidationContext) -> ArtefactReport:
    try:
        data = read_bounded(path, context.max_bytes)
    except HarnessError as exc:
        return ArtefactReport(path=str(path), sha256="", kind=None, verdict=ArtefactVerdict.ABORTED, reason=f"{exc.fr} / {exc.en}")
    return validate_bytes(data, str(path), context)


@dataclass(frozen=True)
class Ignored:
    """A file a folder walk skipped, and why (listed in `validate` and in results.json, never silent)."""

    path: str
    reason_fr: str
    reason_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reason": {"fr": self.reason_fr, "en": self.reason_en}}


def _policy(path: Path) -> Ignored | None:
    """The walk policy for one file found in a folder (docs/results.md): None when it is a candidate artefact."""
    if path.name in SKIPPED_NAMES:
        return Ignored(str(path), "fichier système", "system file")
    if path.suffix.lower() in ARTEFACT_EXTENSIONS:
        return None  # validated whatever its content: one that is not an artefact is ABORTED
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
            if head.startswith(b"PK\x03\x04"):  # a ZIP lists its names at its end too (central directory): an XDM package?
                handle.seek(max(len(head), path.stat().st_size - SNIFF_BYTES))
                head += handle.read(SNIFF_BYTES)
    except OSError:
        return None  # unreadable: validated, hence ABORTED with the reason, never skipped unseen
    if detect_kind(head) is not None:
        return None
    kind = next((name for magic, name in _KNOWN_MAGIC if head.startswith(magic)), None)
    kinds = ", ".join(validators())
    what_fr = f"contenu {kind}" if kind else f"contenu d'aucun type reconnu ({kinds})"
    what_en = f"{kind} content" if kind else f"content of no recognised kind ({kinds})"
    suffix = path.suffix.lower() or "(sans extension)"
    return Ignored(str(path), f"pas un artefact candidat : extension {suffix}, {what_fr}",
                   f"not a candidate artefact: extension {suffix if path.suffix else '(none)'}, {what_en}")


def walk_artefacts(paths: Iterable[Path]) -> tuple[list[Path], list[Ignored]]:
    """The one walk policy of `validate`, `run` and campaigns: the candidate artefacts, and the files skipped.

    A file named on the command line is always a candidate. In a folder (recursively, in a stable
    order): hidden files and folders and system files are skipped; files named .xml, .hl7, .er7,
    .txt or .eml are candidates whatever their content (one that is not an artefact is then ABORTED);
    any other file is a candidate only if its first bytes look like a CDA document, an HL7 v2
    message or an e-mail, or if it is a ZIP naming IHE_XDM/ entries (an XDM package). Every
    skipped file is returned with its reason.
    """
    files: list[Path] = []
    ignored: list[Ignored] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            hidden: set[Path] = set()
            for child in sorted(path.rglob("*")):
                parts = child.relative_to(path).parts
                first = next((i for i, part in enumerate(parts) if part.startswith(".")), None)
                if first is not None:  # one entry for a hidden folder (.git, .svn…), not one per file in it
                    top = path.joinpath(*parts[: first + 1])
                    if top not in hidden:
                        hidden.add(top)
                        ignored.append(Ignored(str(top), "fichier ou dossier caché", "hidden file or folder"))
                    continue
                if not child.is_file():
                    continue
                skipped = _policy(child)
                if skipped is None:
                    files.append(child)
                else:
                    ignored.append(skipped)
        elif path.exists():
            files.append(path)
        else:
            raise HarnessError(f"introuvable : {path}", f"not found: {path}")
    return files, ignored


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """The candidate artefacts of `walk_artefacts` (for callers that list skipped files elsewhere)."""
    yield from walk_artefacts(paths)[0]
