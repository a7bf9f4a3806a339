"""The `enrs-harness` command line.

Each sub-command is a module of `harness.commands` that defines `register(subparsers)`; the
module's parser sets `handler`, a function of the parsed arguments returning the exit code.
Exit codes: 0 success (certificate issued, every file PASSED), 1 nonconformities, 2 usage,
configuration or input errors — always with a clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import NoReturn

from harness import __version__
from harness.errors import HarnessError

EXIT_OK, EXIT_NONCONFORMING, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2, as everywhere in the harness
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: erreur / error: {message}\n")


def default_lang() -> str:
    return "en" if os.environ.get("ENRS_LANG", os.environ.get("LANG", "fr")).lower().startswith("en") else "fr"


def build_parser() -> argparse.ArgumentParser:
    import harness.commands as package

    parser = _Parser(prog="enrs-harness",
                     description="Conformance test harness for French regional digital health environments (CI-SIS, PGSSI-S).")
    parser.add_argument("--version", action="version", version=f"enrs-harness {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    lang = getattr(args, "lang", None) or default_lang()
    try:
        return int(args.handler(args))
    except HarnessError as exc:
        print(f"enrs-harness: {exc.message(lang)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("enrs-harness: interrompu / interrupted", file=sys.stderr)
        return EXIT_NONCONFORMING
