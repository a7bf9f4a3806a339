"""The header index's table of child paths, shared by every document, stays bounded and right when a document has
more kinds of children than any CDA R2 class (the table of that parent is emptied while walking)."""

from __future__ import annotations

from lxml import etree

from harness.cda import index
from harness.cda.index import HeaderIndex


def test_many_kinds_of_children_keep_every_path_right() -> None:
    names = [f"x{n}" for n in range(150)]
    children = "".join(f"<{name}><id root='{name}'/></{name}>" for name in names)
    root = etree.fromstring(f"<ClinicalDocument xmlns='urn:hl7-org:v3'><author>{children}</author></ClinicalDocument>".encode())
    for _ in range(2):  # the second walk meets the table the first one left
        header = HeaderIndex(root)
        for name in names:
            assert [e.get("root") for e in header.at(f"author/{name}/id")] == [name]
        assert len(index._PATHS["author"]) <= 65
