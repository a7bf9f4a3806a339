"""A real nginx configured from docs/security.md with the test PKI: the careful configuration passes
every TLS, PKI and mutual-TLS requirement, and each single misconfiguration fails exactly its own.

nginx runs in the foreground (`daemon off`, `master_process off`) under a temporary prefix, on a free
loopback port, and is always stopped. Without nginx the test is skipped with the reason, except in
CI (CI=true), where `.ci/run` installs it: there a missing nginx fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.config.packs import PackRegistry
from harness.pki import PkiManifest, build_pki, load_manifest, renew_crls

from ..conftest import wait_listening

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "security.md"
DOC_PKI = "/etc/enrs-lab-pki"
DOC_LISTEN = "127.0.0.1:8443"
PACK = "pgssi-s-security"
JUDGED_AREAS = ("SEC-TLS-", "SEC-PKI-", "SEC-MTLS-")  # every one of these must PASS with the careful configuration

# Wrapped around the documented server block: what a test-only instance needs (no root, no /var).
MAIN_CONF = """daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/lab.conf;
}}
"""


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(conf: str) -> str:
        assert old in conf, f"the documented configuration no longer has {old!r}"
        return conf.replace(old, new)
    return edit


def _drop_line(start: str) -> Callable[[str], str]:
    def edit(conf: str) -> str:
        kept = [line for line in conf.splitlines() if not line.strip().startswith(start)]
        assert len(kept) < len(conf.splitlines()), f"the documented configuration no longer has {start!r}"
        return "\n".join(kept) + "\n"
    return edit


def _chain(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def edit(conf: str) -> str:
        for one in edits:
            conf = one(conf)
        return conf
    return edit


# misconfiguration, how it is made from the documented block, the requirements it must make FAIL (exactly)
MISCONFIGURATIONS: list[tuple[str, Callable[[str], str], set[str]]] = [
    ("client certificate optional (`ssl_verify_client optional`)", _replace("ssl_verify_client on;", "ssl_verify_client optional;"),
     {"SEC-MTLS-01"}),
    ("no CRL (`ssl_crl` removed)", _drop_line("ssl_crl "), {"SEC-MTLS-02"}),
    ("`server_tokens on`", _replace("server_tokens off;", "server_tokens on;"), {"SEC-HTTP-06"}),
    ("expired server certificate (`server/expired.pem`)", _chain(_replace("/server/good.pem", "/server/expired.pem"),
                                                                  _replace("/server/good.key", "/server/expired.key")),
     {"SEC-PKI-04", "SEC-PKI-04B"}),
    # TLS 1.0 has no AEAD suite: enabling it takes CBC suites (and @SECLEVEL=0 for its SHA-1 signatures),
    # which TLS 1.2 then accepts as well, so the TLS 1.2 suite allowlist fails with it.
    ("TLS 1.0 enabled (`ssl_protocols TLSv1 …` with a CBC suite)", _chain(
        _replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1 TLSv1.2 TLSv1.3;"),
        _replace("ECDHE-RSA-CHACHA20-POLY1305;", "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0;")),
     {"SEC-TLS-02", "SEC-TLS-05B"}),
]


def documented_block() -> str:
    """The nginx server block of docs/security.md (the fenced block after the nginx-lab-config marker)."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- nginx-lab-config[^>]*-->\s*```nginx\n(.*?)```", text, re.DOTALL)
    assert match, "docs/security.md has no nginx lab configuration block"
    return match.group(1)


def find_nginx() -> str:
    """The nginx binary; skipped with the reason without one, failed in CI (CI=true), where `.ci/run` installs it."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx introuvable en CI (.ci/run l'installe) / nginx missing in CI (.ci/run installs it)")
        pytest.skip("nginx non installé (apt-get install nginx) / nginx not installed (apt-get install nginx)")
    return found


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    return find_nginx()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_nginx(binary: str, prefix: Path, server_block: str, pki: PkiManifest) -> Iterator[int]:
    """Start nginx with `server_block` (documented paths and port replaced) and yield its port; always stop it."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    block = server_block.replace(DOC_PKI, str(pki.directory)).replace(DOC_LISTEN, f"127.0.0.1:{port}")
    (prefix / "lab.conf").write_text(block, encoding="utf-8")
    (prefix / "nginx.conf").write_text(MAIN_CONF.format(prefix=prefix), encoding="utf-8")
    process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(process, port, "nginx", 10,
                       lambda: process.stderr.read().decode(errors="replace") if process.stderr else "")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()


