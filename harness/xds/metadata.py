"""ebRIM metadata rules of IHE ITI TF-3 §4 (pack ihe-xds-b) and the French rules on the same metadata
(pack ci-sis-xds), for one submission or query response.

The transaction selects the optionality of each attribute (`[data.xds.attributes.<Object>]` of the
packs: R required, R2 required if known, O optional, per ITI-41, ITI-42, ITI-57, ITI-18 response,
ITI-32 XDM). `documents` maps a DocumentEntry id to the bytes of its document, for hash and size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from harness.xds.datatypes import FORMATS, authority_oid, cx_parts, is_oid, xcn_parts, xon_parts
from harness.xds.judge import Judge
from harness.xds.model import ON_DEMAND_DOCUMENT, STABLE_DOCUMENT, Association, Metadata, RegistryObject

TRANSACTIONS = ("ITI-41", "ITI-42", "ITI-57", "ITI-18", "ITI-32")
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
DOCUMENT_RELATIONS = {f"urn:ihe:iti:2007:AssociationType:{t}" for t in ("RPLC", "APND", "XFRM", "XFRM_RPLC", "signs")}
UPDATE_STATUS = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
OBJECT_NAMES = {
    "SubmissionSet": ("le lot de soumission", "the submission set"),
    "DocumentEntry": ("la fiche document", "the document entry"),
    "Folder": ("le classeur", "the folder"),
}
_REQUIRED_BY = {"SubmissionSet": "XDSB-SS-01", "DocumentEntry": "XDSB-DE-01", "Folder": "XDSB-FD-01"}


def validate_metadata(metadata: Metadata, transaction: str, judge: Judge, documents: Mapping[str, bytes] | None = None) -> Judge:
    """Judge `metadata` for `transaction` (one of TRANSACTIONS); findings and evaluated ids go to `judge`."""
    if transaction not in TRANSACTIONS:
        raise ValueError(f"unknown transaction {transaction!r}: one of {', '.join(TRANSACTIONS)}")
    attributes = judge.data.get("attributes", {})
    submission = transaction != "ITI-18"
    if submission and judge.evaluate("XDSB-RIM-01") and len(metadata.submission_sets) != 1:
        judge.fail(
            "XDSB-RIM-01",
            f"{len(metadata.submission_sets)} lot(s) de soumission : exactement un attendu",
            f"{len(metadata.submission_sets)} submission set(s): exactly one expected",
            metadata.path,
            metadata.line,
        )
    _identifiers(metadata, judge)
    for kind, objects in (("SubmissionSet", metadata.submission_sets), ("DocumentEntry", metadata.documents), ("Folder", metadata.folders)):
        for obj in objects:
            _attributes(obj, kind, attributes.get(kind, {}), transaction, judge)
    for entry in metadata.documents:
        if judge.evaluate("XDSB-DE-02") and entry.object_type not in (STABLE_DOCUMENT, ON_DEMAND_DOCUMENT):
            judge.fail(
                "XDSB-DE-02",
                f"objectType « {entry.object_type} » : ni document stable ni document à la demande",
                f"objectType '{entry.object_type}': neither a stable nor an on-demand document",
                f"{entry.path}/@objectType",
                entry.line,
            )
        if judge.evaluate("XDSB-DE-02") and not entry.mime_type:
            judge.fail("XDSB-DE-02", "attribut mimeType absent", "mimeType attribute missing", f"{entry.path}/@mimeType", entry.line)
    _unique_ids(metadata, judge)
    if submission:
        _patient(metadata, judge)
        _associations(metadata, transaction, judge)
    if documents is not None:
        _hash_and_size(metadata, documents, judge)
    _french(metadata, transaction, judge)
    return judge


# -- identifiers and references ----------------------------------------------------------------
def _identifiers(metadata: Metadata, judge: Judge) -> None:
    if not judge.evaluate("XDSB-RIM-02"):
        return
    seen: dict[str, RegistryObject] = {}
    for obj in metadata.objects():
        if not obj.id:
            judge.fail("XDSB-RIM-02", "objet sans attribut id", "object without an id attribute", obj.path, obj.line)
        elif obj.id in seen:
            judge.fail("XDSB-RIM-02", f"id « {obj.id} » en double", f"duplicate id '{obj.id}'", f"{obj.path}/@id", obj.line)
        seen[obj.id] = obj
    for association in metadata.associations:
        for end, value in (("sourceObject", association.source), ("targetObject", association.target)):
            if value not in seen and not value.startswith("urn:uuid:") and value not in metadata.object_refs:
                judge.fail(
                    "XDSB-RIM-02",
                    f"{end} « {value} » ne désigne aucun objet du lot ni un urn:uuid",
                    f"{end} '{value}' names no object of the submission and is not a urn:uuid",
                    f"{association.path}/@{end}",
                    association.line,
                )


# -- attributes per object type and transaction ------------------------------------------------
def _values(obj: RegistryObject, spec: Mapping[str, Any]) -> tuple[list[tuple[str, str, int | None]], int]:
    """(value, location, line) of an attribute, and how many carriers it has (slots, classifications…)."""
    if "slot" in spec:
        slots = obj.slots_named(spec["slot"])
        return [(v, s.path, s.line) for s in slots for v in s.values], max(len(slots), sum(len(s.values) for s in slots))
    if "classification" in spec:
        found = obj.classified(spec["classification"])
        return [(c.node, c.path, c.line) for c in found], len(found)
    found_ids = obj.identified(spec["external"])
    return [(e.value, e.path, e.line) for e in found_ids], len(found_ids)


def attribute_values(obj: RegistryObject, kind: str, name: str, judge: Judge) -> list[str]:
    """The values of a named attribute (e.g. DocumentEntry "creationTime") by the packs' attribute table."""
    spec = judge.data.get("attributes", {}).get(kind, {}).get(name)
    return [v for v, _, _ in _values(obj, spec)[0]] if spec else []


