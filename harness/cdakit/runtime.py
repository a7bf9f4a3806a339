"""Running compiled schematrons with SaxonC-HE (saxonche): one processor per process, each
stylesheet compiled once per process, documents parsed once and checked by every schematron.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from harness.cdakit.cache import cache_path, store
from harness.cdakit.compiler import PARAM_BASE, PARAM_INDEX
from harness.core.errors import HarnessError
from harness.core.fileio import sha256_hex

# folders of a kit no schematron reads (thousands of stylesheet and example files)
_SKIPPED_FOLDERS = {"feuilledestyle", "exemplescda", ".git"}
_INDEXED_SUFFIXES = {".xml", ".rdf"}

_processor: Any = None
_xslt: Any = None
_executables: dict[str, Any] = {}


class SchematronRunError(Exception):
    """Saxon refused a stylesheet or failed while running it; the message says why (shortened)."""

    def __init__(self, message: str) -> None:
        message = " ".join(message.split())
        super().__init__(message if len(message) <= 600 else message[:599] + "…")


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Saxon prints its errors on the process's stderr too; the harness reports them itself."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def saxon() -> Any:
    """The saxonche module: kit mode needs it, and it is an optional extra (enrs-harness[kit])."""
    try:
        return importlib.import_module("saxonche")
    except ImportError:
        raise HarnessError(
            "le mode kit (--kit) a besoin de SaxonC-HE, qui n'est pas installé : pip install 'enrs-harness[kit]'",
            "kit mode (--kit) needs SaxonC-HE, which is not installed: pip install 'enrs-harness[kit]'") from None


def processor() -> Any:
    global _processor, _xslt
    if _processor is None:
        _processor = saxon().PySaxonProcessor(license=False)
        _xslt = _processor.new_xslt30_processor()
    return _processor


def executable(digest: str, xslt_file: Path) -> Any:
    """The compiled stylesheet of a cached XSLT file, compiled on first use in this process."""
    found = _executables.get(digest)
    if found is None:
        processor()
        try:
            with _quiet_stderr():
                found = _xslt.compile_stylesheet(stylesheet_file=str(xslt_file))
        except Exception as exc:  # saxonche raises PySaxonApiError with Saxon's message
            raise SchematronRunError(str(exc)) from None
        if found is None:
            raise SchematronRunError("Saxon could not compile the stylesheet")
        _executables[digest] = found
    return found


def compiled_in_process() -> int:
    return len(_executables)


def parse_document(tree: etree._ElementTree) -> Any:
    """The document as a Saxon node (serialised from the already safely parsed lxml tree)."""
    text = etree.tostring(tree.getroot(), encoding="unicode")
    try:
        return processor().parse_xml(xml_text=text)
    except Exception as exc:
        raise SchematronRunError(str(exc)) from None


def run(compiled: Any, document: Any, base_folder: Path, index_file: Path) -> str:
    """The SVRL text of one schematron on one document."""
    proc = processor()
    compiled.set_parameter(PARAM_BASE, proc.make_string_value(base_folder.as_uri() + "/"))
    compiled.set_parameter(PARAM_INDEX, proc.make_string_value(index_file.as_uri()))
    try:
        with _quiet_stderr():
            result = compiled.transform_to_string(xdm_node=document)
    except Exception as exc:
        raise SchematronRunError(str(exc)) from None
    if result is None:
        raise SchematronRunError("Saxon returned no report")
    return str(result)


@dataclass
class FileIndex:
    """The files of a kit a schematron may load, by lower-cased URI (case-insensitive, confined)."""

    root: Path
    entries: dict[str, str]

    @classmethod
    def scan(cls, root: Path) -> FileIndex:
        entries: dict[str, str] = {}
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if d.lower() not in _SKIPPED_FOLDERS and not d.startswith("."))
            for name in sorted(files):
                if os.path.splitext(name)[1].lower() in _INDEXED_SUFFIXES:
                    uri = Path(folder, name).as_uri()
                    entries.setdefault(uri.lower(), uri)
        return cls(root, entries)

    def add_substitute(self, expected: Path, actual: Path) -> None:
        self.entries[expected.as_uri().lower()] = actual.as_uri()

    def write(self) -> Path:
        root = etree.Element("files")
        for key in sorted(self.entries):
            etree.SubElement(root, "f", k=key, u=self.entries[key])
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        path = cache_path("kit-index", sha256_hex(data), ".xml")
        if not path.exists():
            store(path, data)
        return path
