"""The `enrs-harness` command line.

Each sub-command is a module of `harness.cli.commands` that defines `register(subparsers)`; the
module's parser sets `handler`, a function of the parsed arguments returning the exit code.
Exit codes: 0 success (certificate issued, every file PASSED), 1 nonconformities, 2 usage,
configuration or input errors — always with a clear message, never a traceback.
Help and usage errors are in French or English (`--lang`, else ENRS_LANG or the locale), and every
line printed goes through `harness.cli.terminal` (control characters escaped, broken pipes quiet).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from harness import __version__
from harness.cli.terminal import escaped_output, silence_broken_pipe
from harness.core.errors import HarnessError
from harness.core.i18n import default_lang

EXIT_OK, EXIT_NONCONFORMING, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2, as everywhere in the harness
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: {'erreur :' if _ui_lang == 'fr' else 'error:'} {message}\n")


_ui_lang = "fr"  # the language of argparse's messages while main() parses


def lang_of(argv: list[str]) -> str:
    """The `--lang` given on the command line (before it is parsed, for help and usage errors), else the default."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--lang=") else (argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None)
        if value in ("fr", "en"):
            return value
    return default_lang()


def build_parser(lang: str = "en", command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command, or of `command` alone when it names one (a command imports only what it uses)."""
    import harness.cli.commands as package

    parser = _Parser(prog="enrs-harness",
                     description="Conformance test harness for French regional digital health environments (CI-SIS, PGSSI-S).")
    parser.add_argument("--version", action="version", version=f"enrs-harness {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    for name in [command] if command in names else names:
        module = importlib.import_module(f"{package.__name__}.{name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    if lang == "fr":
        from harness.cli.french import HELP

        for text_holder in parser_texts(parser):
            holder, attribute = text_holder
            setattr(holder, attribute, HELP.get(getattr(holder, attribute), getattr(holder, attribute)))
    return parser


def parser_texts(parser: argparse.ArgumentParser) -> Iterator[tuple[object, str]]:
    """Every (object, attribute) holding a description or help text in the parser and its sub-parsers."""
    if parser.description:
        yield parser, "description"
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            yield action, "help"
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    yield choice, "help"
            for sub in dict.fromkeys(action.choices.values()):
                yield from parser_texts(sub)


@contextmanager
def _argparse_in(lang: str) -> Iterator[None]:
    """argparse's own words ("usage:", "the following arguments are required") in `lang`."""
    global _ui_lang
    saved: Callable[[str], str] = argparse._  # type: ignore[attr-defined]  # argparse's gettext hook is private and untyped
    _ui_lang = lang
    if lang == "fr":
        from harness.cli.french import ARGPARSE

        argparse._ = lambda text: ARGPARSE.get(text, saved(text))  # type: ignore[attr-defined]  # argparse's gettext hook is private and untyped
    try:
        yield
    finally:
        argparse._ = saved  # type: ignore[attr-defined]  # argparse's gettext hook is private and untyped


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with escaped_output():
        try:
            return _main(argv)
        except BrokenPipeError:  # `enrs-harness … | head`: the reader has all it wanted
            silence_broken_pipe()
            return EXIT_NONCONFORMING


def process_main() -> int:
    """The command line as a process (the `enrs-harness` script, `python -m harness`): main(), then every object still
    alive is frozen out of the garbage collection Python runs as the process ends, which would walk them all once more
    for nothing (0.09 s after a run of 940 documents). In-process callers use main(), which leaves the collector as it was."""
    code = main()
    gc.freeze()
    return code


def _main(argv: list[str]) -> int:
    ui = lang_of(argv)
    with _argparse_in(ui):
        # The first word that is not an option names the command (module harness.cli.commands.<command>).
        parser = build_parser(ui, next((arg for arg in argv if not arg.startswith("-")), None))
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return EXIT_ERROR
    lang = getattr(args, "lang", None) or ui
    try:
        return int(args.handler(args))
    except HarnessError as exc:
        print(f"enrs-harness: {exc.message(lang)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("enrs-harness: interrompu" if lang == "fr" else "enrs-harness: interrupted", file=sys.stderr)
        return EXIT_NONCONFORMING