def target_toml(pki: PkiManifest, port: int) -> str:
    client_cert, client_key = pki.cert_key("client")
    return f"""[candidate]
name = "nginx (lab configuration of docs/security.md)"
vendor = "nginx"
version = "lab"

[timeouts]
connect = 2.0
read = 2.0

[tls]
ca_bundle = "{pki.trust_anchor}"
client_cert = "{client_cert}"
client_key = "{client_key}"
server_name = "localhost"

[settings]
test_pki = "{pki.directory / 'manifest.json'}"

[[endpoints]]
name = "nginx"
protocol = "https"
host = "127.0.0.1"
port = {port}
path = "/api/"
roles = ["api"]
"""


def _judge(suite: Any, binary: str, prefix: Path, block: str, pki: PkiManifest) -> tuple[dict[str, str], dict[str, Any]]:
    with running_nginx(binary, prefix, block, pki) as port:
        results = suite.run_on(target_toml(pki, port), packs=(PACK,))
    return suite.verdicts(results), results


def test_the_documented_nginx_configuration_passes_and_each_misconfiguration_fails_exactly_its_requirements(
        suite: Any, nginx_binary: str, pki: PkiManifest, tmp_path: Path) -> None:
    started = time.monotonic()
    block = documented_block()
    matrix: dict[str, set[str]] = {}

    got, results = _judge(suite, nginx_binary, tmp_path / "careful", block, pki)
    requirements = {r.id for r in PackRegistry.load().get(PACK).requirements}
    assert set(got) == requirements
    not_passed = {r: (v, suite.reasons(results, r)) for r, v in got.items() if v != "PASSED"}
    assert not_passed == {"SEC-HTTP-03": ("NOT_APPLICABLE", not_passed.get("SEC-HTTP-03", ("", ""))[1])}, not_passed
    assert all(got[r] == "PASSED" for r in requirements if r.startswith(JUDGED_AREAS))
    assert results["summary"]["certificate_issued"] is True
    matrix["none (the documented block)"] = set()

    for index, (name, edit, failing) in enumerate(MISCONFIGURATIONS):
        got, results = _judge(suite, nginx_binary, tmp_path / f"mis{index}", edit(block), pki)
        failed = {r for r, v in got.items() if v == "FAILED"}
        matrix[name] = failed
        assert failed == failing, (name, {r: suite.reasons(results, r) for r in failed ^ failing})
        others = {r: v for r, v in got.items() if r not in failing and v not in ("PASSED", "NOT_APPLICABLE")}
        assert others == {}, (name, others)
    elapsed = time.monotonic() - started
    print("\nnginx matrix (configuration → requirements FAILED), "
          f"{elapsed:.1f} s:\n" + "\n".join(f"  {k} → {', '.join(sorted(v)) or 'none'}" for k, v in matrix.items()))
    assert elapsed < 60, f"the nginx matrix took {elapsed:.1f} s"


def test_expired_crls_make_nginx_refuse_the_control_and_the_reason_says_so(suite: Any, nginx_binary: str, tmp_path: Path) -> None:
    pki = build_pki(tmp_path / "pki")
    renew_crls(pki.directory, now=datetime.now(UTC) - timedelta(days=30))
    stale = load_manifest(pki.directory)
    got, results = _judge(suite, nginx_binary, tmp_path / "stale", documented_block(), stale)
    assert {r for r, v in got.items() if v == "FAILED"} == {"SEC-MTLS-02"}
    assert "HTTP 400" in suite.reasons(results, "SEC-MTLS-02")
    for requirement in ("SEC-MTLS-02", "SEC-HTTP-01", "SEC-TLS-03", "SEC-MTLS-01"):
        assert "the test PKI's CRLs expired" in suite.reasons(results, requirement), suite.reasons(results, requirement)
    assert got["SEC-HTTP-01"] == got["SEC-TLS-03"] == got["SEC-MTLS-01"] == "ABORTED"
    renew_crls(pki.directory)  # fresh CRLs (nginx reads them at start): served again
    got, results = _judge(suite, nginx_binary, tmp_path / "fresh", documented_block(), load_manifest(pki.directory))
    assert got["SEC-MTLS-02"] == got["SEC-HTTP-01"] == got["SEC-MTLS-01"] == "PASSED"


@pytest.mark.parametrize(("ci", "expected"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_nginx_is_skipped_with_its_reason_but_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str, expected: type) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(expected, match="nginx"):
        find_nginx()
