"""The candidate system under test, described by a TOML target file (see docs/target-file.md).

Secrets (key passwords, tokens) are kept out of everything the harness writes: `public_dict()`
redacts them and `Redactor` scrubs their values from any evidence text.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.fileio import read_toml
from harness.resources import bundled_dir

SECRET_KEY = re.compile(r"(password|passphrase|secret|token|api[_-]?key|credential)", re.IGNORECASE)
REDACTED = "***"
PROTOCOLS = ("mllp", "mllp+tls", "http", "https")
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    protocol: str
    host: str
    port: int
    path: str = "/"
    roles: tuple[str, ...] = ()  # what the endpoint is for, e.g. "pam-receiver", "document-repository"

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}{self.path if self.protocol.startswith('http') else ''}"


@dataclass(frozen=True)
class TlsMaterial:
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    client_key_password: str | None = field(default=None, repr=False)
    server_name: str | None = None


@dataclass(frozen=True)
class Timeouts:
    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT


@dataclass
class Target:
    name: str
    vendor: str
    version: str
    endpoints: tuple[Endpoint, ...] = ()
    tls: TlsMaterial = field(default_factory=TlsMaterial)
    timeouts: Timeouts = field(default_factory=Timeouts)
    documents: tuple[Path, ...] = ()
    source: Path | None = None
    embedded: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    settings: dict[str, Any] = field(default_factory=dict)

    def endpoint(self, name: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        raise KeyError(name)

    def endpoints_for(self, *protocols: str) -> list[Endpoint]:
        return [e for e in self.endpoints if e.protocol in protocols]

    def secrets(self) -> list[str]:
        return [v for v in _secret_values(self.raw) if v]

    def public_dict(self) -> dict[str, Any]:
        """The identity and configuration of the candidate, with every secret redacted."""
        return {
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "embedded": self.embedded,
            "target_file": str(self.source) if self.source else None,
            "endpoints": [{"name": e.name, "protocol": e.protocol, "host": e.host, "port": e.port,
                           "path": e.path, "roles": list(e.roles)} for e in self.endpoints],
            "timeouts": {"connect": self.timeouts.connect, "read": self.timeouts.read},
            "documents": [str(p) for p in self.documents],
            "configuration": _redact(self.raw),
        }


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    return REDACTED if SECRET_KEY.search(key) else value


def _secret_values(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _secret_values(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _secret_values(v, key)]
    return [str(value)] if SECRET_KEY.search(key) and value not in (None, "") else []


class Redactor:
    """Replaces every secret value of the target in texts that reach a report."""

    def __init__(self, secrets: list[str]) -> None:
        forms = set()
        for secret in secrets:
            if len(secret) >= 3:  # also the forms a secret takes once escaped in JSON or HTML
                json_form = json.dumps(secret)[1:-1]
                forms.update({secret, html.escape(secret), json_form, html.escape(json_form)})
        self._secrets = sorted(forms, key=len, reverse=True)

    def __bool__(self) -> bool:
        """Whether there is anything to redact."""
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def _fail(path: Path, where: str, fr: str, en: str) -> HarnessError:
    return HarnessError(f"fichier cible {path} : {where} : {fr}", f"target file {path}: {where}: {en}")


def _path(base: Path, value: Any, path: Path, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise _fail(path, where, "doit être un chemin", "must be a path")
    resolved = (base / value).resolve()
    if not resolved.exists():
        raise _fail(path, where, f"{resolved} n'existe pas", f"{resolved} does not exist")
    return resolved


def _timeout(value: Any, path: Path, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise _fail(path, where, "doit être un nombre de secondes entre 0 et 600", "must be a number of seconds between 0 and 600")
    return float(value)


def load_target(path: Path) -> Target:
    """Read and check a target file; relative paths are relative to the file's folder."""
    path = Path(path)
    raw = read_toml(path, lambda fr, en: _fail(path, "fichier/file", fr, en))
    base = path.resolve().parent
    candidate = raw.get("candidate")
    if not isinstance(candidate, dict):
        raise _fail(path, "[candidate]", "table obligatoire absente", "required table missing")
    identity = {}
    for key in ("name", "vendor", "version"):
        value = candidate.get(key)
        if not isinstance(value, str) or not value.strip():
            raise _fail(path, f"[candidate] {key}", "texte obligatoire", "required string")
        identity[key] = value

    timeouts_raw = raw.get("timeouts", {})
    timeouts = Timeouts(
        connect=_timeout(timeouts_raw.get("connect", DEFAULT_CONNECT_TIMEOUT), path, "[timeouts] connect"),
        read=_timeout(timeouts_raw.get("read", DEFAULT_READ_TIMEOUT), path, "[timeouts] read"),
    )

    endpoints = []
    for index, entry in enumerate(raw.get("endpoints", []), start=1):
        where = f"[[endpoints]] #{index}"
        if not isinstance(entry, dict):
            raise _fail(path, where, "doit être une table", "must be a table")
        name, protocol, host, port = entry.get("name"), entry.get("protocol"), entry.get("host"), entry.get("port")
        if not isinstance(name, str) or not name:
            raise _fail(path, f"{where} name", "texte obligatoire", "required string")
        if protocol not in PROTOCOLS:
            raise _fail(path, f"{where} protocol", f"doit être l'un de {', '.join(PROTOCOLS)}", f"must be one of {', '.join(PROTOCOLS)}")
        if not isinstance(host, str) or not host:
            raise _fail(path, f"{where} host", "texte obligatoire", "required string")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise _fail(path, f"{where} port", "doit être un port entre 1 et 65535", "must be a port between 1 and 65535")
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _fail(path, f"{where} roles", "doit être une liste de textes", "must be a list of strings")
        endpoints.append(Endpoint(name, protocol, host, port, entry.get("path", "/"), tuple(roles)))
    names = [e.name for e in endpoints]
    if len(set(names)) != len(names):
        raise _fail(path, "[[endpoints]]", "noms en double", "duplicate names")

    tls_raw = raw.get("tls", {})
    tls = TlsMaterial(
        ca_bundle=_path(base, tls_raw["ca_bundle"], path, "[tls] ca_bundle") if "ca_bundle" in tls_raw else None,
        client_cert=_path(base, tls_raw["client_cert"], path, "[tls] client_cert") if "client_cert" in tls_raw else None,
        client_key=_path(base, tls_raw["client_key"], path, "[tls] client_key") if "client_key" in tls_raw else None,
        client_key_password=tls_raw.get("client_key_password"),
        server_name=tls_raw.get("server_name"),
    )
    documents_raw = raw.get("documents", {}).get("paths", [])
    documents = tuple(_path(base, p, path, "[documents] paths") for p in documents_raw)
    return Target(
        name=identity["name"], vendor=identity["vendor"], version=identity["version"],
        endpoints=tuple(endpoints), tls=tls, timeouts=timeouts, documents=documents,
        source=path.resolve(), raw=raw, settings=raw.get("settings", {}),
    )


def default_target() -> Target:
    """The embedded default candidate: the bundled sample fixtures."""
    return Target(
        name="Jeux d'exemples embarqués / bundled samples",
        vendor="enrs-harness",
        version="embedded",
        documents=(bundled_dir("fixtures") / "conforming",),
        embedded=True,
    )
