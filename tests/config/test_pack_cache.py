"""The cache of validated packs (harness.config.pack_cache): a second load of unchanged packs gives the same registry
without parsing TOML, checking the schema or importing jsonschema; a changed, corrupt or foreign entry is never used;
ENRS_HARNESS_NO_CACHE=1 turns it off. Every test has its own cache folder (never the user's)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.config import pack_cache, packs
from harness.config.context import ValidationContext
from harness.config.packs import PackError, PackRegistry
from harness.core.resources import bundled_dir
from harness.validation.dispatch import validate_file

from ..conftest import DEMO_PACK, REPO, write

FIXTURES = [REPO / "fixtures" / "conforming" / "cda" / "vsm-2023.xml", REPO / "fixtures" / "conforming" / "hl7v2" / "ack-a01.hl7",
            *sorted((REPO / "fixtures" / "nonconforming" / "cda").glob("*.xml"))[:3]]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test: $XDG_CACHE_HOME set to tmp_path/xdg, the cache turned on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ENRS_HARNESS_CACHE", raising=False)
    monkeypatch.delenv(pack_cache.DISABLE, raising=False)
    return tmp_path / "xdg" / "enrs-harness" / "packs"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first line of every TOML text parsed from now on (tomllib.loads counted)."""
    texts: list[str] = []
    loads = tomllib.loads

    def counting(text: str, **kwargs: Any) -> dict[str, Any]:
        texts.append(text)
        return loads(text, **kwargs)

    monkeypatch.setattr(tomllib, "loads", counting)
    return texts


def _refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make TOML parsing and the schema check fail: a load that still succeeds used neither."""
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed or checked although cached")

    monkeypatch.setattr(tomllib, "loads", boom)
    monkeypatch.setattr(packs, "validate_config", boom)


def _reports(registry: PackRegistry) -> list[dict[str, Any]]:
    context = ValidationContext(registry=registry)
    return [validate_file(path, context).to_dict() for path in FIXTURES]


def test_a_second_load_comes_from_the_cache_and_is_identical(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = PackRegistry.load()
    assert len(list(cache_home.glob("*.json"))) == len(fresh.packs) > 10  # one entry per pack
    assert {oct(p.stat().st_mode & 0o777) for p in (cache_home, cache_home.parent)} == {"0o700"}
    _refuse(monkeypatch)
    cached = PackRegistry.load()
    assert cached.packs == fresh.packs  # ids, versions, titles, sources, requirements (checks, settings), settings, data
    assert cached.requirements == fresh.requirements
    assert [p.summary() for p in cached.packs.values()] == [p.summary() for p in fresh.packs.values()]
    assert _reports(cached) == _reports(fresh)  # the declarative checks compiled from the cached tables judge alike
    assert any(r["findings"] for r in _reports(cached))  # ... on fixtures where they find something


def test_without_the_cache_the_same_refusal_makes_the_load_fail(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other way: the refusal above does stop a load that parses (the cache is empty here)."""
    _refuse(monkeypatch)
    with pytest.raises(AssertionError, match="parsed or checked although cached"):
        PackRegistry.load()


def _jsonschema_imported(env: dict[str, str]) -> bool:
    script = "import sys\nfrom harness.config.packs import PackRegistry\nPackRegistry.load()\nprint('jsonschema' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120,
                          env={**os.environ, **env}, cwd=REPO)
    return done.stdout.strip() == "True"


def test_a_load_from_the_cache_does_not_import_jsonschema(tmp_path: Path) -> None:
    env = {"ENRS_HARNESS_CACHE": str(tmp_path / "cache"), pack_cache.DISABLE: ""}
    assert _jsonschema_imported(env)  # first load: parsed, checked, stored
    assert not _jsonschema_imported(env)  # second: from the cache
    assert _jsonschema_imported({**env, pack_cache.DISABLE: "1"})  # turned off: checked again


