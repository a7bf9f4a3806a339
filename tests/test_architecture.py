"""The layering of docs/architecture.md, enforced: each sub-package of harness imports only those below it.

Every `import harness…` of every module is read (at module level and inside functions, where the lazy imports
are; not those under `if TYPE_CHECKING:`, which never run). An import of a sub-package of the same or a higher
layer fails, so there can be no import cycle between sub-packages. Loading the pytest plugin must not import
kit mode (cdakit) or Saxon: checked in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"
KIT = Path(__file__).resolve().parent / "cdakit" / "mini-kit"

# Lowest first; the sub-packages (and top modules) of one line import nothing of each other.
LAYERS = [
    ("core", "harness"),  # "harness": the package's own __init__ (its version)
    ("config", "pki", "pages"),
    ("extension",),  # the registry of plugins (entry points): rules and validators are looked up through it
    ("cda", "vihf"),
    ("cdakit",),
    ("hl7v2",),
    ("xds",),
    ("xdm",),
    ("mssante",),
    ("validation",),
    ("net", "cluster"),
    ("simulator",),
    ("certificates",),
    ("run",),
    ("campaign",),
    ("cli",),
    ("__main__",),  # python -m harness
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}

# Lazy imports (inside a function) that go up a layer, each with why; an entry no longer needed fails the test.
ALLOWED_UPWARDS = {
    ("harness.cda", "harness.cdakit.valuesets"): "kit mode, only with --kit: the kit's value sets replace the packs'",
    ("harness.cda", "harness.cdakit"): "kit mode, only with --kit: the kit's findings join the native ones",
    ("harness.config.schema", "harness.extension.registry"): "the pack schema lists the registered HL7 v2 rule modules",
    ("harness.config.packs", "harness.cda.declarative"): "a pack's declarative CDA checks are compiled when it loads",
    ("harness.config.packs", "harness.hl7v2.declarative"): "a pack's declarative HL7 v2 checks are compiled when it loads",
    ("harness.config.packs", "harness.extension.registry"): "the packs of installed extensions are found through the registry",
    ("harness.config.pack_cache", "harness.extension.registry"): "the pack cache's key names the registered HL7 v2 rule modules",
    ("harness.extension.registry", "harness.cda.engine"): "registered CDA rules join the engine's rule table",
    ("harness.extension.coverage", "harness.validation.dispatch"): "coverage validates the bundled conforming artefacts",
    ("harness.xdm.package", "harness.validation.dispatch"): "the documents of a package are judged by their own validators",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(HARNESS.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(HARNESS.rglob("*.py"))}


def unit(module: str) -> str:
    """The sub-package (or top module) a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "harness"


def imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported harness module, line, inside a function) for every import that runs."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                 for n in ast.walk(node)}
    in_function = {id(n) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                   for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:  # `import harness.x.y` names the module; `from m import f` a name in m
                name = name.rpartition(".")[0]
            if name.startswith("harness"):
                found.append((name, node.lineno, id(node) in in_function))
    return found


def test_every_sub_package_has_a_layer() -> None:
    missing = sorted({unit(m) for m in MODULES} - RANK.keys())
    assert missing == [], f"add {missing} to LAYERS here and to docs/architecture.md"


def test_each_sub_package_imports_only_lower_layers() -> None:
    wrong, used = [], set()
    for module in MODULES:
        for target, line, lazy in imports(module):
            if unit(target) == unit(module) or RANK[unit(target)] < RANK[unit(module)]:
                continue
            if lazy and (module, target) in ALLOWED_UPWARDS:
                used.add((module, target))
                continue
            wrong.append(f"{module}:{line} imports {target} ({unit(module)} may not import {unit(target)})")
    assert wrong == []
    assert used == ALLOWED_UPWARDS.keys(), f"no longer needed: {sorted(ALLOWED_UPWARDS.keys() - used)}"


def test_core_imports_nothing_else_of_harness() -> None:
    assert [(m, t) for m in MODULES if unit(m) == "core" for t, _, _ in imports(m) if unit(t) != "core"] == []


def test_the_check_sees_an_upward_and_a_lazy_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader itself: a module-level and a function-level import are both found, TYPE_CHECKING ones are not."""
    monkeypatch.setitem(MODULES, "harness.core._layering_probe", tmp_path / "_layering_probe.py")
    (tmp_path / "_layering_probe.py").write_text(
        "from typing import TYPE_CHECKING\nfrom harness.run import folder\nfrom . import errors\n"
        "if TYPE_CHECKING:\n    import harness.cli\n\ndef f():\n    from harness.cda.parse import parse\n", encoding="utf-8")
    assert imports("harness.core._layering_probe") == [
        ("harness.run.folder", 2, False), ("harness.core.errors", 3, False), ("harness.cda.parse", 8, True)]


def loaded_after(code: str) -> list[str]:
    """The modules of harness, cdakit's and Saxon's, that a fresh interpreter has loaded after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith(('harness', 'saxonche')))))"
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    loaded: list[str] = json.loads(process.stdout.splitlines()[-1])
    return loaded


@pytest.mark.slow
def test_loading_the_plugin_imports_neither_kit_mode_nor_saxon() -> None:
    loaded = loaded_after("import harness.run.plugin")
    assert "harness.run.plugin" in loaded
    assert [m for m in loaded if m.startswith(("harness.cdakit", "saxonche"))] == []


@pytest.mark.slow
def test_kit_mode_is_imported_when_a_kit_is_given() -> None:
    pytest.importorskip("saxonche")
    without = loaded_after("from harness.validation.dispatch import make_context\nmake_context([], [], None)")
    assert [m for m in without if m.startswith(("harness.cdakit", "saxonche"))] == []
    with_kit = loaded_after(f"from pathlib import Path\nfrom harness.validation.dispatch import make_context\n"
                            f"make_context([], [], Path({str(KIT)!r}))")
    assert "harness.cdakit.layout" in with_kit and "saxonche" in with_kit


def test_the_tests_mirror_the_package_layout() -> None:
    """Each folder of tests/ is named after a sub-package of harness, and the slow modules listed in
    tests/conftest.py exist (a renamed module would silently lose its mark)."""
    from .conftest import SLOW_MODULES

    tests = Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    not_a_package = {"extension"}  # the public extension API's tests (a regional package), not one sub-package
    assert folders - set(RANK) - not_a_package == set(), "a test folder is named after a sub-package of harness"
    assert sorted(m for m in SLOW_MODULES if not (tests.parent / m).is_file()) == []
