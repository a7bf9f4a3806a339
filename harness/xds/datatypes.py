"""HL7 v2 data types as XDS metadata uses them (ITI TF-3 §4.2.3.1): CX, XCN, XON, DTM, OIDs.

Each check returns None when the value is well formed, else the problem as (fr, en).
"""

from __future__ import annotations

import re
from datetime import datetime

OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_AUTHORITY = re.compile(r"^&(?P<oid>[^&]+)&ISO$")
Problem = tuple[str, str] | None


def is_oid(value: str, max_length: int = 64) -> bool:
    return len(value) <= max_length and OID.match(value) is not None


def authority_oid(component: str) -> str | None:
    """The OID of an assigning authority `&OID&ISO` (HD with only components 2 and 3), else None."""
    match = _AUTHORITY.match(component)
    return match["oid"] if match and is_oid(match["oid"]) else None


def check_cx(value: str) -> Problem:
    """CX as XDS wants it: `id^^^&OID&ISO`, components 2 and 3 empty; the identifier type code (CX.5, e.g. NH
    for the INS in the French framework) is tolerated, nothing after it."""
    parts = value.split("^")
    if len(parts) < 4 or not parts[0]:
        return ("CX attendu « id^^^&OID&ISO »", "CX expected 'id^^^&OID&ISO'")
    if any(parts[i] for i in (1, 2)) or any(p for p in parts[5:]):
        return ("CX : seuls les composants 1, 4 (et le type 5) sont permis", "CX: only components 1, 4 (and the type, 5) are allowed")
    if authority_oid(parts[3]) is None:
        return ("CX.4 n'est pas une autorité « &OID&ISO »", "CX.4 is not an '&OID&ISO' authority")
    return None


def cx_parts(value: str) -> tuple[str, str | None]:
    """(identifier, authority OID) of a CX value."""
    parts = value.split("^")
    return parts[0], authority_oid(parts[3]) if len(parts) > 3 else None


def check_dtm(value: str) -> Problem:
    """DTM in UTC: YYYY[MM[DD[hh[mm[ss]]]]], a real date, no time zone, no fraction."""
    if not re.fullmatch(r"\d{4}(\d{2}){0,5}", value):
        return ("DTM attendu (AAAA[MM[JJ[hh[mm[ss]]]]], UTC, sans fuseau)", "DTM expected (YYYY[MM[DD[hh[mm[ss]]]]], UTC, no time zone)")
    padded = value + "0101000000"[len(value) - 4 :] if len(value) < 14 else value
    try:
        datetime.strptime(padded, "%Y%m%d%H%M%S")
    except ValueError:
        return ("date ou heure impossible", "impossible date or time")
    return None


def check_xcn(value: str) -> Problem:
    """XCN: an identifier (XCN.1) with its authority (XCN.9 `&OID&ISO`), or at least a family name (XCN.2)."""
    parts = value.split("^")
    identifier = parts[0]
    family = parts[1] if len(parts) > 1 else ""
    if not identifier and not family:
        return ("XCN sans identifiant (XCN.1) ni nom (XCN.2)", "XCN with neither identifier (XCN.1) nor name (XCN.2)")
    if identifier and (len(parts) < 9 or authority_oid(parts[8]) is None):
        return ("XCN.1 renseigné sans autorité « &OID&ISO » en XCN.9", "XCN.1 valued without an '&OID&ISO' authority in XCN.9")
    return None


def xcn_parts(value: str) -> tuple[str, str | None]:
    parts = value.split("^")
    return parts[0], authority_oid(parts[8]) if len(parts) > 8 else None


def check_xon(value: str) -> Problem:
    """XON: the organisation name (XON.1); an identifier in XON.10 needs its authority in XON.6 (`&OID&ISO`)."""
    parts = value.split("^")
    if not parts[0]:
        return ("XON sans nom d'organisation (XON.1)", "XON without an organisation name (XON.1)")
    identifier = parts[9] if len(parts) > 9 else ""
    if identifier and authority_oid(parts[5] if len(parts) > 5 else "") is None and not is_oid(identifier):
        return ("XON.10 renseigné sans autorité « &OID&ISO » en XON.6", "XON.10 valued without an '&OID&ISO' authority in XON.6")
    return None


def xon_parts(value: str) -> tuple[str, str | None]:
    """(XON.10 identifier, XON.6 authority OID)."""
    parts = value.split("^")
    return (parts[9] if len(parts) > 9 else ""), authority_oid(parts[5]) if len(parts) > 5 else None


FORMATS = {"CX": check_cx, "DTM": check_dtm, "XCN": check_xcn, "XON": check_xon}
