"""Schemas of the harness's configuration files (target, profile pack, campaign, waivers), checked before use.

Each file is read as TOML (`fileio.read_toml`), its nesting depth bounded, then validated with
jsonschema: a wrong type, an unknown key (with the nearest valid one), a missing key or a value
out of range stops with an error naming the file, the key and what was expected, in French and
English. The loaders then read values they know have the right type.

To accept a new key, add it to the schema below (e.g. a `scope` table of the target file goes in
`TARGET_SCHEMA["properties"]`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from functools import cache
from typing import Any

MAX_DEPTH = 12  # no configuration file of the harness nests deeper; a hostile one stops here

Fail = Callable[[str, str, str], Exception]  # (where, fr, en) → the caller's error naming its file


def _text(fr: str, en: str, **schema: Any) -> dict[str, Any]:
    return {**schema, "x-fr": fr, "x-en": en}


STRING = _text("un texte non vide", "a non-empty string", type="string", minLength=1, pattern=r"\S")
PATH = _text("un chemin (texte)", "a path (string)", type="string", minLength=1)
PATHS = _text("une liste de chemins", "a list of paths", type="array", items=PATH)
STRINGS = _text("un texte ou une liste de textes", "a string or a list of strings",
                anyOf=[STRING, {"type": "array", "items": STRING}])


def _seconds(high: float, low_exclusive: float = 0) -> dict[str, Any]:
    return _text(f"un nombre de secondes, > {low_exclusive:g} et ≤ {high:g}", f"a number of seconds, > {low_exclusive:g} and ≤ {high:g}",
                 type="number", exclusiveMinimum=low_exclusive, maximum=high, not_bool=True)


def _table(properties: dict[str, Any], required: tuple[str, ...] = (), extra: Any = False) -> dict[str, Any]:
    return _text("une table", "a table", type="object", properties=properties, required=list(required), additionalProperties=extra)


TARGET_SCHEMA: dict[str, Any] = _table(
    {
        "candidate": _table({"name": STRING, "vendor": STRING, "version": STRING}, ("name", "vendor", "version")),
        "timeouts": _table({"connect": _seconds(600), "read": _seconds(600), "exchange": _seconds(3600)}),
        "tls": _table({
            "ca_bundle": PATH, "client_cert": PATH, "client_key": PATH,
            "client_key_password": STRING,  # secret (harness.config.target.SECRET_FIELDS)
            "server_name": STRING,
        }),
        "endpoints": _text("une liste de tables [[endpoints]]", "a list of [[endpoints]] tables", type="array", items=_table({
            "name": STRING,
            "protocol": _text("mllp, mllp+tls, http, https ou smtp", "mllp, mllp+tls, http, https or smtp",
                              enum=["mllp", "mllp+tls", "http", "https", "smtp"]),
            "host": STRING,
            "port": _text("un port entre 1 et 65535", "a port between 1 and 65535", type="integer", minimum=1, maximum=65535,
                          not_bool=True),
            "path": _text("un chemin d'URL commençant par /", "a URL path starting with /", type="string", pattern="^/"),
            "roles": _text("une liste de textes", "a list of strings", type="array", items=STRING),
        }, ("name", "protocol", "host", "port"))),
        "documents": _table({"paths": PATHS}),
        "auth": _text("une table de secrets (textes)", "a table of secrets (strings)", type="object", additionalProperties=STRING),
        "settings": _text("une table", "a table", type="object"),  # read by the suites, which check their own keys
        "scope": _table({"roles": _text("une liste de textes", "a list of strings", type="array", items=STRING),
                         "profiles": _text("une liste de textes", "a list of strings", type="array", items=STRING),
                         "volets": _text("une liste de textes", "a list of strings", type="array", items=STRING)}),  # harness.config.scope
        "xds": _table({  # suites/xds (docs/xds.md): the XDS.b service and the candidate's role
            "role": _text("registry-repository ou document-source", "registry-repository or document-source",
                          enum=["registry-repository", "document-source"]),
            "endpoint": STRING,
            "path": _text("un chemin d'URL commençant par /", "a URL path starting with /", type="string", pattern="^/"),
            "repository_unique_id": STRING, "patient_id": STRING, "vihf_cert": PATH, "vihf_key": PATH, "vihf_trust": PATH,
            # role document-source: where the harness listens as a repository, and for how long
            "listen_host": STRING,
            "listen_port": _text("un port entre 0 et 65535", "a port between 0 and 65535", type="integer", minimum=0, maximum=65535,
                                 not_bool=True),
            "window": _seconds(3600),
        }, ("role",)),
    },
    ("candidate",),
)

CAMPAIGN_SCHEMA: dict[str, Any] = _table(
    {
        "campaign": _table({
            "id": STRING, "title": STRING, "output": PATH, "timeout": _seconds(24 * 3600, 0),
            "jobs": _text("un entier entre 1 et 64", "an integer between 1 and 64", type="integer", minimum=1, maximum=64, not_bool=True),
            "lang": _text("fr ou en", "fr or en", enum=["fr", "en"]),
            "waivers": PATH, "sign_with": PATH, "profiles": STRINGS, "profiles_dirs": STRINGS, "suites": STRINGS,
        }, ("id",)),
        "candidates": _text("une liste de tables [[candidates]]", "a list of [[candidates]] tables", type="array", items=_table({
            "name": STRING, "vendor": STRING, "version": STRING, "target": PATH, "documents": STRINGS, "profiles": STRINGS,
            "timeout": _seconds(24 * 3600, 0),
        }, ("name",))),
    },
    ("campaign",),
)

WAIVERS_SCHEMA: dict[str, Any] = _table({
    "waivers": _text("une liste de tables [[waivers]]", "a list of [[waivers]] tables", type="array", items=_table({
        "requirement": STRING, "candidate": STRING, "version": STRING, "justification": STRING, "approver": STRING,
        "expires": _text("une date TOML (AAAA-MM-JJ)", "a TOML date (YYYY-MM-DD)", toml_date=True),
    }, ("requirement", "candidate", "justification", "approver", "expires"))),
})


def hl7v2_rule_modules() -> tuple[str, ...]:
    """The rule modules a pack may name in `[data.hl7v2] rules`: those registered (entry points enrs_harness.hl7v2_rules)."""
    from harness.extension.registry import hl7v2_rule_names

    return tuple(sorted(hl7v2_rule_names()))


def _check_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The declarative checks a requirement may carry (harness.cda.declarative, harness.hl7v2.declarative)."""
    strings = _text("une liste de textes", "a list of strings", type="array", items=STRING, minItems=1)
    message = _table({"fr": STRING, "en": STRING}, ("fr", "en"))
    flag = _text("true ou false", "true or false", type="boolean")
    count = _text("un entier ≥ 0", "an integer ≥ 0", type="integer", minimum=0, not_bool=True)
    values = _text("une table attribut → valeur ou liste de valeurs", "a table attribute → value or list of values", type="object",
                   additionalProperties=STRINGS)
    cda = _table({
        "context": STRING, "volet": STRING, "label": STRING, "message": message,
        "require": strings, "present": strings, "attributes": strings, "values": values,
        "valueset": _table({"name": STRING, "attribute": STRING, "check_system": flag}, ("name",)),
        "no_null_flavor": flag, "forbidden": flag,
        "cardinality": _table({"path": STRING, "min": count, "max": count}, ("path",)),
        "equal": _text("deux chemins XPath", "two XPath paths", type="array", items=STRING, minItems=2, maxItems=2),
    }, ("context",))
    field_path = _text("un chemin de champ HL7 v2 (ex. PID-3.4.2)", "an HL7 v2 field path (e.g. PID-3.4.2)", type="string",
                       pattern=r"^[A-Z][A-Z0-9]{2}-[0-9]+(\.[0-9]+){0,2}$")
    hl7v2 = _table({
        "field": field_path, "message": message, "message_types": strings,
        "when": _table({"field": field_path, "values": strings, "ignore_case": flag}, ("field", "values")),
        "required": flag, "empty": flag, "values": strings, "pattern": STRING, "ignore_case": flag, "equal": field_path,
    }, ("field",))
    return ({**_text("une liste de tables [[requirements.cda_checks]]", "a list of [[requirements.cda_checks]] tables"),
             "type": "array", "items": cda},
            {**_text("une liste de tables [[requirements.hl7v2_checks]]", "a list of [[requirements.hl7v2_checks]] tables"),
             "type": "array", "items": hl7v2})