def _attributes(obj: RegistryObject, kind: str, table: Mapping[str, Mapping[str, Any]], transaction: str, judge: Judge) -> None:
    what_fr, what_en = OBJECT_NAMES[kind]
    required_id = _REQUIRED_BY[kind]
    judge.evaluate(required_id, "XDSB-CARD-01", "XDSB-CODE-01", "XDSB-FMT-01", "XDSB-FMT-02", "XDSB-FMT-03", "XDSB-FMT-04", "XDSB-AUTH-01")
    for name, spec in table.items():
        values, carriers = _values(obj, spec)
        use = spec.get("use", {}).get(transaction, "O")
        if use == "R" and not values:
            judge.fail(
                required_id,
                f"{name} absent de {what_fr} (obligatoire en {transaction})",
                f"{name} missing from {what_en} (required in {transaction})",
                obj.path,
                obj.line,
            )
        if spec.get("single", True) and carriers > 1:
            judge.fail(
                "XDSB-CARD-01",
                f"{name} : {carriers} valeurs, une seule permise",
                f"{name}: {carriers} values, only one allowed",
                values[1][1] if len(values) > 1 else obj.path,
                values[1][2] if len(values) > 1 else obj.line,
            )
        check = FORMATS.get(spec.get("format", ""))
        for value, where, line in values:
            problem = check(value) if check else None
            if problem:
                judge.fail(
                    f"XDSB-FMT-0{list(FORMATS).index(spec['format']) + 1}",
                    f"{name} « {value} » : {problem[0]}",
                    f"{name} '{value}': {problem[1]}",
                    where,
                    line,
                )
        if "classification" in spec and spec.get("coded", True):
            for classification in obj.classified(spec["classification"]):
                _coded(name, classification, judge)
        if spec.get("author"):
            for classification in obj.classified(spec["classification"]):
                _author(name, classification, judge)


