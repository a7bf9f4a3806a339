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


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`; `durable`: on the disk (fsync) before the
    rename (not for a throwaway folder, e.g. the embedded simulator's test PKI, removed when the run ends)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, durable: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), durable)


SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))  # never candidate artefacts, and reading them can hang or leak


def _system_folder(real: str) -> Path | None:
    """The system folder holding `real`, a path with its symbolic links resolved (string tests: no Path built per file)."""
    for folder in SYSTEM_FOLDERS:
        text = str(folder)
        if real.startswith(text) and (len(real) == len(text) or real[len(text)] == "/"):
            return folder
    return None


def _system_refused(path: Path | str, folder: Path) -> HarnessError:
    return HarnessError(f"{path} : fichier système refusé ({folder})", f"{path}: system file refused ({folder})")


def refuse_system_path(path: Path | str) -> None:
    """Refuse a path that resolves into /proc, /sys or /dev, with the reason."""
    folder = _system_folder(os.path.realpath(path))
    if folder is not None:
        raise _system_refused(path, folder)


def _opened_path(fd: int, path: Path | str) -> str:
    """The path the kernel opened for `fd` (its links resolved; the file read, not a name that could be swapped since);
    without /proc (not Linux), the path resolved by name."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


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


def read_bounded(path: Path | str, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> bytes:
    """Read a whole input file, refusing files larger than `max_bytes`, system files (/proc, /sys, /dev),
    and what is not a regular file (a FIFO or a device would block or never end).

    Only a regular file is opened (non-blocking: one swapped for a FIFO since cannot hang the read); the system
    folders are then checked on the path of the opened file itself, symbolic links resolved by the kernel."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            refuse_system_path(path)  # /dev/zero is refused as a system file, a FIFO elsewhere as not regular
            raise HarnessError(f"{path} : ce n'est pas un fichier ordinaire (périphérique, FIFO ou dossier)",
                               f"{path}: not a regular file (a device, a FIFO or a folder)")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            folder = _system_folder(_opened_path(fd, path))
            if folder is not None:
                raise _system_refused(path, folder)
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):  # replaced since the check above
                raise HarnessError(f"{path} : ce n'est pas un fichier ordinaire", f"{path}: not a regular file")
            if opened.st_size > max_bytes:
                raise HarnessError(
                    f"{path} : {opened.st_size} octets, au-delà de la limite de {max_bytes} octets",
                    f"{path}: {opened.st_size} bytes, over the limit of {max_bytes} bytes",
                )
            # Sized from the open file: read(max_bytes + 1) would allocate the whole limit for every file.
            data = _read_up_to(fd, opened.st_size + 1)
            if len(data) > opened.st_size:  # the file grew since: read on, up to the limit
                data += _read_up_to(fd, max_bytes + 1 - len(data))
        finally:
            os.close(fd)
    except OSError as exc:
        refuse_system_path(path)  # a missing /proc/… too is refused as a system file, whatever the file system holds
        raise HarnessError(f"{path} : lecture impossible ({exc.strerror})", f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > max_bytes:
        raise HarnessError(f"{path} : fichier trop grand", f"{path}: file too large")
    return data


def _read_up_to(fd: int, size: int) -> bytes:
    """At most `size` bytes of a file descriptor: one read for a regular file, a few for one that is being written."""
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, left)
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
    return parse_toml(read_config_bytes(path, fail), fail)


def read_config_bytes(path: Path, fail: Callable[[str, str], Exception]) -> bytes:
    """The bytes of a configuration file, at most MAX_CONFIG_BYTES (read_toml's first half)."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise fail(f"lecture impossible ({exc.strerror})", f"cannot read ({exc.strerror})") from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise fail(f"fichier de plus de {MAX_CONFIG_BYTES} octets", f"file over {MAX_CONFIG_BYTES} bytes")
    return data


def parse_toml(data: bytes, fail: Callable[[str, str], Exception]) -> dict[str, Any]:
    """The TOML table of a configuration file's bytes (read_toml's second half)."""
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
