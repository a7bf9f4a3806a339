"""The simulator's HTTPS API: a tiny JSON service under `path`, hardened unless a fault says otherwise.

GET <path> → {"status": "ok"}; POST <path>echo with a JSON body → the body back;
anything else → a generic JSON error. Bodies above `max_body` bytes are refused with 413.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from cryptography import x509

from harness.simulator.listener import Listener
from harness.simulator.xds.service import XdsService

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}
ALLOWED = "GET, POST"


class HttpConfig:
    def __init__(self, path: str, faults: frozenset[str], max_body: int, slow_seconds: float,
                 xds: XdsService | None = None, xds_path: str = "/xds/") -> None:
        self.path, self.faults, self.max_body, self.slow_seconds = path, faults, max_body, slow_seconds
        self.xds, self.xds_path = xds, xds_path  # the XDS.b registry/repository, served under xds_path


def http_handler(config: HttpConfig, io_timeout: float) -> Callable[[socket.socket, Listener], None]:
    """The connection handler a Listener runs for the HTTPS endpoint."""

    class Handler(_Handler):
        cfg = config
        timeout = io_timeout
        protocol_version = "HTTP/1.0" if "http10" in config.faults else "HTTP/1.1"

    def handle(conn: socket.socket, listener: Listener) -> None:
        Handler(conn, ("127.0.0.1", 0), listener)  # type: ignore[arg-type]  # our Listener stands in for socketserver's server

    return handle


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cfg: HttpConfig
    server: Listener  # type: ignore[assignment]  # the Listener above, not a socketserver.BaseServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def handle_one_request(self) -> None:
        """Each request and its response within the exchange deadline (the first one's started at accept)."""
        if getattr(self, "_served_one", False):
            self.server.new_exchange(self.connection)
        self._served_one = True
        super().handle_one_request()

    def version_string(self) -> str:
        return "EnrsSimulator/0.9.3 Python/3.11.7 OpenSSL/3.0.19" if "verbose-errors" in self.cfg.faults else "enrs-simulator"

    def _delay(self) -> None:
        if "slow" in self.cfg.faults:
            self.server.stopping.wait(self.cfg.slow_seconds)

    def _reply(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8",
               extra: dict[str, str] | None = None) -> None:
        self._delay()
        faults = self.cfg.faults
        self.send_response(status)
        if "no-security-headers" in faults:
            content_type = content_type.split(";")[0]
        else:
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
        if "verbose-errors" in faults:
            self.send_header("X-Powered-By", "Python/3.11.7 http.server")
        origin = self.headers.get("Origin") if self.headers else None
        if origin and "cors-reflect" in faults:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
        self._reply(status, json.dumps(data).encode("utf-8"), extra=extra)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the HTTP parser (bad request line, headers too long…): generic JSON, connection closed."""
        self.close_connection = True
        if "allow-trace" in self.cfg.faults and code == 501:
            return self._reply(200, f"{self.command} accepted".encode(), "text/plain; charset=utf-8")
        self._json(code, {"error": _REASONS.get(code, "error")})

    def parse_request(self) -> bool:
        """Ambiguous framing (Content-Length with Transfer-Encoding, or conflicting Content-Length) → 400."""
        if not super().parse_request():
            return False
        if "http-cert-error" in self.cfg.faults:  # as nginx answers a client certificate it cannot verify
            self.close_connection = True
            self._reply(400, b"<html><body><h1>400 Bad Request</h1><p>The SSL certificate error</p></body></html>",
                        "text/html; charset=utf-8")
            return False
        lengths = set(self.headers.get_all("Content-Length") or [])
        if "smuggling" not in self.cfg.faults and (len(lengths) > 1 or (lengths and self.headers.get("Transfer-Encoding"))):
            self.send_error(400)
            return False
        return True

    def _too_large(self) -> bool:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return False
        return length > self.cfg.max_body and "no-size-limit" not in self.cfg.faults

    def handle_expect_100(self) -> bool:
        """`Expect: 100-continue` with a body above the limit: 413 before the body is sent."""
        if self._too_large():
            self.close_connection = True
            self._json(413, {"error": "request too large"})
            return False
        return super().handle_expect_100()

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if "exposed-debug" in self.cfg.faults and path in ("/.git/HEAD", "/actuator", "/actuator/env"):
            return self._reply(200, b"ref: refs/heads/main\n", "text/plain; charset=utf-8")
        if "catch-all" in self.cfg.faults and path != self.cfg.path:  # a single-page app: one shell, a fresh nonce each time
            shell = f'<!doctype html><title>ENRS</title><script nonce="{secrets.token_hex(8)}" src="/app.js"></script><div id="app"></div>'
            return self._reply(200, shell.encode(), "text/html; charset=utf-8")
        if path == self.cfg.path:
            if "text/html" in (self.headers.get("Accept") or ""):  # the status page, for browsers
                return self._reply(200, b"<!doctype html><title>ENRS</title><p>ok</p>", "text/html; charset=utf-8")
            return self._json(200, {"status": "ok"})
        if "verbose-errors" in self.cfg.faults:
            return self._traceback(404, FileNotFoundError(f"/srv/enrs/app/routes{path}"))
        self._json(404, {"error": "not found"})

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            return self._json(411, {"error": "length required"})
        if self._too_large():
            self.close_connection = True  # refused before reading the body
            return self._json(413, {"error": "request too large"})
        if self.cfg.xds is not None and self.path.split("?")[0].startswith(self.cfg.xds_path):
            return self._xds(_read_exactly(self.rfile, length, keep=self.cfg.max_body))
        body = _read_exactly(self.rfile, length)
        if self.path.split("?")[0] != self.cfg.path + "echo":
            return self._json(404, {"error": "not found"})
        try:
            data = json.loads(body)
        except ValueError as exc:
            if "verbose-errors" in self.cfg.faults:
                return self._traceback(500, exc)
            return self._json(400, {"error": "invalid request"})
        self._json(200, {"received": data} if length < 4096 else {"received_bytes": length})

    def _xds(self, body: bytes) -> None:
        """A SOAP request to the XDS.b registry/repository, with the TLS client's certificate (for the VIHF's DN)."""
        peer = getattr(self.connection, "getpeercert", None)  # None over plain TCP
        der = peer(binary_form=True) if peer else None
        client = x509.load_der_x509_certificate(der) if der else None
        assert self.cfg.xds is not None
        answer = self.cfg.xds.handle(self.headers.get("Content-Type") or "", body, client)
        self._reply(answer.status, answer.body, answer.content_type)

    def do_TRACE(self) -> None:
        if "allow-trace" in self.cfg.faults:
            return self._reply(200, f"{self.requestline}\r\n{self.headers}".encode(), "message/http")
        self._not_allowed()

    def _not_allowed(self) -> None:
        if "allow-trace" in self.cfg.faults:
            return self._reply(200, f"{self.command} accepted".encode(), "text/plain; charset=utf-8")
        self._json(405, {"error": "method not allowed"}, {"Allow": ALLOWED})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _traceback(self, status: int, exc: Exception) -> None:
        text = "".join(traceback.format_exception(exc))
        if "Traceback" not in text:
            text = "Traceback (most recent call last):\n  File \"/srv/enrs/app/server.py\", line 42, in handle\n" + text
        self._reply(status, f"<html><body><h1>Internal error</h1><pre>{text}</pre></body></html>".encode(), "text/html; charset=utf-8")


_REASONS = {400: "bad request", 408: "timeout", 413: "request too large", 414: "uri too long",
            431: "headers too large", 501: "not implemented", 505: "version not supported"}


def _read_exactly(stream: Any, length: int, keep: int = 65536) -> bytes:
    """Read `length` bytes of body, keeping only the first `keep` (the rest is read and dropped)."""
    kept, left = bytearray(), length
    deadline = time.monotonic() + 60
    while left > 0 and time.monotonic() < deadline:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            break
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
        left -= len(chunk)
    return bytes(kept)
