"""Client probes of a candidate's endpoints: TLS handshakes, HTTP requests and MLLP exchanges.

Every socket gets the target's connect and read timeouts; nothing is read without a size bound.
`Unreachable` means the endpoint could not be connected to at all (the test is ABORTED);
`NoAnswer` means it was reached but gave no usable answer (a refusal, a reset, a timeout).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from harness.config.target import Endpoint, Target
from harness.net import mllp
from harness.net.deadline import DeadlineSocket, ExchangeDeadline, bounded_connection, wrap

MAX_HTTP_RESPONSE = 4 * 1024 * 1024


class Unreachable(Exception):
    """The endpoint cannot be connected to (refused, no route, connect timeout)."""


class NoAnswer(Exception):
    """The endpoint was reached but gave no answer: handshake refused, reset, closed or timed out.

    `silent` is true when the connection was up (TLS handshake done) and the endpoint gave no usable
    answer without signalling a refusal (a timeout, a reset or close without a TLS alert, a garbled
    frame): nothing can be concluded from it about the client's credentials.
    """

    def __init__(self, message: str, silent: bool = False) -> None:
        super().__init__(message)
        self.silent = silent


class LocalLimitation(Exception):
    """The local TLS library cannot make the probe (e.g. it cannot offer TLS 1.0): nothing was judged."""


# OpenSSL reasons raised by our own side before anything reaches the server.
LOCAL_REASONS = {"NO_PROTOCOLS_AVAILABLE", "NO_SUITABLE_GROUPS", "NO_CIPHERS_AVAILABLE",
                 "NO_SUITABLE_SIGNATURE_ALGORITHM", "NO_SUITABLE_KEY_SHARE"}


@dataclass
class TlsOptions:
    """What a probing TLS client offers and checks."""

    min_version: ssl.TLSVersion | None = None
    max_version: ssl.TLSVersion | None = None
    ciphers: str | None = None  # OpenSSL cipher string for TLS ≤ 1.2
    curve: str | None = None  # offer only this group
    client_cert: tuple[Path, Path] | None = None
    client_key_password: str | None = None
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
    try:
        if options.ciphers:
            ctx.set_ciphers(options.ciphers)
        if options.curve:
            ctx.set_ecdh_curve(options.curve)
    except (ssl.SSLError, ValueError) as exc:
        raise LocalLimitation("la bibliothèque TLS locale ne peut pas offrir / the local TLS library cannot offer "
                              f"{options.ciphers or options.curve}: {exc}") from exc
    ctx.check_hostname = options.check_hostname
    if options.verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if options.ca_bundle:
            ctx.load_verify_locations(options.ca_bundle)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        ctx.load_cert_chain(*options.client_cert, password=options.client_key_password)
    return ctx


def connect(endpoint: Endpoint, target: Target) -> DeadlineSocket:
    """A connection whose exchange is bounded by the target's deadline (connect + TLS + request + response)."""
    t = target.timeouts
    try:
        return bounded_connection((endpoint.host, endpoint.port), t.connect, t.read, t.exchange)
    except OSError as exc:
        raise Unreachable(f"{endpoint.name} ({endpoint.host}:{endpoint.port}) injoignable / unreachable: {exc}") from exc


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
    if endpoint.protocol == "smtp":  # TLS comes after STARTTLS (RFC 3207)
        from harness.net.smtp import starttls_preamble

        try:
            starttls_preamble(sock)
        except NoAnswer:
            sock.close()
            raise
    try:
        tls = wrap(ctx, sock, server_hostname=server_name(endpoint, target))
    except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
        sock.close()
        if isinstance(exc, ssl.SSLError) and exc.reason in LOCAL_REASONS:
            raise LocalLimitation("la bibliothèque TLS locale ne peut pas faire cette poignée de main / the local TLS library cannot make "
                                  f"this handshake: {_describe(exc)}") from exc
        raise NoAnswer(f"poignée de main TLS refusée / TLS handshake refused: {_describe(exc)}") from exc
    cipher = tls.cipher()
    return tls, Handshake(tls.version() or "", cipher[0] if cipher else "", tls.getpeercert(binary_form=True))


def handshake(endpoint: Endpoint, target: Target, options: TlsOptions) -> Handshake:
    tls, result = open_tls(endpoint, target, options)
    tls.close()
    return result


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"{exc.reason}: {exc.verify_message} ({exc.library or 'ssl'})"  # keep OpenSSL's why: expired, hostname, unknown CA…
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{exc.reason} ({exc.library or 'ssl'})"
    if isinstance(exc, ExchangeDeadline):
        return str(exc)
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
    http_version: str = ""  # of the status line, e.g. HTTP/1.1

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
                raise _refusal_after_send(tls, exc) from exc
        response = _read_http(tls)
        response.tls_version = hs.version
        return response
    finally:
        tls.close()


