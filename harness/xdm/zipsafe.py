"""Zip safety: judge an untrusted ZIP before anything is extracted from it.

Nothing is ever written to disk (no `extractall`): names are only checked, and entries are read in
memory through `zipfile` with a byte cap. The checks, in order:

1. the end-of-central-directory record is read by hand and the central directory's records are
   counted (at most `max_entries` + 1 of them) before `zipfile` builds one object per entry:
   a package of 10,000 entries is refused in milliseconds;
2. on the central directory (declared values only): names (no `..`, absolute path, drive letter,
   NUL, duplicate, symbolic link), encryption flags, UTF-8 names, declared sizes;
3. every entry is decompressed once, streaming, its output counted and discarded (never trusting
   the declared sizes): an entry that inflates past `max_ratio` × its compressed size (over a
   small floor), past `max_entry_bytes`, or the whole past `max_total_bytes`, stops the scan.
   The same pass computes each entry's SHA-1 and size (the XDM metadata's `hash` and `size`).

Only a package that passed all three is read from (`SafeZip.read`).
"""

from __future__ import annotations

import hashlib
import io
import lzma
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import HarnessError

ZIP_PATH = "XDM-ZIP-01"  # paths stay inside the package: no '..', absolute path, drive letter, symbolic link
ZIP_SIZE = "XDM-ZIP-02"  # bounded entry count, total size and compression ratio (zip bombs)
ZIP_ENCRYPTED = "XDM-ZIP-03"  # no encrypted entry
ZIP_NAMES = "XDM-ZIP-04"  # entry names in UTF-8
ZIP_IDS = (ZIP_PATH, ZIP_SIZE, ZIP_ENCRYPTED, ZIP_NAMES)

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_CHUNK = 64 * 1024
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAGS = 0x1 | 0x40  # traditional PKWARE encryption, strong encryption
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError, NotImplementedError,
               RuntimeError, UnicodeDecodeError, struct.error)


@dataclass(frozen=True)
class ZipLimits:
    """The bounds of a package (settings of the `ihe-xdm` pack, docs/mssante.md)."""

    max_entries: int = 1000
    max_total_bytes: int = 100 * 1024 * 1024
    max_entry_bytes: int = 50 * 1024 * 1024
    max_ratio: int = 100
    ratio_floor_bytes: int = 1024 * 1024  # below this output, any ratio is accepted (a small text compresses very well)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ZipLimits:
        known = {k: int(v) for k, v in settings.items() if k.startswith("zip_") and k[4:] in cls.__dataclass_fields__}
        return cls(**{k[4:]: v for k, v in known.items()})


@dataclass(frozen=True)
class Problem:
    """One reason a package is refused: the requirement it breaks, in French and English, and the entry."""

    requirement: str
    fr: str
    en: str
    entry: str | None = None


class ZipRefused(HarnessError):
    """The package breaks zip safety: nothing of it is read. `problems` names every broken check, `judged`
    the requirements that were checked before stopping (the others were not: never PASSED by default)."""

    def __init__(self, problems: list[Problem], judged: tuple[str, ...] = ZIP_IDS) -> None:
        self.problems, self.judged = problems, judged
        first = problems[0]
        more = f" (+{len(problems) - 1})" if len(problems) > 1 else ""
        super().__init__(f"archive ZIP refusée ({first.requirement}) : {first.fr}{more}",
                         f"ZIP package refused ({first.requirement}): {first.en}{more}")


class ZipUnreadable(HarnessError):
    """Not a readable ZIP (truncated, corrupt, unsupported compression): it cannot be judged."""


@dataclass(frozen=True)
class Entry:
    """A file of the package as the scan measured it (never as declared)."""

    name: str
    size: int
    sha1: str


@dataclass
class SafeZip:
    """A package that passed every check: its files by name, readable in memory."""

    archive: zipfile.ZipFile
    entries: dict[str, Entry] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)

    def read(self, name: str) -> bytes:
        """The content of a file (its size was measured by the scan, hence bounded)."""
        try:
            return self.archive.read(name)
        except _ZIP_ERRORS as exc:
            raise ZipUnreadable(f"entrée {name} illisible : {exc}", f"entry {name} unreadable: {exc}") from None


def _end_record(data: bytes) -> tuple[int, int, int]:
    """(number of entries, central directory size, its start) from the end records, zip64 included."""
    position = data.rfind(_EOCD, max(0, len(data) - 22 - 65535))
    if position < 0 or len(data) - position < 22:
        raise ZipUnreadable("pas une archive ZIP (fin de répertoire central introuvable)",
                            "not a ZIP package (end of central directory not found)")
    _, _, _, _, count, size, offset, _ = struct.unpack("<4s4H2LH", data[position:position + 22])
    start = position - size
    if count == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        locator = position - 20
        if locator < 0 or data[locator:locator + 4] != _EOCD64_LOCATOR:
            raise ZipUnreadable("enregistrement ZIP64 introuvable", "ZIP64 end record not found")
        record = struct.unpack("<Q", data[locator + 8:locator + 16])[0]
        if data[record:record + 4] != _EOCD64 or len(data) < record + 56:
            raise ZipUnreadable("enregistrement ZIP64 illisible", "ZIP64 end record unreadable")
        count, size = struct.unpack("<2Q", data[record + 32:record + 48])
        start = record - size
    return count, size, start


