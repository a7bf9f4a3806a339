"""The candidate system under test, described by a TOML target file (see docs/target-file.md).

Secrets (key passwords, tokens) are known by their place in the file (`SECRET_FIELDS`): they are
held as `Secret` objects, which print as `***` anywhere (evidence, reasons, reports) and give
their value only to the code that uses it (`reveal()`); `public_dict()` shows `***` in their place.
Nothing is ever replaced in rendered text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.config.schema import validate_config
from harness.config.scope import ROLES, DeclaredScope
from harness.core.errors import HarnessError
from harness.core.fileio import confined_path, read_toml
from harness.core.resources import bundled_dir

REDACTED = "***"
SECRET_FIELDS = {("tls", "client_key_password")}  # plus every value of the [auth] table
PROTOCOLS = ("mllp", "mllp+tls", "http", "https")
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_EXCHANGE_TIMEOUT = 30.0  # connect + TLS + request + response, whatever each step's own timeout
SIMULATOR_NAME = "Simulateur ENRS de référence / reference ENRS simulator"  # the embedded candidate (harness.simulator)
SIMULATOR_NOT_STARTED = ("simulateur de référence non démarré : aucun test sélectionné ne s'adresse à ses points d'accès / "
                         "reference simulator not started: no selected test addresses its endpoints")


class Secret:
    """A secret of the target file: shows as *** (str, repr, format, JSON via str); `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return REDACTED

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


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
    client_key_password: Secret | None = None
    server_name: str | None = None


@dataclass(frozen=True)
class Timeouts:
    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT
    exchange: float = DEFAULT_EXCHANGE_TIMEOUT


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
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the file, every secret a `Secret`
    settings: dict[str, Any] = field(default_factory=dict)
    scope: DeclaredScope | None = None  # the certification scope the target file declares ([scope])
    auth: dict[str, Secret] = field(default_factory=dict)  # credentials for the candidate's endpoints
    not_started: str | None = None  # why the embedded simulator serves no endpoint (not started: no test needed it)

    def endpoint(self, name: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        raise KeyError(name)

    def endpoints_for(self, *protocols: str) -> list[Endpoint]:
        return [e for e in self.endpoints if e.protocol in protocols]

    def public_dict(self) -> dict[str, Any]:
        """The identity and configuration of the candidate, with every secret redacted."""
        return {
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "embedded": self.embedded,
            "target_file": str(self.source) if self.source else None,
            "endpoints": [{"name": e.name, "protocol": e.protocol, "host": e.host, "port": e.port, "path": e.path, "roles": list(e.roles)}
                          for e in self.endpoints],
            "timeouts": {"connect": self.timeouts.connect, "read": self.timeouts.read, "exchange": self.timeouts.exchange},
            "documents": [str(p) for p in self.documents],
            "scope": {"roles": list(self.scope.roles), "profiles": list(self.scope.profiles), "volets": list(self.scope.volets)}
                if self.scope else None,
            "configuration": _public(self.raw),
        } | ({"not_started": self.not_started} if self.not_started else {})


def _public(value: Any) -> Any:
    """The configuration as it may be shown: every `Secret` replaced by *** (in the data, not in any text)."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return REDACTED if isinstance(value, Secret) else value


def _hide_secrets(raw: dict[str, Any]) -> dict[str, Any]:
    """The file's content with each secret field held as a `Secret`."""
    hidden = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    for table, key in SECRET_FIELDS:
        if key in hidden.get(table, {}):
            hidden[table][key] = Secret(hidden[table][key])
    if "auth" in hidden:
        hidden["auth"] = {k: Secret(v) for k, v in hidden["auth"].items()}
    return hidden


def _fail(path: Path, where: str, fr: str, en: str) -> HarnessError:
    return HarnessError(f"fichier cible {path} : {where} : {fr}", f"target file {path}: {where}: {en}")


def load_target(path: Path, allowed_roots: Iterable[Path] = ()) -> Target:
    """Read and check a target file; relative paths are relative to the file's folder.

    Document paths must lie inside the target file's folder, the bundled samples or one of
    `allowed_roots` (folders the user named on the command line): a target file never makes the
    harness read /etc.
    """
    path = Path(path)
    raw = read_toml(path, lambda fr, en: _fail(path, "fichier/file", fr, en))
    validate_config(raw, "target", lambda where, fr, en: _fail(path, where, fr, en))
    base = path.resolve().parent
    roots = (base, bundled_dir("fixtures"), *(Path(r).resolve() for r in allowed_roots))  # the bundled samples are the harness's own
    candidate = raw["candidate"]

    timeouts_raw = raw.get("timeouts", {})
    timeouts = Timeouts(float(timeouts_raw.get("connect", DEFAULT_CONNECT_TIMEOUT)), float(timeouts_raw.get("read", DEFAULT_READ_TIMEOUT)),
                        float(timeouts_raw.get("exchange", DEFAULT_EXCHANGE_TIMEOUT)))
    endpoints = tuple(Endpoint(e["name"], e["protocol"], e["host"], e["port"], e.get("path", "/"), tuple(e.get("roles", ())))
                      for e in raw.get("endpoints", []))
    names = [e.name for e in endpoints]
    if len(set(names)) != len(names):
        raise _fail(path, "[[endpoints]]", "noms en double", "duplicate names")

    def existing(value: str, where: str) -> Path:
        resolved = (base / value).resolve()
        if not resolved.exists():
            raise _fail(path, where, f"{resolved} n'existe pas", f"{resolved} does not exist")
        return resolved

    def document(value: str) -> Path:
        try:
            return confined_path(base / value, roots)
        except HarnessError as exc:
            raise _fail(path, "[documents] paths", exc.fr, exc.en) from None

    hidden = _hide_secrets(raw)
    tls_raw = hidden.get("tls", {})
    tls = TlsMaterial(
        **{key: existing(tls_raw[key], f"[tls] {key}") for key in ("ca_bundle", "client_cert", "client_key") if key in tls_raw},
        client_key_password=tls_raw.get("client_key_password"),
        server_name=tls_raw.get("server_name"),
    )
    documents = tuple(document(p) for p in raw.get("documents", {}).get("paths", []))
    return Target(
        name=candidate["name"], vendor=candidate["vendor"], version=candidate["version"],
        endpoints=endpoints, tls=tls, timeouts=timeouts, documents=documents,
        source=path.resolve(), raw=hidden, settings=raw.get("settings", {}), auth=hidden.get("auth", {}),
        scope=_scope(raw.get("scope"), path),
    )


SCOPE_KEYS = ("roles", "profiles", "volets")


def _scope(value: Any, path: Path) -> DeclaredScope | None:
    """The [scope] table: lists of role names, profile ids and volets (checked against the packs when the run starts)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(path, "[scope]", "doit être une table", "must be a table")
    unknown = sorted(set(value) - set(SCOPE_KEYS))
    if unknown:
        raise _fail(path, f"[scope] {unknown[0]}", f"champ inconnu (connus : {', '.join(SCOPE_KEYS)})",
                    f"unknown field (known: {', '.join(SCOPE_KEYS)})")
    lists = {}
    for key in SCOPE_KEYS:
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise _fail(path, f"[scope] {key}", "doit être une liste de textes", "must be a list of strings")
        lists[key] = tuple(dict.fromkeys(items))
    for role in lists["roles"]:
        if role not in ROLES:
            raise _fail(path, "[scope] roles", f"rôle inconnu « {role} » (connus : {', '.join(ROLES)})",
                        f"unknown role '{role}' (known: {', '.join(ROLES)})")
    if not lists["roles"] and not lists["profiles"]:
        raise _fail(path, "[scope]", "roles ou profiles est obligatoire", "roles or profiles is required")
    return DeclaredScope(**lists)


SIMULATOR_TIMEOUTS = Timeouts(connect=2.0, read=3.0, exchange=15.0)  # the embedded simulator answers on loopback


def unstarted_simulator() -> Target:
    """The embedded simulator as the candidate before it is started (harness.simulator starts it when a test needs it):
    its name and the bundled documents, no endpoint, and why."""
    from harness import __version__

    return replace(default_target(), name=SIMULATOR_NAME, version=__version__, timeouts=SIMULATOR_TIMEOUTS,
                   not_started=SIMULATOR_NOT_STARTED)


def default_target() -> Target:
    """The embedded default candidate: the bundled sample fixtures."""
    return Target(
        name="Jeux d'exemples embarqués / bundled samples",
        vendor="enrs-harness",
        version="embedded",
        documents=(bundled_dir("fixtures") / "conforming",),
        embedded=True,
    )
