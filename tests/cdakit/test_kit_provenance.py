"""The kit's identity recorded with results: commit, XSD and profile digests."""

from __future__ import annotations

import hashlib

from harness.cdakit.provenance import kit_provenance


def test_provenance_of_the_mini_kit(lab, kit_copy):
    found = kit_provenance(kit_copy)
    xsd = kit_copy / "infrastructure/cda/CDA_extended.xsd"
    assert found["xsd"] == {"file": "infrastructure/cda/CDA_extended.xsd", "sha256": hashlib.sha256(xsd.read_bytes()).hexdigest()}
    assert set(found["profiles"]) == {"CISIS-KIT-SCH-STRUCMIN", "CISIS-KIT-SCH-IHE", "CISIS-KIT-SCH-MODELES",
                                      "CISIS-KIT-SCH-ANS", "CISIS-KIT-SCH-TERMINO"}
    assert found["volet_schematrons"] == 1
    assert found["commit"] is None  # not a git checkout


def test_provenance_reads_the_git_commit(kit_copy):
    sha = "7cd489b3" + "0" * 32
    git = kit_copy / ".git"
    (git / "refs/heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (git / "packed-refs").write_text(f"# pack-refs\n{sha} refs/heads/main\n", encoding="utf-8")
    assert kit_provenance(kit_copy)["commit"] == sha
    (git / "refs/heads/main").write_text("1" * 40 + "\n", encoding="utf-8")
    assert kit_provenance(kit_copy)["commit"] == "1" * 40
