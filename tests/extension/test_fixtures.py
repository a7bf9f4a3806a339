"""The plugin's public document fixtures: a region's suite is a plain pytest file (enrs_documents, enrs_document,
enrs_packs), one test per document with its name as id, findings located by XPath and line."""

from __future__ import annotations

import json
import shutil

import pytest
from extension_helpers import REPO

pytest_plugins = ["pytester"]

SUITE = '''
import pytest

def test_the_run_sees_its_documents_and_packs(enrs_documents, enrs_packs):
    assert sorted(d.name for d in enrs_documents) == ["adt.hl7", "sub/vsm.xml"]
    assert sorted(d.kind for d in enrs_documents) == ["cda", "hl7v2"]
    assert "SM-ID" in enrs_packs.requirements

@pytest.mark.requirement("SM-TITLE")
def test_title(enrs_document, enrs):
    title = enrs_document.xpath("cda:title")[0]  # an HL7 v2 message: NOT_APPLICABLE
    findings = [enrs_document.finding("SM-TITLE", title, "titre refusé", "title refused")] if "REFUSE" in title.text else []
    enrs_document.judge(enrs, ["SM-TITLE"], findings)
'''


def run(pytester: pytest.Pytester, vsm: bytes) -> tuple[pytest.RunResult, dict]:
    documents = pytester.path / "docs"
    (documents / "sub").mkdir(parents=True)
    (documents / "sub" / "vsm.xml").write_bytes(vsm)
    shutil.copy(REPO / "fixtures" / "conforming" / "hl7v2" / "adt-a01.hl7", documents / "adt.hl7")
    pytester.makepyfile(test_region=SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "--enrs-documents", str(documents), "--enrs-run-dir", str(pytester.path / "run"),
                                "--enrs-profile", "ci-sis-cda-header", "-rA")
    return result, json.loads((pytester.path / "run" / "results.json").read_text(encoding="utf-8"))


def test_one_test_per_document_then_a_located_failure(pytester: pytest.Pytester) -> None:
    vsm = (REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml").read_bytes()
    result, results = run(pytester, vsm)
    result.assert_outcomes(passed=2, skipped=1)  # NOT_APPLICABLE for the HL7 v2 message
    assert {t["nodeid"].split("::")[-1] for t in results["tests"]} >= {"test_title[sub/vsm.xml]", "test_title[adt.hl7]"}
    assert next(r for r in results["requirements"] if r["id"] == "SM-TITLE")["verdict"] == "PASSED"

    title = vsm.decode().split("<title>", 1)[1].split("</title>", 1)[0]
    refused = vsm.replace(f"<title>{title}</title>".encode(), b"<title>REFUSE</title>", 1)
    result, results = run_again(pytester, refused)
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    assert next(r for r in results["requirements"] if r["id"] == "SM-TITLE")["verdict"] == "FAILED"
    line = 1 + refused[:refused.index(b"<title>REFUSE")].count(b"\n")
    assert f"SM-TITLE /ClinicalDocument/title[1] (ligne/line {line}): title refused" in result.stdout.str()


def run_again(pytester: pytest.Pytester, vsm: bytes) -> tuple[pytest.RunResult, dict]:
    shutil.rmtree(pytester.path / "docs")
    shutil.rmtree(pytester.path / "run")
    return run(pytester, vsm)
