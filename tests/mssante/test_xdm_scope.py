"""Under the role mssante-sender, the XDS metadata requirements judged inside XDM packages are in scope; the XDS.b
transport requirements (SOAP, MTOM), which an XDM package never carries, stay outside with their reason."""

from __future__ import annotations

from harness.config.packs import PackRegistry
from harness.config.scope import DeclaredScope, Scope


def test_xds_metadata_requirements_judged_in_xdm_packages_are_in_the_mssante_sender_scope() -> None:
    registry = PackRegistry.load()
    scope = Scope.resolve(DeclaredScope(roles=("mssante-sender",)), list(registry.packs.values()), registry, "target.toml", False)
    requirements = {r.id: r for p in registry.packs.values() for r in p.requirements}
    for in_scope in ("XDSB-HASH-01", "XDSB-SIZE-01", "XDSB-DE-01", "XDSFR-CDA-01", "XDSFR-VS-01", "MSS-MASK-01", "XDM-ZIP-01"):
        assert scope.covers(requirements[in_scope]), in_scope
    outside = scope.why_outside(requirements["XDSB-MTOM-01"])
    assert outside is not None and "applies to xds" in outside[1]
