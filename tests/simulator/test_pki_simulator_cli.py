"""The test PKI, the simulator's life cycle, MLLP framing and the commands (pki init, simulate, run)."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from harness.cli import main
from harness.config.target import load_target
from harness.net import mllp
from harness.pki import PkiManifest, build_pki, load_manifest, renew_crls, stale_crl_warning
from harness.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "ENRS_LANG": "en"}


def _load(pki: PkiManifest, role: str, defect: str | None = None) -> x509.Certificate:
    return x509.load_pem_x509_certificates(pki.cert_key(role, defect)[0].read_bytes())[0]


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def test_pki_hierarchy_usages_and_defects(pki: PkiManifest) -> None:
    root = x509.load_pem_x509_certificate(pki.trust_anchor.read_bytes())
    organisations = x509.load_pem_x509_certificate(pki.path(pki.data["intermediate"]).read_bytes())
    rogue = x509.load_pem_x509_certificate(pki.path(pki.data["unknown_ca"]).read_bytes())
    organisations.verify_directly_issued_by(root)
    assert organisations.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    now = datetime.now(UTC)

    server = _load(pki, "server")
    server.verify_directly_issued_by(organisations)
    assert _eku(server) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert server.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert "localhost" in server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    client = _load(pki, "client")
    client.verify_directly_issued_by(organisations)
    assert _eku(client) == [ExtendedKeyUsageOID.CLIENT_AUTH]

    for role in ("server", "client"):
        assert _load(pki, role, "expired").not_valid_after_utc < now
        assert _load(pki, role, "not-yet-valid").not_valid_before_utc > now
        wrong = ExtendedKeyUsageOID.SERVER_AUTH if role == "client" else ExtendedKeyUsageOID.CLIENT_AUTH
        assert _eku(_load(pki, role, "wrong-eku")) == [wrong]
        _load(pki, role, "unknown-ca").verify_directly_issued_by(rogue)
    assert "localhost" not in str(_load(pki, "server", "hostname-mismatch").subject)
    long_lived = _load(pki, "server", "long-lived")
    assert (long_lived.not_valid_after_utc - long_lived.not_valid_before_utc).days > 3000
    assert _load(pki, "server", "weak-key").public_key().key_size == 1024

    crl = x509.load_pem_x509_crl(pki.crl.read_bytes())
    assert crl.is_signature_valid(organisations.public_key())
    revoked = {r.serial_number for r in crl}
    assert revoked == {_load(pki, "client", "revoked").serial_number, _load(pki, "server", "revoked").serial_number}
    assert _load(pki, "client").serial_number not in revoked
    # a CRL per CA, each signed by its CA; the chain file holds the trusted hierarchy's (root + organisations)
    for name, issuer in (("root", root), ("organisations", organisations), ("unknown", rogue)):
        ca_crl = x509.load_pem_x509_crl(pki.path(pki.data["crls"][name]["file"]).read_bytes())
        assert ca_crl.issuer == issuer.subject and ca_crl.is_signature_valid(issuer.public_key())
        assert ca_crl.next_update_utc.isoformat() == pki.data["crls"][name]["next_update"]
        assert (len(list(ca_crl)) == 2) is (name == "organisations")
    chain = pki.crl_chain.read_bytes()
    assert chain.count(b"BEGIN X509 CRL") == 2
    assert ({x509.load_pem_x509_crl(b"-----BEGIN" + part).issuer for part in chain.split(b"-----BEGIN")[1:]}
            == {root.subject, organisations.subject})
    assert pki.data["crl_next_update"] == pki.data["crls"]["root"]["next_update"]
    # the CA keys are kept apart, readable by their owner only
    assert stat.S_IMODE(pki.path("private").stat().st_mode) == 0o700
    for name in ("root", "organisations", "unknown"):
        assert stat.S_IMODE(pki.path(f"private/{name}.key").stat().st_mode) == 0o600
    assert not any(p.suffix == ".key" for p in pki.path("ca").iterdir())

    key_mode = stat.S_IMODE(pki.cert_key("client")[1].stat().st_mode)
    assert key_mode == 0o600
    entries = {e["name"]: e for e in pki.data["certificates"]}
    assert entries["client/revoked"]["serial"] in pki.data["revoked_serials"]
    assert entries["server/good"]["sha256"] and entries["server/good"]["extended_key_usage"] == ["serverAuth"]


def test_pki_init_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pki", "init", str(tmp_path / "pki")]) == 0
    manifest = json.loads((tmp_path / "pki" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["certificates"]) == 18 and manifest["keys"].startswith("ECDSA P-256")
    assert main(["pki", "init", str(tmp_path / "pki"), "--lang", "en"]) == 2
    assert "already holds a test PKI" in capsys.readouterr().err
    assert main(["pki", "init", str(tmp_path / "pki"), "--force", "--host", "enrs.test"]) == 0
    manifest = json.loads((tmp_path / "pki" / "manifest.json").read_text(encoding="utf-8"))
    good = next(e for e in manifest["certificates"] if e["name"] == "server/good")
    assert good["subject_alt_names"] == ["enrs.test"]


def test_a_pki_is_synced_to_the_disk_file_by_file_but_not_the_embedded_simulators_throwaway_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.simulator import start_embedded

    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    build_pki(tmp_path / "kept")
    files = sorted(p.relative_to(tmp_path / "kept") for p in (tmp_path / "kept").rglob("*") if p.is_file())
    assert len(synced) == len(files) > 20
    synced.clear()
    simulator = start_embedded()
    try:
        directory = simulator.pki.directory
        assert sorted(p.relative_to(directory) for p in directory.rglob("*") if p.is_file()) == files
        assert synced == []
    finally:
        simulator.stop()


def test_pki_crl_command_reissues_fresh_crls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pki", "init", str(tmp_path / "pki")]) == 0
    before = json.loads((tmp_path / "pki" / "manifest.json").read_text(encoding="utf-8"))
    renew_crls(tmp_path / "pki", now=datetime.now(UTC) - timedelta(days=30))  # as if issued a month ago: expired
    stale = load_manifest(tmp_path / "pki")
    assert stale_crl_warning(stale.data) is not None and "pki crl" in stale_crl_warning(stale.data)
    assert main(["pki", "crl", str(tmp_path / "pki"), "--days", "3"]) == 0
    fresh = load_manifest(tmp_path / "pki")
    assert stale_crl_warning(fresh.data) is None
    assert fresh.data["crls"]["organisations"]["number"] == before["crls"]["organisations"]["number"] + 2
    crl = x509.load_pem_x509_crl(fresh.crl.read_bytes())
    assert crl.next_update_utc > datetime.now(UTC) + timedelta(days=2.9)
    assert {format(r.serial_number, "x") for r in crl} == set(before["revoked_serials"])
    assert "chain.crl.pem" in capsys.readouterr().out
    assert main(["pki", "crl", str(tmp_path / "pki"), "--days", "0", "--lang", "en"]) == 2
    assert main(["pki", "crl", str(tmp_path / "nowhere", ), "--lang", "en"]) == 2
    assert "unreadable PKI manifest" in capsys.readouterr().err


def test_an_expired_crl_is_named_as_the_likely_cause_of_a_refused_control(suite_on, tmp_path: Path) -> None:
    pki = build_pki(tmp_path / "pki")
    renew_crls(pki.directory, now=datetime.now(UTC) - timedelta(days=30))  # the simulator checks them: it refuses everyone
    runner = suite_on(load_manifest(pki.directory))
    results = runner.run(frozenset(), "test_mtls.py", "test_http.py", keyword="https and (good or hsts)")
    assert runner.verdicts(results)["SEC-MTLS-02"] == "FAILED" and runner.verdicts(results)["SEC-HTTP-01"] == "ABORTED"
    for requirement in ("SEC-MTLS-02", "SEC-HTTP-01"):
        assert "the test PKI's CRLs expired" in runner.reasons(results, requirement), runner.reasons(results, requirement)
    renew_crls(pki.directory)
    runner = suite_on(load_manifest(pki.directory))
    results = runner.run(frozenset(), "test_mtls.py", "test_http.py", keyword="https and (good or hsts)")
    assert runner.verdicts(results)["SEC-MTLS-02"] == runner.verdicts(results)["SEC-HTTP-01"] == "PASSED"


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_simulator_stops_cleanly_even_with_a_hanging_connection(pki: PkiManifest) -> None:
    before = threading.active_count()
    simulator = Simulator(pki, frozenset({"no-ack"}), io_timeout=5.0).start()
    port = simulator.listeners["mllp"].port
    hanging = socket.create_connection(("127.0.0.1", port), timeout=2)
    hanging.sendall(mllp.frame(b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04^ADT_A01|X1|P|2.5\r"))
    time.sleep(0.2)
    started = time.monotonic()
    simulator.stop()
    assert time.monotonic() - started < 2
    hanging.close()
    deadline = time.monotonic() + 2
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before
    assert _refused(port)


def test_simulator_binds_loopback_only(pki: PkiManifest) -> None:
    with Simulator(pki) as simulator:
        assert {e.host for e in simulator.endpoints()} == {"127.0.0.1"}
        assert {listener._sock.getsockname()[0] for listener in simulator.listeners.values()} == {"127.0.0.1"}


def test_mllp_frame_errors() -> None:
    cases = {b"": "closed", b"garbage\r": "garbage", mllp.START + b"MSH|partial": "truncated", mllp.START + b"A" * 200: "oversized"}
    for data, kind in cases.items():
        left, right = socket.socketpair()
        with left, right:
            right.settimeout(1)
            left.sendall(data)
            left.shutdown(socket.SHUT_WR)
            with pytest.raises(mllp.FrameError) as caught:
                mllp.read_frame(right, max_bytes=100)
            assert caught.value.kind == kind
    left, right = socket.socketpair()
    with left, right:
        left.sendall(mllp.frame(b"MSH|^~\\&|x\r"))
        assert mllp.read_frame(right) == b"MSH|^~\\&|x\r"


def test_parse_ack_reads_msa_of_an_answer() -> None:
    ack = mllp.parse_ack(b"MSH|^~\\&|A|B|C|D|20260101||ACK^A04^ACK|X1|P|2.5\rMSA|AE|C42\rERR||PID^1^3|101^Required field "
                         b"missing^HL70357|E\r")
    assert ack is not None and (ack.code, ack.control_id, ack.message_type, ack.err_segments) == ("AE", "C42", "ACK^A04^ACK", 1)
    assert mllp.parse_ack(b"not hl7") is None
    assert mllp.parse_ack(b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04^ADT_A01|X1|P|2.5\r") is None


def test_simulate_command_prints_endpoints_writes_a_target_and_stops(tmp_path: Path) -> None:
    target_file = tmp_path / "sim.toml"
    result = subprocess.run([sys.executable, "-m", "harness", "simulate", "--duration", "1", "--faults", "old-tls,slow",
                             "--target-file", str(target_file), "--pki", str(tmp_path / "pki")],
                            env=ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "mllp+tls://127.0.0.1:" in result.stdout and "https://127.0.0.1:" in result.stdout and "smtp://127.0.0.1:" in result.stdout
    target = load_target(target_file)
    assert [e.protocol for e in target.endpoints] == ["mllp", "mllp+tls", "https", "smtp"]
    assert target.settings["simulator_faults"] == ["old-tls", "slow"]
    assert (tmp_path / "pki" / "manifest.json").exists()
    assert all(_refused(e.port) for e in target.endpoints)
    unknown = subprocess.run([sys.executable, "-m", "harness", "simulate", "--faults", "nope"],
                             env=ENV, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown fault mode: nope" in unknown.stderr


def test_run_without_target_tests_the_simulator_and_certifies_it(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--report-dir", str(tmp_path), "--quiet",
                             "--profile", "pgssi-s-security", "--profile", "ci-sis-mllp-transport"],
                            env=ENV, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads(next(tmp_path.glob("*/results.json")).read_text(encoding="utf-8"))
    assert results["summary"]["certificate_issued"] is True
    assert [p["id"] for p in results["profiles"]] == ["pgssi-s-security", "ci-sis-mllp-transport"]
    assert len(results["candidate"]["endpoints"]) == 4 and results["candidate"]["embedded"] is True
    assert all(r["verdict"] == "PASSED" for r in results["requirements"])


def test_run_with_a_target_file_reports_the_faults(tmp_path: Path, pki: PkiManifest) -> None:
    with Simulator(pki, frozenset({"old-tls", "no-client-auth"})) as simulator:
        target = tmp_path / "target.toml"
        target.write_text(simulator.target_toml(), encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "harness", "run", "--target", str(target), "--report-dir", str(tmp_path / "runs"),
                                 "--quiet", "--profile", "pgssi-s-security"], env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    results = json.loads(next((tmp_path / "runs").glob("*/results.json")).read_text(encoding="utf-8"))
    verdicts = {r["id"]: r["verdict"] for r in results["requirements"]}
    assert verdicts["SEC-TLS-02"] == verdicts["SEC-MTLS-01"] == verdicts["SEC-MTLS-02"] == "FAILED"
    assert verdicts["SEC-HTTP-01"] == "PASSED"
    assert results["summary"]["certificate_issued"] is False


def test_mtls_attempt_judgement_uses_the_valid_certificate_as_control() -> None:
    from harness.net.probe import Attempt

    token_api = Attempt(True, "HTTP 401", status=401)  # the valid certificate gets 401: a token is missing
    assert Attempt(True, "HTTP 401", status=401).accepted(token_api)  # same answer: served, not refused by mTLS
    assert not Attempt(True, "HTTP 400", status=400).accepted(token_api)  # nginx: "SSL certificate error"
    assert not Attempt(True, "HTTP 495", status=495).accepted(None)
    assert Attempt(True, "HTTP 200", status=200).accepted(None)
    assert not Attempt(False, "handshake refused").accepted(token_api)
    assert Attempt(True, "ACK", ack_code="AA").accepted() and not Attempt(True, "ACK", ack_code="AR").accepted()
