"""Every requirement of the ihe-xdm and mssante-exchange packs, both ways: the conforming fixtures pass every
rule that applies to them, and each one-rule mutant fails with exactly its requirement's id."""

from __future__ import annotations

from pathlib import Path

import pytest
from mssante_make_fixtures import CONFORMING, CONFORMING_FILES, MUTANT_FILES, MUTANTS

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.findings import ArtefactReport, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes, validate_file, walk_artefacts

ZIP_IDS = {"XDM-ZIP-01", "XDM-ZIP-02", "XDM-ZIP-03", "XDM-ZIP-04"}  # proven by the hostile zips (test_xdm_zip_safety.py)


def _failing(findings: list) -> set[str]:
    return {f.requirement for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)}


def test_committed_fixtures_are_what_the_generator_writes() -> None:
    for name, make in CONFORMING_FILES.items():
        assert (CONFORMING / name).read_bytes() == make(), f"regenerate: python tests/mssante/mssante_make_fixtures.py ({name})"
    for name, (_, make) in MUTANT_FILES.items():
        assert (MUTANTS / name).read_bytes() == make(), f"regenerate: python tests/mssante/mssante_make_fixtures.py ({name})"


@pytest.mark.parametrize("name", sorted(CONFORMING_FILES))
def test_conforming_fixture_passes(name: str, context: ValidationContext) -> None:
    report = validate_file(CONFORMING / name, context)
    assert report.verdict is ArtefactVerdict.PASSED, [f.to_dict() for f in report.all_findings()]
    assert not _failing(report.all_findings())
    assert all(c.verdict is ArtefactVerdict.PASSED for c in report.children)


def test_conforming_fixtures_evaluate_every_requirement(context: ValidationContext) -> None:
    evaluated: set[str] = set()
    for name in CONFORMING_FILES:
        evaluated |= set(validate_file(CONFORMING / name, context).all_evaluated())
    registry = PackRegistry.load()
    ids = {r.id for pack in ("ihe-xdm", "mssante-exchange") for r in registry.get(pack).requirements}
    assert ids - evaluated == set()


def test_every_requirement_has_a_mutant_or_a_hostile_zip() -> None:
    registry = PackRegistry.load()
    ids = {r.id for pack in ("ihe-xdm", "mssante-exchange") for r in registry.get(pack).requirements}
    integration = {"XDSB-HASH-01"}  # a rule of the XDS metadata packs, proven to run on XDM packages
    assert ids | integration == {requirement for requirement, _ in MUTANT_FILES.values()} | ZIP_IDS


@pytest.mark.parametrize("name", sorted(MUTANT_FILES))
def test_mutant_fails_with_exactly_its_requirement(name: str, context: ValidationContext) -> None:
    requirement, _ = MUTANT_FILES[name]
    report = validate_file(MUTANTS / name, context)
    assert report.verdict is ArtefactVerdict.FAILED
    assert _failing(report.findings) | _failing(_xdm_findings(report)) == {requirement}
    if requirement != "XDM-DOC-04":  # that one is the nested CDA report's failure: its CDA id fails too, by definition
        assert _failing(report.all_findings()) == {requirement}
    assert requirement in report.all_evaluated()


def _xdm_findings(report: ArtefactReport) -> list:
    return [f for child in report.children if child.kind == "xdm" for f in child.findings]


def test_mutant_cda_is_reported_in_the_nested_report(context: ValidationContext) -> None:
    report = validate_file(MUTANTS / "xdm-doc-04.zip", context)
    [child] = report.children
    assert child.kind == "cda" and child.verdict is ArtefactVerdict.FAILED
    assert child.path.endswith("!/IHE_XDM/SUBSET01/DOC0001.XML")


def test_folder_walk_takes_xdm_zips_and_emails_and_ignores_other_zips(tmp_path: Path) -> None:
    (tmp_path / "IHE_XDM.ZIP").write_bytes((CONFORMING / "IHE_XDM.ZIP").read_bytes())
    (tmp_path / "renamed.bin").write_bytes((CONFORMING / "IHE_XDM.ZIP").read_bytes())
    (tmp_path / "message.eml").write_bytes((CONFORMING / "document.eml").read_bytes())
    (tmp_path / "notes.eml").write_bytes(b"not an e-mail")
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/holiday.jpg", b"\xff\xd8\xff" + bytes(100_000))
        archive.writestr("IHE_XDM_readme_is_not_a_folder.txt", b"x")
    (tmp_path / "photos.zip").write_bytes(buffer.getvalue())
    files, ignored = walk_artefacts([tmp_path])
    assert sorted(p.name for p in files) == ["IHE_XDM.ZIP", "message.eml", "notes.eml", "renamed.bin"]
    assert [(Path(i.path).name, i.reason_en) for i in ignored] == [
        ("photos.zip", "not a candidate artefact: extension .zip, ZIP content")]


def test_an_eml_that_is_not_an_email_is_aborted(context: ValidationContext, tmp_path: Path) -> None:
    path = tmp_path / "notes.eml"
    path.write_bytes(b"not an e-mail")
    assert validate_file(path, context).verdict is ArtefactVerdict.ABORTED


def test_pack_not_selected_aborts_with_the_reason() -> None:
    registry = PackRegistry.load()
    context = ValidationContext(registry=registry, selected=[registry.get("ci-sis-cda-header")])
    report = validate_bytes((CONFORMING / "document.eml").read_bytes(), "document.eml", context)
    assert report.verdict is ArtefactVerdict.ABORTED and "mssante-exchange" in (report.reason or "")
    report = validate_bytes((CONFORMING / "IHE_XDM.ZIP").read_bytes(), "IHE_XDM.ZIP", context)
    assert report.verdict is ArtefactVerdict.ABORTED and "ihe-xdm" in (report.reason or "")
