"""The rule engine: rules register against a requirement id; a run evaluates the active ones.

A rule is a function `check(doc, data, out)` decorated with `@rule("REQ-ID")`. It reports a broken
rule with `out.fail(element, fr, en, attribute=None)`; the severity comes from the requirement's
level in its profile pack (MUST → error, SHOULD → warning, MAY → info), so a pack decides it.
A rule runs when its requirement belongs to a selected pack and its `when` condition holds;
the ids of the rules that ran are the report's `evaluated` list.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.index import DocumentScan, HeaderIndex
from harness.cda.pdf import Ends
from harness.cda.voletversion import VersionInference
from harness.cda.xpath import child, location, tag
from harness.core.findings import Finding, Severity

_COMPONENT, _STRUCTURED = tag("component"), tag("structuredBody")
SEVERITY_OF_LEVEL = {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}


@dataclass
class VoletMatch:
    """The volet a document declares: its key in the volets table, name, templateId, and the version applied (and why)."""

    key: str
    name: str
    template: etree._Element
    inference: VersionInference

    @property
    def version(self) -> str | None:
        return self.inference.version


@dataclass
class Doc:
    """The document under validation."""

    root: etree._Element  # the ClinicalDocument element (inside an xsl:stylesheet when self-presenting)
    self_presenting: bool = False
    volet: VoletMatch | None = None
    volet_spec: dict[str, Any] = field(default_factory=dict)  # the volet's entry of the volets table
    # base64 payloads decoded once per document (element → their ends, None when not base64)
    decoded: dict[etree._Element, Ends | None] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # what several rules share, computed once per document (e.g. one scan)
    _scan: DocumentScan | None = field(default=None, init=False, repr=False)
    _body_parts: tuple[etree._Element | None, etree._Element | None] | None = field(default=None, init=False, repr=False)
    _structured: list[etree._Element] | None = field(default=None, init=False, repr=False)

    @cached_property  # an attribute once made: asked ~180 times per document, without a call each time
    def header(self) -> HeaderIndex:
        """The header's elements by tag and by path (harness.cda.index): one walk on first use, shared by every rule."""
        return HeaderIndex(self.root)

    def everywhere(self, *tags: str) -> list[etree._Element]:
        """The elements with these Clark tags anywhere in the document, in document order (as `root.iter(*tags)`),
        from one scan shared by every rule asking (harness.cda.index.DocumentScan)."""
        if self._scan is None:
            self._scan = DocumentScan(self.root, self.header)
        return self._scan.named(*tags)

    @property
    def body(self) -> etree._Element | None:
        structured, non_xml = self._bodies()
        return structured if structured is not None else non_xml

    @property
    def is_n1(self) -> bool:
        structured, non_xml = self._bodies()
        return non_xml is not None and structured is None

    @property
    def is_n3(self) -> bool:
        return self._bodies()[0] is not None

    def structured_bodies(self) -> list[etree._Element]:
        """Every structuredBody of the ClinicalDocument's components, as XPath `cda:component/cda:structuredBody` (found once)."""
        if self._structured is None:
            self._structured = [body for component in self.root.iterchildren(_COMPONENT) for body in component.iterchildren(_STRUCTURED)]
        return self._structured

    def forget(self) -> None:
        """Drop what the rules derived from the document (indexes, scans, shared caches; rebuilt if asked again).
        run_rules calls it before resuming the garbage collector: the thousands of objects (lxml proxies, lists)
        freed now, by reference counting, are no longer there for the collection that would otherwise follow."""
        self.__dict__.pop("header", None)
        self._scan = self._structured = self._body_parts = None
        self.cache.clear()
        self.decoded.clear()

    def _bodies(self) -> tuple[etree._Element | None, etree._Element | None]:
        """(structuredBody, nonXMLBody) of the first component, looked up once (many rules' `when` asks)."""
        if self._body_parts is None:
            component = child(self.root, "component")
            self._body_parts = (None, None) if component is None else (child(component, "structuredBody"), child(component, "nonXMLBody"))
        return self._body_parts


