"""The requirement ids each HL7 v2 check evaluates, registered where the check is defined:

    @evaluates("PAMFR-ZBE-02")
    def check_zbe(message, event): ...

A report's evaluated list (`evaluated_by(check_zbe)`) and what `profiles coverage` reports for a rule
module (`module_ids`) are derived from this registry, never listed by hand. tests/hl7v2/test_registered_ids.py
runs every HL7 v2 fixture and fails on a finding whose requirement the checks that ran did not register."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Check = TypeVar("Check", bound=Callable[..., Any])
_REGISTERED: dict[Callable[..., Any], tuple[str, ...]] = {}


def evaluates(*requirements: str) -> Callable[[Check], Check]:
    """Register the requirement ids the decorated check evaluates (those of its findings, in the order they
    enter the report's evaluated list). The check itself is returned unchanged."""
    def register(check: Check) -> Check:
        _REGISTERED[check] = requirements
        return check

    return register


def evaluated_by(*checks: Callable[..., Any]) -> list[str]:
    """The ids the given checks registered, in order."""
    return [requirement for check in checks for requirement in _REGISTERED[check]]


def module_ids(module: str) -> list[str]:
    """Every id registered by the checks defined in `module` (a module name), once each, in registration order."""
    return list(dict.fromkeys(r for check, ids in _REGISTERED.items() if check.__module__ == module for r in ids))


def registered_checks() -> dict[Callable[..., Any], tuple[str, ...]]:
    """Every registered check → its ids (of the modules imported so far)."""
    return dict(_REGISTERED)
