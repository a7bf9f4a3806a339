"""Configuration files are checked against a schema before use: types, unknown keys, depth (issue 18 items 6, 7; issue 10)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.campaign.config import load_campaign
from harness.config.packs import PackError, load_pack
from harness.config.target import load_target
from harness.core.errors import HarnessError
from harness.core.resources import bundled_dir
from harness.run.waivers import load_waivers

from ..conftest import run_cli

TARGET = '[candidate]\nname = "C"\nvendor = "V"\nversion = "1"\n'


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("extra", "expected"), [
    ("timeouts = 5\n", "timeouts: expected a table, found an integer 5"),
    ('tls = "x"\n', "tls: expected a table, found a string 'x'"),
    ('documents = "docs"\n', "documents: expected a table, found a string 'docs'"),
    ("[timeouts]\nread = true\n", "[timeouts] read: expected a number of seconds"),
    ('[[endpoints]]\nname = "a"\nprotocol = "mllp"\nhost = "h"\nport = "2575"\n',
     "[[endpoints]] #1 port: expected a port between 1 and 65535, found a string '2575'"),
    ("[timeout]\nread = 3\n", "unknown field 'timeout' (did you mean 'timeouts'?)"),
    ('[tls]\nca_bundel = "x"\n', "[tls] ca_bundel: unknown field 'ca_bundel' (did you mean 'ca_bundle'?)"),
])
def test_a_target_file_with_a_wrong_type_or_an_unknown_key_names_the_key_and_what_was_expected(tmp_path, extra, expected):
    text = TARGET + extra if extra.startswith("[") else extra + TARGET  # bare keys before any table
    path = _write(tmp_path / "target.toml", text)
    with pytest.raises(HarnessError) as raised:
        load_target(path)
    assert expected in raised.value.en and str(path) in raised.value.en
    assert str(path) in raised.value.fr


def test_a_correct_target_file_loads(tmp_path):
    (tmp_path / "docs").mkdir()
    target = load_target(_write(tmp_path / "target.toml", TARGET + '[timeouts]\nread = 3\n[documents]\npaths = ["docs"]\n'))
    assert target.timeouts.read == 3.0 and target.documents == (tmp_path / "docs",)


@pytest.mark.parametrize("loader", ["target", "pack", "campaign", "waivers"])
def test_deeply_nested_toml_is_a_clear_error_in_every_configuration_file(tmp_path, loader):
    path = _write(tmp_path / "deep.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    load = {"target": load_target, "pack": load_pack, "campaign": load_campaign, "waivers": load_waivers}[loader]
    with pytest.raises(HarnessError) as raised:
        load(path)
    assert "nesting" in raised.value.en and str(path) in raised.value.en
    moderately = _write(tmp_path / "moderate.toml", "x = " + "[" * 40 + "]" * 40 + "\n")  # parses, too deep for the schema
    with pytest.raises(HarnessError, match="nesting|unknown field"):
        load(moderately)


def test_the_cli_exits_2_on_a_bad_target_without_a_traceback(tmp_path):
    path = _write(tmp_path / "target.toml", "timeouts = 5\n" + TARGET)
    result = run_cli("run", "--target", str(path), "--report-dir", str(tmp_path / "r"), "--lang", "en")
    assert result.returncode == 2
    assert "timeouts: expected a table" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "INTERNALERROR" not in result.stdout + result.stderr


def _pack(tmp_path: Path, extra: str) -> Path:
    text = (bundled_dir("profiles") / "ci-sis-pam-fr.toml").read_text(encoding="utf-8")
    return _write(tmp_path / "pack.toml", text + extra)


def test_a_pack_naming_a_rule_module_outside_the_harness_is_refused(tmp_path):
    text = (bundled_dir("profiles") / "ci-sis-pam-fr.toml").read_text(encoding="utf-8").replace('rules = "pam"', 'rules = "../../os"')
    path = _write(tmp_path / "pack.toml", text)
    with pytest.raises(PackError) as raised:
        load_pack(path)
    assert "[data.hl7v2] rules" in raised.value.en and "bundled rule module" in raised.value.en
    assert load_pack(bundled_dir("profiles") / "ci-sis-pam-fr.toml").data["hl7v2"]["rules"] == "pam"


def test_a_catastrophic_pattern_runs_in_linear_time(tmp_path):
    from harness.cda.common import regex

    started = time.monotonic()
    assert regex("^(a+)+$").match("a" * 35 + "!") is None  # Python's re takes minutes on this
    assert regex("^(a+)+$").match("a" * 100_000) is not None
    assert time.monotonic() - started < 1.0


def test_a_pattern_the_safe_engine_cannot_run_is_refused_at_load(tmp_path):
    path = _pack(tmp_path, '\n[settings.checks]\nbad_pattern = "(a)\\\\1"\n')
    with pytest.raises(PackError) as raised:
        load_pack(path)
    assert "settings.checks.bad_pattern" in raised.value.en and "safe engine (RE2)" in raised.value.en


def test_unknown_keys_in_campaign_and_waiver_files_name_the_nearest_key(tmp_path):
    campaign = _write(tmp_path / "c.toml",
                      '[campaign]\nid = "c"\njbos = 2\n[[candidates]]\nname = "A"\ndocuments = ["."]\nvendor = "V"\nversion = "1"\n')
    with pytest.raises(HarnessError, match=r"unknown field 'jbos' \(did you mean 'jobs'\?\)"):
        load_campaign(campaign)
    waivers = _write(tmp_path / "w.toml",
                     '[[waivers]]\nrequirement = "R"\ncandidate = "A"\njustification = "j"\napprover = "a"\nexpires = 2099-01-01\n'
                     'expire = 2099-01-01\n')
    with pytest.raises(HarnessError, match=r"\[\[waivers\]\] #1 expire: unknown field 'expire' \(did you mean 'expires'\?\)"):
        load_waivers(waivers)


@pytest.mark.parametrize("kind", ["target", "pack", "campaign", "waivers"])
def test_each_configuration_schema_is_itself_a_valid_json_schema(kind):
    """Checked here rather than at every start of the harness (it cost ~0.02 s of `validate`'s startup)."""
    from harness.config.schema import _compiled

    type(_compiled(kind)).check_schema(_compiled(kind).schema)
