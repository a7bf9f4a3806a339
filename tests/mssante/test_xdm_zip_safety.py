"""Hostile ZIPs, generated here, are ABORTED with the zip-safety requirement they break, before anything
is read from them, in bounded time and memory (the time bound is only a hang guard: a generous one)."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import pytest
from mssante_make_fixtures import document_mail, package

from harness.config.context import ValidationContext
from harness.core.findings import ArtefactReport, Severity
from harness.core.verdicts import ArtefactVerdict
from harness.validation.dispatch import validate_bytes
from harness.xdm.zipsafe import ZipLimits, ZipRefused, ZipUnreadable, open_package

HANG_GUARD_SECONDS = 20.0
MEMORY_BOUND_BYTES = 32 * 1024 * 1024  # the bomb inflates to 200 MiB; a read that kept it would be far above
MiB = 1024 * 1024


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _layout(*extra: tuple[zipfile.ZipInfo | str, bytes]) -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    """A valid package's entries plus `extra` (so that only the hostile part is wrong)."""
    return [("README.TXT", b"readme"), ("INDEX.HTM", b"<html></html>"), ("IHE_XDM/SUBSET01/METADATA.XML", b"<m/>"), *extra]


def bomb(inflated: int = 200 * MiB, zip64: bool = True) -> bytes:
    """One entry of `inflated` zero bytes, written streaming (the test never holds it): ratio ~1000."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _layout():
            archive.writestr(name, data)
        info = zipfile.ZipInfo("IHE_XDM/SUBSET01/DOC0001.XML")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=zip64) as stream:
            chunk = bytes(MiB)
            for _ in range(inflated // MiB):
                stream.write(chunk)
    return buffer.getvalue()


def _patch_flags(data: bytes, set_bits: int = 0, clear_bits: int = 0) -> bytes:
    """Set or clear general purpose flag bits in every local and central header (zipfile writes its own)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = out.find(signature)
        while position >= 0:
            flags = struct.unpack_from("<H", out, position + offset)[0]
            struct.pack_into("<H", out, position + offset, (flags | set_bits) & ~clear_bits)
            position = out.find(signature, position + 4)
    return bytes(out)


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info


