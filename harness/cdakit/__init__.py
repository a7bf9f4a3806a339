"""Official kit mode (`--kit DIR`): validate CDA documents with a folder laid out like the
agency's test kit TestContenuCDA (its CDA_extended.xsd and its xslt2 schematrons).

See docs/cda-kit.md. Entry point: `kit_findings(tree, data, kit_dir)`.
"""

from harness.cdakit.kit import kit_findings

__all__ = ["kit_findings"]
