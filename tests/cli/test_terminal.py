"""What the command line prints: control characters escaped, quiet broken pipes, help and errors in two languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import build_parser, parser_texts
from harness.cli.terminal import printable
from harness.core.i18n import readable_reason

REPO = Path(__file__).resolve().parents[2]
BAD_CDA = REPO / "fixtures" / "nonconforming" / "cda" / "vsm-bad-telecom-missing-section.xml"
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"


def cli(*args: object, lang: str | None = "en", stdin: int | None = None, **popen: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ENRS_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update({"PYTHONPATH": str(REPO), **({"LANG": f"{lang}_FR.UTF-8"} if lang else {})})
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def test_printable_escapes_terminal_controls_and_keeps_text() -> None:
    assert printable(f"a{HOSTILE}b") == "a\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202eb"
    assert printable("ligne 1\n\tligne 2 — « é »") == "ligne 1\n\tligne 2 — « é »"
    assert printable("\r\x7f") == "\\u000d\\u007f"
    # inside a JSON string the escape keeps the document valid and its value unchanged
    text = json.dumps({"m": "x\x9by\u202e"}, ensure_ascii=False)
    assert json.loads(printable(text)) == {"m": "x\x9by\u202e"}


def test_hostile_file_names_and_messages_reach_the_terminal_escaped(tmp_path: Path) -> None:
    hostile = tmp_path / f"doc{HOSTILE}.xml"
    hostile.write_bytes(BAD_CDA.read_bytes())
    for form in ("text", "json", "jsonl"):
        shown = cli("validate", "--format", form, hostile)
        assert shown.returncode == 1, shown.stderr
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in shown.stdout and raw not in shown.stderr
        assert "doc\\u001b]0;pwned\\u0007\\u001b[2J" in shown.stdout
    assert json.loads(cli("validate", "--format", "json", hostile).stdout)["files"][0]["path"] == str(hostile)
    missing = cli("run", "--target", tmp_path / f"gone{HOSTILE}.toml")
    assert missing.returncode == 2 and "\x1b" not in missing.stderr and "gone\\u001b]0;pwned" in missing.stderr


@pytest.mark.parametrize("args", [("validate", "--format", "json"), ("validate", "--format", "jsonl"), ("validate",),
                                  ("profiles", "show", "ci-sis-cda-volets"), ("profiles", "show", "ci-sis-cda-volets", "--format", "json")])
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, args: tuple[str, ...]) -> None:
    if args[0] == "validate":
        for i in range(300):  # well over a pipe's buffer of output
            (tmp_path / f"d{i}.xml").write_bytes(BAD_CDA.read_bytes())
        args = (*args, str(tmp_path))
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    process = subprocess.Popen([sys.executable, "-m", "harness", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    error = process.stderr.read().decode()
    assert process.wait(120) in (0, 1) and first
    assert "Traceback" not in error and "BrokenPipeError" not in error and error == ""


def test_help_and_usage_errors_in_french_and_english() -> None:
    french = cli("validate", "--help", lang="fr")
    assert french.returncode == 0 and "utilisation : enrs-harness validate" in french.stdout
    assert "affiche cette aide et quitte" in french.stdout and "show this help" not in french.stdout
    assert "pack de profils à appliquer" in french.stdout
    english = cli("validate", "--help", "--lang", "en", lang="fr")  # --lang wins over the locale
    assert "usage: enrs-harness validate" in english.stdout and "profile pack to apply" in english.stdout
    missing_fr = cli("validate", lang="fr")
    assert missing_fr.returncode == 2
    assert "enrs-harness validate: erreur : arguments obligatoires manquants : PATH" in missing_fr.stderr
    assert "error" not in missing_fr.stderr and " / " not in missing_fr.stderr
    missing_en = cli("validate", lang="en")
    assert "enrs-harness validate: error: the following arguments are required: PATH" in missing_en.stderr
    assert "erreur" not in missing_en.stderr
    wrong = cli("run", "--lang", "de", lang="fr")
    assert wrong.returncode == 2 and "choix invalide" in wrong.stderr


def test_every_help_text_has_its_french() -> None:
    from harness.cli.french import HELP

    english = [getattr(holder, attribute) for holder, attribute in parser_texts(build_parser("en"))]
    assert english and [t for t in english if t not in HELP and not t.startswith(("show ", "show this"))] == []
    french = [getattr(holder, attribute) for holder, attribute in parser_texts(build_parser("fr"))]
    assert not set(french) & set(HELP)


def test_reasons_are_sentences_in_the_runs_language() -> None:
    aborted = ("harness.run.outcomes.Aborted: déclaration DOCTYPE refusée (DTD interdites)"
               " / DOCTYPE declaration refused (DTDs are forbidden)")
    assert readable_reason(aborted, "fr") == "déclaration DOCTYPE refusée (DTD interdites)"
    assert readable_reason(aborted, "en") == "DOCTYPE declaration refused (DTDs are forbidden)"
    assert readable_reason("AssertionError: ERR segment missing", "en") == "ERR segment missing."
    assert readable_reason("AssertionError: ", "fr") == "Le test a échoué sans donner de motif."
    cut = readable_reason("Failed: the peer closed the connection before answering the request within the timeout", "en", 60)
    assert cut.endswith(" …") and cut.removesuffix(" …").split()[-1] in ["the", "peer", "closed", "the", "connection", "before",
                                                                         "answering", "the", "request"]
