"""What a validator may use (the loaded packs, the selected ones, options): given by validation's dispatch to the
CDA and HL7 v2 validators, which sit below it and so cannot import it from there."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.config.packs import PackRegistry, ProfilePack
from harness.core.fileio import DEFAULT_MAX_INPUT_BYTES


@dataclass
class ValidationContext:
    """What a validator may use: the loaded packs, the selected ones, options."""

    registry: PackRegistry
    selected: list[ProfilePack] = field(default_factory=list)
    kit_dir: Path | None = None
    volet_versions: dict[str, str] = field(default_factory=dict)  # CDA volet name (upper case) → version, from --volet-version
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES
    vihf_trust: Path | None = None  # CA certificates (PEM) that may sign VIHF assertions (validator xds)

    def pack(self, pack_id: str) -> ProfilePack | None:
        """A pack by id if it is loaded and selected (the default selection counts when none was selected)."""
        packs = self.selected or self.registry.select([])
        return next((p for p in packs if p.id == pack_id), None)