def pack_schema() -> dict[str, Any]:
    text = _text("une table avec fr et en", "a table with fr and en", type="object")
    cda_checks, hl7v2_checks = _check_schemas()
    requirement = _table({
        "id": STRING, "level": STRING,  # values, ids and patterns: checked by harness.config.packs with their own reasons
        "statement": text, "section": STRING, "applies_to": STRINGS, "evaluated_by": STRINGS,
        "source": _text("une table", "a table", type="object"), "settings": _text("une table", "a table", type="object"),
        "cda_checks": cda_checks, "hl7v2_checks": hl7v2_checks, "not_tested_reason": text,
    })
    names = ", ".join(hl7v2_rule_modules())
    rules = _text(f"le nom d'un module de règles livré ou enregistré par une extension installée : {names}",
                  f"the name of a bundled rule module or of one an installed extension registers: {names}", enum=list(hl7v2_rule_modules()))
    return _table({
        "pack": _text("une table", "a table", type="object"),
        "requirements": _text("une liste de tables [[requirements]]", "a list of [[requirements]] tables", type="array", items=requirement),
        "settings": _text("une table", "a table", type="object"),
        "data": _text("une table", "a table", type="object",
                      properties={"hl7v2": _text("une table", "a table", type="object", properties={"rules": rules})}),
    })


