"""Public pytest fixtures for suites that judge the candidate's documents and messages (docs/extending.md).

    enrs_documents   every candidate artefact of the run (--enrs-documents, else the target's [documents]),
                     after the walk policy of `validate` (skipped files are listed in the run, never silent)
    enrs_document    one of them: a test asking for it runs once per document, with the document's name as id
    enrs_packs       the loaded profile packs (PackRegistry: .packs, .requirements)
    enrs_validation  the ValidationContext of the run (selected packs, kit, volet versions)

A `Document` reads its bytes once (size-bounded), parses them safely on demand (`cda()`, `hl7v2()`),
evaluates XPaths with the harness's prefixes (`xpath()`) and turns a test's own checks into findings with
XPath or field locations and lines, whose severity is the requirement's level in its pack (`finding()`),
then into requirement verdicts (`judge()`). A region's suite is then a plain pytest file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.errors import HarnessError
from harness.core.fileio import DEFAULT_MAX_INPUT_BYTES, read_bounded, sha256_hex
from harness.core.findings import ArtefactReport, Finding, Severity
from harness.run.outcomes import Aborted, NotApplicable
from harness.run.recorder import Recorder
from harness.validation.dispatch import detect_kind, validate_file, walk_artefacts

SEVERITY_OF_LEVEL = {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}


@dataclass(eq=False)
class Document:
    """One candidate artefact of the run."""

    path: Path
    name: str  # relative to the folder it was found in (the test id)
    registry: PackRegistry = field(repr=False)
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES

    @cached_property
    def data(self) -> bytes:
        try:
            return read_bounded(self.path, self.max_bytes)
        except HarnessError as exc:
            raise Aborted(f"{exc.fr} / {exc.en}") from None

    @cached_property
    def kind(self) -> str | None:
        """"cda", "hl7v2", … (the registered validators' detection), None when no validator recognises it."""
        return detect_kind(self.data)

    @cached_property
    def _parsed(self) -> Any:
        from harness.cda.parse import UnsafeOrInvalidXml, parse

        try:
            return parse(self.data, self.max_bytes)
        except UnsafeOrInvalidXml as exc:
            raise Aborted(f"{exc.fr} / {exc.en}") from None

    def cda(self) -> etree._Element:
        """The ClinicalDocument element; the test is NOT_APPLICABLE for another kind, ABORTED when unreadable."""
        if self.kind != "cda":
            raise NotApplicable(f"{self.name} : pas un document CDA / not a CDA document")
        document = self._parsed.document
        if document is None:
            fr, en = self._parsed.problem or ("ClinicalDocument absent", "no ClinicalDocument")
            raise Aborted(f"{fr} / {en}")
        return document  # type: ignore[no-any-return]  # Parsed.document is an lxml element once checked

    def xpath(self, expression: str, element: etree._Element | None = None) -> list[Any]:
        """Evaluate `expression` (prefixes cda:, lab:, sdtc:, pharm:, xsi:) from `element`, by default the ClinicalDocument."""
        from harness.cda.xpath import q

        return q(self.cda() if element is None else element, expression)

    def hl7v2(self) -> Any:
        """The parsed HL7 v2 message (harness.hl7v2.message.Message); NOT_APPLICABLE for another kind."""
        from harness.hl7v2.tokenizer import ParseError, parse

        if self.kind != "hl7v2":
            raise NotApplicable(f"{self.name} : pas un message HL7 v2 / not an HL7 v2 message")
        try:
            return parse(self.data)[0]
        except ParseError as exc:
            raise Aborted(f"{exc.fr} / {exc.en}") from None

    def location(self, element: etree._Element, attribute: str | None = None) -> str:
        from harness.cda.xpath import location

        return location(element, attribute)

    def finding(self, requirement: str, where: etree._Element | str, fr: str, en: str, attribute: str | None = None,
                line: int | None = None) -> Finding:
        """A finding of `requirement` at an element (its XPath and line) or at a field path (`PID-3`, with `line`)."""
        level = self.registry.requirements[requirement].level if requirement in self.registry.requirements else "MUST"
        if isinstance(where, str):
            return Finding(requirement, SEVERITY_OF_LEVEL[level], fr, en, where, line)
        return Finding(requirement, SEVERITY_OF_LEVEL[level], fr, en, self.location(where, attribute), where.sourceline)

    def validate(self, context: ValidationContext) -> ArtefactReport:
        """The registered validators' report on this document (what the bundled documents suite records)."""
        return validate_file(self.path, context)  # an unreadable file gives an ABORTED report with the reason

    def judge(self, enrs: Recorder, evaluated: Iterable[str], findings: Iterable[Finding]) -> ArtefactReport:
        """Record the verdicts of `evaluated` on this document (FAILED for those with an error or warning
        finding), its findings as evidence, and fail the test when one is an error."""
        found = list(findings)
        report = ArtefactReport(path=str(self.path), sha256=sha256_hex(self.data), size=len(self.data), kind=self.kind,
                                verdict=ArtefactReport.verdict_of(found), findings=found, evaluated=list(evaluated))
        enrs.artefact_report(report, display_name=self.name)
        errors = [f for f in found if f.severity is Severity.ERROR]
        assert not errors, "; ".join(f"{f.requirement} {f.location or ''} (ligne/line {f.line}): {f.message_en}" for f in errors[:5])
        return report


def _session(config: pytest.Config) -> Any:
    from harness.run.plugin import session_of

    return session_of(config)


def documents_of(config: pytest.Config) -> list[Document]:
    """The run's candidate artefacts, walked once per session (the files skipped are recorded in the run)."""
    cached: list[Document] | None = getattr(config, "_enrs_documents", None)
    if cached is None:
        session = _session(config)
        cached = []
        for root in map(Path, session.documents()):
            files, ignored = walk_artefacts([root])  # the policy `validate` applies too: skipped files are listed, never silent
            session.ignored.extend(ignored)
            cached += [Document(path, str(path.relative_to(root)) if root.is_dir() else path.name, session.registry) for path in files]
        config._enrs_documents = cached  # type: ignore[attr-defined]  # one walk per session, shared by every suite
    return cached


def validator_packs(config: pytest.Config) -> list[str]:
    """Packs with requirements evaluated by an artefact validator: what a document test without markers stands for."""
    registry = _session(config).registry
    return [p.id for p in registry.packs.values() if any(e.startswith("validator:") for r in p.requirements for e in r.evaluated_by)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "enrs_document" not in metafunc.fixturenames:
        return
    own = any(True for name in ("requirement", "profile") for _ in metafunc.definition.iter_markers(name))
    packs = [] if own else validator_packs(metafunc.config)  # a test with its own markers judges those only
    marks = pytest.mark.profile(*packs) if packs else ()  # one mark shared by every document (marks are immutable)
    params = [pytest.param(d, id=d.name, marks=marks) for d in documents_of(metafunc.config)]
    metafunc.parametrize("enrs_document", params)


@pytest.fixture(scope="session")
def enrs_documents(pytestconfig: pytest.Config) -> list[Document]:
    """Every candidate artefact of the run."""
    return documents_of(pytestconfig)


@pytest.fixture(scope="session")
def enrs_packs(pytestconfig: pytest.Config) -> PackRegistry:
    """The loaded profile packs: the national ones, those of installed extensions and of --profiles-dir."""
    registry: PackRegistry = _session(pytestconfig).registry
    return registry


@pytest.fixture(scope="session")
def enrs_validation(pytestconfig: pytest.Config) -> ValidationContext:
    """The validation context of the run: the loaded and selected packs, the kit, the volet versions, the VIHF/DSG trust store."""
    return validation_context(pytestconfig)


def validation_context(config: pytest.Config) -> ValidationContext:
    """The run's validation context, one per session (the `enrs_validation` fixture; harness.run.direct without it)."""
    cached: ValidationContext | None = getattr(config, "_enrs_validation", None)
    if cached is None:
        session = _session(config)
        cached = ValidationContext(registry=session.registry, selected=session.selected, kit_dir=session.kit_dir,
                                   volet_versions=session.volet_versions, vihf_trust=session.vihf_trust)
        config._enrs_validation = cached  # type: ignore[attr-defined]  # one per session, as the session-scoped fixture
    return cached
