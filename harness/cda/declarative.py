"""Declarative CDA rules: the common shapes of a check, written as pack data and run by one engine.

A requirement of a pack evaluated by `validator:cda` may carry `[[requirements.cda_checks]]` tables
(docs/profile-packs.md, "Declarative checks"). Each check names a `context` (an XPath from the
ClinicalDocument, prefixes cda:, lab:, sdtc:, pharm:, xsi:) and what every element it selects must
satisfy:

    require = ["cda:place"]                      each path selects something under the element
    present = ["cda:name"]                       ... and at least one occurrence has no nullFlavor
    attributes = ["root", "extension"]           each attribute is present and not empty
    values = { typeCode = ["AUTH"] }             each attribute holds one of the values
    valueset = { attribute = "code", name = "J02", check_system = true }   the code is in a value set of the packs
    no_null_flavor = true                        the element has no nullFlavor
    forbidden = true                             the element must not be there at all
    cardinality = { path = "cda:id", min = 1, max = 1 }   how many the path selects
    equal = ["cda:id/@root", "cda:setId/@root"]  two paths give the same string

`volet = "CR-BIO"` limits the check to documents of that volet; `message = { fr, en }` replaces the
default wording (placeholders {element}, {path}, {attribute}, {value}, {expected}, {count}). The
XPaths are compiled once per pack (etree.XPath); the severity is the requirement's level, as for
every rule; the location is the element's XPath and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from harness.cda.data import CdaData
from harness.cda.engine import Doc, Out, Rule
from harness.cda.steps import ChildPath, child_path
from harness.cda.xpath import NS, has_nf, local
from harness.config.packs import ProfilePack
from harness.core.errors import HarnessError

SHAPES = ("require", "present", "attributes", "values", "valueset", "no_null_flavor", "forbidden", "cardinality", "equal")
KEYS = {"context", "volet", "message", "label", *SHAPES}
_JUDGED = ("forbidden", "no_null_flavor", *(shape for shape in SHAPES if shape not in ("forbidden", "no_null_flavor")))  # findings' order

DEFAULT_MESSAGES: dict[str, tuple[str, str]] = {
    "require": ("{element} : {path} obligatoire", "{element}: {path} is required"),
    "present": ("élément {path} obligatoire absent", "required element {path} is missing"),
    "present_nf": ("{path} : au moins une occurrence sans nullFlavor est obligatoire",
                   "{path}: at least one occurrence without nullFlavor is required"),
    "attributes": ("{element} : l'attribut @{attribute} est obligatoire", "{element}: attribute @{attribute} is required"),
    "values": ("{element}/@{attribute} vaut « {value} », attendu : {expected}",
               "{element}/@{attribute} is '{value}', expected: {expected}"),
    "valueset": ("{element} : le code {value} n'appartient pas au jeu de valeurs {expected}",
                 "{element}: code {value} is not in value set {expected}"),
    "no_null_flavor": ("{element} : nullFlavor interdit", "{element}: nullFlavor is not allowed"),
    "forbidden": ("{element} ne doit pas être transmis", "{element} must not be sent"),
    "cardinality": ("{element} : {path} : {expected} occurrence(s) attendue(s), {count} trouvée(s)",
                    "{element}: {path}: {expected} occurrence(s) expected, {count} found"),
    "equal": ("{path} vaut « {value} », attendu : {expected}", "{path} is '{value}', expected: {expected}"),
}


class CheckError(HarnessError):
    """A declarative check that cannot be compiled: names the pack file and the requirement."""

    def __init__(self, where: str, fr: str, en: str) -> None:
        super().__init__(f"{where} : cda_checks : {fr}", f"{where}: cda_checks: {en}")


def _shown(path: str) -> str:
    """A path as people read it in messages: without the cda: prefix."""
    return path.replace("cda:", "")


@dataclass(frozen=True)
class _Path:
    text: str
    xpath: etree.XPath
    steps: ChildPath | None = None  # the same selection as plain child steps, when the XPath is that simple (steps.py)

    def __call__(self, element: etree._Element) -> list[Any]:
        if self.steps is not None:
            return self.steps.select(element)
        found = self.xpath(element)
        return found if isinstance(found, list) else [found]

    def from_root(self, doc: Doc) -> list[Any]:
        """The selection from the ClinicalDocument, its leading plain steps answered by the header index."""
        if self.steps is not None:
            return self.steps.select_from_root(doc)
        return self(doc.root)


def _compile(where: str, expression: Any) -> _Path:
    if not isinstance(expression, str) or not expression.strip():
        raise CheckError(where, f"XPath attendue, reçu {expression!r}", f"an XPath is expected, got {expression!r}")
    try:
        return _Path(expression, etree.XPath(expression, namespaces=NS), child_path(expression))
    except etree.XPathSyntaxError as exc:
        raise CheckError(where, f"XPath invalide « {expression} » : {exc}", f"invalid XPath '{expression}': {exc}") from None


@dataclass(frozen=True)
class Check:
    """One compiled `[[requirements.cda_checks]]` table."""

    requirement: str
    context: _Path
    volet: str | None
    label: str | None
    message: tuple[str, str] | None
    require: tuple[_Path, ...] = ()
    present: tuple[_Path, ...] = ()
    attributes: tuple[str, ...] = ()
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    valueset: tuple[str, str, bool] | None = None  # attribute, value-set key, check the code system
    no_null_flavor: bool = False
    forbidden: bool = False
    cardinality: tuple[_Path, int, int | None] | None = None
    equal: tuple[_Path, _Path] | None = None
    _judges: tuple[Callable[[etree._Element, CdaData, Out], None], ...] = field(default=(), init=False, repr=False, compare=False)

    # context.from_root, or its ChildPath's select_from_root without the indirection (set in __post_init__)
    _contexts: Callable[[Doc], list[Any]] = field(default=lambda doc: [], init=False, repr=False, compare=False)

    def fail(self, out: Out, element: etree._Element, shape: str, attribute: str | None = None, **values: Any) -> None:
        fr, en = self.message or DEFAULT_MESSAGES[shape]
        fields = {"element": local(element), "attribute": attribute or "", **values}
        if self.label is not None and "path" in fields:
            fields["path"] = self.label
        out.fail(element, fr.format_map(fields), en.format_map(fields), attribute)

    def __post_init__(self) -> None:
        # the judges of the shapes this check has, in _JUDGED order: an element is judged without asking the others
        shapes = {"forbidden": self.forbidden, "no_null_flavor": self.no_null_flavor, "require": self.require,
                  "present": self.present, "attributes": self.attributes, "values": self.values, "valueset": self.valueset,
                  "cardinality": self.cardinality, "equal": self.equal}
        judges = tuple(getattr(self, f"_{shape}") for shape in _JUDGED if shapes[shape])
        object.__setattr__(self, "_judges", judges)
        steps = self.context.steps
        object.__setattr__(self, "_contexts", self.context.from_root if steps is None else steps.select_from_root)

    def run(self, doc: Doc, data: CdaData, out: Out) -> None:
        if self.volet is not None and (doc.volet is None or doc.volet.key != self.volet):
            return
        judges = self._judges
        for element in self._contexts(doc):
            if isinstance(element, etree._Element):
                for judge in judges:
                    judge(element, data, out)

    def _forbidden(self, element: etree._Element, data: CdaData, out: Out) -> None:
        self.fail(out, element, "forbidden")

    def _no_null_flavor(self, element: etree._Element, data: CdaData, out: Out) -> None:
        if has_nf(element):
            self.fail(out, element, "no_null_flavor", "nullFlavor")

    def _require(self, element: etree._Element, data: CdaData, out: Out) -> None:
        for path in self.require:
            if not path(element):
                self.fail(out, element, "require", path=_shown(path.text))

    def _present(self, element: etree._Element, data: CdaData, out: Out) -> None:
        for path in self.present:
            found = [e for e in path(element) if isinstance(e, etree._Element)]
            if not found:
                self.fail(out, element, "present", path=_shown(path.text))
            elif all(has_nf(e) for e in found):
                fr, en = DEFAULT_MESSAGES["present_nf"]
                shown = self.label or _shown(path.text)
                out.fail(found[0], fr.format(path=shown), en.format(path=shown), "nullFlavor")

    def _attributes(self, element: etree._Element, data: CdaData, out: Out) -> None:
        for name in self.attributes:
            if not (element.get(name) or "").strip():
                self.fail(out, element, "attributes", name)

    def _values(self, element: etree._Element, data: CdaData, out: Out) -> None:
        for name, allowed in self.values:
            if element.get(name) not in allowed:
                self.fail(out, element, "values", name, value=element.get(name), expected=" | ".join(allowed))

    def _valueset(self, element: etree._Element, data: CdaData, out: Out) -> None:
        assert self.valueset is not None
        name, key, check_system = self.valueset
        vs, code, system = data.vs(key), element.get(name), element.get("codeSystem")
        if code is not None and not vs.contains(code, system, check_system):
            self.fail(out, element, "valueset", name, value=f"{code}@{system}" if check_system else code, expected=vs.label())

    def _cardinality(self, element: etree._Element, data: CdaData, out: Out) -> None:
        assert self.cardinality is not None
        path, low, high = self.cardinality
        count = len(path(element))
        if count < low or (high is not None and count > high):
            expected = f"{low}..{'*' if high is None else high}"
            self.fail(out, element, "cardinality", path=_shown(path.text), count=count, expected=expected)

    def _equal(self, element: etree._Element, data: CdaData, out: Out) -> None:
        assert self.equal is not None
        left, right = (self._string(p, element) for p in self.equal)
        if left != right:
            self.fail(out, element, "equal", path=_shown(self.equal[0].text), value=left, expected=right)

    @staticmethod
    def _string(path: _Path, element: etree._Element) -> str:
        found = path(element)
        first = found[0] if found else ""
        return (first.text or "") if isinstance(first, etree._Element) else str(first)


def compile_check(where: str, requirement: str, raw: dict[str, Any]) -> Check:
    """Compile one check table (its shape was validated by the pack schema; XPaths are compiled here)."""
    unknown = set(raw) - KEYS
    if unknown:
        raise CheckError(where, f"clé inconnue : {', '.join(sorted(unknown))}", f"unknown key: {', '.join(sorted(unknown))}")
    if not any(shape in raw for shape in SHAPES):
        raise CheckError(where, f"aucune forme de contrôle ({', '.join(SHAPES)})", f"no check shape ({', '.join(SHAPES)})")
    message = raw.get("message")
    cardinality = raw.get("cardinality")
    valueset = raw.get("valueset")
    equal = raw.get("equal")
    if equal is not None and len(equal) != 2:
        raise CheckError(where, "equal : deux chemins attendus", "equal: two paths are expected")
    return Check(
        requirement=requirement,
        context=_compile(where, raw.get("context")),
        volet=raw.get("volet"),
        label=raw.get("label"),
        message=(message["fr"], message["en"]) if message else None,
        require=tuple(_compile(where, p) for p in raw.get("require", ())),
        present=tuple(_compile(where, p) for p in raw.get("present", ())),
        attributes=tuple(raw.get("attributes", ())),
        values=tuple((name, tuple([v] if isinstance(v, str) else v)) for name, v in raw.get("values", {}).items()),
        valueset=(valueset.get("attribute", "code"), valueset["name"], bool(valueset.get("check_system", True))) if valueset else None,
        no_null_flavor=bool(raw.get("no_null_flavor", False)),
        forbidden=bool(raw.get("forbidden", False)),
        cardinality=(_compile(where, cardinality["path"]), int(cardinality.get("min", 0)), cardinality.get("max")) if cardinality else None,
        equal=(_compile(where, equal[0]), _compile(where, equal[1])) if equal else None,
    )


def _runner(checks: tuple[Check, ...]) -> Callable[[Doc, CdaData, Out], None]:
    def run(doc: Doc, data: CdaData, out: Out) -> None:
        for check in checks:
            check.run(doc, data, out)

    return run


def _volet_of(checks: tuple[Check, ...]) -> Callable[[Doc], bool] | None:
    """A requirement whose checks all name one volet is evaluated only on that volet's documents."""
    volets = {c.volet for c in checks}
    if len(volets) != 1 or None in volets:
        return None
    (key,) = volets
    return lambda doc: doc.volet is not None and doc.volet.key == key


def pack_rules(pack: ProfilePack) -> list[Rule]:
    """One rule per requirement of `pack` that carries cda_checks (compiled once per pack by the caller's cache)."""
    rules: list[Rule] = []
    for requirement in pack.requirements:
        raws = requirement.checks.get("cda", ())
        if not raws:
            continue
        where = f"{pack.path} : exigence/requirement {requirement.id}"
        checks = tuple(compile_check(where, requirement.id, raw) for raw in raws)
        rules.append(Rule(requirement.id, _runner(checks), _volet_of(checks)))
    return rules


def declarative_rules(packs: tuple[ProfilePack, ...], registered: tuple[str, ...]) -> list[Rule]:
    """The rules of the packs' cda_checks; a requirement that also has a registered Python rule is refused."""
    rules = [rule for pack in packs for rule in pack_rules(pack)]
    for rule in rules:
        if rule.requirement in registered:
            raise HarnessError(f"{rule.requirement} : une règle Python et des cda_checks ; une seule façon d'évaluer une exigence",
                               f"{rule.requirement}: a Python rule and cda_checks; one way to evaluate a requirement")
    return rules