def _toml_date(validator: Any, enabled: Any, instance: Any, schema: Any) -> Any:
    """A TOML local date (not a date-time, not a string)."""
    from jsonschema.exceptions import ValidationError

    if enabled and (not isinstance(instance, dt.date) or isinstance(instance, dt.datetime)):
        yield ValidationError(f"{instance!r} is not a date")


def _not_bool(validator: Any, enabled: Any, instance: Any, schema: Any) -> Any:
    """TOML booleans are never numbers (Python's bool is an int)."""
    from jsonschema.exceptions import ValidationError

    if enabled and isinstance(instance, bool):
        yield ValidationError(f"{instance!r} is a boolean")


@cache
def _compiled(name: str) -> Any:
    import jsonschema  # imported here, not at start: a run whose packs come from the cache (harness.config.pack_cache) needs none

    validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # types-jsonschema leaves extend() unannotated
        jsonschema.Draft202012Validator,
        validators={"not_bool": _not_bool, "toml_date": _toml_date},
    )
    schema = {"target": TARGET_SCHEMA, "campaign": CAMPAIGN_SCHEMA, "waivers": WAIVERS_SCHEMA}.get(name) or pack_schema()
    return validator(schema)  # the schemas themselves are checked by a test (tests/config), not at every start


def _depth(value: Any) -> int:
    """The nesting depth of tables and arrays, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children)
    return deepest


def _where(path: Any) -> str:
    """A location as TOML shows it: `[candidate] name`, `[[endpoints]] #2 port`, `[data.hl7v2] rules`."""
    parts = list(path)
    if not parts:
        return "fichier/file"
    tail = parts.pop() if isinstance(parts[-1], str) and len(parts) > 1 else None
    header: list[str] = []
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[[{'.'.join(header)}]] #{part + 1}" if header else f" #{part + 1}"
            header = []
        else:
            header.append(part)
    if header:
        text += (" " if text else "") + (f"[{'.'.join(header)}]" if tail is not None or text else ".".join(header))
    return f"{text} {tail}".strip() if tail is not None else text


def _kind(value: Any) -> tuple[str, str]:
    for kind, fr, en in ((bool, "un booléen", "a boolean"), (int, "un entier", "an integer"), (float, "un nombre", "a number"),
                         (str, "un texte", "a string"), (list, "une liste", "a list"), (dict, "une table", "a table"),
                         (dt.date, "une date", "a date")):
        if isinstance(value, kind):
            return fr, en
    return type(value).__name__, type(value).__name__


def validate_config(raw: dict[str, Any], kind: str, fail: Fail) -> None:
    """Check a configuration file's content against the schema `kind` (target, pack, campaign, waivers)."""
    if _depth(raw) > MAX_DEPTH:
        raise fail("fichier/file", f"imbrication de plus de {MAX_DEPTH} niveaux", f"nesting deeper than {MAX_DEPTH} levels")
    from jsonschema.exceptions import best_match

    error = best_match(_compiled(kind).iter_errors(raw))
    if error is None:
        return
    where = _where(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))[0]
        near = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.5)
        hint_fr = f" (vouliez-vous dire « {near[0]} » ?)" if near else f" (clés valides : {', '.join(allowed)})"
        hint_en = f" (did you mean '{near[0]}'?)" if near else f" (valid keys: {', '.join(allowed)})"
        raise fail(_where([*error.absolute_path, unknown]), f"champ inconnu « {unknown} »{hint_fr}", f"unknown field '{unknown}'{hint_en}")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        raise fail(_where([*error.absolute_path, missing]), "champ obligatoire absent", "required field missing")
    schema = _schema_at(_compiled(kind).schema, error.absolute_path)
    schema = schema if "x-en" in schema else error.schema
    fr_kind, en_kind = _kind(error.instance)
    secret = kind == "target" and (list(error.absolute_path)[:2] == ["tls", "client_key_password"]
                                   or list(error.absolute_path)[:1] == ["auth"])
    shown = "" if secret or isinstance(error.instance, (dict, list)) else " " + repr(error.instance)[:60]
    raise fail(where, f"attendu : {schema.get('x-fr', 'une valeur valide')}, trouvé {fr_kind}{shown}",
               f"expected {schema.get('x-en', 'a valid value')}, found {en_kind}{shown}")


def _schema_at(schema: dict[str, Any], path: Any) -> dict[str, Any]:
    """The schema node describing the value at `path` (for the expected-value text of nested errors)."""
    for part in path:
        if isinstance(part, int):
            schema = schema.get("items", {})
        else:
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            schema = properties.get(part) or (extra if isinstance(extra, dict) else {})
    return schema
