"""What the harness prints on a terminal: control characters escaped, rich styling, quiet broken pipes.

Messages, file names and endpoint answers come from systems the harness does not trust: printed raw,
`ESC]0;…BEL` would retitle the user's terminal and `ESC[2J` clear it. `printable` is the one place
that escapes them; the CLI routes stdout and stderr through `EscapingStream` for the length of a
command, so every print of every command is covered, and rich consoles write styled text (our own
escape sequences) to the real stream after `printable` has escaped what they show.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

# C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), and the
# bidirectional formatting characters that make a line read differently from what it holds (CVE-2021-42574).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """`text` with every control character written as a `\\uXXXX` escape (valid inside JSON strings too)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def one_line(text: object) -> str:
    """`printable`, with newlines and tabs folded into single spaces (for table cells and summaries)."""
    return printable(" ".join(str(text).split()))


class EscapingStream(io.TextIOBase):
    """A text stream that escapes control characters before they reach `raw`."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # a property where TextIO declares an attribute
        return getattr(self.raw, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def raw_stream(stream: TextIO) -> TextIO:
    """The stream under an `EscapingStream` (rich writes its own styling there)."""
    return stream.raw if isinstance(stream, EscapingStream) else stream


@contextmanager
def escaped_output() -> Iterator[None]:
    """Route sys.stdout and sys.stderr through `EscapingStream` while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(sys.stdout), EscapingStream(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(BrokenPipeError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = saved


def console(stderr: bool = False) -> Any:
    """A rich console on the real stdout (or stderr): colours on a terminal, plain text when piped."""
    from rich.console import Console

    stream = raw_stream(sys.stderr if stderr else sys.stdout)
    return Console(file=stream, highlight=False, markup=False, emoji=False, soft_wrap=True)


def styled(text: object, style: str | None = None) -> Any:
    """Untrusted text as a rich Text: escaped, never read as markup."""
    from rich.text import Text

    return Text(printable(text), style=style or "")


def silence_broken_pipe() -> None:
    """The reader went away (`… | head`): point stdout at /dev/null so that the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, raw_stream(sys.stdout).fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
