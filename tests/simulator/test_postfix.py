"""A real Postfix configured from docs/mssante.md with the test PKI: the careful configuration passes every
requirement of mssante-operator, and each single misconfiguration fails exactly its own.

Postfix's master runs in the foreground (`master -d`) with a temporary configuration, queue and mail
folder, on a free loopback port, and is always stopped. It needs root (it drops to the postfix user
itself). Without Postfix or root the test is skipped with the reason, except in CI (CI=true), where
`.ci/run` installs it: there a missing Postfix fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.config.packs import PackRegistry
from harness.pki import PkiManifest
from harness.simulator.smtp_endpoint import DOMAIN, RECIPIENT, SENDER

from ..conftest import wait_listening

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "mssante.md"
DOC_PKI = "/etc/enrs-lab-pki"
MASTER = "/usr/lib/postfix/sbin/master"
PACK = "mssante-operator"

# What a test instance needs besides the documented lines: its own folders, a log file, no local delivery.
INSTANCE = """compatibility_level = 3.6
queue_directory = {prefix}/queue
data_directory = {prefix}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
maillog_file_prefixes = {prefix}
maillog_file = {prefix}/maillog
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
"""
# The internal services of Postfix's master.cf (Debian's list, no chroot: the folders are the test's).
SERVICES = """cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def documented_lines() -> tuple[str, str]:
    """(master.cf submission line, main.cf lines) of the block after the postfix-lab-config marker."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- postfix-lab-config[^>]*-->\s*```\n(.*?)```", text, re.DOTALL)
    assert match, "docs/mssante.md has no postfix lab configuration block"
    lines = [line for line in match.group(1).splitlines() if line.strip() and not line.startswith("#")]
    submission = next(line for line in lines if " inet " in line)
    return submission, "\n".join(line for line in lines if line != submission) + "\n"


def _set(key: str, value: str) -> Callable[[str], str]:
    def edit(main: str) -> str:
        assert re.search(rf"^{key} = ", main, re.MULTILINE), f"the documented configuration no longer has {key}"
        return re.sub(rf"^{key} = .*$", f"{key} = {value}", main, flags=re.MULTILINE)
    return edit


def _add(line: str) -> Callable[[str], str]:
    return lambda main: main + line + "\n"


# misconfiguration, how it is made from the documented main.cf, the requirements it must make FAIL (exactly)
MISCONFIGURATIONS: list[tuple[str, Callable[[str], str], set[str]]] = [
    ("STARTTLS not required (`smtpd_tls_security_level = may`)",
     lambda main: _set("smtpd_tls_req_ccert", "no")(_set("smtpd_tls_security_level", "may")(main)), {"MSS-SMTP-02"}),
    ("relaying for every client certificate", _set("smtpd_relay_restrictions", "permit_tls_all_clientcerts, reject_unauth_destination"),
     {"MSS-SMTP-04"}),
    ("any sender (`smtpd_sender_restrictions =`)", _set("smtpd_sender_restrictions", ""), {"MSS-SMTP-05"}),
    ("no size limit (`message_size_limit = 0`, and `virtual_mailbox_limit = 0` that Postfix then requires)",
     lambda main: _add("virtual_mailbox_limit = 0")(_set("message_size_limit", "0")(main)), {"MSS-SMTP-06"}),
    ("X-MSS-* headers removed (`header_checks`)", _add("header_checks = regexp:{prefix}/conf/header_checks"), {"MSS-SMTP-07"}),
]


def find_postfix() -> str:
    """Postfix's master; skipped with the reason without it or without root, failed in CI (CI=true)."""
    problem = None
    if not os.access(MASTER, os.X_OK) or shutil.which("postfix") is None:
        problem = ("Postfix non installé (apt-get install postfix) / Postfix not installed (apt-get install postfix)")
    elif os.geteuid() != 0:
        problem = "Postfix démarre en root (il change d'utilisateur lui-même) / Postfix starts as root (it drops privileges itself)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI: .ci/run l'installe / installs it)")
        pytest.skip(problem)
    return MASTER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _queue_folders(queue: Path, uid: int, postdrop: int) -> None:
    """The queue's folders with Postfix's owners and modes (what `postfix set-permissions` makes, in 1 ms rather than 2 s)."""
    (queue / "pid").mkdir(mode=0o755, exist_ok=True)
    for name in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"):
        (queue / name).mkdir(mode=0o700, exist_ok=True)
        os.chown(queue / name, uid, -1)
    for name, mode in (("maildrop", 0o730), ("public", 0o710)):
        (queue / name).mkdir(exist_ok=True)
        os.chown(queue / name, uid, postdrop)
        (queue / name).chmod(mode)


