"""`validate --jobs N`: the same output as one process, workers that do not load the packs again, and a worker
that dies said plainly (issue 13)."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.cli.commands import validate
from harness.config.packs import PackRegistry
from harness.core.resources import bundled_dir

FOLDERS = [bundled_dir("fixtures") / "conforming" / "cda", bundled_dir("fixtures") / "nonconforming" / "cda"]
pytestmark = pytest.mark.skipif(validate.available_cores() < 2, reason="--jobs 2 is capped to 1 on one core")


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["validate", "--format", "json", *args, *map(str, FOLDERS)])
    return status, capsys.readouterr().out


def test_two_workers_write_what_one_process_writes(capsys: pytest.CaptureFixture[str]) -> None:
    one = _json(capsys, "--jobs", "1")
    two = _json(capsys, "--jobs", "2")
    assert two == one
    assert one[0] == 2 and len(json.loads(one[1])["files"]) == 9  # some FAILED, the XXE one ABORTED


@pytest.mark.parametrize("form", ["text", "jsonl"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_two_workers_write_what_one_process_writes_in_every_format(capsys: pytest.CaptureFixture[str], form: str, lang: str) -> None:
    """The workers render the reports themselves (issue 13): each format and language as one process writes it."""
    outputs = []
    for jobs in ("1", "2"):
        status = main(["validate", "--format", form, "--lang", lang, "--jobs", jobs, *map(str, FOLDERS)])
        outputs.append((status, capsys.readouterr().out))
    assert outputs[0] == outputs[1] and outputs[0][0] == 2
    assert outputs[0][1].count("ABORTED") >= 1 and ("FAILED" in outputs[0][1])


def _dies(path: str) -> None:
    os._exit(3)


def test_a_worker_that_dies_is_a_clear_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "_validate_in_worker", _dies)
    status = main(["validate", "--jobs", "2", "--lang", "en", *map(str, FOLDERS)])
    err = capsys.readouterr().err
    assert status == 2 and "a validation worker process stopped abruptly" in err and "--jobs 1" in err


def test_workers_do_not_load_the_packs_again(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked from the process that loaded the packs, the workers inherit them: loading packs in a worker fails it here."""
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("no fork on this system: each worker loads the packs once")
    parent, load = os.getpid(), PackRegistry.load.__func__  # type: ignore[attr-defined]

    def only_in_the_parent(cls: type[PackRegistry], *args: object, **kwargs: object) -> PackRegistry:
        if os.getpid() != parent:
            os._exit(4)
        return load(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(PackRegistry, "load", classmethod(only_in_the_parent))
    status, out = _json(capsys, "--jobs", "2")
    assert status == 2 and len(json.loads(out)["files"]) == 9


def test_workers_do_not_build_the_cda_data_and_checks_again(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """What the CDA validator builds from the packs at its first document is built before the workers are forked
    (harness.validation.dispatch.prepare_validators): building it in a worker fails it here."""
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("no fork on this system: each worker builds what it needs once")
    import harness.cda

    parent = os.getpid()
    for name in ("cda_data", "declarative_rules"):
        built = getattr(harness.cda, name)

        def only_in_the_parent(*args: object, built: Any = built) -> object:
            if os.getpid() != parent:
                os._exit(4)
            return built(*args)

        monkeypatch.setattr(harness.cda, name, only_in_the_parent)  # a new function: built anew in this test's parent
    status, out = _json(capsys, "--jobs", "2")
    assert status == 2 and len(json.loads(out)["files"]) == 9


def test_with_a_kit_the_workers_are_forked_before_saxon_starts(capsys: pytest.CaptureFixture[str]) -> None:
    """Kit mode's SaxonC runtime is never started in the process that forks the workers (opt-in: ENRS_ANS_KIT)."""
    kit = os.environ.get("ENRS_ANS_KIT")
    if not kit or not (Path(kit) / "schematrons").is_dir():
        pytest.skip("ENRS_ANS_KIT is not set (the agency's test kit is not shipped)")
    pytest.importorskip("saxonche")
    from harness.cdakit import runtime

    if runtime._processor is not None:
        pytest.skip("SaxonC already started in this test process by an earlier test")
    paths = [str(p) for p in sorted((Path(kit) / "ExemplesCDA").glob("*.xml"))[:3]]
    outputs = []
    for jobs in ("2", "1"):  # --jobs 1 last: it starts SaxonC here
        status = main(["validate", "--format", "json", "--kit", kit, "--jobs", jobs, *paths])
        outputs.append((status, capsys.readouterr().out))
        if jobs == "2":
            assert runtime._processor is None
    assert outputs[0] == outputs[1] and len(json.loads(outputs[0][1])["files"]) == 3


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_collector_settings_are_given_back(capsys: pytest.CaptureFixture[str], jobs: str) -> None:
    """`validate` runs the garbage collector less often while it judges, and gives its settings back (it may run in
    another program's process, as here)."""
    before = gc.get_threshold()
    status, out = _json(capsys, "--jobs", jobs)
    assert status == 2 and len(json.loads(out)["files"]) == 9
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


@pytest.mark.parametrize("builtin", [True, False])
def test_a_failing_prepare_stops_only_for_the_harness_own_validators(monkeypatch: pytest.MonkeyPatch, builtin: bool) -> None:
    """An extension validator's `prepare` that fails is left to its `validate`, which reports it file by file; the
    harness's own fails plainly (a bug of ours)."""
    from types import SimpleNamespace

    import harness.extension.registry
    from harness.validation import dispatch

    calls = []

    def prepare(context: object) -> None:
        calls.append(context)
        raise RuntimeError("prepare failed")

    monkeypatch.setattr(dispatch, "validators", lambda: {"x": SimpleNamespace(prepare=prepare)})
    monkeypatch.setattr(harness.extension.registry, "validator_plugin", lambda kind: SimpleNamespace(builtin=builtin))
    context = object()
    if builtin:
        with pytest.raises(RuntimeError, match="prepare failed"):
            dispatch.prepare_validators(context)  # type: ignore[arg-type]
    else:
        dispatch.prepare_validators(context)  # type: ignore[arg-type]
    assert calls == [context]


@pytest.mark.parametrize("count", [1, 9, 940])
def test_chunks_keep_the_order_and_shrink_towards_the_end(count: int) -> None:
    """Chunks of at most 16 paths, in order, smaller and smaller down to single paths at the end: no worker is left
    alone with a long last chunk while the others wait."""
    paths = [f"{i:04d}.xml" for i in range(count)]
    chunks = list(validate._chunks(paths, 2))
    sizes = [len(chunk) for chunk in chunks]
    assert [p for chunk in chunks for p in chunk] == paths
    assert max(sizes) <= 16 and sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    if count == 940:
        assert sizes[0] == 16 and sizes[-8:] == [1] * 8
