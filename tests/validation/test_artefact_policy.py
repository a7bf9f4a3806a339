"""No certificate over an unjudged artefact (issue 10, part 1): one folder-walk policy for `validate`,
`run` and campaigns, and every ABORTED artefact in scope blocks the certificate, named with its reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.validation.dispatch import walk_artefacts

REPO = Path(__file__).resolve().parents[2]
CDA = REPO / "fixtures" / "conforming" / "cda"
VSM = CDA / "vsm-2023.xml"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
CDA_PACKS = ("ci-sis-cda-header", "ci-sis-cda-structure", "ci-sis-cda-volets")


def harness(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def documents(tmp_path: Path, **extra: bytes) -> Path:
    """Two conforming CDA documents, plus the extra files given (name → bytes)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(VSM, folder)
    shutil.copy(CDA / "ldl-ses-2022.xml", folder)
    for name, data in extra.items():
        (folder / name.replace("__", ".")).write_bytes(data)
    return folder


def run_documents(tmp_path: Path, folder: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    process = harness("run", "--documents", folder, "--report-dir", tmp_path / "runs", "--quiet",
                      *[a for p in CDA_PACKS for a in ("--profile", p)], cwd=tmp_path)
    results_file = next((tmp_path / "runs").glob("*/results.json"))
    return process, json.loads(results_file.read_text(encoding="utf-8"))


# -- the walk policy -----------------------------------------------------------------------------
def test_walk_policy_table(tmp_path: Path) -> None:
    folder = documents(tmp_path, **{"README__txt": b"Read me first", "README__md": b"# Documents", "logo__png": PNG,
                                    "notes__pdf": b"%PDF-1.7", "message__er7": b"not a message", "vsm-copy__dat": VSM.read_bytes()})
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "old.xml").write_bytes(VSM.read_bytes())
    (folder / ".hidden" / "older.xml").write_bytes(VSM.read_bytes())
    files, ignored = walk_artefacts([folder])
    assert sorted(p.name for p in files) == ["README.txt", "ldl-ses-2022.xml", "message.er7", "vsm-2023.xml", "vsm-copy.dat"]
    reasons = {Path(i.path).name: i.reason_en for i in ignored}
    assert reasons == {
        "README.md": "not a candidate artefact: extension .md, content of no recognised kind (cda, hl7v2, email, xdm, xds)",
        "logo.png": "not a candidate artefact: extension .png, PNG content",
        "notes.pdf": "not a candidate artefact: extension .pdf, PDF content",
        ".hidden": "hidden file or folder",  # once for the folder, not once per file in it
    }
    assert all(i.reason_fr and i.reason_fr != i.reason_en for i in ignored)


def test_a_file_named_on_the_command_line_is_always_a_candidate(tmp_path: Path) -> None:
    png = tmp_path / "logo.png"
    png.write_bytes(PNG)
    assert walk_artefacts([png]) == ([png], [])


def test_validate_lists_ignored_files_and_aborts_a_non_artefact_txt(tmp_path: Path) -> None:
    folder = documents(tmp_path, **{"README__txt": b"Read me first", "logo__png": PNG})
    text = harness("validate", folder.name, "--profile", "ci-sis-cda-header", cwd=tmp_path)
    assert text.returncode == 2, text.stdout + text.stderr  # README.txt is ABORTED
    assert "ABORTED docs/README.txt" in text.stdout
    assert "IGNORED docs/logo.png  not a candidate artefact: extension .png, PNG content" in text.stdout
    assert "ignored 1" in text.stdout
    output = json.loads(harness("validate", folder.name, "--profile", "ci-sis-cda-header", "--format", "json", cwd=tmp_path).stdout)
    assert output["ignored"] == [{"path": "docs/logo.png", "reason": {"fr": "pas un artefact candidat : extension .png, contenu PNG",
                                                                     "en": "not a candidate artefact: extension .png, PNG content"}}]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(output, json.loads((REPO / "harness" / "schemas" / "validate.schema.json").read_text()))


# -- run --documents: the four cases of the issue ------------------------------------------------
def test_a_clean_folder_gets_its_certificate(tmp_path: Path) -> None:
    process, results = run_documents(tmp_path, documents(tmp_path))
    assert process.returncode == 0, process.stdout + process.stderr
    assert results["summary"]["certificate_issued"] is True and results["blocking"] == [] and results["ignored"] == []


def test_a_truncated_cda_blocks_the_certificate_named_with_its_reason(tmp_path: Path) -> None:
    folder = documents(tmp_path, **{"truncated__xml": VSM.read_bytes()[:1500]})
    process, results = run_documents(tmp_path, folder)
    assert process.returncode == 1, process.stdout + process.stderr
    assert results["summary"]["certificate_issued"] is False and results["summary"]["failed_must"] == 0
    [item] = results["blocking"]
    assert item["kind"] == "artefact" and item["id"] == "truncated.xml" and item["verdict"] == "ABORTED"
    assert item["reason"]["en"].startswith("malformed XML") and item["reason"]["fr"].startswith("XML mal formé")
    assert "truncated.xml" in process.stdout and "malformed XML" in process.stdout  # the summary names it
    certificate = next((tmp_path / "runs").glob("*/certificate.html")).read_text(encoding="utf-8")
    assert 'data-issued="false"' in certificate and 'data-id="truncated.xml"' in certificate and "malformed XML" in certificate
    artefact = next(a for a in results["artefacts"] if a["name"] == "truncated.xml")
    assert artefact["verdict"] == "ABORTED" and "malformed XML" in artefact["reason"]


def test_a_readme_txt_is_aborted_by_the_policy_and_blocks(tmp_path: Path) -> None:
    process, results = run_documents(tmp_path, documents(tmp_path, **{"README__txt": b"Read me first"}))
    assert process.returncode == 1
    assert [(b["kind"], b["id"], b["reason"]["en"]) for b in results["blocking"]] == [
        ("artefact", "README.txt", "unrecognised artefact kind (none of: cda, hl7v2, email, xdm, xds)")]
    assert results["ignored"] == []


def test_a_png_is_ignored_with_its_reason_and_listed_and_the_certificate_stands(tmp_path: Path) -> None:
    process, results = run_documents(tmp_path, documents(tmp_path, **{"logo__png": PNG}))
    assert process.returncode == 0, process.stdout + process.stderr
    assert results["summary"]["certificate_issued"] is True and results["summary"]["ignored_count"] == 1
    assert results["ignored"] == [{"path": str(tmp_path / "docs" / "logo.png"),
                                   "reason": {"fr": "pas un artefact candidat : extension .png, contenu PNG",
                                              "en": "not a candidate artefact: extension .png, PNG content"}}]
    assert "logo.png — not a candidate artefact" in process.stdout
    assert all(a["name"] != "logo.png" for a in results["artefacts"])
    validated = json.loads(harness("validate", tmp_path / "docs", "--format", "json", "--profile", "ci-sis-cda-header",
                                   cwd=tmp_path).stdout)
    assert validated["ignored"] == results["ignored"]  # one policy: validate and run list the same files, for the same reason


def test_two_unjudged_files_of_the_same_name_in_two_folders_are_two_blocking_items(tmp_path: Path) -> None:
    folder = documents(tmp_path)
    for sub in ("a", "b"):
        (folder / sub).mkdir()
        (folder / sub / "doc.xml").write_bytes(b"<ClinicalDocument")
    process, results = run_documents(tmp_path, folder)
    assert process.returncode == 1
    assert sorted(Path(b["path"]).parent.name for b in results["blocking"]) == ["a", "b"]
