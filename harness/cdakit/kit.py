"""Kit mode: validate one document with a folder laid out like the agency's kit.

    findings, evaluated = kit_findings(tree, data, kit_dir)

The kit is opened once per process per folder (layout, XSD, file index); each schematron is
prepared (cached XSLT) and compiled by Saxon once per process, on first use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from harness.cda.voletversion import VersionInference
from harness.cdakit import runtime
from harness.cdakit.defects import INTEGRITY, KitDefect
from harness.cdakit.layout import KitLayout, locate
from harness.cdakit.prepare import PreparedSchematron, prepare
from harness.cdakit.svrl import svrl_findings
from harness.cdakit.volet import VOLET_REQUIREMENT, choose_volet, clinical_document
from harness.cdakit.xsd import XSD_REQUIREMENT, schema_defect, xsd_findings
from harness.core.findings import Finding, Severity

VOLET_SCHEMATRON = "CISIS-KIT-SCH-VOLET"


class Kit:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.layout: KitLayout = locate(root)
        self.files = runtime.FileIndex.scan(root)
        self._prepared: dict[Path, PreparedSchematron] = {}
        self._index_file: Path | None = None
        self.xsd_defect: KitDefect | None = schema_defect(self.layout.xsd, root) if self.layout.xsd else None

    def prepared(self, path: Path) -> PreparedSchematron:
        found = self._prepared.get(path)
        if found is None:
            found = prepare(path, self.root)
            for expected, actual in found.substitutes:
                self.files.add_substitute(expected, actual)
                self._index_file = None
            if found.xslt_file is not None and found.digest is not None:
                try:
                    runtime.executable(found.digest, found.xslt_file)
                except runtime.SchematronRunError as exc:
                    found.defects.append(KitDefect("compile", self.relative(path), f"le schématron ne compile pas : {exc}",
                                                   f"the schematron does not compile: {exc}"))
                    found.xslt_file = None
            self._prepared[path] = found
        return found

    def index_file(self) -> Path:
        if self._index_file is None or not self._index_file.exists():
            self._index_file = self.files.write()
        return self._index_file

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


@cache
def open_kit(kit_dir: str) -> Kit:
    return Kit(Path(kit_dir))


def reset_process_caches() -> None:
    """Forget opened kits and compiled stylesheets (tests use it to act as a new process)."""
    open_kit.cache_clear()
    runtime._executables.clear()
    from harness.cdakit.paths import clear_listing_cache
    from harness.cdakit.valuesets import svs_index
    from harness.cdakit.xsd import _schema

    clear_listing_cache()
    svs_index.cache_clear()
    _schema.cache_clear()


def kit_findings(tree: etree._ElementTree, data: bytes, kit_dir: Path,
                 volet_version: VersionInference | None = None) -> tuple[list[Finding], list[str]]:
    """Findings of the kit's XSD and schematrons on one document, and the requirement ids evaluated.

    `tree` is the document as safely parsed by the caller (line numbers come from it); `data` its
    bytes (unused: the schematrons run on `tree`, so both engines see the same document);
    `volet_version` the version the native validator applies to the document's volet.
    """
    del data
    kit = open_kit(str(Path(kit_dir).resolve()))
    findings: list[Finding] = []
    evaluated: list[str] = [INTEGRITY]
    defects: dict[tuple[str, str], KitDefect] = {}

    def note(defect: KitDefect) -> None:
        defects.setdefault((defect.kind, defect.where), defect)

    for defect in kit.layout.defects:
        note(defect)
    if kit.layout.xsd is not None:
        if kit.xsd_defect is not None:
            note(kit.xsd_defect)
        else:
            findings.extend(xsd_findings(tree, kit.layout.xsd))
            evaluated.append(XSD_REQUIREMENT)

    source: list[Any] = []  # the document as a Saxon node, parsed once for every schematron

    def run(requirement: str, path: Path) -> tuple[list[Finding], bool] | None:
        """(findings, complete) of one schematron, or None when it could not run (a defect is noted)."""
        prepared = kit.prepared(path)
        for defect in prepared.defects:
            note(defect)
        incomplete = kit.layout.schematron_defects.get(path, [])
        for defect in incomplete:
            note(defect)
        if prepared.xslt_file is None or prepared.digest is None:
            return None
        try:
            if not source:
                source.append(runtime.parse_document(tree))
            svrl = runtime.run(runtime.executable(prepared.digest, prepared.xslt_file), source[0], path.parent, kit.index_file())
        except runtime.SchematronRunError as exc:
            note(KitDefect("runtime", kit.relative(path), f"le schématron n'a pas pu s'exécuter : {exc}",
                           f"the schematron could not run: {exc}"))
            return None
        try:
            found = svrl_findings(svrl, requirement, kit.relative(path), tree)
        except (etree.XMLSyntaxError, ValueError) as exc:  # a report the harness cannot read: never a crash
            note(KitDefect("runtime", kit.relative(path), f"rapport SVRL illisible : {exc}", f"unreadable SVRL report: {exc}"))
            return None
        return found, prepared.complete and not incomplete

    for requirement, path in kit.layout.profiles:
        result = run(requirement, path)
        if result is not None:
            findings.extend(result[0])
            if result[1]:
                evaluated.append(requirement)

    document = clinical_document(tree)
    if document is not None and document.find("{urn:hl7-org:v3}component/{urn:hl7-org:v3}nonXMLBody") is None:
        choice = choose_volet(tree, kit.layout, volet_version)
        findings.extend(choice.findings)
        evaluated.append(VOLET_REQUIREMENT)
        # one version, or every candidate of an undetermined one: keep the run with the fewest errors
        runs = [r for r in (run(VOLET_SCHEMATRON, path) for _version, path in choice.schematrons) if r is not None]
        if runs:
            best = min(runs, key=lambda r: sum(f.severity is Severity.ERROR for f in r[0]))
            findings.extend(best[0])
            if best[1] and len(runs) == len(choice.schematrons):
                evaluated.append(VOLET_SCHEMATRON)
    findings.extend(d.finding() for d in defects.values())
    return findings, evaluated
