"""Load a schematron of the kit as one self-contained tree, the way the ISO toolchain does.

Steps, all in memory (nothing is written into the kit): resolve `include`s (case-insensitively,
recursively), instantiate abstract patterns (`is-a` + `param`), check abstract rules (`extends`,
expanded by the compiler), keep the patterns of the default phase. Every problem becomes a `KitDefect`, never an exception.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from harness.cdakit.defects import KitDefect
from harness.cdakit.paths import resolve_ci

SCH = "http://purl.oclc.org/dsdl/schematron"
_S = f"{{{SCH}}}"
_MAX_INCLUDE_DEPTH = 32
# attributes holding XPath in which abstract-pattern parameters are substituted
_XPATH_ATTRIBUTES = ("context", "test", "value", "select", "path")


@dataclass
class LoadedSchematron:
    path: Path  # the entry point
    tree: etree._Element  # merged: no include, no abstract pattern; abstract rules at the top
    files: list[Path] = field(default_factory=list)  # every file read, entry point first
    defects: list[KitDefect] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(d.repaired for d in self.defects)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, remove_comments=True,
                           remove_blank_text=True)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_schematron(path: Path, kit_root: Path) -> LoadedSchematron:
    """Read `path` and everything it includes; `kit_root` only shortens paths in messages."""
    loaded = LoadedSchematron(path=path, tree=etree.Element(_S + "schema"))
    try:
        root = etree.parse(str(path), _parser()).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        loaded.defects.append(KitDefect("unreadable", _rel(path, kit_root),
                                        f"schématron illisible : {exc}", f"unreadable schematron: {exc}"))
        return loaded
    loaded.files.append(path)
    _resolve_includes(root, path, kit_root, loaded, depth=0)
    _expand_abstract_patterns(root, path, kit_root, loaded)
    _check_abstract_rules(root, path, kit_root, loaded)
    _select_phase(root, path, kit_root, loaded)
    loaded.tree = root
    return loaded


def _resolve_includes(element: etree._Element, file: Path, kit_root: Path, loaded: LoadedSchematron, depth: int) -> None:
    for include in list(element.iter(_S + "include")):
        href = (include.get("href") or "").split("#", 1)[0]
        parent = include.getparent()
        if parent is None:  # the schema's root is never an include
            continue
        resolved = resolve_ci(file.parent, href) if href else None
        where = f"{_rel(file, kit_root)} → {href}"
        if resolved is None or not resolved.path.is_file():
            loaded.defects.append(KitDefect("missing-file", where, f"fichier inclus absent : {href}", f"included file missing: {href}"))
            parent.remove(include)
            continue
        if resolved.case_differs:
            loaded.defects.append(KitDefect(
                "case", where, f"inclusion résolue sans tenir compte de la casse : {_rel(resolved.path, kit_root)}",
                f"include resolved ignoring case: {_rel(resolved.path, kit_root)}", repaired=True))
        if depth >= _MAX_INCLUDE_DEPTH:
            loaded.defects.append(KitDefect("unreadable", where, "inclusions trop imbriquées (boucle ?)",
                                            "includes nested too deep (a loop?)"))
            parent.remove(include)
            continue
        try:
            target = etree.parse(str(resolved.path), _parser()).getroot()
        except (OSError, etree.XMLSyntaxError) as exc:
            loaded.defects.append(KitDefect("unreadable", where, f"fichier inclus illisible : {exc}", f"included file unreadable: {exc}"))
            parent.remove(include)
            continue
        loaded.files.append(resolved.path)
        _resolve_includes(target, resolved.path, kit_root, loaded, depth + 1)
        parent.replace(include, target)


def _substitute(text: str, params: list[tuple[str, str]]) -> str:
    for name, value in params:  # longest names first, so $path_jdv never eats $path_jdv1
        text = re.sub(r"\$" + re.escape(name) + r"(?![\w.\-])", value.replace("\\", "\\\\"), text)  # the value literally
    return text


def _detach(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _expand_abstract_patterns(root: etree._Element, path: Path, kit_root: Path, loaded: LoadedSchematron) -> None:
    patterns = list(root.iter(_S + "pattern"))
    abstract = {p.get("id"): p for p in patterns if p.get("abstract") == "true"}
    for pattern in patterns:
        base_id = pattern.get("is-a")
        if not base_id:
            continue
        base = abstract.get(base_id)
        if base is None:
            loaded.defects.append(KitDefect("missing-abstract", f"{_rel(path, kit_root)} : {pattern.get('id')}",
                                            f"motif abstrait « {base_id} » introuvable", f"abstract pattern '{base_id}' not found"))
            _detach(pattern)
            continue
        params = [(p.get("name", ""), p.get("value", "")) for p in pattern.findall(_S + "param")]
        params.sort(key=lambda item: -len(item[0]))
        for child in list(pattern):
            if child.tag == _S + "param":
                pattern.remove(child)
        for child in base:
            if child.tag in (_S + "title", _S + "p"):
                continue
            clone = copy.deepcopy(child)
            for node in clone.iter():
                for attribute in _XPATH_ATTRIBUTES:
                    if attribute in node.attrib:
                        node.set(attribute, _substitute(node.get(attribute, ""), params))
            pattern.append(clone)
        del pattern.attrib["is-a"]
    for pattern in abstract.values():
        _detach(pattern)


def _check_abstract_rules(root: etree._Element, path: Path, kit_root: Path, loaded: LoadedSchematron) -> None:
    """Drop `extends` that name no abstract rule, or that loop; the compiler expands the others."""
    abstract = {r.get("id"): r for r in root.iter(_S + "rule") if r.get("abstract") == "true"}

    def bases(rule: etree._Element) -> list[str]:
        return [e.get("rule", "") for e in rule.iter(_S + "extends")]

    def loops(name: str, seen: tuple[str, ...]) -> bool:
        if name in seen:
            return True
        return any(loops(child, seen + (name,)) for child in bases(abstract[name]) if child in abstract)

    for rule in list(root.iter(_S + "rule")):
        for extends in list(rule.iter(_S + "extends")):
            name = extends.get("rule", "")
            if name in abstract and not loops(name, (rule.get("id", ""),) if rule.get("abstract") == "true" else ()):
                continue
            loaded.defects.append(KitDefect("missing-rule", f"{_rel(path, kit_root)} : {rule.get('id') or rule.get('context')}",
                                            f"règle abstraite « {name} » introuvable ou récursive",
                                            f"abstract rule '{name}' not found or recursive"))
            _detach(extends)
    # keep abstract rules whatever the phase: move them to the top of the tree
    for rule in abstract.values():
        if rule.getparent() is not root:
            _detach(rule)
            root.append(rule)


def _select_phase(root: etree._Element, path: Path, kit_root: Path, loaded: LoadedSchematron) -> None:
    """Keep the patterns the default phase activates (all of them without a default phase)."""
    phase_id = root.get("defaultPhase")
    phases = {p.get("id"): p for p in root.findall(_S + "phase")}
    if not phase_id or phase_id == "#ALL" or phase_id not in phases:
        return
    active = [a.get("pattern") for a in phases[phase_id].findall(_S + "active")]
    present = {p.get("id") for p in root.iter(_S + "pattern")}
    for name in active:
        if name not in present:
            loaded.defects.append(KitDefect("missing-pattern", f"{_rel(path, kit_root)} : phase {phase_id}",
                                            f"la phase active le motif « {name} » qui n'existe pas (inclusion absente ?)",
                                            f"the phase activates pattern '{name}', which does not exist (missing include?)"))
    wanted = set(active)
    for pattern in list(root.iter(_S + "pattern")):
        if pattern.get("id") not in wanted:
            _detach(pattern)
