"""Opt-in: every example document of the agency's kit gets the same verdict natively and with the kit.

With ENRS_ANS_KIT naming a kit folder (a checkout of ansforge/TestContenuCDA-3-0), each document of
its ExemplesCDA (or of ENRS_ANS_EXAMPLES) is validated once in kit mode, which reports the native
findings and the kit's (XSD, the five generic profile schematrons, the volet schematron at the
version the native validator applies) side by side; the native verdict and the kit's must be equal.
Deliberate differences are listed in DELIBERATE with their reason (and in docs/cda-kit.md); an entry
that no longer differs fails too, so the list stays true. The table, with the kit's messages:
`python benchmarks/kit_agreement.py --kit DIR`. About a minute (5 documents/s).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.config.context import ValidationContext
from harness.validation.agreement import compare
from harness.validation.dispatch import expand_paths, make_context

from test_cda_fixtures_official_kit import KIT, WHY_NOT

EXAMPLES = Path(os.environ.get("ENRS_ANS_EXAMPLES") or (KIT / "ExemplesCDA" if KIT else "."))
DOCUMENTS = sorted(expand_paths([EXAMPLES])) if KIT and EXAMPLES.is_dir() else []
# document name → why its native verdict deliberately differs from the kit's (none at kit commit 7cd489b3)
DELIBERATE: dict[str, str] = {}

pytestmark = pytest.mark.skipif(KIT is None or not DOCUMENTS, reason=WHY_NOT or f"no example documents in {EXAMPLES}")


@pytest.fixture(scope="module")
def context() -> ValidationContext:
    return make_context([], [], KIT)


def test_the_examples_are_there() -> None:
    assert len(DOCUMENTS) >= 90  # the agency's kit ships 94


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_native_and_kit_verdicts_are_equal(path: Path, context: ValidationContext) -> None:
    row = compare(path, context)
    if path.name in DELIBERATE:
        assert not row.agree, f"{path.name} no longer differs: remove it from DELIBERATE"
    else:
        assert row.agree, (sorted(row.native), sorted(row.kit), row.native_detail[:3], row.kit_detail[:3])
