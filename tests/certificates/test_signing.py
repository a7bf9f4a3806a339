"""Signed certificates: canonical JSON, signature, issuer trust, tampering, artefacts, openssl."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from harness.certificates.signing import (
    EMPTY_SIGNATURE_ELEMENT,
    SIGNATURE_ELEMENT,
    Signer,
    b64url,
    b64url_decode,
    canonical_json,
    keygen,
    sign_page,
    verify_signature,
)
from harness.certificates.verify import verify_certificate

from .conftest import REPO, TOY, SignedRun, cli, harness


# -- RFC 8785 ----------------------------------------------------------------------------------
def test_canonical_json_sorts_keys_by_utf16_and_escapes_like_ecmascript() -> None:
    value = {"b": [True, None, 12], "a": "é\n\"\\\u0001", "\ufb33": 1, "\U0001f600": 2, "\u20ac": 3}
    # UTF-16 order: U+20AC < U+D83D (high surrogate of U+1F600) < U+FB33, unlike code point order.
    expected = '{"a":"é\\n\\"\\\\\\u0001","b":[true,null,12],"\u20ac":3,"\U0001f600":2,"\ufb33":1}'
    assert canonical_json(value) == expected.encode("utf-8")


def test_canonical_json_refuses_floats() -> None:
    with pytest.raises(ValueError):
        canonical_json({"a": 1.5})


def test_base64url_round_trip_and_refusal() -> None:
    assert b64url_decode(b64url(b"\xff\xfe\x00abc")) == b"\xff\xfe\x00abc"
    with pytest.raises(ValueError):
        b64url_decode("a+b/")


@pytest.mark.parametrize("key_type", ["rsa", "ec", "ed25519"])
def test_each_key_type_signs_and_verifies(tmp_path: Path, key_type: str) -> None:
    keygen(tmp_path, "test issuer", key_type=key_type)
    signer = Signer.load(tmp_path)
    jws = signer.sign({"x": 1})
    head, body, sig = jws.split(".")
    public = signer.certificate.public_key()
    assert verify_signature(public, signer.alg, f"{head}.{body}".encode(), b64url_decode(sig))
    assert not verify_signature(public, signer.alg, f"{head}.{b64url(canonical_json({'x': 2}))}".encode(), b64url_decode(sig))
    assert (tmp_path / "issuer-key.pem").stat().st_mode & 0o777 == 0o600


def test_keygen_refuses_to_overwrite(issuer: Path) -> None:
    process = cli("certificate", "keygen", issuer)
    assert process.returncode == 2
    assert "--force" in process.stderr


def test_signing_with_a_mismatched_key_is_refused_before_the_run(tmp_path: Path, issuer: Path) -> None:
    keygen(tmp_path / "other", "other issuer")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(issuer / "issuer-key.pem", mixed / "issuer-key.pem")
    shutil.copy(tmp_path / "other" / "issuer-cert.pem", mixed / "issuer-cert.pem")
    with pytest.raises(Exception, match="does not match"):
        Signer.load(mixed)
    target = tmp_path / "t.toml"
    target.write_text('[candidate]\nname = "x"\nvendor = "y"\nversion = "1"\n', encoding="utf-8")
    process = harness("run", "--profile", "toy-certs", "--profiles-dir", TOY / "profiles", "--target", target,
                      "--report-dir", tmp_path / "r", "--sign-with", mixed)
    assert process.returncode == 2
    assert "does not match" in process.stdout + process.stderr


# -- a signed run -----------------------------------------------------------------------------
def test_signed_certificate_verifies(signed_run: SignedRun) -> None:
    process = harness("certificate", "verify", signed_run.certificate, "--trust", signed_run.issuer_cert,
                      "--artefacts", TOY / "documents" / "good")
    assert process.returncode == 0, process.stdout
    assert "VALID" in process.stdout and "Artefacts checked: 2" in process.stdout


def test_signed_payload_states_the_facts(signed_run: SignedRun) -> None:
    result = verify_certificate(signed_run.certificate, [x509.load_pem_x509_certificate(signed_run.issuer_cert.read_bytes())])
    payload, results = result.payload, signed_run.results()
    assert result.valid and payload is not None
    assert payload["certificate_id"] == results["run"]["id"]
    assert payload["candidate"] == {"name": "DPI Exemple", "vendor": "Éditeur Exemple", "version": "2.3"}
    assert payload["profiles"] == [{"id": "toy-certs", "version": "1.2.0", "framework": "TEST"}]
    assert {r["id"]: r["verdict"] for r in payload["requirements"]} == {
        "TOYC-001": "PASSED", "TOYC-002": "PASSED", "TOYC-003": "PASSED", "TOYC-004": "NOT_APPLICABLE"}
    good = TOY / "documents" / "good"
    assert {a["name"]: a["sha256"] for a in payload["artefacts"]} == {
        p.name: __import__("hashlib").sha256(p.read_bytes()).hexdigest() for p in good.iterdir()}
    assert payload["started"] == results["run"]["started"] and payload["finished"] == results["run"]["finished"]
    assert payload["harness_version"] == results["run"]["harness_version"]


def test_json_output(signed_run: SignedRun) -> None:
    process = cli("certificate", "verify", signed_run.certificate, "--trust", signed_run.issuer_cert, "--format", "json")
    data = json.loads(process.stdout)
    assert process.returncode == 0 and data["valid"] is True and data["certificate"]["candidate"]["name"] == "DPI Exemple"


# -- tampering --------------------------------------------------------------------------------
def _tamper(signed_run: SignedRun, tmp_path: Path, change) -> Path:
    page = signed_run.certificate.read_text(encoding="utf-8")
    changed = change(page)
    assert changed != page, "the tampering did not change the page"
    path = tmp_path / "certificate.html"
    path.write_text(changed, encoding="utf-8")
    return path


def _swap_verdict(page: str) -> str:
    row = re.search(r"<tr data-requirement=[\"']TOYC-002[\"']>.*?</tr>", page).group(0)
    swapped = re.sub(r"(data-verdict=[\"'])PASSED", r"\1FAILED", row).replace("v-PASSED", "v-FAILED").replace(">PASSED<", ">FAILED<")
    assert swapped != row
    return page.replace(row, swapped)


def _first_sha(page: str) -> str:
    return re.search(r"<table id=\"artefacts\"><tbody><tr><td>[^<]*</td><td><code[^>]*>([0-9a-f]{64})</code>", page).group(1)


TAMPERINGS = {
    "verdict": (_swap_verdict, "requirement TOYC-002, verdict: the page shows 'FAILED'"),
    "verdict text only": (lambda p: re.sub(r"(data-verdict=[\"']PASSED[\"']>)PASSED<", r"\1FAILED<", p, count=1), "verdict shown"),
    "start date": (lambda p: re.sub(r'(<dd id="started">)\d{4}', r"\g<1>1999", p), "start date"),
    "end date": (lambda p: re.sub(r'(<dd id="finished">)\d{4}', r"\g<1>2099", p), "end date"),
    "certificate id": (lambda p: re.sub(r'(<code id="certificate-id">)[0-9a-f]', r"\g<1>x", p), "identifier: the page shows"),
    "artefact hash": (lambda p: p.replace(_first_sha(p), "0" * 64), "only in the page"),
    "candidate name": (lambda p: p.replace("DPI Exemple", "DPI Concurrent"), "candidate: the page shows 'DPI Concurrent'"),
    "vendor": (lambda p: p.replace('<dd id="vendor">Éditeur Exemple', '<dd id="vendor">Autre'), "vendor"),
    "overall verdict": (lambda p: p.replace('data-issued="true"', 'data-issued="false"'), "issuance"),
    "overall verdict text": (lambda p: p.replace(": CONFORMANT</p>", ": NOT CONFORMANT</p>"),
                             "overall verdict: the page shows 'NOT CONFORMANT'"),
    "statement text": (lambda p: p.replace("No document contains the word BROKEN.", "Anything goes."), "page was modified after signing"),
    "hidden style": (lambda p: p.replace("</style>", "#requirements { display: none }</style>"), "page was modified after signing"),
}


@pytest.mark.parametrize("kind", TAMPERINGS)
def test_tampering_is_detected(signed_run: SignedRun, tmp_path: Path, kind: str) -> None:
    change, reason = TAMPERINGS[kind]
    path = _tamper(signed_run, tmp_path, change)
    process = cli("certificate", "verify", path, "--trust", signed_run.issuer_cert)
    assert process.returncode == 1
    assert "NOT VALID" in process.stdout
    assert reason in process.stdout
    assert "page was modified after signing" in process.stdout  # the digest catches every change as well


def test_french_reasons(signed_run: SignedRun, tmp_path: Path) -> None:
    path = _tamper(signed_run, tmp_path, _swap_verdict)
    process = cli("certificate", "verify", path, "--trust", signed_run.issuer_cert, "--lang", "fr")
    assert process.returncode == 1
    assert "NON VALIDE" in process.stdout and "exigence TOYC-002, verdict : la page affiche « FAILED »" in process.stdout


def test_changing_the_signed_payload_breaks_the_signature(signed_run: SignedRun, tmp_path: Path) -> None:
    def forge(page: str) -> str:
        jws = SIGNATURE_ELEMENT.search(page).group(1)
        head, body, sig = jws.split(".")
        payload = json.loads(b64url_decode(body))
        payload["requirements"][0]["verdict"] = "FAILED"
        return page.replace(jws, f"{head}.{b64url(canonical_json(payload))}.{sig}")

    process = cli("certificate", "verify", _tamper(signed_run, tmp_path, forge), "--trust", signed_run.issuer_cert)
    assert process.returncode == 1 and "invalid signature" in process.stdout


def test_unsigned_certificate_is_not_valid(signed_run: SignedRun, tmp_path: Path) -> None:
    path = _tamper(signed_run, tmp_path, lambda p: SIGNATURE_ELEMENT.sub("", p))
    process = cli("certificate", "verify", path, "--trust", signed_run.issuer_cert)
    assert process.returncode == 1 and "unsigned certificate" in process.stdout


# -- the issuer ---------------------------------------------------------------------------------
def test_untrusted_issuer_is_refused(signed_run: SignedRun, tmp_path: Path) -> None:
    keygen(tmp_path / "other", "somebody else")
    process = cli("certificate", "verify", signed_run.certificate, "--trust", tmp_path / "other" / "issuer-cert.pem")
    assert process.returncode == 1 and "untrusted issuer" in process.stdout


def test_without_trust_the_certificate_is_not_declared_valid(signed_run: SignedRun) -> None:
    process = cli("certificate", "verify", signed_run.certificate)
    assert process.returncode == 1 and "--trust" in process.stdout


def test_a_page_re_signed_by_another_key_is_refused(signed_run: SignedRun, tmp_path: Path) -> None:
    """A forger changes a verdict and re-signs with their own key: the signature is valid, the issuer is not trusted."""
    keygen(tmp_path / "forger", "DPI Exemple's friend")
    forger = Signer.load(tmp_path / "forger")

    def resign(page: str) -> str:
        forged = SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, _swap_verdict(page))
        payload = json.loads(b64url_decode(SIGNATURE_ELEMENT.search(page).group(1).split(".")[1]))
        payload["requirements"][1]["verdict"] = "FAILED"
        return sign_page(forged, payload, forger)

    path = _tamper(signed_run, tmp_path, resign)
    process = cli("certificate", "verify", path, "--trust", signed_run.issuer_cert)
    assert process.returncode == 1
    assert "untrusted issuer" in process.stdout and "invalid signature" not in process.stdout
    assert cli("certificate", "verify", path, "--trust", tmp_path / "forger" / "issuer-cert.pem").returncode == 0


def _ca_and_issuer(tmp_path: Path, issuer_days: int = 30) -> tuple[Path, Path]:
    """A user's own PKI: a CA, and an issuer certificate it signed (EC P-256), in a signing folder."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test regional CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Signing service")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=issuer_days))
            .sign(ca_key, hashes.SHA256()))
    folder = tmp_path / "pki"
    folder.mkdir()
    (folder / "issuer-key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                              serialization.BestAvailableEncryption(b"s3cret")))
    (folder / "issuer-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return folder, tmp_path / "ca.pem"


def test_issuer_from_the_users_own_pki_is_trusted_through_its_ca(
        signed_run: SignedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, ca = _ca_and_issuer(tmp_path)
    with pytest.raises(Exception, match="password"):
        Signer.load(folder)
    monkeypatch.setenv("ENRS_SIGNING_KEY_PASSWORD", "s3cret")
    signer = Signer.load(folder)
    assert signer.alg == "ES256"

    def resign(page: str) -> str:
        payload = json.loads(b64url_decode(SIGNATURE_ELEMENT.search(page).group(1).split(".")[1]))
        return sign_page(SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, page), payload, signer)

    path = _tamper(signed_run, tmp_path, resign)
    assert cli("certificate", "verify", path, "--trust", ca).returncode == 0
    refused = cli("certificate", "verify", path, "--trust", signed_run.issuer_cert)
    assert refused.returncode == 1 and "untrusted issuer" in refused.stdout


def test_issuer_not_valid_at_signing_time_is_refused(signed_run: SignedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issuer certificate (valid 30 days) signs a certificate dated 2099: refused."""
    folder, ca = _ca_and_issuer(tmp_path, issuer_days=30)
    monkeypatch.setenv("ENRS_SIGNING_KEY_PASSWORD", "s3cret")
    signer = Signer.load(folder)

    def resign_in_the_future(page: str) -> str:
        jws = SIGNATURE_ELEMENT.search(page).group(1)
        payload = json.loads(b64url_decode(jws.split(".")[1]))
        finished = payload["finished"]
        payload["finished"] = "2099-01-01T00:00:00Z"
        page = page.replace(f'<dd id="finished">{finished}</dd>', '<dd id="finished">2099-01-01T00:00:00Z</dd>')
        return sign_page(SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, page), payload, signer)

    process = cli("certificate", "verify", _tamper(signed_run, tmp_path, resign_in_the_future), "--trust", ca)
    assert process.returncode == 1 and "was not valid when the certificate was signed" in process.stdout


# -- artefacts ----------------------------------------------------------------------------------
def test_artefact_mismatch_is_reported(signed_run: SignedRun, tmp_path: Path) -> None:
    modified = tmp_path / "a.txt"
    modified.write_bytes((TOY / "documents" / "good" / "a.txt").read_bytes() + b"one more line\n")
    foreign = tmp_path / "zzz.txt"
    foreign.write_bytes(b"TOY\nnever tested\n")
    process = cli("certificate", "verify", signed_run.certificate, "--trust", signed_run.issuer_cert,
                      "--artefacts", modified, foreign, TOY / "documents" / "good" / "b.txt")
    assert process.returncode == 1
    assert f"artefact {modified} modified" in process.stdout
    assert f"artefact {foreign} (SHA-256" in process.stdout and "not in the certificate" in process.stdout
    assert "b.txt" not in process.stdout.split("NOT VALID")[1]


# -- openssl, as documented ----------------------------------------------------------------------
def _documented_openssl_script() -> str:
    text = (REPO / "docs" / "certificates.md").read_text(encoding="utf-8")
    return text.split("<!-- verify-with-openssl -->\n```sh\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("sh") and shutil.which("sha256sum")),
                    reason="openssl, sh or sha256sum not installed")
def test_documented_openssl_verification(signed_run: SignedRun, tmp_path: Path) -> None:
    script = tmp_path / "verify.sh"
    script.write_text(_documented_openssl_script(), encoding="utf-8")
    ok = subprocess.run(["sh", str(script), str(signed_run.certificate), str(signed_run.issuer_cert)], cwd=tmp_path,
                        capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert "Verified OK" in ok.stdout and "Page digest OK" in ok.stdout
    payload = json.loads((tmp_path / "payload.json").read_text(encoding="utf-8"))
    assert payload["candidate"]["name"] == "DPI Exemple"
    # the same script refuses a changed page and a forged payload
    (tmp_path / "changed").mkdir()
    changed = _tamper(signed_run, tmp_path / "changed", lambda p: p.replace("DPI Exemple", "DPI Concurrent"))
    bad = subprocess.run(["sh", str(script), str(changed), str(signed_run.issuer_cert)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "Page modified" in bad.stdout

    def forge(page: str) -> str:
        jws = SIGNATURE_ELEMENT.search(page).group(1)
        head, _, sig = jws.split(".")
        return page.replace(jws, f"{head}.{b64url(canonical_json({**payload, 'candidate': {'name': 'X'}}))}.{sig}")

    (tmp_path / "forged").mkdir()
    forged = _tamper(signed_run, tmp_path / "forged", forge)
    bad = subprocess.run(["sh", str(script), str(forged), str(signed_run.issuer_cert)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "Verification failure" in bad.stdout + bad.stderr


def test_issuer_under_an_intermediate_ca_with_chain_pem(signed_run: SignedRun, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)

    def cert(name: str, issuer_name: str, key, issuer_key, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)])).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30)))
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        return builder.sign(issuer_key, hashes.SHA256())

    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = cert("Root", "Root", root_key, root_key, True)
    inter = cert("Intermediate", "Root", inter_key, root_key, True)
    leaf = cert("Signer", "Intermediate", leaf_key, inter_key, False)
    folder = tmp_path / "issuer"
    folder.mkdir()
    pem = serialization.Encoding.PEM
    (folder / "issuer-key.pem").write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "issuer-cert.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "root.pem").write_bytes(root.public_bytes(pem))
    page = signed_run.certificate.read_text(encoding="utf-8")
    payload = json.loads(b64url_decode(SIGNATURE_ELEMENT.search(page).group(1).split(".")[1]))
    unsigned = SIGNATURE_ELEMENT.sub(EMPTY_SIGNATURE_ELEMENT, page)

    without_chain = tmp_path / "without-chain.html"
    without_chain.write_text(sign_page(unsigned, payload, Signer.load(folder)), encoding="utf-8")
    refused = cli("certificate", "verify", without_chain, "--trust", tmp_path / "root.pem")
    assert refused.returncode == 1 and "untrusted issuer" in refused.stdout

    (folder / "chain.pem").write_bytes(inter.public_bytes(pem))
    with_chain = tmp_path / "with-chain.html"
    with_chain.write_text(sign_page(unsigned, payload, Signer.load(folder)), encoding="utf-8")
    accepted = cli("certificate", "verify", with_chain, "--trust", tmp_path / "root.pem")
    assert accepted.returncode == 0, accepted.stdout


def test_verify_usage_errors(signed_run: SignedRun, tmp_path: Path) -> None:
    missing = cli("certificate", "verify", tmp_path / "nope.html", "--trust", signed_run.issuer_cert)
    assert missing.returncode == 2 and "not found" in missing.stderr
    no_trust_file = cli("certificate", "verify", signed_run.certificate, "--trust", tmp_path / "nope.pem")
    assert no_trust_file.returncode == 2 and "trusted certificate not found" in no_trust_file.stderr
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(b"\x00\xff" * 1000)
    process = cli("certificate", "verify", garbage, "--trust", signed_run.issuer_cert)
    assert process.returncode == 1 and "unsigned certificate" in process.stdout and "Traceback" not in process.stderr


def test_a_french_certificate_verifies_and_its_tampering_is_explained(issuer: Path, tmp_path: Path) -> None:
    from .conftest import toy_run, write_target

    target = write_target(tmp_path / "target.toml", "DPI « Étoile »", TOY / "documents" / "broken", vendor="Éditeur & Fils")
    process, run_dir = toy_run(tmp_path / "r", target, "--sign-with", issuer, "--lang", "fr")
    assert process.returncode == 1  # not conformant: a refusal is signed too
    page = (run_dir / "certificate.html").read_text(encoding="utf-8")
    assert "NON CONFORME" in page
    ok = cli("certificate", "verify", run_dir / "certificate.html", "--trust", issuer / "issuer-cert.pem", "--lang", "fr")
    assert ok.returncode == 0, ok.stdout
    assert "VALIDE" in ok.stdout and "DPI « Étoile » (Éditeur & Fils 2.3)" in ok.stdout
    forged = tmp_path / "forged.html"
    forged.write_text(page.replace("Verdict global : NON CONFORME", "Verdict global : CONFORME"), encoding="utf-8")
    bad = cli("certificate", "verify", forged, "--trust", issuer / "issuer-cert.pem", "--lang", "fr")
    assert bad.returncode == 1 and "verdict global : la page affiche « CONFORME », le contenu signé dit « NON CONFORME »" in bad.stdout
