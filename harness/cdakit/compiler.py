"""The project's own schematron → XSLT 2.0 compiler, for the subset the agency's kit uses.

Input: a tree from `loader.load_schematron` (includes, abstract patterns and rules already
resolved). Output: an XSLT 2.0 stylesheet that writes SVRL (`svrl:failed-assert`,
`svrl:successful-report`), with the ISO semantics the kit relies on:

- each pattern is one traversal of the document (its own mode); within a pattern the first rule
  whose context matches a node fires (rules get decreasing priorities), and a node fires at most
  one rule per pattern;
- `let` in a rule is a local variable, in a pattern or the schema a global one (as the ISO
  skeleton does); `value-of` and `name` in messages are evaluated;
- an abstract rule that uses no variable of the rules extending it becomes one named template,
  called by each of them (the ISO skeleton copies it into each: the agency's header schematron
  grows from 2,300 to 12,900 asserts that way); the others are copied in place;
- `doc()`, `document()` and `doc-available()` go through `enrs:doc…` functions that resolve a
  path against the schematron's folder, ignoring case, and only inside the kit (plus files the
  harness substitutes, see docs/cda-kit.md): a document can never make the kit read elsewhere.

The stylesheet does not depend on where the kit is: the folder is a parameter, so it is cached
by the content hash of the merged schematron alone.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree

from harness.cda.steps import split_outside_brackets
from harness.cdakit.loader import SCH

COMPILER_VERSION = "enrs-sch2xslt/4"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
ENRS = "urn:enrs-harness:cdakit"
XS = "http://www.w3.org/2001/XMLSchema"
PARAM_BASE = "enrs-kit-base"  # URI of the schematron's folder (relative doc() paths resolve against it)
PARAM_INDEX = "enrs-kit-index"  # URI of the file index of the kit (see runtime.py)

_S = f"{{{SCH}}}"
_X = f"{{{XSL}}}"
_VARIABLE = re.compile(r"\$([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)")
_DOC_CALL = re.compile(r"(?<![\w:$.\-])(doc-available|document|doc)\s*\(")
_PREDICATE = re.compile(r"\[[^\[\]]*\]")
_FUNCTION_START = re.compile(r"^(?:key|id|element-with-id|doc|document|enrs:doc|enrs:document)\s*\(")

# Functions every compiled stylesheet carries.
_PRELUDE = f"""
<xsl:stylesheet version="2.0" xmlns:xsl="{XSL}" xmlns:xs="{XS}" xmlns:enrs="{ENRS}">
  <xsl:param name="{PARAM_BASE}" as="xs:string" select="''"/>
  <xsl:param name="{PARAM_INDEX}" as="xs:string" select="''"/>
  <xsl:variable name="enrs:files" select="if (${PARAM_INDEX}) then doc(${PARAM_INDEX}) else ()"/>
  <xsl:key name="enrs:file" match="f" use="@k"/>
  <xsl:function name="enrs:resolve" as="xs:string?">
    <xsl:param name="href" as="item()?"/>
    <xsl:variable name="uri" select="if (empty($href) or string($href) = '') then ''
        else replace(lower-case(string(resolve-uri(string($href), ${PARAM_BASE}))), '^file:/+', 'file:///')"/>
    <xsl:sequence select="if ($uri and exists($enrs:files)) then (key('enrs:file', $uri, $enrs:files)/@u)[1]/string() else ()"/>
  </xsl:function>
  <xsl:function name="enrs:doc" as="document-node()?">
    <xsl:param name="href" as="item()?"/>
    <xsl:variable name="target" select="enrs:resolve($href)"/>
    <xsl:sequence select="if (exists($target)) then doc($target)
        else error(QName('{ENRS}', 'enrs:missing'), concat('kit file not found: ', string($href)))"/>
  </xsl:function>
  <xsl:function name="enrs:document" as="document-node()?">
    <xsl:param name="href" as="item()?"/>
    <xsl:sequence select="enrs:doc($href)"/>
  </xsl:function>
  <xsl:function name="enrs:doc-available" as="xs:boolean">
    <xsl:param name="href" as="item()?"/>
    <xsl:variable name="target" select="enrs:resolve($href)"/>
    <xsl:sequence select="exists($target) and doc-available($target)"/>
  </xsl:function>
  <xsl:function name="enrs:path" as="xs:string">
    <xsl:param name="node" as="node()"/>
    <xsl:variable name="steps" select="for $n in $node/ancestor-or-self::node()[parent::node()] return
        if ($n instance of element()) then concat('/', name($n), '[', count($n/preceding-sibling::*[node-name(.) = node-name($n)]) + 1, ']')
        else if ($n instance of attribute()) then concat('/@', name($n))
        else if ($n instance of text()) then '/text()' else '/node()'"/>
    <xsl:sequence select="if (empty($steps)) then '/' else string-join($steps, '')"/>
  </xsl:function>
  <xsl:function name="enrs:steps" as="xs:string">
    <xsl:param name="node" as="node()"/>
    <xsl:variable name="element" select="$node/ancestor-or-self::*[1]"/>
    <xsl:sequence select="string-join(for $e in $element/ancestor-or-self::* return string(count($e/preceding-sibling::*) + 1), '/')"/>
  </xsl:function>