@contextmanager
def running_postfix(master: str, prefix: Path, submission: str, main: str, pki: PkiManifest) -> Iterator[int]:
    """Start Postfix with the documented lines (paths and port replaced) and yield its port; always stop it."""
    import grp
    import pwd

    user = pwd.getpwnam("postfix")
    conf, mail = prefix / "conf", prefix / "mail"
    for folder in (conf, prefix / "queue", prefix / "data", mail):
        folder.mkdir(parents=True, exist_ok=True)
    os.chown(mail, user.pw_uid, user.pw_gid)
    os.chown(prefix / "data", user.pw_uid, user.pw_gid)
    port = _free_port()
    main = (main.replace(DOC_PKI, str(pki.directory)).replace("/var/mail/vhosts", str(mail))
            .replace("/etc/postfix/vmailbox", str(conf / "vmailbox")).replace("{prefix}", str(prefix)))
    (conf / "main.cf").write_text(INSTANCE.format(prefix=prefix, uid=user.pw_uid, gid=user.pw_gid) + main, encoding="utf-8")
    (conf / "master.cf").write_text(submission.replace("127.0.0.1:587", f"127.0.0.1:{port}") + "\n" + SERVICES, encoding="utf-8")
    (conf / "vmailbox").write_text("".join(f"{a} {a.partition('@')[0]}/\n" for a in (SENDER, RECIPIENT)), encoding="utf-8")
    (conf / "header_checks").write_text("/^X-MSS-/ IGNORE\n", encoding="utf-8")
    settled = time.time() - 60  # Postfix waits ~2 s for a configuration file written just now to settle
    for written in conf.iterdir():
        os.utime(written, (settled, settled))
    env = {**os.environ, "MAIL_CONFIG": str(conf)}
    _queue_folders(prefix / "queue", user.pw_uid, grp.getgrnam("postdrop").gr_gid)
    # its own process group: on SIGTERM the master stops its whole group (otherwise it fails to and sleeps 1 s)
    process = subprocess.Popen([master, "-d"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        log = prefix / "maillog"
        wait_listening(process, port, "Postfix", 15,
                       lambda: log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)")
        yield port
    finally:
        process.terminate()  # master stops its own children
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def target_toml(pki: PkiManifest, port: int, prefix: Path) -> str:
    client_cert, client_key = pki.cert_key("client")
    return f"""[candidate]
name = "Postfix (lab configuration of docs/mssante.md)"
vendor = "Postfix"
version = "lab"

[timeouts]
connect = 2.0
read = 3.0
exchange = 15.0

[tls]
ca_bundle = "{pki.trust_anchor}"
client_cert = "{client_cert}"
client_key = "{client_key}"
server_name = "localhost"

[settings]
test_pki = "{pki.directory / 'manifest.json'}"
mssante_sender = "{SENDER}"
mssante_recipient = "{RECIPIENT}"
mssante_maildir = "{prefix / 'mail' / RECIPIENT.partition('@')[0]}"

[[endpoints]]
name = "postfix"
protocol = "smtp"
host = "127.0.0.1"
port = {port}
roles = ["mssante-operator"]
"""


def _judge(suite: Any, master: str, prefix: Path, main: str, pki: PkiManifest, tls_too: bool = False) -> tuple[dict[str, str], Any]:
    submission, _ = documented_lines()
    with running_postfix(master, prefix, submission, main, pki) as port:
        target = target_toml(pki, port, prefix)
        results = suite.run_on(target, packs=(PACK,), suite="mssante")
        tls = suite.run_on(target, "test_tls.py", "test_mtls.py", packs=("pgssi-s-security",)) if tls_too else None
    return suite.verdicts(results), tls


@pytest.fixture
def instances() -> Iterator[Path]:
    """A folder for the Postfix instances that the postfix user can traverse (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="enrs-postfix-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_documented_postfix_configuration_passes_and_each_misconfiguration_fails_exactly_its_requirement(
        suite: Any, pki: PkiManifest, instances: Path) -> None:
    master = find_postfix()
    tmp_path = instances
    started = time.monotonic()
    _, main = documented_lines()
    assert f"virtual_mailbox_domains = {DOMAIN}" in main
    requirements = {r.id for r in PackRegistry.load().get(PACK).requirements}

    got, tls = _judge(suite, master, tmp_path / "careful", main, pki, tls_too=True)
    assert got == dict.fromkeys(requirements, "PASSED"), got
    tls_got = {r: v for r, v in suite.verdicts(tls).items() if v != "NOT_TESTED"}  # the HTTP requirements have no smtp test
    assert {r for r, v in tls_got.items() if v != "PASSED"} == {"SEC-MTLS-02"}, tls_got  # Postfix checks no CRL (docs/mssante.md)
    assert "revoked client certificate accepted" in suite.reasons(tls, "SEC-MTLS-02")

    for number, (name, edit, failing) in enumerate(MISCONFIGURATIONS):
        got, _ = _judge(suite, master, tmp_path / f"bad{number}", edit(main), pki)
        assert {r for r, v in got.items() if v == "FAILED"} == failing, (name, got)
        assert {v for r, v in got.items() if r not in failing} == {"PASSED"}, (name, {r: v for r, v in got.items() if v != "PASSED"})
    assert time.monotonic() - started < 90
