"""The HL7 v2 standard's definitions, read from hl7apy once per process and version.

hl7apy is used only as a library of definitions (message structures, segments, fields, data
types, tables); messages are never parsed with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from harness.hl7v2.structure import Node, from_hl7apy

SUPPORTED_VERSIONS = ("2.5", "2.5.1", "2.6")


@dataclass(frozen=True, slots=True)
class FieldDef:
    datatype: str  # e.g. CX, ST, TS
    min: int
    max: int  # -1: unbounded
    table: str | None
    components: int  # 1 for a primitive data type


@cache
def _library(version: str) -> Any:  # hl7apy's library module (hl7apy has no annotations)
    from hl7apy import load_library

    return load_library(version)


@cache
def datatype_components(version: str, datatype: str) -> tuple[str, ...]:
    """Data types of the components of `datatype` (empty for a primitive)."""
    structs = _library(version).DATATYPES_STRUCTS
    definition = structs.get(datatype)
    if not definition:
        return ()
    # positions come from the names: 2.6 drops withdrawn components (XTN-1) from the list
    by_position = {int(child[0].rsplit("_", 1)[1]): child[1][2] for child in definition}
    return tuple(by_position.get(i, "varies") for i in range(1, max(by_position) + 1))


@cache
def segment_fields(version: str, segment: str) -> dict[int, FieldDef]:
    """Field definitions of a standard segment; empty for Z-segments and segments the version lacks."""
    entry = _library(version).SEGMENTS.get(segment)
    if not entry:
        return {}
    fields: dict[int, FieldDef] = {}
    for name, definition, (low, high), _kind in entry[1]:
        number = int(name.rsplit("_", 1)[1])
        datatype, table = definition[2], definition[4]  # same slots for leaves and composites
        fields[number] = FieldDef(datatype, low, high, table, max(1, len(datatype_components(version, datatype))))
    return fields


@cache
def message_structure(version: str, structure: str) -> Node | None:
    entry = _library(version).MESSAGES.get(structure)
    return from_hl7apy(entry) if entry else None


@cache
def table_codes(version: str, table: str) -> frozenset[str] | None:
    entry = _library(version).TABLES.get(table)
    if not entry or not isinstance(entry, tuple) or len(entry) < 2 or not entry[1]:
        return None
    return frozenset(entry[1])
