"""IHE XDM packages (ITI-32): zip safety, layout, and the CDA documents each validated as a child report.

ITI-32 layout: README.TXT and INDEX.HTM at the root, `IHE_XDM/<subset>/METADATA.XML` for each
submission set, with its documents beside it. Each METADATA.XML is judged by the XDS metadata rules of
harness/xds (ITI-32 optionality: a URI per document, no repository; hash and size of each file the URI
names; CDA ↔ metadata consistency): one ebRIM model for XDS.b and XDM. Names are matched regardless of
case (packages made on case-insensitive file systems); the ids are those of the `ihe-xdm` pack.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from harness.core.errors import HarnessError
from harness.core.findings import ArtefactReport
from harness.core.verdicts import ArtefactVerdict
from harness.core.xmlsafe import UnsafeOrInvalidXml
from harness.xdm.judging import Judgement, aborted_report, pack_missing
from harness.xdm.zipsafe import ZIP_IDS, SafeZip, ZipLimits, ZipRefused, ZipUnreadable, open_package
from harness.xds import DocumentEntry, Judge, attribute_values, check_consistency, judge_for, parse_metadata_bytes, validate_metadata

PACK = "ihe-xdm"
KIND = "xdm"
README = "XDM-LAY-01"
INDEX = "XDM-LAY-02"
SUBSETS = "XDM-LAY-03"
URI_RESOLVES = "XDM-DOC-01"
CDA_VALID = "XDM-DOC-04"
CONFIDENTIALITY_SCHEME = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"  # DocumentEntry.confidentialityCode
ROOT_FOLDER = "IHE_XDM"
METADATA = "METADATA.XML"


class Unjudged(HarnessError):
    """A part the rest depends on cannot be read (METADATA.XML): the package is ABORTED with the reason."""


@dataclass
class Document:
    """A CDA document of the package: its name in the package, its bytes and its ClinicalDocument."""

    name: str
    subset: str
    data: bytes
    root: etree._Element
    confidentiality: frozenset[str] = frozenset()  # its DocumentEntry's confidentialityCode codes (N, MASQUE_PS…)


@dataclass
class Package:
    """The judged package: its report, and what the MSSanté rules read (the CDA documents)."""

    report: ArtefactReport
    documents: list[Document] = field(default_factory=list)
    subsets: list[str] = field(default_factory=list)


def limits_of(context: Any) -> ZipLimits:
    pack = context.pack(PACK)
    bounded = ZipLimits.from_settings(pack.settings if pack else {})
    return ZipLimits(**{**bounded.__dict__, "max_entry_bytes": min(bounded.max_entry_bytes, context.max_bytes)})


def judge_package(data: bytes, path: str, context: Any) -> Package:
    """Judge an XDM package (bytes of a ZIP); never raises on bad input: ABORTED with the reason."""
    missing = pack_missing(context, PACK)
    if missing:
        return Package(aborted_report(data, path, KIND, *missing))
    judgement = Judgement(context)
    try:
        package = open_package(data, limits_of(context))
    except ZipRefused as refused:
        judgement.evaluate(*refused.judged)
        for problem in refused.problems:
            judgement.fail(problem.requirement, problem.fr, problem.en, problem.entry)
        return Package(aborted_report(data, path, KIND, refused.fr, refused.en, judgement))
    except ZipUnreadable as exc:
        return Package(aborted_report(data, path, KIND, exc.fr, exc.en))
    judgement.evaluate(*ZIP_IDS)
    result = Package(judgement.report(data, path, KIND))
    try:
        _judge_layout(package, judgement, result)
        _judge_subsets(package, judgement, result, path, context)
    except (ZipUnreadable, Unjudged) as exc:
        result.report = aborted_report(data, path, KIND, exc.fr, exc.en, judgement)
        return result
    children = result.report.children
    unjudged = [c for c in children if c.verdict is ArtefactVerdict.ABORTED]
    if unjudged:  # a document of the package could not be judged: neither can the package
        result.report = aborted_report(data, path, KIND, f"{len(unjudged)} document(s) CDA non validé(s) : {unjudged[0].reason}",
                                       f"{len(unjudged)} CDA document(s) not validated: {unjudged[0].reason}", judgement)
    else:
        result.report = judgement.report(data, path, KIND)
    result.report.children = children
    result.report.profile = f"{PACK} ({len(result.subsets)} subset(s), {len(result.documents)} CDA)"
    return result


def _by_upper_name(package: SafeZip) -> dict[str, str]:
    return {name.upper(): name for name in package.entries}


def _judge_layout(package: SafeZip, judgement: Judgement, result: Package) -> None:
    names = _by_upper_name(package)
    judgement.evaluate(README, INDEX, SUBSETS)
    if "README.TXT" not in names:
        judgement.fail(README, "README.TXT absent de la racine de l'archive", "README.TXT missing at the root of the package", "README.TXT")
    if "INDEX.HTM" not in names:
        judgement.fail(INDEX, "INDEX.HTM absent de la racine de l'archive", "INDEX.HTM missing at the root of the package", "INDEX.HTM")
    folders = {n.split("/")[1] for n in [*names, *(f.upper() + "/" for f in package.folders)]
               if n.startswith(ROOT_FOLDER + "/") and n.count("/") >= 2 and n.split("/")[1]}
    result.subsets = sorted(folders)
    if not folders:
        judgement.fail(SUBSETS, f"aucun dossier {ROOT_FOLDER}/<sous-ensemble>/ dans l'archive",
                       f"no {ROOT_FOLDER}/<subset>/ folder in the package", ROOT_FOLDER)
    for subset in result.subsets:
        if f"{ROOT_FOLDER}/{subset}/{METADATA}" not in names:
            judgement.fail(SUBSETS, f"{METADATA} absent du sous-ensemble {ROOT_FOLDER}/{subset}/",
                           f"{METADATA} missing from the subset {ROOT_FOLDER}/{subset}/", f"{ROOT_FOLDER}/{subset}")


def _judge_subsets(package: SafeZip, judgement: Judgement, result: Package, path: str, context: Any) -> None:
    """Each subset's METADATA.XML judged with the XDS metadata rules (ITI-32 optionality, hash and size of
    each file its URI names), and each document it names validated (CDA: a child report and the CDA ↔
    metadata consistency). A subset without METADATA.XML (XDM-LAY-03) has its CDA files validated alone."""
    names = _by_upper_name(package)
    judge = judge_for(context)
    for subset in result.subsets:
        folder = f"{ROOT_FOLDER}/{subset}/"
        metadata_name = names.get(folder + METADATA)
        if metadata_name is None:
            for upper, name in sorted(names.items()):
                if upper.startswith(folder) and upper.count("/") == 2:
                    _judge_document(package, name, subset, None, judge, judgement, result, path, context)
            continue
        try:
            metadata = parse_metadata_bytes(package.read(metadata_name), context.max_bytes)
        except (UnsafeOrInvalidXml, HarnessError) as exc:
            raise Unjudged(f"{metadata_name} illisible : {exc.fr}", f"{metadata_name} unreadable: {exc.en}") from None
        files: dict[str, str] = {}
        for entry in metadata.documents:
            for uri in attribute_values(entry, "DocumentEntry", "URI", judge)[:1]:
                judgement.evaluate(URI_RESOLVES)
                target = posixpath.normpath(folder + uri).upper() if uri.strip() else ""
                if uri.startswith("/") or not target.startswith(folder) or target not in names:
                    judgement.fail(URI_RESOLVES, f"l'URI {uri!r} de {entry.id} ne désigne aucun fichier de {folder}",
                                   f"the URI {uri!r} of {entry.id} names no file of {folder}", f"{metadata_name} {entry.path}")
                else:
                    files[entry.id] = names[target]
        first = len(judge.findings)
        validate_metadata(metadata, "ITI-32", judge, {entry: package.read(name) for entry, name in files.items()})
        for entry in metadata.documents:
            if entry.id in files:
                _judge_document(package, files[entry.id], subset, entry, judge, judgement, result, path, context)
        # the metadata rules locate in METADATA.XML (an XPath): say which one
        judge.findings[first:] = [replace(f, location=f"{metadata_name} {f.location or ''}".strip()) for f in judge.findings[first:]]
    judgement.findings += judge.findings
    judgement.evaluate(*judge.evaluated)


def _judge_document(package: SafeZip, name: str, subset: str, entry: DocumentEntry | None, judge: Judge, judgement: Judgement,
                    result: Package, path: str, context: Any) -> None:
    """A file of a subset: when it is a CDA document, validated by the CDA validator (a child report) and,
    with its DocumentEntry, checked against it."""
    from harness.cda.parse import parse
    from harness.validation.dispatch import aborted, validators  # late: the validators import this module

    cda = validators().get("cda")
    data = package.read(name)
    if cda is None or not cda.detect(data[:65536]):
        return
    child_path = f"{path}!/{name}"
    try:
        parsed = parse(data, context.max_bytes)
    except (UnsafeOrInvalidXml, HarnessError) as exc:
        child, parsed = aborted(child_path, data, exc.fr, exc.en, "cda"), None
    else:
        child = cda.validate_parsed(data, child_path, context, parsed)
    result.report.children.append(child)
    if parsed is not None and parsed.document is not None:
        codes = {c.node for c in entry.classified(CONFIDENTIALITY_SCHEME)} if entry is not None else set()
        result.documents.append(Document(name, subset, data, parsed.document, frozenset(codes)))
        if entry is not None:
            check_consistency(entry, parsed.document, judge)
    if child.verdict is ArtefactVerdict.ABORTED:
        judgement.note(CDA_VALID, f"document CDA {name} non validé : {child.reason}",
                       f"CDA document {name} not validated: {child.reason}", name)
        return
    judgement.evaluate(CDA_VALID)
    if child.verdict is ArtefactVerdict.FAILED:
        judgement.fail(CDA_VALID, f"le document CDA {name} est non conforme (voir le rapport imbriqué)",
                       f"the CDA document {name} is not conformant (see the nested report)", name)
