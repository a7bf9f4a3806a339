"""read_bounded reads what the file holds, sized from its stat (issue 13), and still the whole of a file that grew since."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.core import fileio
from harness.core.errors import HarnessError


def _stat_saying(real: Any, size: int) -> Any:
    def lying(*args: Any, **kwargs: Any) -> Any:
        status = real(*args, **kwargs)
        return os.stat_result((status.st_mode, *status[1:6], size, *status[7:]))

    return lying


def _looks_smaller(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """The file's stat, before and after it is opened, says `size` bytes: it grows between the stat and the read."""
    monkeypatch.setattr(os, "stat", _stat_saying(os.stat, size))
    monkeypatch.setattr(os, "fstat", _stat_saying(os.fstat, size))


def test_reads_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(b"<a/>" * 1000)
    assert fileio.read_bounded(path, 10_000) == b"<a/>" * 1000


def test_a_file_that_grew_since_its_stat_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(b"x" * 1000)
    _looks_smaller(monkeypatch, 10)
    assert fileio.read_bounded(path, 10_000) == b"x" * 1000


def test_a_file_that_grew_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(b"x" * 1000)
    _looks_smaller(monkeypatch, 10)
    with pytest.raises(HarnessError, match="file too large"):
        fileio.read_bounded(path, 500)


@pytest.mark.parametrize("target", ["/proc/self/environ", "/sys/kernel/notes", "/dev/zero", "/proc/self/no-such-file"])
def test_a_symbolic_link_into_a_system_folder_is_refused(tmp_path: Path, target: str) -> None:
    """The system folders are judged on the file opened (its links resolved), whatever the name given says."""
    link = tmp_path / "doc.xml"
    link.symlink_to(target)
    with pytest.raises(HarnessError, match=r"system file refused \(/(proc|sys|dev)\)"):
        fileio.read_bounded(link)
    with pytest.raises(HarnessError, match="system file refused"):
        fileio.read_bounded(target)


def test_a_regular_file_in_dev_is_refused(tmp_path: Path) -> None:
    """A regular file in a file system mounted under /dev (tmpfs /dev/shm) is a system file all the same."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm")
    path = shm / f"enrs-harness-test-{os.getpid()}.xml"
    path.write_bytes(b"<a/>")
    link = tmp_path / "doc.xml"
    link.symlink_to(path)
    try:
        for name in (path, link):
            with pytest.raises(HarnessError, match=r"system file refused \(/dev\)"):
                fileio.read_bounded(name)
    finally:
        path.unlink()


def test_a_file_that_is_not_there_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="cannot read"):
        fileio.read_bounded(tmp_path / "absent.xml")