def _coded(name: str, classification: Any, judge: Judge) -> None:
    coding = classification.slot("codingScheme")
    if not classification.node:
        judge.fail(
            "XDSB-CODE-01",
            f"{name} : nodeRepresentation vide (le code)",
            f"{name}: empty nodeRepresentation (the code)",
            f"{classification.path}/@nodeRepresentation",
            classification.line,
        )
    if coding is None or len(coding.values) != 1 or not coding.values[0]:
        judge.fail(
            "XDSB-CODE-01",
            f"{name} : slot codingScheme absent ou sans valeur unique",
            f"{name}: codingScheme slot missing or without exactly one value",
            classification.path,
            classification.line,
        )
    if not classification.name:
        judge.fail(
            "XDSB-CODE-01",
            f"{name} : libellé (Name) absent",
            f"{name}: display name (Name) missing",
            classification.path,
            classification.line,
        )


def _author(name: str, classification: Any, judge: Judge) -> None:
    person, institutions = classification.slot("authorPerson"), classification.slot("authorInstitution")
    if classification.node:
        judge.fail(
            "XDSB-AUTH-01",
            f"{name} : nodeRepresentation doit être vide",
            f"{name}: nodeRepresentation must be empty",
            f"{classification.path}/@nodeRepresentation",
            classification.line,
        )
    if person is None and institutions is None:
        judge.fail(
            "XDSB-AUTH-01",
            f"{name} : ni authorPerson ni authorInstitution",
            f"{name}: neither authorPerson nor authorInstitution",
            classification.path,
            classification.line,
        )
    if person is not None and len(person.values) != 1:
        judge.fail(
            "XDSB-AUTH-01",
            f"{name} : authorPerson a {len(person.values)} valeurs, une attendue",
            f"{name}: authorPerson has {len(person.values)} values, one expected",
            person.path,
            person.line,
        )
    for slot_name, fmt in (("authorPerson", "XCN"), ("authorInstitution", "XON")):
        slot = classification.slot(slot_name)
        for value in slot.values if slot else []:
            problem = FORMATS[fmt](value)
            if problem:
                judge.fail(
                    f"XDSB-FMT-0{list(FORMATS).index(fmt) + 1}",
                    f"{slot_name} « {value} » : {problem[0]}",
                    f"{slot_name} '{value}': {problem[1]}",
                    slot.path,
                    slot.line,
                )


# -- uniqueIds ---------------------------------------------------------------------------------
def _unique_ids(metadata: Metadata, judge: Judge) -> None:
    if not judge.evaluate("XDSB-UID-01", "XDSB-UID-02"):
        return
    schemes = judge.data.get("attributes", {})
    seen: dict[str, str] = {}
    for kind, objects in (("SubmissionSet", metadata.submission_sets), ("DocumentEntry", metadata.documents), ("Folder", metadata.folders)):
        for obj in objects:
            for name in ("uniqueId", "sourceId", "repositoryUniqueId"):
                spec = schemes.get(kind, {}).get(name)
                if not spec:
                    continue
                for value, where, line in _values(obj, spec)[0]:
                    root, _, extension = value.partition("^")
                    document = kind == "DocumentEntry" and name == "uniqueId"
                    if not is_oid(root) or (extension and (not document or len(extension) > 16)) or len(value) > 128:
                        judge.fail(
                            "XDSB-UID-01",
                            f"{name} « {value} » : OID attendu (≤ 64 caractères" + (", ^extension ≤ 16)" if document else ")"),
                            f"{name} '{value}': OID expected (≤ 64 characters" + (", ^extension ≤ 16)" if document else ")"),
                            where,
                            line,
                        )
                    if name == "uniqueId":
                        if value in seen:
                            judge.fail(
                                "XDSB-UID-02",
                                f"uniqueId « {value} » déjà porté par {seen[value]}",
                                f"uniqueId '{value}' already carried by {seen[value]}",
                                where,
                                line,
                            )
                        seen[value] = obj.id


