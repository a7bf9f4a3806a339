"""The harness as the MSSanté operator of a candidate LPS: the run opens a window, receives what the
candidate sends (STARTTLS, client certificate) and judges each message with the e-mail rules.

The "candidate" here is a thread that submits committed fixtures once the window is open.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

from harness.config.target import Endpoint, Target, TlsMaterial, default_target
from harness.net.probe import NoAnswer, Unreachable, base_options
from harness.net.smtp import open_secure, submit
from harness.pki import PkiManifest

SuiteRunner = Any  # tests/endpoints/conftest.py (the `suite` fixture)
REPO = Path(__file__).resolve().parents[2]
CONFORMING = REPO / "fixtures" / "conforming" / "mssante" / "document.eml"
MUTANT = REPO / "fixtures" / "nonconforming" / "mssante" / "mss-xh-01.eml"  # X-MSS-CODECDA not the CDA's code
PACKS = ("mssante-exchange", "ihe-xdm")
SENDER, RECIPIENT = "lps@emetteur.mssante-essai.invalid", "dest@destinataire.mssante-essai.invalid"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def target_toml(pki: PkiManifest, port: int, seconds: float, messages: int | None, extra: str = "") -> str:
    return f"""[candidate]
name = "LPS d'essai / test LPS"
vendor = "enrs-harness"
version = "test"

[timeouts]
connect = 2.0
read = 2.0

[settings]
test_pki = "{pki.directory / 'manifest.json'}"
mssante_receive_seconds = {seconds}
mssante_receive_port = {port}
{f'mssante_receive_messages = {messages}' if messages else ''}
{extra}
"""


class Lps:
    """The candidate: waits for the window to open, then submits each message over STARTTLS with `client`."""

    def __init__(self, pki: PkiManifest, port: int, messages: list[bytes], client: tuple[Path, Path] | None) -> None:
        self.pki, self.port, self.messages, self.client = pki, port, messages, client
        self.replies: list[str] = []
        self.thread = threading.Thread(target=self._send, daemon=True)

    def _send(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the run opens the window after collection (slow on a loaded machine)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        cert, key = self.pki.cert_key("client")
        target = Target(**{**default_target().__dict__, "tls": TlsMaterial(ca_bundle=self.pki.trust_anchor, client_cert=cert,
                                                                            client_key=key, server_name="localhost")})
        endpoint = Endpoint("harness", "smtp", "127.0.0.1", self.port)
        for data in self.messages:
            try:
                client = open_secure(endpoint, target, base_options(target, client_cert=self.client))
                self.replies.append(str(submit(client, SENDER, [RECIPIENT], data)[-1][1]))
                client.close()
            except (NoAnswer, Unreachable) as exc:  # Unreachable: the window closed before this candidate sent
                self.replies.append(f"refused: {exc}")

    def __enter__(self) -> Lps:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.thread.join(timeout=30)


def _run(suite: SuiteRunner, text: str) -> dict[str, Any]:
    return suite.run_on(text, "test_received.py", packs=PACKS, suite="mssante")


def _test_row(results: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in results["tests"] if "test_messages_sent_by_the_candidate" in t["nodeid"])


def test_each_message_received_is_judged_with_the_email_rules(suite: SuiteRunner, pki: PkiManifest) -> None:
    port = _free_port()
    good = pki.cert_key("client")
    with Lps(pki, port, [CONFORMING.read_bytes(), MUTANT.read_bytes()], good) as lps:
        results = _run(suite, target_toml(pki, port, 60, messages=2))  # closes as soon as both are in
    assert [r[:3] for r in lps.replies] == ["250", "250"], lps.replies
    verdicts = suite.verdicts(results)
    assert verdicts["MSS-XH-01"] == "FAILED", suite.reasons(results, "MSS-XH-01")
    failed = {r for r, v in verdicts.items() if v == "FAILED"}
    assert failed == {"MSS-XH-01"}, {r: suite.reasons(results, r) for r in failed}
    assert verdicts["MSS-ATT-01"] == "PASSED"  # the conforming message's rules were judged
    row = _test_row(results)
    assert row["verdict"] == "FAILED" and len(row["artefacts"]) >= 2


def test_a_candidate_without_client_certificate_is_refused_and_nothing_is_judged(suite: SuiteRunner, pki: PkiManifest) -> None:
    port = _free_port()
    with Lps(pki, port, [CONFORMING.read_bytes()], None) as lps:
        started = time.monotonic()
        results = _run(suite, target_toml(pki, port, 3, messages=None))
    assert lps.replies and lps.replies[0].startswith("refused") and "unreachable" not in lps.replies[0], lps.replies  # refused by TLS
    row = _test_row(results)
    assert row["verdict"] == "ABORTED" and "no message received during the 3 s window" in row["reason"], row
    assert time.monotonic() - started < 30


def test_a_bad_window_setting_is_said(suite: SuiteRunner, pki: PkiManifest) -> None:
    results = _run(suite, target_toml(pki, 2525, 99999, messages=None))
    row = _test_row(results)
    assert row["verdict"] == "ABORTED" and "mssante_receive_seconds" in row["reason"] and "between 1 and 3600" in row["reason"], row


def test_without_a_window_the_check_is_not_applicable(suite: SuiteRunner, pki: PkiManifest) -> None:
    text = target_toml(pki, 0, 1, None).replace("mssante_receive_seconds = 1\n", "")
    assert _test_row(_run(suite, text))["verdict"] == "NOT_APPLICABLE"