def _count_entries(data: bytes, limit: int) -> int:
    """The entries of the central directory, counted up to `limit` + 1 (the declared count may lie)."""
    count, size, start = _end_record(data)
    if count > limit:
        return count
    found, position, end = 0, max(start, 0), max(start, 0) + size
    while position + 46 <= min(end, len(data)) and data[position:position + 4] == _CENTRAL and found <= limit:
        name, extra, comment = struct.unpack("<3H", data[position + 28:position + 34])
        position += 46 + name + extra + comment
        found += 1
    return max(found, count)


def _name_problems(info: zipfile.ZipInfo, seen: set[str]) -> list[Problem]:
    name, problems = info.filename, []
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        problems.append(Problem(ZIP_PATH, f"chemin absolu : {name!r}", f"absolute path: {name!r}", name))
    elif ".." in parts:
        problems.append(Problem(ZIP_PATH, f"chemin sortant de l'archive : {name!r}", f"path leaving the package: {name!r}", name))
    if "\x00" in name:
        problems.append(Problem(ZIP_PATH, f"caractère NUL dans le nom {name!r}", f"NUL character in the name {name!r}", name))
    if stat.S_ISLNK(info.external_attr >> 16):
        problems.append(Problem(ZIP_PATH, f"lien symbolique : {name!r}", f"symbolic link: {name!r}", name))
    if name.upper() in seen:
        problems.append(Problem(ZIP_PATH, f"nom en double : {name!r}", f"duplicate name: {name!r}", name))
    seen.add(name.upper())
    if info.flag_bits & _ENCRYPTED_FLAGS:
        problems.append(Problem(ZIP_ENCRYPTED, f"entrée chiffrée : {name!r}", f"encrypted entry: {name!r}", name))
    if not info.flag_bits & _UTF8_FLAG and not name.isascii():
        problems.append(Problem(ZIP_NAMES, f"nom non ASCII sans l'indicateur UTF-8 (bit 11) : {name!r}",
                                f"non-ASCII name without the UTF-8 flag (bit 11): {name!r}", name))
    return problems


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, bound: tuple[str, str]) -> Entry:
    """Decompress one entry, counting and hashing its output and keeping none of it; refuse past `cap`."""
    digest, size = hashlib.sha1(usedforsecurity=False), 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise ZipRefused([Problem(ZIP_SIZE, f"{info.filename!r} se décompresse au-delà de {cap} octets "
                                          f"({info.compress_size} octets compressés ; {bound[0]}) : bombe de décompression",
                                          f"{info.filename!r} inflates past {cap} bytes ({info.compress_size} compressed "
                                          f"bytes; {bound[1]}): decompression bomb", info.filename)])
            digest.update(chunk)
    return Entry(info.filename, size, digest.hexdigest())


def open_package(data: bytes, limits: ZipLimits = ZipLimits()) -> SafeZip:
    """Judge a ZIP's safety and open it; raise `ZipRefused` (with every problem) or `ZipUnreadable`."""
    count = _count_entries(data, limits.max_entries)
    if count > limits.max_entries:
        raise ZipRefused([Problem(ZIP_SIZE, f"{count} entrées, au-delà de la limite de {limits.max_entries}",
                                  f"{count} entries, over the limit of {limits.max_entries}")], judged=(ZIP_SIZE,))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except UnicodeDecodeError:
        raise ZipRefused([Problem(ZIP_NAMES, "nom d'entrée marqué UTF-8 mais non décodable en UTF-8",
                                  "entry name flagged UTF-8 but not decodable as UTF-8")], judged=(ZIP_SIZE, ZIP_NAMES)) from None
    except _ZIP_ERRORS as exc:
        raise ZipUnreadable(f"archive ZIP illisible : {exc}", f"unreadable ZIP package: {exc}") from None
    problems: list[Problem] = []
    seen: set[str] = set()
    for info in infos:
        problems += _name_problems(info, seen)
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        problems.append(Problem(ZIP_SIZE, f"taille décompressée déclarée {declared} octets, au-delà de {limits.max_total_bytes}",
                                f"declared uncompressed size {declared} bytes, over {limits.max_total_bytes}"))
    if problems:
        raise ZipRefused(problems)
    unsupported = [i.filename for i in infos if i.compress_type not in _METHODS]
    if unsupported:
        raise ZipUnreadable(f"méthode de compression non prise en charge : {unsupported[0]!r}",
                            f"unsupported compression method: {unsupported[0]!r}")
    package, budget = SafeZip(archive), limits.max_total_bytes
    for info in infos:
        if info.is_dir():
            package.folders.add(info.filename.rstrip("/"))
            continue
        bounds = [(max(limits.ratio_floor_bytes, limits.max_ratio * info.compress_size),
                   (f"taux de compression limité à {limits.max_ratio}", f"compression ratio limited to {limits.max_ratio}")),
                  (limits.max_entry_bytes, ("taille d'entrée limitée", "entry size limited")),
                  (budget, (f"taille totale limitée à {limits.max_total_bytes}", f"total size limited to {limits.max_total_bytes}"))]
        cap, bound = min(bounds, key=lambda b: b[0])
        try:
            entry = _scan(archive, info, cap, bound)
        except _ZIP_ERRORS as exc:
            raise ZipUnreadable(f"entrée {info.filename!r} illisible : {exc}", f"entry {info.filename!r} unreadable: {exc}") from None
        budget -= entry.size
        package.entries[info.filename] = entry
    return package
