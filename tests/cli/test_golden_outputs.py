"""Golden outputs: what `run` and `validate --format json` write for the embedded default run and the bundled
fixtures, compared by digest with the digests recorded in golden_outputs.json.

A refactoring that claims to keep behaviour proves it here: results.json (without what changes from one run to
the next: ids, timestamps, durations, ports, temporary paths), the certificate page's text and the run summary,
and validate's JSON report. A deliberate change of output records new digests with
`python tests/cli/test_golden_outputs.py --update` (and says why in its commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_outputs.json")
RUN_KEYS_THAT_VARY = ("id", "started", "finished", "platform")  # results.json's run: new at every run
VARYING = [  # (pattern, stand-in) for the parts of a text that change between two identical runs
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}"), "<run-dir>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|\+00:00)"), "<time>"),  # run times, the test PKI's validity
    (re.compile(r"/tmp/enrs-pki-[^/\"\s]+"), "<pki>"),
    (re.compile(r"(127\.0\.0\.1|localhost):\d+"), r"\1:<port>"),
    (re.compile(r"Date: [^\\\n]*GMT"), "Date: <http-date>"),  # the simulator's HTTP Date header, in the evidence
    (re.compile(r"enrs-harness-[0-9a-f]{8}"), "enrs-harness-<random>"),  # a random path asked of the HTTP endpoint
    (re.compile(r"ENRS[0-9A-F]{12}"), "ENRS<control-id>"),  # HL7 v2 message control ids of the MLLP exchanges
    (re.compile(r"\|20\d{12}\|"), "|<hl7-time>|"),  # the simulator's ACK time (MSH-7)
    # a refused TLS client is seen while sending or while waiting for the answer, as the alert arrives
    (re.compile(r'"content": "[^"]*?([A-Z0-9]+_ALERT_[A-Z_]+)'), r'"content": "<TLS refusal>: \1'),
    # the XDS.b and MSSanté exchanges: fresh signatures, MIME boundaries, generated ids and addresses, mail folders
    (re.compile(r"/tmp/enrs-sim-[^/\"\s]+"), "<sim>"),
    (re.compile(r"MIMEBoundary_[0-9a-f]+"), "MIMEBoundary_<random>"),
    (re.compile(r"<root\.[0-9a-f]+@"), "<root.<random>@"),
    (re.compile(r"(<ds:(?:DigestValue|SignatureValue|X509Certificate)>)[^<\"]*"), r"\1<base64>"),
    (re.compile(r"\b(relais|inconnu)-[0-9a-f]{8}"), r"\1-<random>"),
    (re.compile(r"1\.2\.250\.1\.999\.9\.\d+\.\d+"), "<generated-oid>"),
    # A long evidence is cut at a length of its raw text, which the ids above vary: past the first 200 characters of
    # its stable text, what precedes the cut moves with them (a JSON string's text, escapes included)
    (re.compile(r'"((?:[^"\\]|\\.){0,200})(?:[^"\\]|\\.)*?\\u2026 \[\d+ more\]"'), r'"\1\\u2026 [<n> more]"'),
    (re.compile(r"cid:doc\.[0-9a-f]+@"), "cid:doc.<random>@"),
    (re.compile(r"Content-Length: \d+"), "Content-Length: <n>"),  # the generated ids above vary in length
    (re.compile(r'"(published|retrieved)": "[0-9a-f]{40}"'), r'"\1": "<sha1 of the generated document>"'),
    (re.compile(r"hash ([0-9a-f]{40}) \\u2260 [0-9a-f]{40}"), r"hash \1 \\u2260 <sha1>"),  # the altered retrieve of a fault
]
CASES = {  # name: (command, what it writes)
    "run-embedded": (["run", "--quiet"], "run"),
    "run-nonconforming": (["run", "--quiet", "--documents", str(REPO / "fixtures" / "nonconforming")], "run"),
    "validate-conforming": (["validate", "--format", "json", str(REPO / "fixtures" / "conforming")], "stdout"),
    "validate-nonconforming": (["validate", "--format", "json", str(REPO / "fixtures" / "nonconforming")], "stdout"),
}


def stable_text(text: str, work: Path) -> str:
    text = text.replace(str(work), "<work>").replace(str(REPO), "<repo>")
    for pattern, stand_in in VARYING:
        text = pattern.sub(stand_in, text)
    return text


def stable_json(value: Any) -> Any:
    """Drop the per-run fields: durations everywhere, endpoint ports (ephemeral), the run's id, times and platform."""
    if isinstance(value, dict):
        generated = "published" in value  # the XDS.b round trip's generated document: its size varies with its ids
        dropped = ("duration", "port", "size") if generated else ("duration", "port")
        return {key: stable_json(item) for key, item in value.items() if key not in dropped}
    if isinstance(value, list):
        return [stable_json(item) for item in value]
    return value


