"""IHE XDM packages (ITI-32 ZIP, e.g. MSSanté's IHE_XDM.ZIP): zip safety, layout, CDA documents (see harness/xdm/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.core.findings import ArtefactReport

if TYPE_CHECKING:
    from harness.config.context import ValidationContext

KIND = "xdm"


def detect(data: bytes) -> bool:
    """A ZIP naming an IHE_XDM/ entry (in a local header near the start, or in the central directory at the end)."""
    return data.startswith(b"PK\x03\x04") and b"IHE_XDM/" in data


def validate(data: bytes, path: str, context: ValidationContext) -> ArtefactReport:
    from harness.xdm.package import judge_package  # loaded with the first package: a CDA-only run never needs it

    return judge_package(data, path, context).report
