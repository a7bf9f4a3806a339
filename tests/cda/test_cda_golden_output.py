"""Verdicts and findings of every bundled fixture (and, opt-in, the agency's examples) are byte-identical to the recorded ones.

The digests in golden_output.json were recorded before the speed work of issue 13; a change of any
verdict, finding, location, line, message or evaluated list changes a digest (see golden_output.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from golden_output import FIXTURES, digests, load

EXAMPLES = os.environ.get("ENRS_ANS_EXAMPLES")


def _differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    return sorted(name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name))


def test_fixture_outputs_match_the_recorded_digests() -> None:
    expected = load()["fixtures"]
    assert len(expected) >= 40  # every bundled CDA and HL7 v2 fixture, conforming and not
    assert _differences(expected, digests(FIXTURES)) == []


def test_a_changed_document_changes_its_digest(tmp_path: Path) -> None:
    """A one-character change of a fixture (realmCode FR → FX, a finding more) changes its digest: the comparison can fail."""
    source = FIXTURES / "conforming" / "cda"
    name = sorted(p.name for p in source.glob("*.xml"))[0]
    (tmp_path / name).write_bytes((source / name).read_bytes().replace(b'code="FR"', b'code="FX"', 1))
    expected = {f"conforming/cda/{name}": load()["fixtures"][f"conforming/cda/{name}"]}
    found = {f"conforming/cda/{name}": digests(tmp_path)[name]}
    assert _differences(expected, found) == [f"conforming/cda/{name}"]


@pytest.mark.skipif(not EXAMPLES, reason="ENRS_ANS_EXAMPLES is not set (the agency's examples are not shipped)")
def test_agency_example_outputs_match_the_recorded_digests() -> None:
    expected = load()["agency_examples"]
    assert len(expected) == 94
    assert _differences(expected, digests(Path(str(EXAMPLES)))) == []