def _refusal_after_send(tls: ssl.SSLSocket, exc: OSError) -> NoAnswer:
    """A send cut by the server: its TLS alert (e.g. unknown CA for our certificate), read if it came, is the real cause."""
    if isinstance(exc, TimeoutError):  # a deadline or a stalled peer: no refusal
        return NoAnswer(f"envoi impossible / could not send: {_describe(exc)}", silent=True)
    try:
        tls.settimeout(0.5)
        tls.recv(1)
    except ssl.SSLError as alert:
        if alert.reason:
            return NoAnswer(f"envoi impossible, alerte TLS du serveur / could not send, server TLS alert: {_describe(alert)}")
    except OSError:
        pass
    return NoAnswer(f"envoi impossible / could not send: {_describe(exc)}")


def _may_have_answered(exc: OSError) -> bool:
    return isinstance(exc, (BrokenPipeError, ConnectionResetError))  # the server may refuse mid-body then answer


def _read_http(sock: Any) -> HttpResponse:
    """Read one response; each read is bounded by the socket's timeout and the whole by its exchange deadline."""
    data = bytearray()
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_HTTP_RESPONSE:
                raise NoAnswer("en-têtes de réponse trop longs / response headers too large")
    except ExchangeDeadline as exc:
        raise NoAnswer(f"{exc}, {len(data)} octets reçus / bytes received", silent=True) from exc
    except (ssl.SSLError, OSError) as exc:
        if not data:
            # a timeout, reset or close without a TLS alert signals no refusal (an alert is an ssl.SSLError)
            raise NoAnswer(f"pas de réponse / no answer: {_describe(exc)}", silent=not isinstance(exc, ssl.SSLError)) from exc
    if b"\r\n\r\n" not in data:
        raise NoAnswer("connexion fermée sans réponse HTTP / connection closed without an HTTP response" if not data
                       else "réponse HTTP tronquée / truncated HTTP response")
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise NoAnswer(f"ligne de statut invalide / invalid status line: {lines[0][:100]!r}")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]) if k]
    response = HttpResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, http_version=parts[0])
    length = response.header("Content-Length")
    body = bytearray(rest)
    try:
        while (length is None or len(body) < int(length)) and len(body) <= MAX_HTTP_RESPONSE:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (ssl.SSLError, OSError, ValueError):
        pass  # the body is evidence only; status and headers are what the checks use
    response.body = bytes(body[:MAX_HTTP_RESPONSE])
    return response


def base_options(target: Target, **changes: object) -> TlsOptions:
    """What every probe offers by default: the target's client certificate, when it has one."""
    tls = target.tls
    client = (tls.client_cert, tls.client_key or tls.client_cert) if tls.client_cert else None
    options = TlsOptions(client_cert=client, client_key_password=tls.client_key_password.reveal() if tls.client_key_password else None)
    for name, value in changes.items():
        setattr(options, name, value)
    return options


