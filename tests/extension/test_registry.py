"""Entry-point registration: the harness's own plugins, and a broken third-party plugin named in a bilingual error,
never a traceback; a third-party rule that raises leaves its artefact ABORTED with a reason naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from extension_helpers import REPO, write_distribution

from harness.config.context import ValidationContext
from harness.config.packs import PackRegistry
from harness.core.verdicts import ArtefactVerdict
from harness.extension import PluginError, registry
from harness.validation.dispatch import validate_bytes

VSM = (REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml").read_bytes()
ADT = (REPO / "fixtures" / "conforming" / "hl7v2" / "adt-a01.hl7").read_bytes()


def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry_points: dict[str, dict[str, str]], module: str = "") -> None:
    """A distribution `region-cassee` with these entry points, and its module `region_cassee` (source `module`)."""
    site = write_distribution(tmp_path / "site", "region-cassee", "0.1", entry_points)
    (site / "region_cassee.py").write_text(module, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "region_cassee", raising=False)
    registry.reset()


def test_the_harness_registers_its_own_plugins_the_same_way() -> None:
    assert [(p.name, p.builtin) for p in registry.plugins("validators")] == [
        ("cda", True), ("hl7v2", True), ("mssante", True), ("xdm", True), ("xds", True)]
    assert sorted(registry.hl7v2_rule_names()) == ["cda", "pam"]
    assert [d.name for d in registry.pack_dirs()] == ["profiles"] and [d.name for d in registry.suite_dirs()] == ["suites"]
    assert {"SM-PATIENT-GENDER", "VOL-DETECT", "MOD-JDV-GENDER"} <= set(registry.cda_rules())


def test_a_plugin_that_cannot_be_imported_is_named_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      installed: None) -> None:
    install(tmp_path, monkeypatch, {"enrs_harness.validators": {"xds": "region_cassee.absent"}})
    with pytest.raises(PluginError) as raised:
        registry.validators()
    assert "xds = region_cassee.absent (region-cassee, enrs_harness.validators)" in raised.value.en
    assert "chargement impossible : ModuleNotFoundError" in raised.value.fr and "cannot be loaded: ModuleNotFoundError" in raised.value.en


def test_a_validator_without_its_contract_or_with_a_taken_kind_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                          installed: None) -> None:
    install(tmp_path, monkeypatch, {"enrs_harness.validators": {"x": "region_cassee"}}, "KIND = 'x'\n")
    with pytest.raises(PluginError, match="a validator defines KIND"):
        registry.validators()
    install(tmp_path / "2", monkeypatch, {"enrs_harness.validators": {"x": "region_cassee"}},
            "KIND = 'cda'\ndef detect(data): return False\ndef validate(data, path, context): pass\n")
    with pytest.raises(PluginError, match="kind cda already has a validator: cda = harness.validation.validators.cda"):
        registry.validators()


def test_a_cda_rule_for_a_requirement_that_already_has_one_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     installed: None) -> None:
    install(tmp_path, monkeypatch, {"enrs_harness.cda_rules": {"SM-PATIENT-GENDER": "region_cassee:check"}},
            "def check(doc, data, out): pass\n")
    with pytest.raises(PluginError, match=r"SM-PATIENT-GENDER = region_cassee:check .*two rules for SM-PATIENT-GENDER"):
        registry.cda_rules()


def test_the_cli_prints_a_broken_plugin_without_a_traceback(tmp_path: Path) -> None:
    site = write_distribution(tmp_path / "site", "region-cassee", "0.1", {"enrs_harness.validators": {"xds": "region_cassee.absent"}})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(site)]), "ENRS_LANG": "fr"}
    process = subprocess.run([sys.executable, "-m", "harness", "validate", str(REPO / "fixtures" / "conforming" / "cda")],
                             capture_output=True, text=True, env=env, timeout=120)
    assert process.returncode == 2, process.stdout + process.stderr
    assert "extension xds = region_cassee.absent (region-cassee, enrs_harness.validators) : chargement impossible" in process.stderr
    assert "Traceback" not in process.stderr + process.stdout


def test_a_failing_third_party_cda_rule_aborts_the_document_naming_its_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                             installed: None) -> None:
    install(tmp_path, monkeypatch, {"enrs_harness.cda_rules": {"SM-REALMCODE-X": "region_cassee:check"}},
            "def check(doc, data, out):\n    raise KeyError('volet')\n")
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "r.toml").write_text(
        '[pack]\nid = "r"\nversion = "1"\nframework = "R"\ntitle = { fr = "R", en = "R" }\n'
        'source = { document = "R", version = "1", date = "2026-01-01" }\nevaluated_by = "validator:cda"\napplies_to = ["cda"]\n'
        '[[requirements]]\nid = "SM-REALMCODE-X"\nlevel = "MUST"\nstatement = { fr = "x", en = "x" }\nsection = "1"\n', encoding="utf-8")
    loaded = PackRegistry.load([tmp_path / "packs"])
    report = validate_bytes(VSM, "vsm.xml", ValidationContext(registry=loaded, selected=loaded.select(["r"])))
    assert report.verdict is ArtefactVerdict.ABORTED
    assert "SM-REALMCODE-X = region_cassee:check (region-cassee, enrs_harness.cda_rules): rule SM-REALMCODE-X failed: KeyError" in (
        report.reason or "")


def test_a_failing_third_party_validator_aborts_its_artefact_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      installed: None) -> None:
    install(tmp_path, monkeypatch, {"enrs_harness.validators": {"zz": "region_cassee"}},
            "KIND = 'zz'\ndef detect(data): return data.startswith(b'ZZ')\ndef validate(data, path, context): raise ValueError('bug')\n")
    report = validate_bytes(b"ZZ hello", "x.zz", ValidationContext(registry=PackRegistry.load()))
    assert report.verdict is ArtefactVerdict.ABORTED and report.kind == "zz"
    assert "plugin zz = region_cassee (region-cassee, enrs_harness.validators) failed: ValueError: bug" in (report.reason or "")


def test_a_pack_naming_an_unregistered_hl7v2_rule_module_is_refused(tmp_path: Path) -> None:
    pack = (REPO / "profiles" / "ci-sis-pam-fr.toml").read_text(encoding="utf-8")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pam.toml").write_text(pack.replace('rules = "pam"', 'rules = "region"').replace('id = "ci-sis-pam-fr"', 'id = "x"')
                                             .replace('"PAMFR-', '"XPAM-'), encoding="utf-8")
    with pytest.raises(Exception, match="bundled rule module or of one an installed extension registers: cda, pam"):
        PackRegistry.load([tmp_path / "p"])
