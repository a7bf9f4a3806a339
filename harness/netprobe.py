"""Client probes of a candidate's endpoints: TLS handshakes, HTTP requests and MLLP exchanges.

Every socket gets the target's connect and read timeouts; nothing is read without a size bound.
`Unreachable` means the endpoint could not be connected to at all (the test is ABORTED);
`NoAnswer` means it was reached but gave no usable answer (a refusal, a reset, a timeout).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from harness import mllp
from harness.target import Endpoint, Target

MAX_HTTP_RESPONSE = 4 * 1024 * 1024


class Unreachable(Exception):
    """The endpoint cannot be connected to (refused, no route, connect timeout)."""


class NoAnswer(Exception):
    """The endpoint was reached but gave no answer: handshake refused, reset, closed or timed out."""


@dataclass
class TlsOptions:
    """What a probing TLS client offers and checks."""

    min_version: ssl.TLSVersion | None = None
    max_version: ssl.TLSVersion | None = None
    ciphers: str | None = None  # OpenSSL cipher string for TLS ≤ 1.2
    curve: str | None = None  # offer only this group
    client_cert: tuple[Path, Path] | None = None
    verify: bool = False  # verify the server chain against `ca_bundle`
    ca_bundle: Path | None = None
    check_hostname: bool = False


def client_context(options: TlsOptions) -> ssl.SSLContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # probing old versions is the point
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if options.min_version is not None:
            ctx.minimum_version = options.min_version
        if options.max_version is not None:
            ctx.maximum_version = options.max_version
    if options.ciphers:
        ctx.set_ciphers(options.ciphers)
    if options.curve:
        ctx.set_ecdh_curve(options.curve)
    ctx.check_hostname = options.check_hostname
    if options.verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if options.ca_bundle:
            ctx.load_verify_locations(options.ca_bundle)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        ctx.load_cert_chain(*options.client_cert)
    return ctx


def connect(endpoint: Endpoint, target: Target) -> socket.socket:
    try:
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=target.timeouts.connect)
    except OSError as exc:
        raise Unreachable(f"{endpoint.name} ({endpoint.host}:{endpoint.port}) injoignable / unreachable: {exc}") from exc
    sock.settimeout(target.timeouts.read)
    return sock


@dataclass
class Handshake:
    version: str
    cipher: str
    peer_der: bytes | None


def server_name(endpoint: Endpoint, target: Target) -> str:
    return target.tls.server_name or endpoint.host


def open_tls(endpoint: Endpoint, target: Target, options: TlsOptions) -> tuple[ssl.SSLSocket, Handshake]:
    """Connect and handshake; a refused handshake raises NoAnswer with the TLS error."""
    ctx = client_context(options)
    sock = connect(endpoint, target)
    try:
        tls = ctx.wrap_socket(sock, server_hostname=server_name(endpoint, target))
    except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
        sock.close()
        raise NoAnswer(f"poignée de main TLS refusée / TLS handshake refused: {_describe(exc)}") from exc
    cipher = tls.cipher()
    return tls, Handshake(tls.version() or "", cipher[0] if cipher else "", tls.getpeercert(binary_form=True))


def handshake(endpoint: Endpoint, target: Target, options: TlsOptions) -> Handshake:
    tls, result = open_tls(endpoint, target, options)
    tls.close()
    return result


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{exc.reason} ({exc.library or 'ssl'})"
    if isinstance(exc, TimeoutError):
        return "délai dépassé / timed out"
    return f"{type(exc).__name__}: {exc}"


# -- HTTP ----------------------------------------------------------------------------------------

@dataclass
class HttpResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    tls_version: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def excerpt(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"HTTP {self.status} {self.reason}\n{head}\n\n{self.body[:1500].decode('utf-8', 'replace')}"


def http_request(endpoint: Endpoint, target: Target, options: TlsOptions, method: str = "GET", path: str | None = None,
                 headers: dict[str, str] | None = None, body: bytes = b"") -> HttpResponse:
    """One HTTP/1.1 request over TLS (connection closed after it) and its response, or NoAnswer."""
    tls, hs = open_tls(endpoint, target, options)
    try:
        lines = [f"{method} {path or endpoint.path} HTTP/1.1", f"Host: {server_name(endpoint, target)}", "Connection: close",
                 "User-Agent: enrs-harness"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        try:
            tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        except OSError as exc:
            if not _may_have_answered(exc):
                raise NoAnswer(f"envoi impossible / could not send: {_describe(exc)}") from exc
        response = _read_http(tls, target.timeouts.read)
        response.tls_version = hs.version
        return response
    finally:
        tls.close()


def _may_have_answered(exc: OSError) -> bool:
    return isinstance(exc, (BrokenPipeError, ConnectionResetError))  # the server may refuse mid-body then answer


def _read_http(sock: ssl.SSLSocket, read_timeout: float) -> HttpResponse:
    data = bytearray()
    deadline = time.monotonic() + read_timeout * 3
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_HTTP_RESPONSE or time.monotonic() > deadline:
                raise NoAnswer("en-têtes de réponse trop longs ou trop lents / response headers too large or too slow")
    except (ssl.SSLError, OSError) as exc:
        if not data:
            raise NoAnswer(f"pas de réponse / no answer: {_describe(exc)}") from exc
    if b"\r\n\r\n" not in data:
        raise NoAnswer("connexion fermée sans réponse HTTP / connection closed without an HTTP response" if not data
                       else "réponse HTTP tronquée / truncated HTTP response")
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise NoAnswer(f"ligne de statut invalide / invalid status line: {lines[0][:100]!r}")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]) if k]
    response = HttpResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", headers)
    length = response.header("Content-Length")
    body = bytearray(rest)
    try:
        while (length is None or len(body) < int(length)) and len(body) <= MAX_HTTP_RESPONSE and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (ssl.SSLError, OSError, ValueError):
        pass  # the body is evidence only; status and headers are what the checks use
    response.body = bytes(body[:MAX_HTTP_RESPONSE])
    return response


# -- MLLP ----------------------------------------------------------------------------------------

def mllp_socket(endpoint: Endpoint, target: Target, options: TlsOptions | None) -> socket.socket:
    if endpoint.protocol == "mllp+tls":
        return open_tls(endpoint, target, options or TlsOptions())[0]
    return connect(endpoint, target)


def mllp_exchange(sock: socket.socket, message: bytes, max_bytes: int = mllp.DEFAULT_MAX_FRAME) -> bytes:
    """Send one framed message and read the framed answer, or NoAnswer with the reason."""
    try:
        sock.sendall(mllp.frame(message))
        return mllp.read_frame(sock, max_bytes)
    except TimeoutError as exc:
        raise NoAnswer(f"pas d'ACK dans le délai de {sock.gettimeout()} s / no ACK within the {sock.gettimeout()} s timeout") from exc
    except mllp.FrameError as exc:
        raise NoAnswer(f"pas d'ACK lisible / no readable ACK: {exc}") from exc
    except (ssl.SSLError, OSError) as exc:
        raise NoAnswer(f"pas d'ACK / no ACK: {_describe(exc)}") from exc


# -- certificates --------------------------------------------------------------------------------

def hostname_matches(cert: x509.Certificate, host: str) -> bool:
    """RFC 6125 matching on the subjectAltName (DNS names, one left-most wildcard label; IP addresses)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        address = ipaddress.ip_address(host)
        return address in san.get_values_for_type(x509.IPAddress)
    except ValueError:
        pass
    host = host.lower().rstrip(".")
    for name in san.get_values_for_type(x509.DNSName):
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False
