"""Entry-point registration: validators, CDA rules, HL7 v2 rule modules, pack folders, suite folders.

One way for everything, the harness's own included (pyproject.toml, [project.entry-points."enrs_harness.*"]):

    enrs_harness.validators   name → module with KIND, detect(data) -> bool, validate(data, path, context) -> ArtefactReport
    enrs_harness.cda_rules    name → a module whose functions are decorated with harness.cda.engine.rule("REQ-ID"),
                              or a function check(doc, data, out), registered for the requirement named by the entry point
    enrs_harness.hl7v2_rules  name → module with check(message, event, profile, context, path), chosen by a pack's
                              [data.hl7v2] rules = "name"; or requirement id → a function check(message, fail)
                              run on every HL7 v2 message while that requirement is selected
    enrs_harness.packs        name → a folder of profile packs (*.toml): a Path, a str, a package (its folder)
                              or a function returning one of those
    enrs_harness.suites       name → a folder of pytest suites, given the same ways

A plugin that cannot be loaded or breaks its contract stops with a bilingual PluginError naming it,
never a traceback; a third-party rule or validator that raises while judging an artefact leaves that
artefact ABORTED with a reason naming the plugin.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.core.errors import HarnessError

GROUPS = {
    "validators": "enrs_harness.validators",
    "cda_rules": "enrs_harness.cda_rules",
    "hl7v2_rules": "enrs_harness.hl7v2_rules",
    "packs": "enrs_harness.packs",
    "suites": "enrs_harness.suites",
}
BUILTIN_DISTRIBUTION = "enrs-harness"


@dataclass(frozen=True)
class Plugin:
    """One registered entry point."""

    group: str
    name: str
    value: str  # "module" or "module:attribute"
    distribution: str
    entry_point: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def builtin(self) -> bool:
        return self.distribution == BUILTIN_DISTRIBUTION

    @property
    def label(self) -> str:
        return f"{self.name} = {self.value} ({self.distribution}, {self.group})"

    def load(self) -> Any:
        try:
            return self.entry_point.load()
        except Exception as exc:  # an import error, a syntax error, a missing attribute in someone else's package
            raise PluginError(self, f"chargement impossible : {type(exc).__name__}: {exc}",
                              f"cannot be loaded: {type(exc).__name__}: {exc}") from None


class PluginError(HarnessError):
    """A plugin that cannot be loaded or does not keep its contract: names the plugin."""

    def __init__(self, plugin: Plugin, fr: str, en: str) -> None:
        super().__init__(f"extension {plugin.label} : {fr}", f"plugin {plugin.label}: {en}")
        self.plugin = plugin


def _distribution(entry_point: Any) -> str:
    dist = getattr(entry_point, "dist", None)
    return str(dist.metadata["Name"]) if dist is not None else "?"


def entry_points(group: str) -> list[Any]:
    """The installed entry points of `group` (the one place that reads the installed metadata; tests fake it)."""
    return list(_installed_entry_points().select(group=group))


@cache
def _installed_entry_points() -> Any:
    """Every installed entry point, read once: each read scans every installed distribution (~6 ms at startup)."""
    return importlib.metadata.entry_points()


@cache
def plugins(kind: str) -> tuple[Plugin, ...]:
    """The plugins of one group (`GROUPS` key): the harness's own first, then the others, each by name."""
    group = GROUPS[kind]
    found: dict[tuple[str, str], Plugin] = {}
    for entry_point in entry_points(group):  # an editable install may list the same entry point twice
        plugin = Plugin(group, entry_point.name, entry_point.value, _distribution(entry_point), entry_point)
        found.setdefault((plugin.name, plugin.value), plugin)
    return tuple(sorted(found.values(), key=lambda p: (not p.builtin, p.name)))


# -- artefact validators ---------------------------------------------------------------------

@cache
def _validators() -> tuple[dict[str, Any], dict[str, Plugin]]:
    loaded: dict[str, Any] = {}
    owners: dict[str, Plugin] = {}
    for plugin in plugins("validators"):
        module = plugin.load()
        kind = getattr(module, "KIND", None)
        if not isinstance(kind, str) or not callable(getattr(module, "detect", None)) or not callable(getattr(module, "validate", None)):
            raise PluginError(plugin, "un validateur définit KIND (str), detect(data) et validate(data, path, context)",
                              "a validator defines KIND (str), detect(data) and validate(data, path, context)")
        if kind in loaded:
            raise PluginError(plugin, f"le type {kind} a déjà un validateur : {owners[kind].label}",
                              f"kind {kind} already has a validator: {owners[kind].label}")
        loaded[kind], owners[kind] = module, plugin
    return loaded, owners


def validators() -> dict[str, Any]:
    """Artefact kind → its validator module, in detection order."""
    return _validators()[0]


def validator_plugin(kind: str) -> Plugin | None:
    return _validators()[1].get(kind)


# -- CDA rules -------------------------------------------------------------------------------

def _guarded(plugin: Plugin, requirement: str, check: Callable[..., None]) -> Callable[..., None]:
    """A third-party rule whose failure names its plugin (the document is then ABORTED with that reason)."""

    @functools.wraps(check)
    def guarded(doc: Any, data: Any, out: Any) -> None:
        try:
            check(doc, data, out)
        except Exception as exc:
            raise PluginError(plugin, f"la règle {requirement} a échoué : {type(exc).__name__}: {exc}",
                              f"rule {requirement} failed: {type(exc).__name__}: {exc}") from None

    return guarded


