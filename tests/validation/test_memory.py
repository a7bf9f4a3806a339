"""Memory stays bounded: element count of an XML document, `--jobs` capped to the cores (issue 18 item 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.core.verdicts import ArtefactVerdict
from harness.core.xmlsafe import MAX_ELEMENTS, UnsafeOrInvalidXml, parse_xml
from harness.validation.dispatch import validate_bytes

from ..conftest import run_cli


def _many_elements(cda: bytes, count: int) -> bytes:
    start = cda.find(b"<text>") + len(b"<text>")
    return cda[:start] + b"<br/>" * count + cda[cda.find(b"</text>", start):]


def test_a_document_over_the_element_limit_is_refused_before_any_tree_is_built(conforming_cda, context):
    data = _many_elements(conforming_cda, MAX_ELEMENTS + 1)  # 7.5 MB of tiny elements: the tree would take ~700 MB
    with pytest.raises(UnsafeOrInvalidXml, match="over the limit"):
        parse_xml(data)
    report = validate_bytes(data, "big.xml", context)
    assert report.verdict is ArtefactVerdict.ABORTED and "elements" in report.reason
    assert parse_xml(_many_elements(conforming_cda, 1000)).getroot() is not None  # both ways: below the limit it parses


def test_peak_memory_of_a_large_document_stays_bounded(tmp_path: Path, conforming_cda):
    path = tmp_path / "big.xml"
    path.write_bytes(_many_elements(conforming_cda, 3 * MAX_ELEMENTS))  # 22 MB of tiny elements (~600 MB of tree before the limit)
    # VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark into ru_maxrss across exec, so a
    # child of a large test process (pytest at ~1 GB late in the suite) reported the parent's peak, not its own.
    code = ("import sys; from harness.cli import main\n"
            "try: main(['validate', '--format', 'json', sys.argv[1]])\n"
            "except SystemExit: pass\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
            "print(hwm.split()[1], file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    assert "over the limit" in result.stdout
    # The tree of 4.5 M elements would take over 2 GB (~500 bytes each): a peak under 400 MB proves none was built.
    # Typically ~100 MB.
    assert peak_kb < 400 * 1024, peak_kb


def test_jobs_are_capped_to_the_available_cores(tmp_path: Path, conforming_cda):
    for index in range(3):
        (tmp_path / f"d{index}.xml").write_bytes(conforming_cda)
    result = run_cli("validate", "--jobs", "100", "--lang", "en", str(tmp_path))
    cores = len(os.sched_getaffinity(0))
    assert f"--jobs 100 capped to {cores} (available cores)" in result.stderr
    assert result.returncode == 0, result.stdout
