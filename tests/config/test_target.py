from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.target import REDACTED, Secret, load_target
from harness.core.errors import HarnessError

from ..conftest import write

TARGET = """
[candidate]
name = "ENRS Région Test"
vendor = "Éditeur SA"
version = "4.2"

[timeouts]
connect = 2
read = 3.5

[tls]
ca_bundle = "ca.pem"
client_cert = "client.pem"
client_key = "client.key"
client_key_password = "Sup3r-S3cret"

[[endpoints]]
name = "pam"
protocol = "mllp+tls"
host = "127.0.0.1"
port = 2575
roles = ["pam-receiver"]

[[endpoints]]
name = "portal"
protocol = "https"
host = "localhost"
port = 8443
path = "/api"

[documents]
paths = ["docs"]

[auth]
api_token = "tok-123456"
"""


@pytest.fixture
def target_file(tmp_path: Path) -> Path:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("x")
    (tmp_path / "docs").mkdir()
    return write(tmp_path / "target.toml", TARGET)


def test_a_target_file_loads_with_paths_relative_to_it(target_file: Path) -> None:
    target = load_target(target_file)
    assert (target.name, target.vendor, target.version) == ("ENRS Région Test", "Éditeur SA", "4.2")
    assert target.timeouts.connect == 2.0 and target.timeouts.read == 3.5 and target.timeouts.exchange == 30.0  # the default deadline
    assert target.tls.ca_bundle == target_file.parent / "ca.pem"
    assert target.endpoint("pam").protocol == "mllp+tls" and target.endpoint("pam").roles == ("pam-receiver",)
    assert target.endpoint("portal").url == "https://localhost:8443/api"
    assert target.documents == (target_file.parent / "docs",)


def test_secrets_never_reach_the_public_view(target_file: Path) -> None:
    target = load_target(target_file)
    public = repr(target.public_dict())
    assert "Sup3r-S3cret" not in public and "tok-123456" not in public
    assert target.public_dict()["configuration"]["tls"]["client_key_password"] == REDACTED
    assert target.public_dict()["configuration"]["auth"]["api_token"] == REDACTED
    password, token = target.tls.client_key_password, target.auth["api_token"]
    assert isinstance(password, Secret) and password.reveal() == "Sup3r-S3cret" and token.reveal() == "tok-123456"
    assert f"password was {password}, token {token}" == f"password was {REDACTED}, token {REDACTED}"
    assert repr(target) .count("Sup3r-S3cret") == 0


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace('name = "ENRS Région Test"\n', ""), "[candidate] name: required field missing"),
        (lambda t: t.replace("port = 2575", "port = 70000"), "[[endpoints]] #1 port"),
        (lambda t: t.replace('protocol = "https"', 'protocol = "gopher"'), "[[endpoints]] #2 protocol"),
        (lambda t: t.replace("read = 3.5", "read = -1"), "[timeouts] read"),
        (lambda t: t.replace("read = 3.5", "read = 3.5\nexchange = 0"), "[timeouts] exchange"),
        (lambda t: t.replace('ca_bundle = "ca.pem"', 'ca_bundle = "missing.pem"'), "[tls] ca_bundle"),
        (lambda t: t.replace('name = "portal"', 'name = "pam"'), "duplicate names"),
        (lambda t: t.replace("[candidate]", "[candidate"), "invalid TOML"),
    ],
)
def test_a_broken_target_file_says_where(target_file: Path, edit, expected: str) -> None:
    target_file.write_text(edit(TARGET), encoding="utf-8")
    with pytest.raises(HarnessError) as error:
        load_target(target_file)
    assert expected in error.value.en and str(target_file) in error.value.en