# -- patient, associations ---------------------------------------------------------------------
def _patient(metadata: Metadata, judge: Judge) -> None:
    if not judge.evaluate("XDSB-PAT-01") or len(metadata.submission_sets) != 1:
        return
    expected = attribute_values(metadata.submission_sets[0], "SubmissionSet", "patientId", judge)
    if not expected:
        return
    for kind, objects in (("DocumentEntry", metadata.documents), ("Folder", metadata.folders)):
        for obj in objects:
            for value in attribute_values(obj, kind, "patientId", judge):
                if value != expected[0]:
                    judge.fail(
                        "XDSB-PAT-01",
                        f"patientId « {value} » différent de celui du lot « {expected[0]} »",
                        f"patientId '{value}' differs from the submission set's '{expected[0]}'",
                        obj.path,
                        obj.line,
                    )


def _associations(metadata: Metadata, transaction: str, judge: Judge) -> None:
    known = set(judge.data.get("association_types", []))
    submission_set = metadata.submission_sets[0].id if len(metadata.submission_sets) == 1 else None
    members = {a.target: a for a in metadata.associations if a.type == HAS_MEMBER and a.source == submission_set}
    document_ids = {d.id for d in metadata.documents}
    if judge.evaluate("XDSB-ASSOC-01") and submission_set:
        for obj in [*metadata.documents, *metadata.folders]:
            association = members.get(obj.id)
            if association is None:
                judge.fail(
                    "XDSB-ASSOC-01",
                    f"{obj.id} n'est pas membre du lot (aucune association HasMember)",
                    f"{obj.id} is not a member of the submission set (no HasMember association)",
                    obj.path,
                    obj.line,
                )
            elif obj.id in document_ids:
                status = association.slot("SubmissionSetStatus")
                if status is None or status.values not in (["Original"], ["Reference"]):
                    judge.fail(
                        "XDSB-ASSOC-01",
                        "HasMember lot → document sans slot SubmissionSetStatus Original ou Reference",
                        "HasMember submission set → document without a SubmissionSetStatus slot of Original or Reference",
                        association.path,
                        association.line,
                    )
    if judge.evaluate("XDSB-ASSOC-02"):
        for association in metadata.associations:
            if association.type not in known:
                judge.fail(
                    "XDSB-ASSOC-02",
                    f"type d'association inconnu « {association.type} »",
                    f"unknown association type '{association.type}'",
                    f"{association.path}/@associationType",
                    association.line,
                )
            elif association.type in DOCUMENT_RELATIONS and not association.type.endswith(":signs"):
                _relation(association, document_ids, judge)
    if transaction == "ITI-57" and judge.evaluate("XDSB-UPD-01"):
        _update(metadata, members, document_ids, judge)


def _relation(association: Association, document_ids: set[str], judge: Judge) -> None:
    kind = association.type.rsplit(":", 1)[-1]
    if association.source not in document_ids:
        judge.fail(
            "XDSB-ASSOC-02",
            f"{kind} : la source doit être une fiche document du lot",
            f"{kind}: the source must be a document entry of the submission",
            f"{association.path}/@sourceObject",
            association.line,
        )
    if association.target in document_ids or not association.target.startswith("urn:uuid:"):
        judge.fail(
            "XDSB-ASSOC-02",
            f"{kind} : la cible doit être une fiche existante (urn:uuid), pas une du lot",
            f"{kind}: the target must be an existing entry (urn:uuid), not one of the submission",
            f"{association.path}/@targetObject",
            association.line,
        )


def _update(metadata: Metadata, members: Mapping[str, Association], document_ids: set[str], judge: Judge) -> None:
    """ITI-57: status updates carry OriginalStatus and NewStatus; a new version of an entry names its
    previous version and keeps its logical id."""
    for association in metadata.associations:
        if association.type == UPDATE_STATUS:
            for slot_name in ("OriginalStatus", "NewStatus"):
                slot = association.slot(slot_name)
                if slot is None or len(slot.values) != 1 or not slot.values[0]:
                    judge.fail(
                        "XDSB-UPD-01",
                        f"UpdateAvailabilityStatus sans slot {slot_name} à valeur unique",
                        f"UpdateAvailabilityStatus without a single-valued {slot_name} slot",
                        association.path,
                        association.line,
                    )
    for entry in metadata.documents:
        member = members.get(entry.id)
        if member is not None and member.slot("PreviousVersion") is None:
            judge.fail(
                "XDSB-UPD-01",
                "HasMember d'une mise à jour de fiche sans slot PreviousVersion",
                "HasMember of a document entry update without a PreviousVersion slot",
                member.path,
                member.line,
            )
        if not entry.lid or not entry.lid.startswith("urn:uuid:"):
            judge.fail(
                "XDSB-UPD-01",
                "fiche mise à jour sans lid (urn:uuid de la fiche d'origine)",
                "updated document entry without a lid (urn:uuid of the original entry)",
                f"{entry.path}/@lid",
                entry.line,
            )


