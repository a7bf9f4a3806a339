"""Helpers of the trust-path tests: a small profile pack and in-process runs of a suite through the plugin.

These tests run in-process (pytester, direct calls) so that the mutation run (docs/testing.md) sees
which test covers which function: a run in a subprocess would hide it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

TRUST_PACK = """
[pack]
id = "trust"
version = "1.0.0"
framework = "TEST"
title = { fr = "Pack des tests de confiance", en = "Trust tests pack" }
source = { document = "enrs-harness tests", version = "1", date = "2026-01-01" }
evaluated_by = "suite:trust"
applies_to = ["cda"]  # the kind of artefact its requirements are judged on: an ABORTED cda artefact is in scope

[[requirements]]
id = "TRUST-MUST-1"
level = "MUST"
statement = { fr = "Première exigence", en = "First requirement" }
section = "1"

[[requirements]]
id = "TRUST-MUST-2"
level = "MUST"
statement = { fr = "Deuxième exigence", en = "Second requirement" }
section = "2"

[[requirements]]
id = "TRUST-SHOULD-1"
level = "SHOULD"
statement = { fr = "Recommandation", en = "Recommendation" }
section = "3"
"""

CANDIDATE = "DPI Confiance"


@pytest.fixture
def trust_packs(tmp_path: Path) -> Path:
    directory = tmp_path / "packs"
    directory.mkdir()
    (directory / "trust.toml").write_text(TRUST_PACK, encoding="utf-8")
    return directory


def run_trust_suite(pytester: pytest.Pytester, packs: Path, source: str, *args: str) -> dict[str, Any]:
    """Run `source` as a suite of the trust pack, in this process; return its results.json."""
    target = pytester.path / "target.toml"
    target.write_text(f'[candidate]\nname = "{CANDIDATE}"\nvendor = "Éditeur"\nversion = "1.0"\n', encoding="utf-8")
    pytester.makepyfile(test_suite=textwrap.dedent(source))
    run_dir = pytester.path / "run"
    pytester.runpytest("-p", "no:cacheprovider", "--enrs-profiles-dir", str(packs), "--enrs-profile", "trust",
                       "--enrs-target", str(target), "--enrs-run-dir", str(run_dir), *args)
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in results["requirements"]}
