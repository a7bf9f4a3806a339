"""A requirement has one rule: a second one is refused, but a rule module imported again (importlib.reload,
pytester restoring sys.modules) replaces its own rules instead of failing to load."""

from __future__ import annotations

import pytest

from harness.cda import engine


def _check(name: str) -> engine.Check:
    def check(doc: engine.Doc, data: object, out: engine.Out) -> None:
        return None

    check.__qualname__ = name
    return check  # type: ignore[return-value]


def test_a_rule_module_imported_again_replaces_its_rules_and_a_second_rule_is_still_refused() -> None:
    before = list(engine.RULES)
    try:
        first, again = _check("rule_of_x"), _check("rule_of_x")  # the same function of a module imported a second time
        engine.rule("TEST-REIMPORT-1")(first)
        engine.rule("TEST-REIMPORT-1")(again)
        assert [r.check for r in engine.RULES if r.requirement == "TEST-REIMPORT-1"] == [again]
        with pytest.raises(ValueError, match="two rules for TEST-REIMPORT-1"):
            engine.rule("TEST-REIMPORT-1")(_check("another_rule"))
    finally:
        engine.RULES[:] = before
