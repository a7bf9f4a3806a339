"""XDS.b document sharing, artefact side: SOAP 1.2 / MTOM captures, the ebRIM 3.0 metadata model, and
the rules of packs ihe-xds-b and ci-sis-xds (see docs/xds.md).

Public API (stable, see /work/CONTRACTS.md section "xds-meta → xds-sim, xdm"):
- `parse_metadata(element, line_offset=0) -> Metadata`, `parse_metadata_bytes(data, max_bytes) -> Metadata`
- `Judge.of(selected_packs, loaded_packs=None)`, `judge_for(context)`
- `validate_metadata(metadata, transaction, judge, documents=None) -> Judge` (transaction in TRANSACTIONS)
- `check_consistency(entry, cda_root, judge)` (CDA ↔ DocumentEntry)
- `read_message(data, max_bytes) -> Message`, `validate_xds(data, path, context) -> ArtefactReport`
"""

from __future__ import annotations

from harness.xds.consistency import check_consistency
from harness.xds.judge import Judge
from harness.xds.metadata import TRANSACTIONS, attribute_values, validate_metadata
from harness.xds.model import (
    Association,
    Classification,
    DocumentEntry,
    ExternalIdentifier,
    Folder,
    Metadata,
    RegistryObject,
    Slot,
    SubmissionSet,
    parse_metadata,
    parse_metadata_bytes,
)
from harness.xds.soap import Message, MessageError, read_message
from harness.xds.validate import judge_for, validate_xds

__all__ = [
    "Association",
    "Classification",
    "DocumentEntry",
    "ExternalIdentifier",
    "Folder",
    "Judge",
    "Message",
    "MessageError",
    "Metadata",
    "RegistryObject",
    "Slot",
    "SubmissionSet",
    "TRANSACTIONS",
    "attribute_values",
    "check_consistency",
    "judge_for",
    "parse_metadata",
    "parse_metadata_bytes",
    "read_message",
    "validate_metadata",
    "validate_xds",
]
