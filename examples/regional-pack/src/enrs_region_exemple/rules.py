"""The region's rules written in Python (the shorter ones are pack data: profiles/region-exemple.toml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out
from harness.cda.xpath import q

FINESS = "1.2.250.1.71.4.2.2"


def custodian_finess(doc: Doc, data: CdaData, out: Out) -> None:
    """REG-CDA-CUSTODIAN-01: the custodian organisation is identified by its FINESS number."""
    organisations = q(doc.root, "cda:custodian/cda:assignedCustodian/cda:representedCustodianOrganization")
    for organisation in organisations:
        ids = q(organisation, f"cda:id[@root='{FINESS}']")
        if not ids:
            out.fail(organisation, f"l'organisation gardienne doit être identifiée par son numéro FINESS (id@root = {FINESS})",
                     f"the custodian organisation must be identified by its FINESS number (id@root = {FINESS})")
        for identifier in ids:
            if not (identifier.get("extension") or "").strip():
                out.fail(identifier, "numéro FINESS absent (@extension)", "FINESS number missing (@extension)", "extension")


def sending_facility(message: Any, fail: Callable[..., None]) -> None:
    """REG-HL7-SENDER-01: MSH-4 names the sending facility."""
    if not message.value(message.msh, 4, 1, 1).strip():
        fail("MSH-4 : l'établissement émetteur doit être renseigné", "MSH-4: the sending facility must be given", "MSH-4", 1)
