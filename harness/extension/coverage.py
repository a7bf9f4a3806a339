"""Requirement coverage (`enrs-harness profiles coverage`): what evaluates each requirement of the loaded packs.

An evaluator is one of:
- a registered artefact validator that says what it evaluates (an optional `evaluates(registry)` function of the
  validator module: requirement id → descriptions; the CDA and HL7 v2 validators list their rules, their
  declarative checks and their generic checks);
- for a validator without `evaluates` (its rules are driven by data, e.g. XDS, XDM, MSSanté): what it evaluated on
  the bundled conforming artefacts of its kind, validated for the occasion (observed, never hand-listed);
- a suite test that names the requirement: `@pytest.mark.requirement("ID")` or `enrs.requirement("ID", …)`
  in a test file of the registered suite folders or of --suites (read, not run: no target is contacted), or
  that records a whole pack itself (`@pytest.mark.profile("PACK")`, e.g. a pack judged on what a candidate sent);
A requirement nothing evaluates must say why in its pack (`not_tested_reason = { fr, en }`); one that
states neither is a gap, and the command exits 1.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.packs import PackRegistry
from harness.core.i18n import Text
from harness.extension.registry import validators


@dataclass
class Coverage:
    requirement: str
    pack: str
    level: str
    evaluators: list[str] = field(default_factory=list)
    not_tested_reason: Text | None = None

    @property
    def status(self) -> str:
        return "evaluated" if self.evaluators else "not-tested" if self.not_tested_reason else "gap"

    def to_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "pack": self.pack, "level": self.level, "status": self.status,
                "evaluated_by": self.evaluators,
                "not_tested_reason": self.not_tested_reason.to_dict() if self.not_tested_reason else None}


PACK_PREFIX = "pack:"  # key of a `profile` marker's pack: the test records verdicts for each of its requirements itself


def suite_requirements(folders: Iterable[Path]) -> dict[str, list[str]]:
    """Requirement id → the suite tests naming it (markers and `enrs.requirement` calls with a literal id);
    "pack:<id>" → the tests marked `@pytest.mark.profile("<id>")`, which record every requirement of that pack."""
    found: dict[str, list[str]] = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            except (OSError, SyntaxError, UnicodeDecodeError):
                continue  # pytest reports such a file when it collects it
            for function in ast.walk(tree):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
                    continue
                where = f"{path.relative_to(folder)}::{getattr(function, 'name', '')}".rstrip(":")
                for node in _own_nodes(function):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("requirement", "profile"):
                        for arg in node.args:
                            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                                key = arg.value if node.func.attr == "requirement" else f"{PACK_PREFIX}{arg.value}"
                                found.setdefault(key, []).append(f"suite {Path(folder).name}/{where}")
    return {requirement: list(dict.fromkeys(tests)) for requirement, tests in found.items()}


def _own_nodes(scope: ast.AST) -> Iterable[ast.AST]:
    """The nodes of `scope` outside nested functions and classes (each is reported under its own name)."""
    pending = list(ast.iter_child_nodes(scope))  # a function's decorators included
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def observed_on_fixtures(registry: PackRegistry, kinds: set[str]) -> dict[str, list[str]]:
    """Requirement id → "observed on conforming/<file>" for the validators of `kinds`, from their reports on the
    bundled conforming artefacts (a requirement no conforming fixture exercises stays a gap)."""
    from harness.config.context import ValidationContext
    from harness.core.fileio import read_bounded
    from harness.core.resources import bundled_dir
    from harness.validation.dispatch import detect_kind, validate_bytes, walk_artefacts

    root = bundled_dir("fixtures")
    context = ValidationContext(registry=registry, selected=list(registry.packs.values()))  # opt-in packs too
    found: dict[str, list[str]] = {}
    files, _ignored = walk_artefacts([root / "conforming"])
    for path in files:
        data = read_bounded(path, context.max_bytes)
        kind = detect_kind(data)
        if kind not in kinds:
            continue
        report = validate_bytes(data, str(path), context)
        for requirement in report.evaluated:
            found.setdefault(requirement, []).append(f"validator:{kind} observed on {path.relative_to(root).as_posix()}")
    return found


def coverage(registry: PackRegistry, suites: Iterable[Path]) -> list[Coverage]:
    evaluators: dict[str, list[str]] = {}
    unlisted: set[str] = set()
    for kind, module in validators().items():
        evaluates = getattr(module, "evaluates", None)
        if callable(evaluates):
            for requirement, what in evaluates(registry).items():
                evaluators.setdefault(requirement, []).extend(f"validator:{kind} {w}" for w in what)
        else:
            unlisted.add(kind)
    for requirement, what in observed_on_fixtures(registry, unlisted).items():
        evaluators.setdefault(requirement, []).extend(list(dict.fromkeys(what))[:3])
    members = {f"{PACK_PREFIX}{pack.id}": [r.id for r in pack.requirements] for pack in registry.packs.values()}
    for requirement, tests in suite_requirements(suites).items():
        for one in members.get(requirement, [requirement]):
            evaluators.setdefault(one, []).extend(tests)
    return [Coverage(r.id, r.pack_id, r.level, evaluators.get(r.id, []), r.not_tested_reason)
            for pack in registry.packs.values() for r in pack.requirements]
