"""Each schematron becomes XSLT once: cached on disk by content hash, compiled once per process."""

from __future__ import annotations

from harness.cdakit import runtime
from harness.cdakit.kit import reset_process_caches
from harness.cdakit.prepare import STATS


def _xslt_files(cache):
    return {p: p.stat().st_mtime_ns for p in (cache / "kit-xslt").glob("*.xsl")}


def test_second_use_reuses_the_cached_xslt(lab, kit_copy, kit_cache, monkeypatch, tmp_path):
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("ENRS_HARNESS_CACHE", str(cache))
    data = lab.document("vsm-n3.xml")
    before = STATS.copy()
    lab.check(data, kit_copy)
    assert STATS["generated"] - before["generated"] == 6  # five generic profiles and the volet
    first = _xslt_files(cache)
    assert len(first) == 6

    # same process: nothing prepared or compiled again
    compiled = runtime.compiled_in_process()
    lab.check(data, kit_copy)
    assert STATS["generated"] - before["generated"] == 6 and STATS["reused"] == before["reused"]
    assert runtime.compiled_in_process() == compiled

    # a new process (simulated): the XSLT files are reused, not rewritten
    reset_process_caches()
    lab.check(data, kit_copy)
    assert STATS["generated"] - before["generated"] == 6
    assert STATS["reused"] - before["reused"] == 6
    assert _xslt_files(cache) == first


def test_a_changed_schematron_gets_a_new_cache_entry(lab, kit_copy, monkeypatch, tmp_path):
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("ENRS_HARNESS_CACHE", str(cache))
    data = lab.document("vsm-n3.xml")
    lab.check(data, kit_copy)
    first = set(_xslt_files(cache))
    include = kit_copy / "schematrons/profils/structurationMinimale/include/header-rules.sch"
    include.write_text(include.read_text(encoding="utf-8").replace("realmCode doit valoir FR", "realmCode vaut FR"), encoding="utf-8")
    reset_process_caches()
    lab.check(data, kit_copy)
    assert len(set(_xslt_files(cache)) - first) == 1  # only the header schematron, through its include
