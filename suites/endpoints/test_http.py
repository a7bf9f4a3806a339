"""HTTP hardening of every HTTPS endpoint: headers, methods, CORS, exposures, error pages, size limits."""

from __future__ import annotations

import difflib
import re
import secrets

import pytest

from harness.config.target import Endpoint, Target
from harness.core.safe_regex import compile_pattern
from harness.net.probe import HttpResponse, NoAnswer, base_options, http_post_oversized, http_request
from harness.run.recorder import Recorder

EVIL_ORIGIN = "https://evil.example"


@pytest.fixture(autouse=True)
def _control_served(https_endpoint: Endpoint, served) -> None:
    """Every check here judges what a served request gets: an endpoint that refuses the target's own
    request (TLS alert, HTTP 400/403/495/496) gives ABORTED checks, never verdicts on its error page."""
    served(https_endpoint)


def _get(endpoint: Endpoint, target: Target, enrs: Recorder, method: str = "GET", path: str | None = None,
         headers: dict[str, str] | None = None, body: bytes = b"") -> HttpResponse:
    try:
        response = http_request(endpoint, target, base_options(target), method, path, headers, body)
    except NoAnswer as exc:
        raise AssertionError(f"pas de réponse à {method} {path or endpoint.path} / no answer: {exc}") from exc
    enrs.evidence(f"{method} {path or endpoint.path}", response.excerpt())
    return response


def _not_found_path(endpoint: Endpoint) -> str:
    return f"{endpoint.path.rstrip('/')}/enrs-harness-{secrets.token_hex(4)}"


def _api(endpoint: Endpoint, target: Target, enrs: Recorder, reachable) -> HttpResponse:
    """GET on the endpoint's path (no answer → the test FAILS with the reason; unreachable → ABORTED)."""
    with reachable():
        return _get(endpoint, target, enrs)


def _error(endpoint: Endpoint, target: Target, enrs: Recorder, reachable) -> HttpResponse:
    with reachable():
        return _get(endpoint, target, enrs, path=_not_found_path(endpoint))


def _max_age(response: HttpResponse) -> int | None:
    value = response.header("Strict-Transport-Security")
    match = re.search(r"max-age\s*=\s*\"?(\d+)", value or "", re.IGNORECASE)
    return int(match.group(1)) if match else None


