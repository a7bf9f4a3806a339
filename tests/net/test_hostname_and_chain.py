"""Server certificate checks of the endpoint probes: RFC 6125 host names and chain verification."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.net.probe import TlsOptions, client_context, hostname_matches

from ..conftest import _certificate


def _dns(*names: str) -> x509.Certificate:
    return _certificate("server", [x509.DNSName(n) for n in names])[0]


@pytest.mark.parametrize(("san", "host", "matches"), [
    ("dpi.example.fr", "dpi.example.fr", True),
    ("DPI.Example.FR", "dpi.example.fr", True),  # case-insensitive
    ("dpi.example.fr.", "dpi.example.fr", True),  # absolute names
    ("dpi.example.fr", "dpi.example.fr.", True),
    ("dpi.example.fr", "autre.example.fr", False),
    ("dpi.example.fr", "example.fr", False),
    ("*.example.fr", "dpi.example.fr", True),  # a wildcard stands for exactly one label
    ("*.example.fr", "a.dpi.example.fr", False),  # … not two
    ("*.example.fr", "example.fr", False),  # … not none
    ("*.example.fr", "dpiexample.fr", False),
    ("*.example.fr", "dpi.example.fr.evil.test", False),
    ("dpi.*.fr", "dpi.example.fr", False),  # only the left-most label may be a wildcard
])
def test_dns_names(san: str, host: str, matches: bool) -> None:
    assert hostname_matches(_dns(san), host) is matches


def test_any_of_several_names_matches() -> None:
    cert = _dns("autre.example.fr", "*.sante.fr", "dpi.example.fr")
    assert hostname_matches(cert, "dpi.example.fr") and hostname_matches(cert, "x.sante.fr")
    assert not hostname_matches(cert, "example.fr")


def test_ip_addresses_match_ip_entries_only() -> None:
    cert = _certificate("server", [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("10.0.0.1")])[0]
    assert hostname_matches(cert, "127.0.0.1") is True
    assert hostname_matches(cert, "127.0.0.2") is False
    assert hostname_matches(cert, "10.0.0.1") is False  # an IP written as a DNS name does not count


def test_the_common_name_alone_is_not_enough() -> None:
    cert = _certificate("dpi.example.fr", None)[0]
    assert hostname_matches(cert, "dpi.example.fr") is False


# -- chain verification of the probing client --------------------------------------------------

def _pem(path: Path, *certs: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


def _serve(context: ssl.SSLContext):
    """Accept TLS connections on 127.0.0.1 (ephemeral port) in a thread; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def _server_context(tmp_path: Path, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> ssl.SSLContext:
    server_cert, server_key = _certificate("localhost", [x509.DNSName("localhost")], issuer=ca)
    key_path = tmp_path / "server-key.pem"
    key_path.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(_pem(tmp_path / "server.pem", server_cert), key_path)
    return context


@pytest.fixture
def tls_server(tmp_path: Path):
    """A loopback TLS server whose certificate (localhost) is issued by a test CA; yields (port, CA file)."""
    ca = _certificate("Test CA", None, ca=True)
    for port in _serve(_server_context(tmp_path, ca)):
        yield port, _pem(tmp_path / "ca.pem", ca[0])


@pytest.fixture
def mtls_server(tmp_path: Path):
    """The same, requiring a client certificate issued by the test CA; yields (port, CA file, client cert, encrypted client key)."""
    ca = _certificate("Test CA", None, ca=True)
    context = _server_context(tmp_path, ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(_pem(tmp_path / "ca.pem", ca[0]))
    client_cert, client_key = _certificate("client", [x509.DNSName("client.example.fr")], issuer=ca)
    key_path = tmp_path / "client-key.pem"
    key_path.write_bytes(client_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.BestAvailableEncryption(b"s3cret")))
    for port in _serve(context):
        yield port, tmp_path / "ca.pem", _pem(tmp_path / "client.pem", client_cert), key_path


def _handshake(port: int, options: TlsOptions, server_name: str = "localhost") -> bytes:
    """Handshake, then read the server's greeting (under TLS 1.3 a refused client certificate shows there)."""
    context = client_context(options)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock, context.wrap_socket(sock, server_hostname=server_name) as tls:
        return tls.recv(2)


def test_the_chain_verifies_against_the_issuing_ca(tls_server: tuple[int, Path]) -> None:
    port, ca = tls_server
    _handshake(port, TlsOptions(verify=True, ca_bundle=ca))


def test_the_chain_is_refused_against_another_ca(tls_server: tuple[int, Path], tmp_path: Path) -> None:
    port, _ = tls_server
    other = _pem(tmp_path / "other-ca.pem", _certificate("Other CA", None, ca=True)[0])
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port, TlsOptions(verify=True, ca_bundle=other))
    _handshake(port, TlsOptions(verify=False, ca_bundle=other))  # without verification the probe still connects


def test_the_host_name_is_checked_only_when_asked(tls_server: tuple[int, Path]) -> None:
    port, ca = tls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port, TlsOptions(verify=True, ca_bundle=ca, check_hostname=True), server_name="dpi.example.fr")
    _handshake(port, TlsOptions(verify=True, ca_bundle=ca, check_hostname=False), server_name="dpi.example.fr")


def test_version_bounds_are_offered_as_asked() -> None:
    context = client_context(TlsOptions(min_version=ssl.TLSVersion.TLSv1_2, max_version=ssl.TLSVersion.TLSv1_3))
    assert (context.minimum_version, context.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    assert context.verify_mode is ssl.CERT_NONE and context.check_hostname is False


def test_the_client_certificate_is_presented_with_its_key_password(mtls_server: tuple[int, Path, Path, Path]) -> None:
    port, ca, cert, key = mtls_server
    assert _handshake(port, TlsOptions(verify=True, ca_bundle=ca, client_cert=(cert, key), client_key_password="s3cret")) == b"ok"
    with pytest.raises((ssl.SSLError, OSError)):
        _handshake(port, TlsOptions(verify=True, ca_bundle=ca))  # no client certificate: refused
    with pytest.raises(ssl.SSLError):
        client_context(TlsOptions(client_cert=(cert, key), client_key_password="wrong"))


def test_offered_ciphers_and_group_are_restricted_as_asked() -> None:
    context = client_context(TlsOptions(max_version=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-GCM-SHA256"))
    tls12 = [c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 == ["ECDHE-ECDSA-AES128-GCM-SHA256"]
    client_context(TlsOptions(curve="prime256v1"))  # a group the local library knows


@pytest.mark.parametrize("options", [TlsOptions(ciphers="NO-SUCH-CIPHER"), TlsOptions(curve="no-such-curve")])
def test_what_the_local_library_cannot_offer_is_a_local_limitation(options: TlsOptions) -> None:
    from harness.net.probe import LocalLimitation

    with pytest.raises(LocalLimitation, match="the local TLS library cannot offer"):
        client_context(options)