</xsl:stylesheet>
"""


def _avt(text: str) -> str:
    """A literal for an attribute value template."""
    return text.replace("{", "{{").replace("}", "}}")


def _xpath(text: str) -> str:
    """Route document loading through the kit-confined functions."""
    return _DOC_CALL.sub(lambda m: f"enrs:{m.group(1)}(", text)


def _visits_attributes(pattern: etree._Element) -> bool:
    for rule in pattern.findall(_S + "rule"):
        context = rule.get("context", "")
        while _PREDICATE.search(context):
            context = _PREDICATE.sub("", context)
        if "@" in context or "attribute::" in context:
            return True
    return False


def compile_to_xslt(tree: etree._Element, title: str) -> bytes:
    """The XSLT 2.0 text of a merged schematron tree."""
    sheet = etree.fromstring(_PRELUDE.strip().encode())
    namespaces = {ns.get("prefix"): ns.get("uri") for ns in tree.iter(_S + "ns") if ns.get("prefix") and ns.get("uri")}
    namespaces.setdefault("svrl", SVRL)
    # lxml cannot add namespace declarations to an existing element: rebuild the root with them
    nsmap = dict(sheet.nsmap)
    for prefix, uri in namespaces.items():
        if prefix not in nsmap and prefix != "xml" and uri:
            nsmap[prefix] = uri
    root = etree.Element(_X + "stylesheet", nsmap=nsmap, version="2.0")
    root.extend(list(sheet))

    patterns = [p for p in tree.iter(_S + "pattern") if _concrete_rules(p) or p.find(_S + "let") is not None]
    declared: set[str] = {PARAM_BASE, PARAM_INDEX}
    for let in tree.findall(_S + "let") + [let for p in patterns for let in p.findall(_S + "let")]:
        _global_let(root, let, declared)

    abstract = {r.get("id", ""): r for r in tree.iter(_S + "rule") if r.get("abstract") == "true" and r.get("id")}
    called = _callable_abstract_rules(abstract, declared) & _reachable(patterns, abstract)
    for name in sorted(called):
        template = etree.SubElement(root, _X + "template", name=_template_name(name))
        etree.SubElement(template, _X + "param", name="enrs-pattern")
        etree.SubElement(template, _X + "param", name="enrs-rule")
        _body(template, abstract[name], abstract, called, (name,))

    main = etree.SubElement(root, _X + "template", match="/")
    output = etree.SubElement(main, f"{{{SVRL}}}schematron-output", title=_avt(title),
                              schemaVersion=_avt(tree.get("schemaVersion", "")))
    for index, pattern in enumerate(patterns):
        mode = f"M{index}"
        etree.SubElement(output, f"{{{SVRL}}}active-pattern", id=_avt(pattern.get("id", mode)))
        candidates = _candidates(_concrete_rules(pattern))
        etree.SubElement(output, _X + "apply-templates", select=candidates or "/", mode=mode)
        _pattern(root, pattern, mode, abstract, called, walk=candidates is None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _global_let(root: etree._Element, let: etree._Element, declared: set[str]) -> None:
    name = let.get("name", "")
    if not name or name in declared:
        return  # a duplicate global let: the first one wins (the ISO skeleton would refuse to compile)
    declared.add(name)
    variable = etree.SubElement(root, _X + "variable", name=name)
    if let.get("value") is not None:
        variable.set("select", _xpath(let.get("value", "")))
    else:
        variable.extend(copy_children(let))


def copy_children(element: etree._Element) -> list[etree._Element]:
    return [deepcopy(child) for child in element]


def _concrete_rules(pattern: etree._Element) -> list[etree._Element]:
    return [r for r in pattern.findall(_S + "rule") if r.get("context") and r.get("abstract") != "true"]


def _reachable(patterns: list[etree._Element], abstract: dict[str, etree._Element]) -> set[str]:
    """Abstract rules some concrete rule extends, directly or through other abstract rules."""
    found: set[str] = set()
    todo = [e.get("rule", "") for p in patterns for r in _concrete_rules(p) for e in r.findall(_S + "extends")]
    while todo:
        name = todo.pop()
        if name in abstract and name not in found:
            found.add(name)
            todo.extend(e.get("rule", "") for e in abstract[name].findall(_S + "extends"))
    return found


def _template_name(rule_id: str) -> str:
    return "enrs-abstract-" + re.sub(r"[^\w.\-]", "_", rule_id)


def _callable_abstract_rules(abstract: dict[str, etree._Element], globals_: set[str]) -> set[str]:
    """Abstract rules whose variables are all their own or global: safe as named templates."""
    found = set()
    for name, rule in abstract.items():
        own = {let.get("name") for let in rule.findall(_S + "let")}
        used = {m.group(1) for node in rule.iter() for attribute in ("test", "value", "select")
                for m in _VARIABLE.finditer(node.get(attribute) or "")}
        if used <= own | globals_:
            found.add(name)
    return found


def _candidates(rules: list[etree._Element]) -> str | None:
    """The nodes some rule of the pattern can match, as one expression, or None to walk the tree.

    A node matches an XSLT pattern P when it is selected by `//P` (`P` itself when P starts with
    '/'); selecting those nodes directly, instead of visiting every node of the document, gives
    the same rule firings (each node once, first matching rule by priority) for much less work.
    """
    alternatives: list[str] = []
    for rule in rules:
        for alternative in split_outside_brackets(_xpath(rule.get("context", "")), "|"):
            alternative = alternative.strip()
            if not alternative or _FUNCTION_START.match(alternative):
                return None  # key(), id(), …: leave it to the tree walk
            alternatives.append(alternative if alternative.startswith("/") else "//" + alternative)
    return " | ".join(f"({a})" for a in alternatives) if alternatives else None


def _pattern(root: etree._Element, pattern: etree._Element, mode: str, abstract: dict[str, etree._Element], called: set[str],
             walk: bool) -> None:
    """The templates of one pattern; `walk`: the pattern visits the whole tree (else its candidates only)."""
    visit = "@*|*" if _visits_attributes(pattern) else "*"
    rules = _concrete_rules(pattern)
    for position, rule in enumerate(rules):
        template = etree.SubElement(root, _X + "template", match=_xpath(rule.get("context", "")),
                                    priority=str(1000 + len(rules) - position), mode=mode)
        etree.SubElement(template, _X + "variable", name="enrs-pattern", select=_string_literal(pattern.get("id", "")))
        etree.SubElement(template, _X + "variable", name="enrs-rule", select=_string_literal(rule.get("id", "")))
        _body(template, rule, abstract, called, ())
        if walk:
            etree.SubElement(template, _X + "apply-templates", select=visit, mode=mode)
    etree.SubElement(root, _X + "template", match="text()", priority="-1", mode=mode)
    fallback = etree.SubElement(root, _X + "template", match="@*|node()", priority="-2", mode=mode)
    if walk:
        etree.SubElement(fallback, _X + "apply-templates", select=visit, mode=mode)


def _string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _body(template: etree._Element, rule: etree._Element, abstract: dict[str, etree._Element], called: set[str],
          seen: tuple[str, ...]) -> None:
    """The lets, asserts and reports of a rule, in order; `extends` called or copied in place."""
    for item in rule:
        if item.tag == _S + "let":
            variable = etree.SubElement(template, _X + "variable", name=item.get("name", ""))
            if item.get("value") is not None:
                variable.set("select", _xpath(item.get("value", "")))
            else:
                variable.extend(copy_children(item))
        elif item.tag in (_S + "assert", _S + "report"):
            _check(template, item)
        elif item.tag == _S + "extends":
            name = item.get("rule", "")
            if name in seen or name not in abstract:
                continue  # reported by the loader
            if name in called:
                call = etree.SubElement(template, _X + "call-template", name=_template_name(name))
                etree.SubElement(call, _X + "with-param", name="enrs-pattern", select="$enrs-pattern")
                etree.SubElement(call, _X + "with-param", name="enrs-rule", select="$enrs-rule")
            else:
                _body(template, abstract[name], abstract, called, seen + (name,))


def _check(template: etree._Element, item: etree._Element) -> None:
    is_assert = item.tag == _S + "assert"
    test = item.get("test", "true()")
    condition = etree.SubElement(template, _X + "if", test=f"not({_xpath(test)})" if is_assert else _xpath(test))
    name = "failed-assert" if is_assert else "successful-report"
    result = etree.SubElement(condition, f"{{{SVRL}}}{name}", test=_avt(test))
    for attribute, value in (("id", item.get("id")), ("role", item.get("role") or item.get("flag")), ("see", item.get("see"))):
        if value:
            result.set(attribute, _avt(value))
    etree.SubElement(result, _X + "attribute", name="pattern", select="$enrs-pattern")
    etree.SubElement(result, _X + "attribute", name="rule", select="$enrs-rule")
    etree.SubElement(result, _X + "attribute", name="location", select="enrs:path(.)")
    etree.SubElement(result, _X + "attribute", name="steps", select="enrs:steps(.)")
    text = etree.SubElement(result, f"{{{SVRL}}}text")
    _message(text, item)


def _message(target: etree._Element, item: etree._Element) -> None:
    if item.text:
        etree.SubElement(target, _X + "text").text = item.text
    for child in item:
        if child.tag == _S + "value-of":
            etree.SubElement(target, _X + "value-of", select=_xpath(child.get("select", "''")))
        elif child.tag == _S + "name":
            etree.SubElement(target, _X + "value-of", select=f"name({_xpath(child.get('path', '.'))})")
        else:  # emph, dir, span, …: keep their text
            _message(target, child)
        if child.tail:
            etree.SubElement(target, _X + "text").text = child.tail
