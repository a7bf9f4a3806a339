"""The data the CDA rules read from the profile packs' [data] tables: value sets, volets, settings.

Value sets are not code: a pack lists them as

    [data.valuesets.J143]
    name = "JDV_J143_AdministrativeGender_CISIS"
    oid = "1.2.250.1.213.1.1.5.590"
    [data.valuesets.J143.codes]
    "2.16.840.1.113883.5.1" = ["F", "M", "UN"]     # code system → codes

and the volets table is `[data.volets.<KEY>]` (see profiles/ci-sis-cda-volets.toml).
The merged data is built once per set of packs and reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from harness.config.packs import ProfilePack


@dataclass(frozen=True)
class ValueSet:
    key: str
    name: str
    oid: str
    codes: dict[str, frozenset[str]]  # code system → codes
    all_codes: frozenset[str]

    def contains(self, code: str | None, system: str | None = None, check_system: bool = True) -> bool:
        """Whether `code` (in `system` when `check_system`) belongs to the value set."""
        if code is None:
            return False
        if check_system:
            return code in self.codes.get(system or "", frozenset())
        return code in self.all_codes

    def label(self) -> str:
        return f"{self.name} ({self.oid})"


@dataclass(frozen=True)
class CdaData:
    valuesets: dict[str, ValueSet] = field(default_factory=dict)
    volets: dict[str, dict[str, Any]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)  # [data.cda] tables: OIDs, fixed lists

    @cached_property
    def volet_by_template(self) -> dict[str | None, str]:
        """Volet templateId → its key in the volets table (looked up with a templateId's @root, which may be absent)."""
        return {spec["template"]: key for key, spec in self.volets.items()}

    def vs(self, key: str) -> ValueSet:
        return self.valuesets[key]

    def const(self, name: str, default: Any = None) -> Any:
        return self.constants.get(name, default)


def _valueset(key: str, raw: dict[str, Any]) -> ValueSet:
    codes = {system: frozenset(values) for system, values in raw.get("codes", {}).items()}
    return ValueSet(key, raw.get("name", key), raw.get("oid", ""), codes, frozenset().union(*codes.values()) if codes else frozenset())


@lru_cache(maxsize=16)
def cda_data(packs: tuple[ProfilePack, ...]) -> CdaData:
    """Merge the [data] tables of `packs` (those with CDA requirements), in order."""
    valuesets: dict[str, ValueSet] = {}
    volets: dict[str, dict[str, Any]] = {}
    constants: dict[str, Any] = {}
    for pack in packs:
        for key, raw in pack.data.get("valuesets", {}).items():
            valuesets[key] = _valueset(key, raw)
        volets.update(pack.data.get("volets", {}))
        constants.update(pack.data.get("cda", {}))
    return CdaData(valuesets, volets, constants)


def with_value_sets(data: CdaData, codes_by_oid: dict[str, dict[str, frozenset[str]]]) -> CdaData:
    """`data` whose value sets of those OIDs take the given codes (code system → codes), e.g. a kit's."""
    valuesets = dict(data.valuesets)
    for key, vs in data.valuesets.items():
        codes = codes_by_oid.get(vs.oid)
        if codes is not None:
            valuesets[key] = ValueSet(key, vs.name, vs.oid, codes, frozenset().union(*codes.values()) if codes else frozenset())
    return CdaData(valuesets, data.volets, data.constants)
