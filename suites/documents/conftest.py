"""Parametrises the documents suite over the documents and messages of the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.plugin import session_of
from harness.validation.dispatch import ValidationContext, walk_artefacts


def validator_packs(config: pytest.Config) -> list[str]:
    """Packs with requirements evaluated by an artefact validator: what document tests evaluate."""
    registry = session_of(config).registry
    return [p.id for p in registry.packs.values() if any(e.startswith("validator:") for r in p.requirements for e in r.evaluated_by)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "document" not in metafunc.fixturenames:
        return
    session = session_of(metafunc.config)
    packs = validator_packs(metafunc.config)
    params = []
    for root in session.documents():
        root = Path(root)
        files, ignored = walk_artefacts([root])  # the policy `validate` applies too: skipped files are listed, never silent
        session.ignored.extend(ignored)
        for path in files:
            name = str(path.relative_to(root)) if root.is_dir() else path.name
            params.append(pytest.param(path, id=name, marks=pytest.mark.profile(*packs) if packs else ()))
    metafunc.parametrize("document", params)


@pytest.fixture(scope="session")
def validation_context(pytestconfig: pytest.Config) -> ValidationContext:
    session = session_of(pytestconfig)
    return ValidationContext(registry=session.registry, selected=session.selected, kit_dir=session.kit_dir,
                             volet_versions=session.volet_versions)
