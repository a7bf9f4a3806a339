"""File helpers: atomic writes (a crash never leaves a half-written file) and bounded reads."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError

DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))  # never candidate artefacts, and reading them can hang or leak


def refuse_system_path(path: Path) -> None:
    """Refuse a path that resolves into /proc, /sys or /dev, with the reason."""
    resolved = Path(path).resolve()
    for folder in SYSTEM_FOLDERS:
        if resolved == folder or folder in resolved.parents:
            raise HarnessError(f"{path} : fichier système refusé ({folder})", f"{path}: system file refused ({folder})")


def confined_path(path: Path, roots: Iterable[Path]) -> Path:
    """`path` resolved, which must exist and lie inside one of `roots` (symbolic links followed)."""
    resolved = Path(path).resolve()
    roots = [Path(r).resolve() for r in roots]
    if not any(resolved == root or root in resolved.parents for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise HarnessError(f"{resolved} est hors des dossiers autorisés ({allowed})",
                           f"{resolved} is outside the allowed folders ({allowed})")
    refuse_system_path(resolved)
    if not resolved.exists():
        raise HarnessError(f"{resolved} n'existe pas", f"{resolved} does not exist")
    return resolved


def read_bounded(path: Path, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> bytes:
    """Read a whole input file, refusing files larger than `max_bytes`, system files (/proc, /sys, /dev),
    and what is not a regular file (a FIFO or a device would block or never end)."""
    path = Path(path)
    refuse_system_path(path)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise HarnessError(f"{path} : ce n'est pas un fichier ordinaire (périphérique, FIFO ou dossier)",
                               f"{path}: not a regular file (a device, a FIFO or a folder)")
        if status.st_size > max_bytes:
            raise HarnessError(
                f"{path} : {status.st_size} octets, au-delà de la limite de {max_bytes} octets",
                f"{path}: {status.st_size} bytes, over the limit of {max_bytes} bytes",
            )
        with path.open("rb", buffering=0) as handle:
            opened = os.fstat(handle.fileno())
            if not stat.S_ISREG(opened.st_mode):  # replaced since the check above
                raise HarnessError(f"{path} : ce n'est pas un fichier ordinaire", f"{path}: not a regular file")
            # Sized from the open file: read(max_bytes + 1) would allocate the whole limit for every file.
            expected = min(opened.st_size, max_bytes)
            data = _read_up_to(handle, expected + 1)
            if len(data) > expected:  # the file grew since: read on, up to the limit
                data += _read_up_to(handle, max_bytes + 1 - len(data))
    except OSError as exc:
        raise HarnessError(f"{path} : lecture impossible ({exc.strerror})", f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > max_bytes:
        raise HarnessError(f"{path} : fichier trop grand", f"{path}: file too large")
    return data


def _read_up_to(handle: Any, size: int) -> bytes:
    """At most `size` bytes of an unbuffered file: one read for a regular file, a few for one that is being written."""
    chunks, left = [], size
    while left > 0:
        chunk = handle.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


MAX_CONFIG_BYTES = 5 * 1024 * 1024


def read_toml(path: Path, fail: Callable[[str, str], Exception]) -> dict[str, Any]:
    """Read a configuration file of the harness (pack, target, campaign, waivers) as TOML.

    `fail(fr, en)` builds the caller's error, which names the kind of file and its path.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise fail(f"lecture impossible ({exc.strerror})", f"cannot read ({exc.strerror})") from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise fail(f"fichier de plus de {MAX_CONFIG_BYTES} octets", f"file over {MAX_CONFIG_BYTES} bytes")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise fail("le fichier n'est pas en UTF-8", "the file is not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"TOML invalide : {exc}", f"invalid TOML: {exc}") from exc
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise fail("imbrication trop profonde", "nesting too deep") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
