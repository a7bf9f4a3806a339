"""The ebRIM 3.0 metadata of XDS.b (IHE ITI TF-3 §4): SubmissionSet, DocumentEntry, Folder, Association.

`parse_metadata(element)` reads every registry object under `element` (a RegistryObjectList, a
SubmitObjectsRequest, a whole envelope, an XDM METADATA.XML root) into plain dataclasses. Each
slot, classification and external identifier keeps its XPath and source line, so a rule reports
exactly where. Classifications and external identifiers are attached to the object they name
(`classifiedObject`, `registryObject`), nested or not. Nothing is judged here: see `metadata.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from harness.core.xmlsafe import parse_xml
from harness.xds.soap import RIM, location

# ebRIM object types and IHE classification nodes (ITI TF-3 §4.2.5)
STABLE_DOCUMENT = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
ON_DEMAND_DOCUMENT = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
FOLDER_NODE = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"

_R = f"{{{RIM}}}"


@dataclass(slots=True)
class Slot:
    name: str
    values: list[str]
    path: str
    line: int | None


@dataclass(slots=True)
class Classification:
    """A classification of a registry object: a coded attribute (`node` = code, `coding_scheme`),
    an author (`node` empty, slots authorPerson…), or the SubmissionSet/Folder node."""

    id: str
    scheme: str  # classificationScheme (a coded attribute) or "" for a classificationNode
    node: str  # nodeRepresentation, or the classificationNode
    classified: str
    slots: list[Slot]
    name: str | None
    path: str
    line: int | None

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)

    @property
    def coding_scheme(self) -> str | None:
        found = self.slot("codingScheme")
        return found.values[0] if found and found.values else None


@dataclass(slots=True)
class ExternalIdentifier:
    id: str
    scheme: str
    value: str
    registry_object: str
    name: str | None
    path: str
    line: int | None


@dataclass(slots=True)
class RegistryObject:
    """What every ebRIM object has; the subclasses say what it is."""

    id: str
    lid: str | None
    object_type: str | None
    status: str | None
    name: str | None
    slots: list[Slot]
    classifications: list[Classification]
    external_ids: list[ExternalIdentifier]
    path: str
    line: int | None
    element: etree._Element = field(repr=False)

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)

    def slots_named(self, name: str) -> list[Slot]:
        return [s for s in self.slots if s.name == name]

    def classified(self, scheme: str) -> list[Classification]:
        return [c for c in self.classifications if c.scheme == scheme]

    def identified(self, scheme: str) -> list[ExternalIdentifier]:
        return [e for e in self.external_ids if e.scheme == scheme]

    @property
    def version(self) -> str | None:
        info = self.element.find(f"{_R}VersionInfo")
        return info.get("versionName") if info is not None else None


@dataclass(slots=True)
class DocumentEntry(RegistryObject):
    mime_type: str | None = None


@dataclass(slots=True)
class SubmissionSet(RegistryObject):
    pass


@dataclass(slots=True)
class Folder(RegistryObject):
    pass


@dataclass(slots=True)
class Association(RegistryObject):
    type: str = ""
    source: str = ""
    target: str = ""


@dataclass(slots=True)
class Metadata:
    """Every registry object of one submission (or query response), in document order."""

    submission_sets: list[SubmissionSet] = field(default_factory=list)
    documents: list[DocumentEntry] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    packages: list[RegistryObject] = field(default_factory=list)  # RegistryPackages classified as neither
    object_refs: list[str] = field(default_factory=list)
    node_classifications: list[Classification] = field(default_factory=list)  # SubmissionSet/Folder nodes
    path: str | None = None  # the RegistryObjectList (else the element read), for findings on the whole submission
    line: int | None = None

    def objects(self) -> list[RegistryObject]:
        found: list[RegistryObject] = [*self.submission_sets, *self.documents, *self.folders, *self.associations, *self.packages]
        return found

    def by_id(self, identifier: str) -> RegistryObject | None:
        return next((o for o in self.objects() if o.id == identifier), None)


def _name(element: etree._Element) -> str | None:
    string = element.find(f"{_R}Name/{_R}LocalizedString")
    return string.get("value") if string is not None else None


def _line(element: etree._Element, offset: int) -> int | None:
    return element.sourceline + offset if element.sourceline else None


def _slots(element: etree._Element, offset: int) -> list[Slot]:
    return [
        Slot(s.get("name", ""), [(v.text or "") for v in s.iterfind(f"{_R}ValueList/{_R}Value")], location(s), _line(s, offset))
        for s in element.iterchildren(f"{_R}Slot")
    ]


def _classification(element: etree._Element, parent: str | None, offset: int) -> Classification:
    scheme = element.get("classificationScheme")
    return Classification(
        id=element.get("id", ""),
        scheme=scheme or "",
        node=element.get("nodeRepresentation", "") if scheme else element.get("classificationNode", ""),
        classified=element.get("classifiedObject") or parent or "",
        slots=_slots(element, offset),
        name=_name(element),
        path=location(element),
        line=_line(element, offset),
    )


def _external_id(element: etree._Element, parent: str | None, offset: int) -> ExternalIdentifier:
    return ExternalIdentifier(
        id=element.get("id", ""),
        scheme=element.get("identificationScheme", ""),
        value=element.get("value", ""),
        registry_object=element.get("registryObject") or parent or "",
        name=_name(element),
        path=location(element),
        line=_line(element, offset),
    )


def _common(element: etree._Element, offset: int) -> dict[str, Any]:
    return {
        "id": element.get("id", ""),
        "lid": element.get("lid"),
        "object_type": element.get("objectType"),
        "status": element.get("status"),
        "name": _name(element),
        "slots": _slots(element, offset),
        "classifications": [],
        "external_ids": [],
        "path": location(element),
        "line": _line(element, offset),
        "element": element,
    }


def parse_metadata(element: etree._Element, line_offset: int = 0) -> Metadata:
    """Every ebRIM registry object under `element` (itself included), with its slots, classifications
    and external identifiers; `line_offset` is added to source lines (an envelope inside a MIME capture)."""
    holder = element.find(f".//{_R}RegistryObjectList") if etree.QName(element).localname != "RegistryObjectList" else element
    holder = element if holder is None else holder
    metadata = Metadata(path=location(holder), line=_line(holder, line_offset))
    classifications: list[Classification] = []
    external_ids: list[ExternalIdentifier] = []
    packages: list[RegistryObject] = []
    for node in element.iter(
        f"{_R}ExtrinsicObject",
        f"{_R}RegistryPackage",
        f"{_R}Association",
        f"{_R}Classification",
        f"{_R}ExternalIdentifier",
        f"{_R}ObjectRef",
    ):
        local = etree.QName(node).localname
        parent = node.getparent()
        parent_id = parent.get("id") if parent is not None and etree.QName(parent).localname != "RegistryObjectList" else None
        if local == "ExtrinsicObject":
            metadata.documents.append(DocumentEntry(**_common(node, line_offset), mime_type=node.get("mimeType")))
        elif local == "RegistryPackage":
            packages.append(RegistryObject(**_common(node, line_offset)))
        elif local == "Association":
            metadata.associations.append(
                Association(
                    **_common(node, line_offset),
                    type=node.get("associationType", ""),
                    source=node.get("sourceObject", ""),
                    target=node.get("targetObject", ""),
                )
            )
        elif local == "Classification":
            classifications.append(_classification(node, parent_id, line_offset))
        elif local == "ExternalIdentifier":
            external_ids.append(_external_id(node, parent_id, line_offset))
        else:
            metadata.object_refs.append(node.get("id", ""))
    nodes = {c.classified: c.node for c in classifications if not c.scheme}
    for package in packages:
        kind = nodes.get(package.id)
        if kind == SUBMISSION_SET_NODE:
            metadata.submission_sets.append(SubmissionSet(**{f: getattr(package, f) for f in _FIELDS}))
        elif kind == FOLDER_NODE:
            metadata.folders.append(Folder(**{f: getattr(package, f) for f in _FIELDS}))
        else:
            metadata.packages.append(package)
    owners: dict[str, RegistryObject] = {}
    for obj in metadata.objects():
        owners.setdefault(obj.id, obj)  # a duplicate id (reported by XDSB-RIM-02) does not take the first one's attributes
    for classification in classifications:
        owner = owners.get(classification.classified)
        if not classification.scheme:
            metadata.node_classifications.append(classification)
        elif owner is not None:
            owner.classifications.append(classification)
    for identifier in external_ids:
        owner = owners.get(identifier.registry_object)
        if owner is not None:
            owner.external_ids.append(identifier)
    return metadata


_FIELDS = ("id", "lid", "object_type", "status", "name", "slots", "classifications", "external_ids", "path", "line", "element")


def parse_metadata_bytes(data: bytes, max_bytes: int) -> Metadata:
    """Parse XML bytes safely (harness.core.xmlsafe) and read their metadata; raises `UnsafeOrInvalidXml`."""
    return parse_metadata(parse_xml(data, max_bytes).getroot())
