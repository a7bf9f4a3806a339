"""The HTML pages people read, rendered from the Jinja2 templates of harness/templates/.

One family: base.html.j2 and styles.css.j2 are shared by the certificate, the campaign dashboard and
the blocks the harness adds to pytest-html's report. Autoescaping is on: every value is text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2

from harness.core.i18n import in_language, label, readable_reason


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("harness", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             auto_reload=False)  # the templates are the package's: no stat of the file at each render
    env.globals["label"] = label
    env.filters["reason"] = readable_reason
    env.filters["in_language"] = in_language
    env.filters["shown"] = shown
    env.filters["css_string"] = lambda value: re.sub(r"[^A-Za-z0-9._:-]", "", str(value))
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def shown(value: Any, lang: str) -> str:
    """A value of results.json as text in `lang`: {"fr", "en"} pairs, lists, {"id"/"path", "reason"} items."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        if set(value) >= {"fr", "en"}:
            return str(value[lang])
        name = value.get("id") or value.get("path") or value.get("name")
        reason = value.get("reason")
        if name is not None:
            return f"{name} ({shown(reason, lang)})" if reason else str(name)
        return ", ".join(f"{k}: {shown(v, lang)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(v, lang) for v in value) or "—"
    if isinstance(value, bool):
        return ("oui" if value else "non") if lang == "fr" else ("yes" if value else "no")
    return in_language(str(value), lang)
