from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.packs import PackError, PackRegistry, load_pack
from harness.core.errors import HarnessError

from ..conftest import DEMO_PACK, OTHER_PACK, write


def test_a_valid_pack_loads_with_defaults_applied(packs_dir: Path) -> None:
    pack = load_pack(packs_dir / "demo.toml")
    assert (pack.id, pack.version, pack.framework) == ("demo", "1.2.0", "CI-SIS")
    assert pack.title.get("en") == "Demo profile"
    assert [r.id for r in pack.requirements] == ["DEMO-MUST-1", "DEMO-MUST-2", "DEMO-SHOULD-1"]
    first = pack.requirements[0]
    assert first.evaluated_by == ("suite:demo",) and first.applies_to == ("ENRS",)
    assert first.source.document == "Document de démonstration" and first.source.date == "2024-01-01"


def test_builtin_packs_all_load() -> None:
    registry = PackRegistry.load()
    for pack in registry.packs.values():
        assert pack.requirements, pack.id


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace('level = "MUST"\nstatement = { fr = "Deuxième', 'level = "MUSTN\'T"\nstatement = { fr = "Deuxième'),
         ("DEMO-MUST-2", "'level'", "invalid level")),
        (lambda t: t.replace('section = "1.2"\n', ""), ("DEMO-MUST-2", "'section'", "required field missing")),
        (lambda t: t.replace('statement = { fr = "Recommandation", en = "Recommendation" }', 'statement = { fr = "Recommandation" }'),
         ("DEMO-SHOULD-1", "'statement'", "exactly fr and en")),
        (lambda t: t.replace('id = "DEMO-MUST-2"', 'id = "DEMO-MUST-1"'), ("DEMO-MUST-1", "'id'", "duplicate id")),
        (lambda t: t.replace('section = "1.1"', 'section = "1.1"\nsecton = "typo"'), ("DEMO-MUST-1", "unknown field 'secton'")),
        (lambda t: t.replace('evaluated_by = "suite:demo"\n', ""), ("DEMO-MUST-1", "'evaluated_by'", "required field missing")),
        (lambda t: t.replace('evaluated_by = "suite:demo"', 'evaluated_by = "magic"'),
         ("[pack]", "'evaluated_by'", "malformed value 'magic'")),
        (lambda t: t.replace('version = "1.2.0"\n', ""), ("[pack]", "'version'", "required field missing")),
        (lambda t: t.replace('[[requirements]]\nid = "DEMO-MUST-1"', '[[requirements]]\nid = "demo lower"'),
         ("'id'", "malformed value 'demo lower'")),
        (lambda t: t + "\n[[requirements\n", ("invalid TOML",)),
    ],
)
def test_a_broken_pack_names_the_file_the_requirement_and_the_field(tmp_path: Path, edit, expected: tuple[str, ...]) -> None:
    path = write(tmp_path / "broken.toml", edit(DEMO_PACK))
    with pytest.raises(PackError) as error:
        load_pack(path)
    message = error.value.en
    assert str(path) in message
    for part in expected:
        assert part in message, message
    assert str(path) in error.value.fr


def test_two_packs_may_not_define_the_same_requirement(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", DEMO_PACK)
    write(tmp_path / "b.toml", OTHER_PACK.replace('id = "other"', 'id = "b"').replace("OTHER-1", "DEMO-MUST-1"))
    with pytest.raises(PackError, match="DEMO-MUST-1.*already defined"):
        PackRegistry.load([tmp_path], include_builtin=False)


def test_selecting_an_unknown_profile_is_a_clear_error(packs_dir: Path) -> None:
    registry = PackRegistry.load([packs_dir], include_builtin=False)
    assert [p.id for p in registry.select(["other"])] == ["other"]
    assert {p.id for p in registry.select([])} == {"demo", "other"}
    with pytest.raises(HarnessError, match="unknown profile: nope"):
        registry.select(["nope"])


def test_a_missing_profiles_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="profiles folder not found"):
        PackRegistry.load([tmp_path / "absent"])


def test_an_oversized_or_binary_pack_is_a_clear_error(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (6 * 1024 * 1024))
    with pytest.raises(PackError, match="file over"):
        load_pack(big)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(PackError, match="not UTF-8"):
        load_pack(binary)


# -- opt-in packs ([pack] opt_in = true: e.g. ci-sis-xds-dmp) ---------------------------------------
def test_an_opt_in_pack_is_left_out_of_the_default_selection_unless_named_or_claimed(tmp_path: Path) -> None:
    write(tmp_path / "demo.toml", DEMO_PACK)
    write(tmp_path / "other.toml", OTHER_PACK.replace('framework = "PGSSI-S"', 'framework = "PGSSI-S"\nopt_in = true'))
    registry = PackRegistry.load([tmp_path], include_builtin=False)
    assert registry.packs["other"].opt_in and not registry.packs["demo"].opt_in
    assert [p.id for p in registry.select([])] == ["demo"]
    assert [p.id for p in registry.select([], ["other"])] == ["demo", "other"]  # claimed by the target's [scope] profiles
    assert [p.id for p in registry.select(["other"])] == ["other"]  # --profile names exactly the packs
    with pytest.raises(HarnessError, match="unknown profile: nope"):
        registry.select([], ["nope"])


def test_opt_in_must_be_a_boolean(tmp_path: Path) -> None:
    path = write(tmp_path / "demo.toml", DEMO_PACK.replace('framework = "CI-SIS"', 'framework = "CI-SIS"\nopt_in = "yes"'))
    with pytest.raises(PackError, match=r"\[pack\], champ/field 'opt_in': true or false expected"):
        load_pack(path)


def test_the_builtin_opt_in_pack_is_the_dmp_one() -> None:
    registry = PackRegistry.load()
    assert [p.id for p in registry.packs.values() if p.opt_in] == ["ci-sis-xds-dmp"]