def test_a_pack_changed_by_one_byte_is_read_and_checked_anew(cache_home: Path, tmp_path: Path, parsed: list[str]) -> None:
    folder = tmp_path / "packs"
    pack = write(folder / "demo.toml", DEMO_PACK)
    assert PackRegistry.load([folder], include_builtin=False).packs["demo"].version == "1.2.0"
    assert PackRegistry.load([folder], include_builtin=False).packs["demo"].version == "1.2.0"
    assert len(parsed) == 1  # the second load came from the cache
    pack.write_text(DEMO_PACK.replace('version = "1.2.0"', 'version = "1.2.1"'), encoding="utf-8")
    assert PackRegistry.load([folder], include_builtin=False).packs["demo"].version == "1.2.1"
    assert len(parsed) == 2
    entries = len(list(cache_home.glob("*.json")))

    pack.write_text(DEMO_PACK.replace("section =", "sectiom =", 1), encoding="utf-8")  # now invalid: today's error
    with pytest.raises(PackError) as cached_error:
        PackRegistry.load([folder], include_builtin=False)
    assert "sectiom" in str(cached_error.value) and str(pack) in str(cached_error.value)
    assert "vouliez-vous dire « section »" in cached_error.value.fr and "did you mean 'section'" in cached_error.value.en
    with pytest.raises(PackError) as uncached_error:
        packs.load_pack(pack)  # no cache at all
    assert (cached_error.value.fr, cached_error.value.en) == (uncached_error.value.fr, uncached_error.value.en)
    with pytest.raises(PackError):
        PackRegistry.load([folder], include_builtin=False)  # and again: an invalid pack is never stored
    assert len(list(cache_home.glob("*.json"))) == entries


def test_a_pack_failing_after_the_schema_check_is_not_stored(cache_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    write(folder / "demo.toml", DEMO_PACK.replace('level = "MUST"', 'level = "MUSR"', 1))  # the schema lets it by
    for _ in range(2):
        with pytest.raises(PackError, match="MUSR"):
            PackRegistry.load([folder], include_builtin=False)
    assert not cache_home.exists() or list(cache_home.glob("*.json")) == []


def _damage(entries: list[Path]) -> dict[str, Callable[[Path], None]]:
    """Ways an entry goes bad, each applied to one entry."""
    foreign = entries[-1].read_bytes()  # a valid entry, but of another pack
    return {
        "truncated": lambda p: p.write_bytes(p.read_bytes()[:-10]),
        "a byte changed": lambda p: p.write_bytes(_flip(p.read_bytes())),
        "empty": lambda p: p.write_bytes(b""),
        "binary": lambda p: p.write_bytes(bytes(range(256))),
        "another pack's": lambda p: p.write_bytes(foreign),
        "not a table, yet checksummed": lambda p: p.write_bytes(_entry(p.stem, b'{"pack":{"pack":1},"dates":[]}')),
        "no JSON, yet checksummed": lambda p: p.write_bytes(_entry(p.stem, b"{")),
        "a folder": lambda p: (p.unlink(), p.mkdir()),  # type: ignore[func-returns-value]
    }


def _flip(data: bytes) -> bytes:
    """`data` with one bit changed in the middle."""
    return data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]


def _entry(key: str, payload: bytes) -> bytes:
    import hashlib

    return f"{pack_cache.FORMAT} {key} {hashlib.sha256(payload).hexdigest()}\n".encode("ascii") + payload


def test_damaged_entries_are_ignored_and_only_their_packs_read_anew(cache_home: Path, parsed: list[str]) -> None:
    fresh = PackRegistry.load()
    entries = sorted(cache_home.glob("*.json"))
    damage = _damage(entries)
    for entry, harm in zip(entries, damage.values(), strict=False):
        harm(entry)
    parsed.clear()
    assert PackRegistry.load().packs == fresh.packs
    assert len(parsed) == len(damage)  # exactly the damaged ones were parsed again, the others came from the cache
    parsed.clear()
    assert PackRegistry.load().packs == fresh.packs
    assert len(parsed) == 1  # the damaged entries were written anew, but the one a folder now holds


def test_the_environment_variable_turns_the_cache_off(cache_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                       parsed: list[str]) -> None:
    monkeypatch.setenv(pack_cache.DISABLE, "1")
    PackRegistry.load()
    count = len(parsed)
    PackRegistry.load()
    assert len(parsed) == 2 * count > 0 and not cache_home.parent.exists()
    monkeypatch.setenv(pack_cache.DISABLE, "0")  # the other way: "0" leaves it on
    PackRegistry.load()
    PackRegistry.load()
    assert len(parsed) == 3 * count and len(list(cache_home.glob("*.json"))) == count