Check = Callable[[Doc, CdaData, "Out"], None]
Condition = Callable[[Doc], bool]


@dataclass(frozen=True)
class Rule:
    requirement: str
    check: Check
    when: Condition | None = None


RULES: list[Rule] = []


def rule(requirement: str, when: Condition | None = None) -> Callable[[Check], Check]:
    """Register `check` as the rule of `requirement` (one rule per requirement)."""

    def register(check: Check) -> Check:
        for index, known in enumerate(RULES):
            if known.requirement != requirement:
                continue
            if (known.check.__module__, known.check.__qualname__) != (check.__module__, check.__qualname__):
                raise ValueError(f"two rules for {requirement}")
            RULES[index] = Rule(requirement, check, when)  # its module imported again (importlib.reload, a restored sys.modules)
            return check
        RULES.append(Rule(requirement, check, when))
        return check

    return register


MAX_FINDINGS_PER_RULE = 100  # beyond this, one summary finding counts the rest (a broken 50 MB body stays readable)


@dataclass(slots=True)
class Out:
    """Collects the findings of one rule (run_plan gives every rule of a document the same one, set to that rule's
    requirement and severity before its check: an object made per rule cost more than most rules' checks)."""

    requirement: str
    severity: Severity
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0

    def fail(self, element: etree._Element, fr: str, en: str, attribute: str | None = None) -> None:
        if len(self.findings) >= MAX_FINDINGS_PER_RULE:
            self.suppressed += 1
            return
        self.findings.append(Finding(self.requirement, self.severity, fr, en, location(element, attribute), element.sourceline))

    def close(self) -> list[Finding]:
        if self.suppressed:
            self.findings.append(Finding(self.requirement, self.severity,
                                         f"… et {self.suppressed} autre(s) occurrence(s) non listée(s)",
                                         f"… and {self.suppressed} more occurrence(s) not listed", not_listed=self.suppressed))
        return self.findings


ActiveRule = tuple[str, Severity, Check, Condition | None]  # requirement, its severity, check, `when`


def active_rules(active: dict[str, str], extra: Sequence[Rule] = ()) -> tuple[ActiveRule, ...]:
    """The registered rules, then the `extra` ones, whose requirement is active (id → level), in that order, each with
    its severity: what run_plan runs on every document (resolved once per set of packs by the CDA validator)."""
    return tuple((item.requirement, SEVERITY_OF_LEVEL[level], item.check, item.when)
                 for item in (*RULES, *extra) if (level := active.get(item.requirement)) is not None)


def run_rules(doc: Doc, data: CdaData, active: dict[str, str], extra: Sequence[Rule] = ()) -> tuple[list[Finding], list[str]]:
    """Run every registered rule, then the `extra` ones (the packs' declarative checks), whose requirement is active
    (id → level); return findings and evaluated ids."""
    return run_plan(doc, data, active_rules(active, extra))


def run_plan(doc: Doc, data: CdaData, rules: Sequence[ActiveRule]) -> tuple[list[Finding], list[str]]:
    """Run `rules` (active_rules) whose `when` holds on `doc`; return findings and evaluated ids."""
    with _collector_paused():
        try:
            return _run(doc, data, rules)
        finally:
            doc.forget()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the rules of one document run: they create thousands of short-lived
    objects (lxml proxies, lists) freed by reference counting, whose count alone would start several collections per
    document (0.05-0.1 ms/doc on the agency's examples). Cycles left behind wait for the next collection."""
    if not gc.isenabled():  # paused by the caller, or by another thread running rules: left as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _run(doc: Doc, data: CdaData, rules: Sequence[ActiveRule]) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    evaluated: list[str] = []
    out = Out("", Severity.ERROR)
    for requirement, severity, check, when in rules:
        if when is not None and not when(doc):
            continue
        out.requirement, out.severity = requirement, severity
        check(doc, data, out)
        if out.findings:  # most rules find nothing
            findings.extend(out.close())
            out.findings, out.suppressed = [], 0
        evaluated.append(requirement)
    return findings, evaluated
