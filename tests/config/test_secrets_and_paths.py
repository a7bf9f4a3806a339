"""Secrets are held structurally and never reach an output; document paths are confined (issue 18 items 3, 8)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from harness.config.target import REDACTED, load_target
from harness.core.errors import HarnessError
from harness.core.fileio import read_bounded
from harness.validation.dispatch import validate_file

from ..conftest import REPO as ROOT, run_cli

TOY = ROOT / "tests" / "certificates" / "toy"
UNIQUE = "Zk9-unique-s3cret-value"


def test_secrets_that_look_like_verdicts_or_json_corrupt_nothing(tmp_path: Path):
    shutil.copytree(TOY / "documents" / "broken", tmp_path / "docs")
    target = tmp_path / "target.toml"
    target.write_text('[candidate]\nname = "Candidat"\nvendor = "Éditeur"\nversion = "1"\n[documents]\npaths = ["docs"]\n'
                      f'[auth]\napi_token = "FAILED"\nflag = "true"\nyear = "2026"\nword = "test"\nunique = "{UNIQUE}"\n',
                      encoding="utf-8")
    result = run_cli("run", "--profile", "toy-certs", "--profiles-dir", str(TOY / "profiles"), "--suites", str(TOY / "suites"),
                     "--target", str(target), "--report-dir", str(tmp_path / "r"), "--quiet", "--lang", "en", timeout=180)
    assert "Traceback" not in result.stderr, result.stderr
    run_dir = next((tmp_path / "r").iterdir())
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["complete"] is True
    assert results["candidate"]["configuration"]["auth"] == {k: REDACTED for k in ("api_token", "flag", "year", "word", "unique")}
    verdicts = {row["verdict"] for row in results["requirements"]}
    assert "FAILED" in verdicts and REDACTED not in verdicts
    page = (run_dir / "certificate.html").read_text(encoding="utf-8")
    shown = set(re.findall(r'data-verdict="([^"]*)"', page))
    assert shown and REDACTED not in shown and "FAILED" in shown
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert UNIQUE not in path.read_text(encoding="utf-8", errors="replace"), path.name


def test_a_secret_prints_as_stars_and_gives_its_value_only_when_asked(tmp_path: Path):
    target = tmp_path / "target.toml"
    target.write_text('[candidate]\nname = "C"\nvendor = "V"\nversion = "1"\n[auth]\napi_token = "FAILED"\n', encoding="utf-8")
    token = load_target(target).auth["api_token"]
    assert (str(token), repr(token), f"{token}", json.dumps({"t": token}, default=str)) == ("***", "***", "***", '{"t": "***"}')
    assert token.reveal() == "FAILED"


@pytest.mark.parametrize("paths", ['["/etc"]', '["../../../etc/passwd"]', '["/proc/self/environ"]'])
def test_target_document_paths_outside_its_folder_are_refused(tmp_path: Path, paths: str):
    target = tmp_path / "a" / "b" / "c" / "target.toml"
    target.parent.mkdir(parents=True)
    target.write_text(f'[candidate]\nname = "C"\nvendor = "V"\nversion = "1"\n[documents]\npaths = {paths}\n', encoding="utf-8")
    with pytest.raises(HarnessError, match="outside the allowed folders"):
        load_target(target)
    assert load_target(target, allowed_roots=[Path("/etc")]) if paths == '["/etc"]' else True


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path: Path):
    (tmp_path / "docs").symlink_to("/etc")
    target = tmp_path / "target.toml"
    target.write_text('[candidate]\nname = "C"\nvendor = "V"\nversion = "1"\n[documents]\npaths = ["docs"]\n', encoding="utf-8")
    with pytest.raises(HarnessError, match="outside the allowed folders"):
        load_target(target)


def test_devices_fifos_and_system_files_are_refused_with_a_reason(tmp_path: Path, context):
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    for path, reason in ((fifo, "not a regular file"), (Path("/dev/zero"), "system file refused"),
                         (Path("/proc/self/environ"), "system file refused"), (Path("/sys/kernel/notes"), "system file refused")):
        with pytest.raises(HarnessError, match=reason):
            read_bounded(path)
        report = validate_file(path, context)
        assert report.verdict == "ABORTED" and reason in report.reason


def test_validate_on_a_fifo_does_not_hang(tmp_path: Path):
    fifo = tmp_path / "pipe.hl7"
    os.mkfifo(fifo)
    result = run_cli("validate", "--lang", "en", str(fifo), timeout=60)
    assert result.returncode == 2 and "not a regular file" in result.stdout


def test_a_secret_of_the_wrong_type_is_not_shown_in_the_error(tmp_path: Path):
    target = tmp_path / "target.toml"
    target.write_text('[candidate]\nname = "C"\nvendor = "V"\nversion = "1"\n[auth]\napi_token = 987654321\n', encoding="utf-8")
    with pytest.raises(HarnessError) as raised:
        load_target(target)
    assert "[auth] api_token: expected a non-empty string" in raised.value.en
    assert "987654321" not in raised.value.en + raised.value.fr