# -- hash and size -----------------------------------------------------------------------------
def _hash_and_size(metadata: Metadata, documents: Mapping[str, bytes], judge: Judge) -> None:
    for entry in metadata.documents:
        data = documents.get(entry.id)
        if data is None:
            continue
        hash_slot, size_slot = entry.slot("hash"), entry.slot("size")
        if hash_slot is not None and judge.evaluate("XDSB-HASH-01"):
            actual = hashlib.sha1(data, usedforsecurity=False).hexdigest()
            value = hash_slot.values[0] if hash_slot.values else ""
            if value.lower() != actual:
                judge.fail(
                    "XDSB-HASH-01",
                    f"hash « {value} » : le SHA-1 du document est {actual}",
                    f"hash '{value}': the document's SHA-1 is {actual}",
                    hash_slot.path,
                    hash_slot.line,
                )
        if size_slot is not None and judge.evaluate("XDSB-SIZE-01"):
            value = size_slot.values[0] if size_slot.values else ""
            if value != str(len(data)):
                judge.fail(
                    "XDSB-SIZE-01",
                    f"size « {value} » : le document fait {len(data)} octets",
                    f"size '{value}': the document is {len(data)} bytes",
                    size_slot.path,
                    size_slot.line,
                )


# -- French rules on the metadata (ci-sis-xds) ---------------------------------------------------
def _french(metadata: Metadata, transaction: str, judge: Judge) -> None:
    valuesets = judge.data.get("valuesets", {})
    bindings: dict[str, list[str]] = judge.data.get("bindings", {})  # requirement → [object kind, attribute, value set]
    for requirement, (kind, name, set_name) in bindings.items():
        if not judge.evaluate(requirement):
            continue
        spec = judge.data.get("attributes", {}).get(kind, {}).get(name)
        valueset = valuesets.get(set_name, {})
        for obj in _of_kind(metadata, kind):
            for classification in obj.classified(spec["classification"]) if spec else []:
                _in_valueset(
                    requirement,
                    name,
                    set_name,
                    valueset,
                    classification.node,
                    classification.coding_scheme or "",
                    classification.path,
                    classification.line,
                    judge,
                )
    _ins(metadata, judge)
    _french_authors(metadata, judge)
    if transaction == "ITI-57" and judge.evaluate("XDSFR-STAT-01"):
        allowed = set(judge.data.get("statuses", []))
        for association in metadata.associations:
            slot = association.slot("NewStatus") if association.type == UPDATE_STATUS else None
            if slot is None:
                continue
            for value in slot.values:
                if value not in allowed:
                    judge.fail(
                        "XDSFR-STAT-01",
                        f"NewStatus « {value} » hors des statuts du DMP",
                        f"NewStatus '{value}' is not a DMP status",
                        slot.path,
                        slot.line,
                    )


def _of_kind(metadata: Metadata, kind: str) -> list[RegistryObject]:
    objects: dict[str, list[Any]] = {
        "SubmissionSet": metadata.submission_sets,
        "DocumentEntry": metadata.documents,
        "Folder": metadata.folders,
    }
    return list(objects[kind])