@pytest.mark.requirement("SEC-TLS-11")
def test_http_1_1_inside_tls(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    response = _api(https_endpoint, enrs_target, enrs, reachable)
    assert response.http_version == "HTTP/1.1", f"réponse en {response.http_version} / answered in {response.http_version}"
    assert response.tls_version in ("TLSv1.2", "TLSv1.3"), f"TLS {response.tls_version}"


@pytest.mark.requirement("SEC-HTTP-01")
def test_hsts(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable) -> None:
    api_response = _api(https_endpoint, enrs_target, enrs, reachable)
    age = _max_age(api_response)
    assert age is not None, "en-tête Strict-Transport-Security absent / Strict-Transport-Security header missing"
    assert age >= security["hsts_min_max_age"], f"max-age={age} < {security['hsts_min_max_age']}"


@pytest.mark.requirement("SEC-HTTP-01B")
def test_hsts_recommended_age(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable) -> None:
    api_response = _api(https_endpoint, enrs_target, enrs, reachable)
    age = _max_age(api_response) or 0
    assert age >= security["hsts_recommended_max_age"], f"max-age={age} < {security['hsts_recommended_max_age']}"


@pytest.mark.requirement("SEC-HTTP-02")
def test_nosniff_and_charset(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    api_response = _api(https_endpoint, enrs_target, enrs, reachable)
    error_response = _error(https_endpoint, enrs_target, enrs, reachable)
    for name, response in (("réponse / response", api_response), ("erreur / error", error_response)):
        assert (response.header("X-Content-Type-Options") or "").lower() == "nosniff", \
            f"{name}: X-Content-Type-Options: nosniff absent / missing"
        if response.body:
            content_type = response.header("Content-Type") or ""
            assert "charset=" in content_type.lower(), f"{name}: Content-Type sans charset / without charset: {content_type!r}"


def _csp_directives(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return directives


@pytest.mark.requirement("SEC-HTTP-03")
def test_html_has_content_security_policy(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    with reachable():
        response = _get(https_endpoint, enrs_target, enrs, headers={"Accept": "text/html"})
    if not (response.header("Content-Type") or "").lower().startswith("text/html"):
        enrs.not_applicable("le point d'accès ne sert pas de HTML / the endpoint serves no HTML")
    csp = _csp_directives(response.header("Content-Security-Policy") or "")
    assert csp, "réponse HTML sans Content-Security-Policy / HTML response without Content-Security-Policy"
    objects = csp.get("object-src", csp.get("default-src"))
    assert objects == ["'none'"], f"object-src (ou default-src) ≠ 'none' / is not 'none': {objects}"
    assert "base-uri" in csp, "directive base-uri absente / base-uri directive missing"
    assert "frame-ancestors" in csp, "directive frame-ancestors absente / frame-ancestors directive missing"


@pytest.mark.requirement("SEC-HTTP-04")
def test_referrer_policy(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    api_response = _api(https_endpoint, enrs_target, enrs, reachable)
    value = (api_response.header("Referrer-Policy") or "").strip().lower()
    assert value and value != "unsafe-url", f"Referrer-Policy absent ou permissif / missing or permissive: {value!r}"


@pytest.mark.requirement("SEC-HTTP-06")
def test_no_version_disclosure(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable) -> None:
    api_response = _api(https_endpoint, enrs_target, enrs, reachable)
    error_response = _error(https_endpoint, enrs_target, enrs, reachable)
    disclosed = []
    for response in (api_response, error_response):
        server = response.header("Server") or ""
        if re.search(r"\d", server):
            disclosed.append(f"Server: {server}")
        disclosed += [f"{h}: {response.header(h)}" for h in security["disclosure_headers"] if response.header(h)]
    assert not disclosed, f"divulgation de version / version disclosure: {'; '.join(sorted(set(disclosed)))}"


@pytest.mark.requirement("SEC-HTTP-07")
def test_trace_disabled(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    canary = f"enrs-{secrets.token_hex(6)}"
    with reachable():
        response = _get(https_endpoint, enrs_target, enrs, "TRACE", headers={"X-Enrs-Canary": canary})
    assert canary not in response.body.decode("latin-1"), "TRACE renvoie la requête / TRACE echoes the request"
    assert response.status >= 400, f"TRACE accepté / TRACE accepted: HTTP {response.status}"


@pytest.mark.requirement("SEC-HTTP-07B")
def test_unknown_method_refused(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    with reachable():
        response = _get(https_endpoint, enrs_target, enrs, "ENRSPROBE")
    assert response.status in (400, 405, 501), f"méthode inconnue acceptée / unknown method accepted: HTTP {response.status}"


@pytest.mark.requirement("SEC-HTTP-08")
def test_cors_does_not_reflect_origin(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    with reachable():
        response = _get(https_endpoint, enrs_target, enrs, headers={"Origin": EVIL_ORIGIN})
    allowed = response.header("Access-Control-Allow-Origin")
    credentials = (response.header("Access-Control-Allow-Credentials") or "").lower() == "true"
    assert allowed != EVIL_ORIGIN, f"origine arbitraire reflétée / arbitrary origin reflected: {allowed}"
    assert not (allowed == "*" and credentials), "ACAO '*' avec Allow-Credentials: true / with Allow-Credentials: true"


@pytest.mark.requirement("SEC-HTTP-09")
def test_no_store(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    api_response = _api(https_endpoint, enrs_target, enrs, reachable)
    value = (api_response.header("Cache-Control") or "").lower()
    assert "no-store" in value, f"Cache-Control sans no-store / without no-store: {value!r}"


TOKEN = re.compile(rb"[A-Za-z0-9+/=_-]*[0-9][A-Za-z0-9+/=_-]*")  # nonces, ids, times: per-request parts of a page


def _same_page(one: bytes, other: bytes) -> bool:
    """The same page up to its per-request parts: tokens with digits of 8+ characters masked, then
    90 % alike in the first 4 KiB."""
    def masked(page: bytes) -> bytes:
        return TOKEN.sub(lambda m: b"#" if len(m.group()) >= 8 else m.group(), page[:4096])
    a, b = masked(one), masked(other)
    return a == b or difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


@pytest.mark.requirement("SEC-HTTP-10")
def test_no_exposed_paths(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable) -> None:
    """A path is exposed when it is served (2xx) with content of its own: a server that answers every
    path, a random one included, with the same page exposes nothing."""
    exposed = []
    with reachable():
        baseline = _get(https_endpoint, enrs_target, enrs, path=_not_found_path(https_endpoint))
        for path in security["exposed_paths"]:
            response = _get(https_endpoint, enrs_target, enrs, path=path)
            if 200 <= response.status < 300 and not (200 <= baseline.status < 300 and _same_page(response.body, baseline.body)):
                exposed.append(f"{path} (HTTP {response.status}, {len(response.body)} octets / bytes)")
    assert not exposed, f"chemins exposés / exposed paths: {', '.join(exposed)}"


@pytest.mark.requirement("SEC-INPUT-04")
def test_errors_are_generic(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable) -> None:
    patterns = [compile_pattern(p) for p in security["error_patterns"]]  # RE2: a pack's pattern never backtracks
    leaks = []
    with reachable():
        responses = [
            _get(https_endpoint, enrs_target, enrs, path=_not_found_path(https_endpoint)),
            _get(https_endpoint, enrs_target, enrs, "POST", path=https_endpoint.path + "echo",
                 headers={"Content-Type": "application/json"}, body=b"{\"unterminated"),
            _get(https_endpoint, enrs_target, enrs, "POST", headers={"Content-Type": "application/json"}, body=b"\x00\xff{]"),
        ]
    for response in responses:
        text = response.body.decode("utf-8", "replace")
        leaks += [f"HTTP {response.status}: /{p.pattern}/" for p in patterns if p.search(text)]
    assert not leaks, f"détails internes dans les erreurs / internal details in errors: {'; '.join(leaks)}"


@pytest.mark.requirement("SEC-INPUT-07")
def test_oversized_body_refused(https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, security: dict, reachable) -> None:
    size = security["http_max_body_bytes"] + 1
    with reachable():
        try:
            response = http_post_oversized(https_endpoint, enrs_target, base_options(enrs_target), size)
        except NoAnswer as exc:
            raise AssertionError(f"pas de réponse à un corps de {size} octets / no answer to a {size}-byte body: {exc}") from exc
        enrs.evidence(f"POST {size} octets / bytes", response.excerpt())
        assert response.status == 413, \
            f"corps de {size} octets : HTTP {response.status} au lieu de 413 / {size}-byte body: HTTP {response.status} instead of 413"
        after = _get(https_endpoint, enrs_target, enrs)
    assert after.status < 500, f"service dégradé après le refus / service degraded after the refusal: HTTP {after.status}"


@pytest.mark.requirement("SEC-INPUT-08")
@pytest.mark.parametrize("framing", ["content-length+transfer-encoding", "conflicting-content-length"])
def test_ambiguous_framing_refused(framing: str, https_endpoint: Endpoint, enrs_target: Target, enrs: Recorder, reachable) -> None:
    body = b"0\r\n\r\n"  # an empty chunked body, 5 bytes: http_request adds Content-Length: 5
    extra = {"Transfer-Encoding": "chunked"} if framing.startswith("content-length+") else {"Content-Length": "3"}
    with reachable():
        response = _get(https_endpoint, enrs_target, enrs, "POST", headers={"Content-Type": "application/json", **extra}, body=body)
    assert response.status == 400, f"{framing} : HTTP {response.status} au lieu de 400 / instead of 400"