@cache
def cda_rules() -> tuple[str, ...]:
    """Load every registered CDA rule into `harness.cda.engine.RULES`, once; return the requirement ids registered."""
    from harness.cda import engine

    for plugin in plugins("cda_rules"):
        before = len(engine.RULES)
        try:
            loaded = plugin.load()
            if not isinstance(loaded, ModuleType):
                if not callable(loaded):
                    raise PluginError(plugin, "attendu : un module de règles ou une fonction check(doc, data, out)",
                                      "expected: a rule module or a function check(doc, data, out)")
                engine.rule(plugin.name, when=getattr(loaded, "when", None))(loaded)
        except ValueError as exc:  # two rules for one requirement
            raise PluginError(plugin, f"{exc} (une seule règle par exigence)", f"{exc} (one rule per requirement)") from None
        if not plugin.builtin:
            engine.RULES[before:] = [engine.Rule(r.requirement, _guarded(plugin, r.requirement, r.check), r.when)
                                     for r in engine.RULES[before:]]
            _THIRD_PARTY_RULES.update(r.requirement for r in engine.RULES[before:])
    return tuple(r.requirement for r in engine.RULES)


_THIRD_PARTY_RULES: set[str] = set()  # requirement ids of the rules extensions added to RULES (removed by reset)


# -- HL7 v2 rule modules ---------------------------------------------------------------------

@cache
def _hl7v2_rules() -> tuple[dict[str, tuple[Plugin, Any]], dict[str, tuple[Plugin, Any]]]:
    """(rule modules by name, rule functions by requirement id) of the group enrs_harness.hl7v2_rules."""
    modules: dict[str, tuple[Plugin, Any]] = {}
    functions: dict[str, tuple[Plugin, Any]] = {}
    for plugin in plugins("hl7v2_rules"):
        loaded = plugin.load()
        if isinstance(loaded, ModuleType):
            if not callable(getattr(loaded, "check", None)):
                raise PluginError(plugin, "un module de règles HL7 v2 définit check(message, event, profile, context, path)",
                                  "an HL7 v2 rule module defines check(message, event, profile, context, path)")
            modules[plugin.name] = (plugin, loaded)
        elif callable(loaded):
            functions[plugin.name] = (plugin, _guarded_hl7v2(plugin, loaded) if not plugin.builtin else loaded)
        else:
            raise PluginError(plugin, "attendu : un module de règles ou une fonction check(message, fail)",
                              "expected: a rule module or a function check(message, fail)")
    return modules, functions


def hl7v2_rule_names() -> list[str]:
    """The names a pack may give in `[data.hl7v2] rules`."""
    return list(_hl7v2_rules()[0])


def hl7v2_rule_module(name: str) -> Any:
    """The rule module a pack names with `[data.hl7v2] rules = "name"`."""
    found = _hl7v2_rules()[0].get(name)
    if found is None:
        known = ", ".join(hl7v2_rule_names()) or "-"
        raise HarnessError(f"aucun module de règles HL7 v2 enregistré sous le nom « {name} » (enregistrés : {known})",
                           f"no HL7 v2 rule module registered as '{name}' (registered: {known})")
    return found[1]


def hl7v2_rule_functions() -> dict[str, Callable[..., None]]:
    """Requirement id → a rule function check(message, fail), run on every HL7 v2 message while the requirement is selected."""
    return {requirement: function for requirement, (_plugin, function) in _hl7v2_rules()[1].items()}


def _guarded_hl7v2(plugin: Plugin, check: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(check)
    def guarded(message: Any, fail: Any) -> None:
        try:
            check(message, fail)
        except Exception as exc:
            raise PluginError(plugin, f"la règle {plugin.name} a échoué : {type(exc).__name__}: {exc}",
                              f"rule {plugin.name} failed: {type(exc).__name__}: {exc}") from None

    return guarded


# -- folders of packs and suites ----------------------------------------------------------------

def _folder(plugin: Plugin) -> Path:
    value = plugin.load()
    if isinstance(value, ModuleType):
        value = Path(value.__path__[0]) if hasattr(value, "__path__") else Path(str(value.__file__)).parent
    elif callable(value):
        try:
            value = value()
        except Exception as exc:
            raise PluginError(plugin, f"{type(exc).__name__}: {exc}", f"{type(exc).__name__}: {exc}") from None
    if not isinstance(value, (str, Path)) or not Path(value).is_dir():
        raise PluginError(plugin, f"dossier introuvable : {value}", f"folder not found: {value}")
    return Path(value)


def pack_dirs() -> list[Path]:
    """The registered folders of profile packs: the national packs, then those of installed extensions."""
    return [_folder(p) for p in plugins("packs")]


def suite_dirs() -> list[Path]:
    """The registered folders of pytest suites: the bundled suites, then those of installed extensions."""
    return [_folder(p) for p in plugins("suites")]


def reset() -> None:
    """Forget what was read and loaded, and the rules extensions added (tests that install an extension for a while)."""
    from harness.cda import engine
    from harness.config.schema import _compiled  # the pack schema lists the registered HL7 v2 rule modules

    engine.RULES[:] = [r for r in engine.RULES if r.requirement not in _THIRD_PARTY_RULES]
    _THIRD_PARTY_RULES.clear()
    for cached in (plugins, _validators, cda_rules, _hl7v2_rules, _compiled, _installed_entry_points):
        cached.cache_clear()
