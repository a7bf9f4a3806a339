"""The certificate page from its template: page 1 (signature status, scope, blocking list), the annex's order."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.certificates.page import render_certificate
from harness.certificates.signing import Signer, signature_section

from .conftest import TOY, toy_run, write_target


@pytest.fixture(scope="module")
def broken_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("pages")
    process, run_dir = toy_run(base / "r", write_target(base / "target.toml", "DPI Exemple", TOY / "documents" / "broken"))
    assert process.returncode == 1
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


def _page_one(page: str) -> str:
    return page.split('<section id="annex"', 1)[0]


@pytest.mark.parametrize("lang, unsigned", [("fr", "Non signé"), ("en", "Not signed")])
def test_an_unsigned_certificate_says_so_on_page_one(broken_results: dict[str, Any], lang: str, unsigned: str) -> None:
    page = render_certificate(broken_results, lang)
    assert unsigned in _page_one(page) and 'id="signature-status"' in page


def test_a_signed_certificate_names_its_issuer_and_the_command_on_page_one(broken_results: dict[str, Any], issuer: Path) -> None:
    page = render_certificate(broken_results, "fr", extra_body=signature_section(Signer.load(issuer), "fr"))
    first = _page_one(page)
    assert "Non signé" not in page and "Signé par <span id=\"signature-issuer\">CN=ARS Exemple — tests" in first
    assert "enrs-harness certificate verify certificate.html --trust issuer-cert.pem" in first
    assert "JSON canonique (RFC 8785)" in first and "canonical JSON" not in page  # French only


def test_blocking_requirements_on_page_one_and_first_in_the_annex(broken_results: dict[str, Any]) -> None:
    page = render_certificate(broken_results, "en")
    assert re.search(r'<ul class="blocking" id="blocking">\s*<li[^>]*><code>TOYC-002</code>', _page_one(page))
    rows = re.findall(r'<tr data-requirement="([^"]+)">.*?data-verdict="(\w+)"', page.split('<section id="annex"', 1)[1])
    verdicts = [v for _, v in rows]
    first_met = next(i for i, v in enumerate(verdicts) if v in ("PASSED", "NOT_APPLICABLE"))
    assert "FAILED" in verdicts[:first_met] and all(v not in ("PASSED", "NOT_APPLICABLE") for v in verdicts[:first_met])
    assert all(v in ("PASSED", "NOT_APPLICABLE") for v in verdicts[first_met:])
    assert '<tbody data-part="attention" data-profile="toy-certs">' in page and '<tbody data-part="other" data-profile="toy-certs">' in page


def test_the_scope_and_blocking_list_of_results_are_shown_when_present(broken_results: dict[str, Any]) -> None:
    results = copy.deepcopy(broken_results)
    del results["scope"]
    assert 'id="scope"' not in render_certificate(results, "fr")
    results["scope"] = {"statement": {"fr": "Émetteur de documents CDA seulement.", "en": "CDA document producer only."},
                        "declared": True, "roles": ["document-producer"], "profiles": ["toy-certs"],
                        "profiles_not_assessed": [{"id": "mllp",
                                                   "reason": {"fr": "hors périmètre déclaré", "en": "outside the declared scope"}}]}
    results["blocking"] = [{"kind": "file", "path": "docs/bad.xml", "verdict": "ABORTED",
                            "reason": {"fr": "XML mal formé ligne 3", "en": "malformed XML at line 3"}}]
    page = _page_one(render_certificate(results, "fr"))
    assert "Émetteur de documents CDA seulement." in page and "CDA document producer only" not in page
    assert "document-producer" in page and "mllp (hors périmètre déclaré)" in page
    assert "<code>docs/bad.xml</code>" in page and "XML mal formé ligne 3" in page
    assert "<code>TOYC-002</code>" not in page  # results' own blocking list replaces the one derived from requirements


def test_long_tokens_are_kept_whole_by_the_styles(broken_results: dict[str, Any]) -> None:
    page = render_certificate(broken_results, "fr")
    assert re.search(r"\.token, code, \.v-label, time \{ white-space: nowrap;", page)
    assert "@bottom-right" in page and "counter(pages)" in page and broken_results["run"]["id"] in page.split("</style>")[0]
