"""Validation of artefacts (CDA documents, HL7 v2 messages): kind detection and dispatch.

Each validator is a module of the package `harness.validators` that defines:

    KIND: str                                   # "cda", "hl7v2", ...
    def detect(data: bytes) -> bool             # cheap sniffing of the first bytes
    def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport

Validators are discovered at first use; a module added to the package is picked up by itself.
A validator compiles what it needs (schemas, schematrons, message profiles) once per process and
reuses it. It never raises on bad input: unreadable input yields an ABORTED report with a reason.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

from harness.errors import HarnessError
from harness.fileio import DEFAULT_MAX_INPUT_BYTES, read_bounded, sha256_hex
from harness.findings import ArtefactReport
from harness.packs import PackRegistry, ProfilePack
from harness.verdicts import ArtefactVerdict

SKIPPED_NAMES = {".DS_Store", "README.md", "Thumbs.db"}


@dataclass
class ValidationContext:
    """What a validator may use: the loaded packs, the selected ones, options."""

    registry: PackRegistry
    selected: list[ProfilePack] = field(default_factory=list)
    kit_dir: Path | None = None
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES

    def pack(self, pack_id: str) -> ProfilePack | None:
        """A pack by id if it is loaded and selected (all loaded packs count when none was selected)."""
        packs = self.selected or list(self.registry.packs.values())
        return next((p for p in packs if p.id == pack_id), None)


@cache
def validators() -> dict[str, ModuleType]:
    import harness.validators as package

    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "KIND") and hasattr(module, "detect") and hasattr(module, "validate"):
            found[module.KIND] = module
    return found


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
    if kind is None:
        return aborted(path, data, "type d'artefact non reconnu (ni CDA ni HL7 v2)", "unrecognised artefact kind (neither CDA nor HL7 v2)")
    module = validators().get(kind)
    if module is None:
        return aborted(path, data, f"aucun validateur pour le type {kind}", f"no validator for kind {kind}", kind)
    report: ArtefactReport = module.validate(data, path, context)
    return report


def validate_file(path: Path, context: ValidationContext) -> ArtefactReport:
    try:
        data = read_bounded(path, context.max_bytes)
    except HarnessError as exc:
        return ArtefactReport(path=str(path), sha256="", kind=None, verdict=ArtefactVerdict.ABORTED, reason=f"{exc.fr} / {exc.en}")
    return validate_bytes(data, str(path), context)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and files found recursing into folders, in a stable order; hidden ones skipped."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative) and child.name not in SKIPPED_NAMES:
                    yield child
        elif path.exists():
            yield path
        else:
            raise HarnessError(f"introuvable : {path}", f"not found: {path}")