def _judge(data: bytes, context: ValidationContext, kind: str | None = "xdm") -> tuple[ArtefactReport, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = validate_bytes(data, "hostile.zip", context, kind=kind)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return report, elapsed, peak


def _failing(report: ArtefactReport) -> set[str]:
    return {f.requirement for f in report.findings if f.severity is Severity.ERROR}


HOSTILE: dict[str, tuple[str, Callable[[], bytes]]] = {
    "bomb": ("XDM-ZIP-02", bomb),  # declares its 200 MiB: refused on the central directory, before inflating
    "bomb-under-declared-bounds": ("XDM-ZIP-02", lambda: bomb(45 * MiB)),  # refused while inflating, past the ratio
    "traversal": ("XDM-ZIP-01", lambda: _zip(_layout(("../../etc/evil.txt", b"x"), ("IHE_XDM/SUBSET01/../../../evil", b"x")))),
    "absolute": ("XDM-ZIP-01", lambda: _zip(_layout(("/etc/passwd", b"x")))),
    "drive-letter": ("XDM-ZIP-01", lambda: _zip(_layout(("C:/Windows/evil.dll", b"x")))),
    "symlink": ("XDM-ZIP-01", lambda: _zip(_layout((_symlink("IHE_XDM/SUBSET01/DOC0001.XML"), b"/etc/passwd")))),
    "10000-entries": ("XDM-ZIP-02", lambda: _zip(_layout(*((f"IHE_XDM/SUBSET01/F{i:05d}.TXT", b"") for i in range(10_000))))),
    "encrypted-flag": ("XDM-ZIP-03", lambda: _patch_flags(_zip(_layout(("IHE_XDM/SUBSET01/DOC0001.XML", b"secret"))), set_bits=0x1)),
    "name-not-utf8-flag": ("XDM-ZIP-04", lambda: _patch_flags(_zip(_layout(("IHE_XDM/SUBSET01/RÉSUMÉ.XML", b"x"))), clear_bits=0x800)),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_zip_aborted_with_its_requirement_in_bounded_time_and_memory(case: str, context: ValidationContext) -> None:
    requirement, make = HOSTILE[case]
    data = make()
    report, elapsed, peak = _judge(data, context)
    assert report.verdict is ArtefactVerdict.ABORTED
    assert requirement in (report.reason or "")
    assert _failing(report) == {requirement}
    assert not report.children  # nothing was read from the package
    if case == "10000-entries":  # refused on the count: the names were never checked, hence not PASSED
        assert set(report.evaluated) == {"XDM-ZIP-02"}
    assert elapsed < HANG_GUARD_SECONDS
    assert peak < MEMORY_BOUND_BYTES, f"{case}: peak {peak / MiB:.1f} MiB"


def test_bomb_refused_on_what_it_inflates_to_not_on_what_it_declares() -> None:
    """The central directory can lie: a small declared size over a big stream is never trusted (the read stops
    at the declared size and the CRC fails: unreadable), and a true size is refused while reading, past the ratio."""
    data = bomb(64 * MiB, zip64=False)
    lying = bytearray(data)
    central = lying.rfind(b"PK\x01\x02")  # the bomb is the last entry written: the last central record
    local = struct.unpack_from("<L", lying, central + 42)[0]
    struct.pack_into("<L", lying, central + 24, 100)  # declared uncompressed size
    struct.pack_into("<L", lying, local + 22, 100)
    with pytest.raises(ZipUnreadable):
        open_package(bytes(lying))
    with pytest.raises(ZipRefused) as refused:
        open_package(data, ZipLimits(max_ratio=10))
    assert refused.value.problems[0].requirement == "XDM-ZIP-02"
    assert "ratio limited to 10" in refused.value.en


def test_declared_total_over_the_bound_refused_before_decompressing() -> None:
    data = _zip(_layout(("IHE_XDM/SUBSET01/DOC0001.XML", bytes(2 * MiB))))
    with pytest.raises(ZipRefused) as refused:
        open_package(data, ZipLimits(max_total_bytes=MiB))
    assert "declared" in refused.value.en


def test_duplicate_names_and_utf8_flag_without_utf8() -> None:
    duplicated = _zip(_layout(("IHE_XDM/SUBSET01/DOC.XML", b"a"), ("IHE_XDM/SUBSET01/doc.xml", b"b")))  # one file once unpacked
    with pytest.raises(ZipRefused) as refused:
        open_package(duplicated)
    assert [p.requirement for p in refused.value.problems] == ["XDM-ZIP-01"]
    broken = _zip(_layout(("IHE_XDM/SUBSET01/X\u00e9.XML", b"x"))).replace("X\u00e9".encode(), b"X\xff\xfe")  # same length, not UTF-8
    with pytest.raises(ZipRefused) as refused:
        open_package(broken)
    assert [p.requirement for p in refused.value.problems] == ["XDM-ZIP-04"]


def test_every_problem_is_named_not_only_the_first(context: ValidationContext) -> None:
    data = _patch_flags(_zip(_layout(("../evil", b"x"), ("IHE_XDM/SUBSET01/S.XML", b"s"))), set_bits=0x1)
    report = validate_bytes(data, "hostile.zip", context, kind="xdm")
    assert report.verdict is ArtefactVerdict.ABORTED
    assert _failing(report) == {"XDM-ZIP-01", "XDM-ZIP-03"}


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated", b"not a zip at all", b""])
def test_unreadable_zip_aborted_without_a_requirement(data: bytes, context: ValidationContext) -> None:
    report = validate_bytes(data, "broken.zip", context, kind="xdm")
    assert report.verdict is ArtefactVerdict.ABORTED and report.reason
    assert not _failing(report)


def test_safe_package_passes_every_zip_requirement(context: ValidationContext) -> None:
    report = validate_bytes(package(), "IHE_XDM.ZIP", context)
    assert report.kind == "xdm" and report.verdict is ArtefactVerdict.PASSED
    assert {"XDM-ZIP-01", "XDM-ZIP-02", "XDM-ZIP-03", "XDM-ZIP-04"} <= set(report.evaluated)


def test_bomb_attached_to_an_email_aborts_the_email_with_the_reason(context: ValidationContext) -> None:
    report, elapsed, peak = _judge(document_mail(bomb()), context, kind=None)
    assert report.kind == "email" and report.verdict is ArtefactVerdict.ABORTED
    assert "XDM-ZIP-02" in (report.reason or "")
    assert [c.verdict for c in report.children] == [ArtefactVerdict.ABORTED]
    assert "XDM-ZIP-02" in {f.requirement for f in report.all_findings() if f.severity is Severity.ERROR}
    assert not {"MSS-SUB-01", "MSS-PAT-01", "MSS-XH-01", "MSS-MASK-01"} & set(report.evaluated)  # they read the documents
    assert elapsed < HANG_GUARD_SECONDS and peak < 3 * MEMORY_BOUND_BYTES  # the mail holds the zip's base64 and bytes