def test_the_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(pack_cache.DISABLE, raising=False)
    monkeypatch.setenv("ENRS_HARNESS_CACHE", str(tmp_path / "chosen"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert pack_cache.cache_folder() == tmp_path / "chosen" / "packs"  # the harness's own variable first
    monkeypatch.setenv("ENRS_HARNESS_CACHE", "")
    assert pack_cache.cache_folder() == tmp_path / "enrs-harness" / "packs"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for unset in ("", "relative/path"):  # the XDG rule: unset, empty or relative means ~/.cache
        monkeypatch.setenv("XDG_CACHE_HOME", unset)
        assert pack_cache.cache_folder() == tmp_path / "home" / ".cache" / "enrs-harness" / "packs"
    monkeypatch.setattr(Path, "home", _no_home)
    assert pack_cache.cache_folder() is None


def _no_home() -> Path:
    raise RuntimeError("Could not determine home directory.")


def test_a_cache_folder_that_cannot_be_made_is_no_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        parsed: list[str]) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ENRS_HARNESS_CACHE", str(tmp_path / "file"))
    monkeypatch.delenv(pack_cache.DISABLE, raising=False)
    assert PackRegistry.load().packs == PackRegistry.load().packs
    assert len(parsed) == 2 * len(PackRegistry.load().packs)  # nothing stored, all parsed each time


def test_entries_keep_toml_types_exactly() -> None:
    raw = {"a": {"d": dt.date(2024, 2, 29), "list": [dt.date(2001, 1, 1), {"deep": [dt.date(1999, 12, 31)]}],
                 "n": 1, "f": 1.0, "neg": -0.0, "inf": float("inf"), "b": True, "s": "é\u2028\"\\", "empty": {}, "e": []},
           "k.with.dots": "v", "$date": "a key JSON-like, not a date"}
    back = pack_cache.decode(pack_cache.encode(raw))
    assert _typed(back) == _typed(raw)
    assert _typed(back) != _typed({**raw, "a": {**raw["a"], "f": 1}})  # the comparison does see an int for a float


@pytest.mark.parametrize("value", [dt.datetime(2024, 1, 1, 12, 0), dt.time(12, 0), dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                                   "\ud800", b"bytes"])
def test_date_times_times_and_what_json_cannot_hold_are_not_cached(value: object) -> None:
    with pytest.raises(pack_cache.NotCacheable):
        pack_cache.encode({"data": {"when": [value]}})


def test_a_pack_holding_a_date_time_loads_uncached(cache_home: Path, tmp_path: Path, parsed: list[str]) -> None:
    folder = tmp_path / "packs"
    write(folder / "demo.toml", DEMO_PACK + "\n[data]\nwhen = 2024-01-01T12:00:00\nday = 2024-01-01\n")
    for _ in range(2):
        assert PackRegistry.load([folder], include_builtin=False).packs["demo"].data == {
            "when": dt.datetime(2024, 1, 1, 12, 0), "day": dt.date(2024, 1, 1)}
    assert len(parsed) == 2 and not cache_home.exists()


def test_a_date_comes_back_as_a_date(cache_home: Path, tmp_path: Path, parsed: list[str]) -> None:
    folder = tmp_path / "packs"
    write(folder / "demo.toml", DEMO_PACK + "\n[data]\nday = 2024-01-01\ntext = \"2024-01-01\"\n")
    loads = [PackRegistry.load([folder], include_builtin=False).packs["demo"].data for _ in range(2)]
    assert len(parsed) == 1
    assert _typed(loads[1]) == _typed(loads[0]) == _typed({"day": dt.date(2024, 1, 1), "text": "2024-01-01"})


def test_the_cache_keeps_at_most_max_entries(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack_cache, "MAX_ENTRIES", 3)
    PackRegistry.load()
    assert len(list(cache_home.iterdir())) == 3


def test_the_key_changes_with_what_the_check_depends_on(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (bundled_dir("profiles") / "hl7v2-base.toml").read_bytes()
    cache = pack_cache.PackCache(cache_home)
    assert cache.key(data) == pack_cache.PackCache(cache_home).key(data) != cache.key(data + b" ")
    keys = {cache.key(data)}
    monkeypatch.setattr(pack_cache, "FORMAT", pack_cache.FORMAT + 1)
    keys.add(pack_cache.PackCache(cache_home).key(data))
    monkeypatch.setattr("harness.__version__", "0.0.0")
    keys.add(pack_cache.PackCache(cache_home).key(data))
    monkeypatch.setattr("harness.extension.registry.plugins", lambda kind: [])  # the HL7 v2 rule modules gone
    keys.add(pack_cache.PackCache(cache_home).key(data))
    assert len(keys) == 4  # each change gave a new key


def _typed(value: Any) -> Any:
    """`value` with the type of every item spelled out (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, repr(value))