def http_post_oversized(endpoint: Endpoint, target: Target, options: TlsOptions, size: int, path: str | None = None) -> HttpResponse:
    """POST a body of `size` bytes announcing `Expect: 100-continue`: a server that refuses it by its
    length answers before the body is sent; one that does not gets the body, then must answer."""
    tls, hs = open_tls(endpoint, target, options)
    try:
        head = (f"POST {path or endpoint.path} HTTP/1.1\r\nHost: {server_name(endpoint, target)}\r\nConnection: close\r\n"
                f"User-Agent: enrs-harness\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nExpect: 100-continue\r\n\r\n")
        tls.sendall(head.encode("latin-1"))
        tls.settimeout(min(1.0, target.timeouts.read))
        early = b""
        with contextlib.suppress(TimeoutError, ssl.SSLError, OSError):
            early = tls.recv(65536)
        tls.settimeout(target.timeouts.read)
        if early and not early.startswith(b"HTTP/1.1 100"):
            return _read_http(_Prefixed(tls, early))
        body = b"[" + b"0," * ((size - 2) // 2) + b"0" * ((size - 2) % 2) + b"]"
        try:
            tls.sendall(body[:size])
        except OSError as exc:
            raise NoAnswer(f"connexion coupée pendant l'envoi / connection cut while sending: {_describe(exc)}") from exc
        response = _read_http(tls)
        response.tls_version = hs.version
        return response
    finally:
        tls.close()


class _Prefixed:
    """A socket whose first bytes were already read."""

    def __init__(self, sock: ssl.SSLSocket, first: bytes) -> None:
        self._sock, self._first = sock, first

    def recv(self, size: int) -> bytes:
        if self._first:
            data, self._first = self._first, b""
            return data
        return self._sock.recv(size)


# What a server answers when it refuses a client certificate after the handshake (nginx: 400/495/496).
REFUSAL_STATUSES = {400, 403, 495, 496}


@dataclass
class Attempt:
    """The answer to one request made with a given client certificate (or none)."""

    answered: bool  # an HTTP response or an ACK came back
    detail: str
    status: int | None = None  # HTTPS status
    ack_code: str | None = None  # MLLP MSA-1
    smtp_code: int | None = None  # SMTP: the reply to EHLO after STARTTLS
    silent: bool = False  # connected, then no usable answer and no refusal (no TLS alert): a timeout, reset or close

    def refused(self) -> bool:
        """The server refused this client (handshake or connection refused, or a refusal status): as a
        control, nothing that depends on being served can be judged. A silence is not a refusal."""
        if not self.answered:
            return not self.silent
        if self.smtp_code is not None:
            return self.smtp_code >= 500
        return self.status in REFUSAL_STATUSES

    def accepted(self, control: Attempt | None = None, accepted_codes: tuple[str, ...] = ("AA", "CA")) -> bool:
        """Whether the server served this client. HTTPS: the control's own status (e.g. 401 for a
        missing token) counts as served; a refusal status that the valid certificate did not get
        counts as refused. MLLP: an ACK AA/CA."""
        if not self.answered:
            return False
        if self.status is not None:
            if control is not None and control.status == self.status:
                return True
            return self.status not in REFUSAL_STATUSES
        if self.smtp_code is not None:
            return self.smtp_code == 250
        return self.ack_code in accepted_codes


def control_refused(control: Attempt) -> str:
    """The reason of a check ABORTED because the endpoint refused the control (the target's own request)."""
    return (f"contrôle refusé : la requête de la cible (avec son certificat client) n'est pas servie : {control.detail} / "
            f"control refused: the target's own request (with its client certificate) is not served: {control.detail}")


def attempt_with_certificate(endpoint: Endpoint, target: Target, options: TlsOptions, message: bytes | None = None) -> Attempt:
    """Connect with `options`, send a request and read the answer.

    Under TLS 1.3 a refused client certificate shows only when reading, so every attempt sends a
    request (HTTPS: GET on the endpoint's path; MLLP/TLS: `message`) and reads the answer.
    """
    if endpoint.protocol == "https":
        try:
            response = http_request(endpoint, target, options)
        except NoAnswer as exc:
            return Attempt(False, str(exc), silent=exc.silent)
        return Attempt(True, f"HTTP {response.status} {response.reason} ({response.tls_version})", status=response.status)
    if endpoint.protocol == "smtp":  # EHLO over TLS after STARTTLS
        from harness.net.smtp import ehlo_over_tls

        try:
            client, reply = ehlo_over_tls(endpoint, target, options)
        except NoAnswer as exc:
            return Attempt(False, str(exc), silent=exc.silent)
        client.close()
        return Attempt(True, f"EHLO après STARTTLS / after STARTTLS: {reply}", smtp_code=reply.code)
    try:
        sock = mllp_socket(endpoint, target, options)
    except NoAnswer as exc:
        return Attempt(False, str(exc))
    try:
        answer = mllp_exchange(sock, message or b"")
    except NoAnswer as exc:
        return Attempt(False, str(exc), silent=exc.silent)
    finally:
        sock.close()
    ack = mllp.parse_ack(answer)
    if ack is None:
        return Attempt(False, "réponse qui n'est pas un ACK / answer is not an ACK", silent=True)
    return Attempt(True, f"ACK MSA-1={ack.code}", ack_code=ack.code)


# -- MLLP ----------------------------------------------------------------------------------------

def mllp_socket(endpoint: Endpoint, target: Target, options: TlsOptions | None) -> socket.socket:
    if endpoint.protocol == "mllp+tls":
        return open_tls(endpoint, target, options or TlsOptions())[0]
    return connect(endpoint, target)


def mllp_exchange(sock: socket.socket, message: bytes, max_bytes: int = mllp.DEFAULT_MAX_FRAME) -> bytes:
    """Send one framed message and read the framed answer, or NoAnswer with the reason."""
    try:
        try:
            sock.sendall(mllp.frame(message))
        except ssl.SSLError as exc:
            if isinstance(sock, ssl.SSLSocket):
                raise _refusal_after_send(sock, exc) from exc
            raise
        return mllp.read_frame(sock, max_bytes)
    except ExchangeDeadline as exc:
        raise NoAnswer(f"pas d'ACK / no ACK: {exc}", silent=True) from exc
    except TimeoutError as exc:
        raise NoAnswer(f"pas d'ACK dans le délai de {sock.gettimeout()} s / no ACK within the {sock.gettimeout()} s timeout",
                       silent=True) from exc
    except mllp.FrameError as exc:
        raise NoAnswer(f"pas d'ACK lisible / no readable ACK: {exc}", silent=True) from exc
    except (ssl.SSLError, OSError) as exc:
        raise NoAnswer(f"pas d'ACK / no ACK: {_describe(exc)}", silent=not isinstance(exc, ssl.SSLError)) from exc


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