def page_text(html: str) -> str:
    """The certificate's text: its style sheet and markup left out."""
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def outputs(name: str, work: Path) -> dict[str, str]:
    """The stable outputs of one case, by output name."""
    args, writes = CASES[name]
    work.mkdir(parents=True, exist_ok=True)
    if writes == "run":
        args = [*args, "--report-dir", str(work / "reports")]
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    process = subprocess.run([sys.executable, "-m", "harness", *args], cwd=work, env=env,
                             capture_output=True, text=True, timeout=300)
    found = {"exit": str(process.returncode)}
    if writes == "stdout":
        found["validate.json"] = stable_text(json.dumps(json.loads(process.stdout), indent=1, sort_keys=True), work)
        return found
    (run_dir,) = (work / "reports").iterdir()
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    for key in RUN_KEYS_THAT_VARY:
        results["run"].pop(key)
    found["results.json"] = stable_text(json.dumps(stable_json(results), indent=1, sort_keys=True), work)
    found["certificate.html"] = stable_text(page_text((run_dir / "certificate.html").read_text(encoding="utf-8")), work)
    # pytest pads its separator lines to the terminal width around the (temporary, so varying) run folder's path
    # words joined across lines: where the terminal wraps depends on the length of the checkout's path
    found["summary"] = re.sub(r"\s+", " ", re.sub(r"(?m)^-+ | -+$", "-", stable_text(process.stdout, work)))
    return found


def digests(found: dict[str, str]) -> dict[str, str]:
    return {key: hashlib.sha256(text.encode()).hexdigest() for key, text in found.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_are_unchanged(name: str, tmp_path: Path) -> None:
    found = outputs(name, tmp_path)
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[name]
    if digests(found) != expected:
        for key, text in found.items():  # left for a reader to compare with the output before the change
            (tmp_path / f"{name}.{key}.txt").write_text(text, encoding="utf-8")
    assert digests(found) == expected, f"outputs changed; their stable text is in {tmp_path}"


def test_the_stable_text_hides_only_what_varies(tmp_path: Path) -> None:
    text = f"{tmp_path}/x 127.0.0.1:4321 2026-11-30T07:23:07Z 8e4f23ba-7f3c-46d3-bf16-e7af4ddeb1c2 PASSED 212"
    assert stable_text(text, tmp_path) == "<work>/x 127.0.0.1:<port> <time> <uuid> PASSED 212"
    assert stable_json({"duration": 1.5, "a": [{"port": 1, "verdict": "FAILED"}]}) == {"a": [{"verdict": "FAILED"}]}


def test_a_cut_evidence_is_stable_whatever_the_length_of_the_ids_before_the_cut(tmp_path: Path) -> None:
    def cut(uid: str) -> str:  # the recorder's cut: 2,000 characters of the raw text
        raw = "<Envelope>\r\n" + "x" * 300 + uid + "\r\nContent-Type: application/xop+xml; type=\"text/xml\"" * 60
        return json.dumps({"evidence": raw[:2000] + f"\u2026 [{len(raw) - 2000} more]"}, indent=1)

    short, long = stable_text(cut("1.2.250.1.999.9.12.3"), tmp_path), stable_text(cut("1.2.250.1.999.9.1234567.345678"), tmp_path)
    assert short == long
    assert short.startswith('{\n "evidence": "<Envelope>\\r\\nxxx') and short.endswith('\\u2026 [<n> more]"\n}')
    assert stable_text(cut("1.2.250.1.999.9.12.3"), tmp_path) != stable_text(cut("1.2.250.1.999.9.12.3").replace("x", "y", 1), tmp_path)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        recorded = {name: digests(outputs(name, Path(folder) / name)) for name in sorted(CASES)}
    GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded {GOLDEN}")