def _in_valueset(
    requirement: str,
    name: str,
    set_name: str,
    valueset: Mapping[str, Any],
    code: str,
    system: str,
    where: str,
    line: int | None,
    judge: Judge,
) -> None:
    systems = valueset.get("systems", {})  # coding scheme → its codes ([] when the pack does not list them)
    label = f"{set_name} ({valueset.get('name', '')})"
    if system not in systems:
        judge.fail(
            requirement,
            f"{name} « {code} » : système de codage « {system} » hors de {label}",
            f"{name} '{code}': coding scheme '{system}' is not one of {label}",
            where,
            line,
        )
    elif systems[system] and code not in systems[system]:
        if valueset.get("complete", False):
            judge.fail(requirement, f"{name} « {code} » absent de {label}", f"{name} '{code}' is not in {label}", where, line)
        else:
            judge.note(
                requirement,
                f"{name} « {code} » : non jugé, le pack ne contient {label} qu'en partie",
                f"{name} '{code}': not judged, the pack holds {label} only in part",
                where,
                line,
            )


def _ins(metadata: Metadata, judge: Judge) -> None:
    if not judge.evaluate("XDSFR-INS-01"):
        return
    identity = judge.data.get("patient_identity", {})
    production, test = set(identity.get("oids", [])), set(identity.get("test_oids", []))
    for kind, objects in (("SubmissionSet", metadata.submission_sets), ("DocumentEntry", metadata.documents), ("Folder", metadata.folders)):
        for obj in objects:
            for value in attribute_values(obj, kind, "patientId", judge):
                _, oid = cx_parts(value)
                if oid in test:
                    judge.note(
                        "XDSFR-INS-01",
                        f"patientId « {value} » : INS de TEST ({oid}), jamais en production",
                        f"patientId '{value}': TEST INS ({oid}), never in production",
                        obj.path,
                        obj.line,
                    )
                elif oid not in production:
                    judge.fail(
                        "XDSFR-INS-01",
                        f"patientId « {value} » : l'autorité {oid} n'est pas l'INS (NIR {', '.join(sorted(production))})",
                        f"patientId '{value}': authority {oid} is not the INS (NIR {', '.join(sorted(production))})",
                        obj.path,
                        obj.line,
                    )


def _french_authors(metadata: Metadata, judge: Judge) -> None:
    authors = judge.data.get("authors", {})
    person_oid, institution_oid = authors.get("person_oid"), authors.get("institution_oid")
    person_on, institution_on = judge.evaluate("XDSFR-AUTH-01"), judge.evaluate("XDSFR-AUTH-02")
    for obj in [*metadata.submission_sets, *metadata.documents]:
        for classification in _authors_of(obj, judge):
            person, institutions = classification.slot("authorPerson"), classification.slot("authorInstitution")
            for value in person.values if person and person_on else []:
                identifier, oid = xcn_parts(value)
                if identifier and oid != person_oid:
                    judge.fail(
                        "XDSFR-AUTH-01",
                        f"authorPerson « {value} » : autorité {oid}, {person_oid} (RPPS/ADELI) attendue",
                        f"authorPerson '{value}': authority {oid}, {person_oid} (RPPS/ADELI) expected",
                        person.path,
                        person.line,
                    )
            for value in institutions.values if institutions and institution_on else []:
                identifier, oid = xon_parts(value)
                if not identifier or oid != institution_oid:
                    judge.fail(
                        "XDSFR-AUTH-02",
                        f"authorInstitution « {value} » : identifiant de structure en XON.10 avec l'autorité "
                        f"&{institution_oid}&ISO en XON.6 attendu",
                        f"authorInstitution '{value}': a structure identifier in XON.10 with authority &{institution_oid}&ISO "
                        "in XON.6 expected",
                        institutions.path,
                        institutions.line,
                    )


def _authors_of(obj: RegistryObject, judge: Judge) -> Iterable[Any]:
    for kind in ("SubmissionSet", "DocumentEntry"):
        spec = judge.data.get("attributes", {}).get(kind, {}).get("author")
        if spec:
            yield from obj.classified(spec["classification"])


__all__ = ["TRANSACTIONS", "validate_metadata", "attribute_values", "authority_oid"]
