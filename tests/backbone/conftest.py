"""Helpers for the backbone tests: small profile packs and suites written on the fly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

DEMO_PACK = """
[pack]
id = "demo"
version = "1.2.0"
framework = "CI-SIS"
title = { fr = "Profil de démonstration", en = "Demo profile" }
source = { document = "Document de démonstration", version = "1.0", date = "2024-01-01" }
evaluated_by = "suite:demo"
applies_to = "ENRS"

[[requirements]]
id = "DEMO-MUST-1"
level = "MUST"
statement = { fr = "Première exigence", en = "First requirement" }
section = "1.1"

[[requirements]]
id = "DEMO-MUST-2"
level = "MUST"
statement = { fr = "Deuxième exigence", en = "Second requirement" }
section = "1.2"

[[requirements]]
id = "DEMO-SHOULD-1"
level = "SHOULD"
statement = { fr = "Recommandation", en = "Recommendation" }
section = "2.1"
"""

OTHER_PACK = """
[pack]
id = "other"
version = "0.1.0"
framework = "PGSSI-S"
title = { fr = "Autre", en = "Other" }
source = { document = "Autre document", version = "2.0", date = "2023-06-01" }
evaluated_by = "suite:other"
applies_to = "ENRS"

[[requirements]]
id = "OTHER-1"
level = "MUST"
statement = { fr = "Autre exigence", en = "Other requirement" }
section = "3"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def packs_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "packs"
    write(directory / "demo.toml", DEMO_PACK)
    write(directory / "other.toml", OTHER_PACK)
    return directory
