"""The certification scope (issue 10, part 2): what the target declares it is decides what is
certified; everything else is NOT_APPLICABLE with the reason, and every row that is not judged says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.config.packs import PackRegistry
from harness.config.scope import DeclaredScope, Scope
from harness.config.target import load_target
from harness.core.errors import HarnessError
from harness.simulator import Simulator, start_embedded

REPO = Path(__file__).resolve().parents[2]
CDA = REPO / "fixtures" / "conforming" / "cda"


@pytest.fixture(scope="module")
def registry() -> PackRegistry:
    return PackRegistry.load([])


def resolve(registry: PackRegistry, declared: DeclaredScope | None, selected: list[str] = ()) -> Scope:
    return Scope.resolve(declared, registry.select(selected), registry, "target.toml", narrowed=bool(selected))


def outside(scope: Scope, registry: PackRegistry, requirement_id: str) -> str | None:
    why = scope.why_outside(registry.requirements[requirement_id])
    return why[1] if why else None


# -- which requirements a declared scope covers ----------------------------------------------------
def test_without_a_declared_scope_every_selected_requirement_is_in_scope(registry: PackRegistry) -> None:
    scope = resolve(registry, None)
    assert not scope.declared and set(scope.profiles) == set(registry.packs) - {"ci-sis-xds-dmp"}  # opt-in: not selected
    assert all(scope.covers(r) for r in registry.requirements.values())


def test_an_mllp_receiver_is_certified_on_the_mllp_transport_only(registry: PackRegistry) -> None:
    scope = resolve(registry, DeclaredScope(roles=("mllp-receiver",)))
    assert scope.profiles == ("ci-sis-mllp-transport",)
    assert scope.covers(registry.requirements["CISIS-MLLP-01"])
    assert outside(scope, registry, "HL7V2-ACK-01") == "outside the declared scope (profile hl7v2-base not claimed)"
    assert outside(scope, registry, "SM-ID") == "outside the declared scope (profile ci-sis-cda-header not claimed)"


def test_a_tls_mllp_receiver_gets_the_tls_requirements_but_not_the_https_ones(registry: PackRegistry) -> None:
    scope = resolve(registry, DeclaredScope(roles=("mllp-tls-receiver",)))
    assert set(scope.profiles) == {"ci-sis-mllp-transport", "pgssi-s-security"}
    assert scope.covers(registry.requirements["SEC-TLS-02"])
    assert outside(scope, registry, "SEC-HTTP-01") == "outside the declared scope (applies to https, not to the roles mllp-tls-receiver)"


def test_a_vsm_producer_is_not_judged_on_other_volets(registry: PackRegistry) -> None:
    scope = resolve(registry, DeclaredScope(roles=("cda-producer",), volets=("VSM",)))
    assert scope.profiles == ("ci-sis-cda-header", "ci-sis-cda-modeles", "ci-sis-cda-structure", "ci-sis-cda-volets")
    assert scope.covers(registry.requirements["VOL-VSM-HEADER"]) and scope.volet(registry.requirements["VOL-VSM-HEADER"]) == "VSM"
    assert scope.covers(registry.requirements["VOL-DETECT"]) and scope.covers(registry.requirements["SM-N1-TEMPLATEIDS"])
    assert outside(scope, registry, "VOL-CRBIO-HEADER") == "outside the declared scope (volet CR-BIO not claimed)"
    assert outside(scope, registry, "VOL-LDLSES-SECTIONS") == "outside the declared scope (volet LDL-SES not claimed)"


def test_profile_narrows_the_declared_scope_and_says_what_was_left_out(registry: PackRegistry) -> None:
    scope = resolve(registry, DeclaredScope(roles=("cda-producer",)), ["ci-sis-cda-header", "pgssi-s-security"])
    assert scope.profiles == ("ci-sis-cda-header",)
    assert scope.not_selected == ("ci-sis-cda-modeles", "ci-sis-cda-structure", "ci-sis-cda-volets")
    assert scope.outside == ("pgssi-s-security",)
    data = scope.to_dict([])
    assert {p["id"]: p["reason"]["en"] for p in data["profiles_not_assessed"]} == {
        "pgssi-s-security": "outside the declared scope", "ci-sis-cda-structure": "not selected for this run (--profile)",
        "ci-sis-cda-modeles": "not selected for this run (--profile)",
        "ci-sis-cda-volets": "not selected for this run (--profile)"}
    assert data["statement"]["fr"].startswith("Portée certifiée : producteur de documents CDA ; profils ci-sis-cda-header.")


@pytest.mark.parametrize(("declared", "selected", "message"), [
    (DeclaredScope(roles=("cda-producer",), volets=("VSMX",)), [], "unknown volet 'VSMX'"),
    (DeclaredScope(profiles=("no-such-pack",)), [], "unknown or unloaded profile 'no-such-pack'"),
    (DeclaredScope(roles=("mllp-receiver",)), ["ci-sis-cda-header"],
     "no requirement of the selected profiles (ci-sis-cda-header) is in the declared scope"),
    (DeclaredScope(roles=("mllp-receiver",), volets=("VSM",)), [], "'volets' only applies to the cda-producer role"),
])
def test_a_scope_that_cannot_hold_is_a_clear_error(registry: PackRegistry, declared: DeclaredScope, selected: list[str],
                                                   message: str) -> None:
    with pytest.raises(HarnessError) as error:
        resolve(registry, declared, selected)
    assert message in error.value.en and error.value.fr.startswith("portée [scope]")


@pytest.mark.parametrize(("table", "message"), [
    ('roles = ["mllp-reciever"]', "[scope] roles: unknown role 'mllp-reciever'"),
    ('roles = "mllp-receiver"', "[scope] roles: expected a list of strings, found a string 'mllp-receiver'"),
    ('role = ["mllp-receiver"]', "[scope] role: unknown field 'role' (did you mean 'roles'?)"),
    ("volets = []", "[scope]: roles or profiles is required"),
])
def test_a_broken_scope_table_is_an_error_naming_the_field(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "target.toml"
    path.write_text(f'[candidate]\nname = "X"\nvendor = "V"\nversion = "1"\n\n[scope]\n{table}\n', encoding="utf-8")
    with pytest.raises(HarnessError) as error:
        load_target(path)
    assert message in error.value.en


# -- whole runs: the MLLP-only target and the vendor of one VSM document ---------------------------------
def harness(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


SCHEMA = json.loads((REPO / "harness" / "schemas" / "results.schema.json").read_text(encoding="utf-8"))


def run(tmp_path: Path, target: Path | None, *extra: object) -> tuple[subprocess.CompletedProcess[str], dict, str]:
    reports = tmp_path / f"runs-{target.stem if target else 'embedded'}"
    process = harness("run", *(("--target", target) if target else ()), "--report-dir", reports, "--quiet", *extra, cwd=tmp_path)
    folder = next(reports.iterdir())
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(results, SCHEMA)  # the contract of docs/results.md: scope, blocking, ignored, a reason on every unjudged row
    return process, results, (folder / "certificate.html").read_text(encoding="utf-8")


def test_the_embedded_default_still_gets_its_certificate(tmp_path: Path) -> None:
    process, results, certificate = run(tmp_path, None)
    assert process.returncode == 0, process.stdout + process.stderr
    assert results["summary"]["certificate_issued"] and results["blocking"] == [] and results["scope"]["declared"] is False
    assert {Path(i["path"]).name for i in results["ignored"]} == {"README.md"}  # the fixtures' READMEs, listed, not validated
    assert "Scope not declared" in process.stdout and '<div id="scope" data-declared="false">' in certificate


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = start_embedded()
    try:
        yield sim
    finally:
        sim.stop()


def mllp_target(path: Path, simulator: Simulator, scope: str = "") -> Path:
    endpoint = next(e for e in simulator.endpoints() if e.protocol == "mllp")
    path.write_text(f'[candidate]\nname = "Récepteur MLLP"\nvendor = "Éditeur"\nversion = "1.0"\n\n{scope}\n'
                    f'[[endpoints]]\nname = "pam"\nprotocol = "mllp"\nhost = "{endpoint.host}"\nport = {endpoint.port}\n', encoding="utf-8")
    return path


def test_an_mllp_only_target_without_scope_is_refused_and_every_unjudged_row_says_why(tmp_path: Path, simulator: Simulator) -> None:
    process, results, certificate = run(tmp_path, mllp_target(tmp_path / "mllp.toml", simulator))
    assert process.returncode == 1
    assert len(results["blocking"]) > 40 and f"… and {len(results['blocking']) - 6} more" in certificate  # never cut silently
    unjudged = [r for r in results["requirements"] if r["verdict"] in ("NOT_TESTED", "NOT_APPLICABLE")]
    assert len(unjudged) > 100
    assert all(r["reason"]["fr"].strip() and r["reason"]["en"].strip() and r["reasons"][0]["reason"].strip() for r in unjudged)
    sm_id = next(r for r in results["requirements"] if r["id"] == "SM-ID")
    assert sm_id["verdict"] == "NOT_TESTED" and sm_id["reason"]["en"].startswith("no cda artefact was submitted")
    assert "declare its scope ([scope], docs/target-file.md)" in sm_id["reasons"][0]["reason"]  # the run's language: en
    assert results["scope"]["declared"] is False


def test_an_mllp_only_target_with_its_scope_gets_a_certificate_for_that_scope(tmp_path: Path, simulator: Simulator) -> None:
    target = mllp_target(tmp_path / "mllp.toml", simulator, '[scope]\nroles = ["mllp-receiver"]\n')
    process, results, certificate = run(tmp_path, target, "--lang", "fr")
    assert process.returncode == 0, process.stdout + process.stderr
    scope = results["scope"]
    assert scope["declared"] and scope["roles"] == ["mllp-receiver"] and scope["profiles"] == ["ci-sis-mllp-transport"]
    assert scope["source"] == str(target.resolve()) and "ci-sis-cda-header" in [p["id"] for p in scope["profiles_not_assessed"]]
    in_scope = [r for r in results["requirements"] if r["in_scope"]]
    assert {r["id"] for r in in_scope} == {"CISIS-MLLP-01", "CISIS-MLLP-02", "CISIS-MLLP-03", "CISIS-MLLP-04"}
    assert all(r["verdict"] == "PASSED" for r in in_scope)
    for row in results["requirements"]:
        if not row["in_scope"]:
            assert row["verdict"] == "NOT_APPLICABLE" and row["reason"]["en"].startswith("outside the declared scope")
            assert row["reasons"][0]["reason"].startswith("hors de la portée déclarée")  # the run's language: fr
    ack = next(r for r in results["requirements"] if r["id"] == "HL7V2-ACK-01")
    assert ack["observed"]["verdict"] == "PASSED"  # what the tests saw outside the scope is kept, not counted
    assert results["summary"]["certificate_issued"] and results["blocking"] == []
    assert '<div id="scope" data-declared="true">' in certificate and "Portée certifiée : récepteur HL7 v2 sur MLLP" in certificate
    assert certificate.index('id="scope"') < certificate.index('id="requirements"')  # on the first page, before the tables
    assert "hors de la portée déclarée (profil ci-sis-cda-header non revendiqué)" in certificate
    assert "outside the declared scope" not in certificate  # the page speaks the run's language


def vsm_target(tmp_path: Path, document: Path, volets: str = '["VSM"]') -> Path:
    path = tmp_path / f"vsm-{document.stem}.toml"
    path.write_text('[candidate]\nname = "DPI VSM"\nvendor = "Éditeur"\nversion = "2.0"\n\n'
                    f'[scope]\nroles = ["cda-producer"]\nvolets = {volets}\n\n'
                    f'[documents]\npaths = [{json.dumps(str(document))}]\n', encoding="utf-8")
    return path


def test_a_vendor_of_one_vsm_document_gets_a_certificate_as_a_vsm_producer(tmp_path: Path) -> None:
    process, results, certificate = run(tmp_path, vsm_target(tmp_path, CDA / "vsm-2023.xml"))
    assert process.returncode == 0, process.stdout + process.stderr
    rows = {r["id"]: r for r in results["requirements"]}
    assert rows["VOL-VSM-HEADER"]["verdict"] == "PASSED"
    assert (rows["VOL-CRBIO-HEADER"]["verdict"] == "NOT_APPLICABLE"
            and rows["VOL-CRBIO-HEADER"]["reason"]["en"] == "outside the declared scope (volet CR-BIO not claimed)")
    # N1 rules did not apply to a structured document: not applicable, and said so
    assert rows["SM-N1-TEMPLATEIDS"]["in_scope"] and rows["SM-N1-TEMPLATEIDS"]["verdict"] == "NOT_APPLICABLE"
    assert rows["SM-N1-TEMPLATEIDS"]["reason"]["en"].startswith("its rules apply to none of the 1 cda artefact(s) validated")
    assert "CDA document producer; volets VSM" in results["scope"]["statement"]["en"] and "volets VSM" in certificate


def test_a_vsm_producer_without_any_vsm_document_is_refused_with_the_reason(tmp_path: Path) -> None:
    process, results, _ = run(tmp_path, vsm_target(tmp_path, CDA / "n1-pdf.xml"))
    assert process.returncode == 1
    blocking = {b["id"]: b for b in results["blocking"]}
    assert blocking["VOL-VSM-HEADER"]["verdict"] == "NOT_TESTED"
    assert blocking["VOL-VSM-HEADER"]["reason"]["en"] == "no document of volet VSM was submitted, although the scope declares this volet"


def test_an_endpoint_check_that_could_not_be_judged_blocks_with_its_reason(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = tmp_path / "gone.toml"
    target.write_text('[candidate]\nname = "Gone"\nvendor = "V"\nversion = "1"\n\n[timeouts]\nconnect = 1\nread = 1\n\n'
                      '[scope]\nroles = ["mllp-receiver"]\n\n'
                      f'[[endpoints]]\nname = "pam"\nprotocol = "mllp"\nhost = "127.0.0.1"\nport = {port}\n',
                      encoding="utf-8")
    process, results, certificate = run(tmp_path, target)
    assert process.returncode == 1
    endpoints = [b for b in results["blocking"] if b["kind"] == "endpoint"]
    assert endpoints and all(b["id"] == "pam" and b["verdict"] == "ABORTED" and "unreachable" in b["reason"]["en"] for b in endpoints)
    assert "endpoints/test_mllp.py::test_valid_message_gets_correct_ack[pam]" in [b["test"] for b in endpoints]
    said = " ".join(process.stdout.split())  # the summary wraps long lines
    assert "pam (test_valid_message_gets_correct_ack[pam]) —" in said and "unreachable" in said
    assert 'data-kind="endpoint" data-id="pam"' in certificate


@pytest.mark.parametrize(("reason", "fr", "en"), [
    ("aucun point d'accès https / mllp+tls dans la cible / no https / mllp+tls endpoint in the target",
     "aucun point d'accès https / mllp+tls dans la cible", "no https / mllp+tls endpoint in the target"),
    ("Aborted: pam injoignable / unreachable", "pam injoignable", "unreachable"),
    ("one language only", "one language only", "one language only"),
    ("a / b / c", "a / b / c", "a / b / c"),  # ambiguous: kept whole rather than cut wrong
])
def test_a_bilingual_reason_is_split_at_its_middle_separator(reason: str, fr: str, en: str) -> None:
    from harness.config.scope import split_reason

    assert split_reason(reason) == {"fr": fr, "en": en}


def test_a_role_never_claims_an_opt_in_pack_a_profile_list_does(registry: PackRegistry) -> None:
    """ci-sis-xds-dmp applies to xds artefacts, yet the role xds-document-source alone does not make a DMP candidate."""
    by_role = Scope.resolve(DeclaredScope(roles=("xds-document-source",)), registry.select([], ["ci-sis-xds-dmp"]), registry,
                            "target.toml", narrowed=False)
    assert "ci-sis-xds-dmp" not in by_role.profiles and "ci-sis-xds" in by_role.profiles
    assert outside(by_role, registry, "XDSFR-DMP-01") == "outside the declared scope (profile ci-sis-xds-dmp not claimed)"
    claimed = DeclaredScope(roles=("xds-document-source",), profiles=("ihe-xds-b", "ci-sis-xds", "ci-sis-xds-dmp"))
    scope = Scope.resolve(claimed, registry.select([], claimed.profiles), registry, "target.toml", narrowed=False)
    assert scope.profiles == ("ci-sis-xds-dmp", "ci-sis-xds", "ihe-xds-b") and scope.covers(registry.requirements["XDSFR-DMP-01"])
