"""Safe XML parsing of untrusted vendor files: no DTD, no entities, no network, bounded size.

Every XML the harness reads from a candidate goes through `parse_xml`. A DOCTYPE is refused
outright (a CDA document never needs one), so external entities (XXE) and entity expansion
bombs never get a chance; the parser never touches the network or the file system.
"""

from __future__ import annotations

from lxml import etree

from harness.errors import HarnessError
from harness.fileio import DEFAULT_MAX_INPUT_BYTES


class UnsafeOrInvalidXml(HarnessError):
    """The input is not XML the harness can read safely; `line` is where the parser stopped."""

    def __init__(self, fr: str, en: str, line: int | None = None) -> None:
        super().__init__(fr, en)
        self.line = line


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, dtd_validation=False, no_network=True,
        huge_tree=False, remove_comments=False, collect_ids=False,
    )


def parse_xml(data: bytes, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes, keeping line numbers; raise `UnsafeOrInvalidXml` with the reason."""
    if len(data) > max_bytes:
        raise UnsafeOrInvalidXml(f"{len(data)} octets, au-delà de la limite de {max_bytes}",
                                 f"{len(data)} bytes, over the limit of {max_bytes}")
    if not data.strip():
        raise UnsafeOrInvalidXml("fichier vide", "empty file")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<!DOCTYPE" in data[:65536] or b"<!ENTITY" in data[:65536]:
        raise UnsafeOrInvalidXml("déclaration DOCTYPE/ENTITY refusée (DTD et entités interdites)",
                                 "DOCTYPE/ENTITY declaration refused (DTDs and entities are forbidden)")
    if not head.startswith(b"<"):
        raise UnsafeOrInvalidXml("ce n'est pas du XML", "not XML")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise UnsafeOrInvalidXml(f"XML mal formé : {exc.msg}", f"malformed XML: {exc.msg}", line) from None
    except ValueError as exc:  # e.g. unsupported encoding declarations
        raise UnsafeOrInvalidXml(f"XML illisible : {exc}", f"unreadable XML: {exc}") from None
    if tree.docinfo.doctype:
        raise UnsafeOrInvalidXml("DOCTYPE refusé", "DOCTYPE refused")
    return tree
