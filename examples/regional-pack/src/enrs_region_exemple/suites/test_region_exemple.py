"""The region's own checks: a plain pytest file using the public fixtures of enrs-harness (docs/extending.md)."""

from __future__ import annotations

import re
import socket

import pytest

from harness.config.target import Target
from harness.run.documents import Document
from harness.run.recorder import Recorder

SECOND = re.compile(r"^[0-9]{14}")


@pytest.mark.requirement("REG-CDA-AUTHOR-TIME-01")
def test_author_time_to_the_second(enrs_document: Document, enrs: Recorder) -> None:
    """Runs once per document of the run; an HL7 v2 message makes it NOT_APPLICABLE (enrs_document.cda())."""
    enrs_document.cda()
    findings = [
        enrs_document.finding("REG-CDA-AUTHOR-TIME-01", time, f"author/time/@value « {value} » : précision à la seconde attendue",
                              f"author/time/@value '{value}': precision to the second expected", attribute="value")
        for time in enrs_document.xpath("cda:author/cda:time") if not SECOND.match(value := time.get("value") or "")
    ]
    enrs_document.judge(enrs, ["REG-CDA-AUTHOR-TIME-01"], findings)


@pytest.mark.requirement("REG-EP-01")
def test_every_endpoint_accepts_a_connection(enrs_target: Target, enrs: Recorder) -> None:
    if not enrs_target.endpoints:
        enrs.not_applicable("la cible ne déclare aucun point d'accès / the target declares no endpoint")
    refused = []
    for endpoint in enrs_target.endpoints:
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=enrs_target.timeouts.connect):
                enrs.evidence(f"{endpoint.name} {endpoint.host}:{endpoint.port}", "connexion acceptée / connection accepted")
        except OSError as exc:
            refused.append(f"{endpoint.name} ({endpoint.host}:{endpoint.port}): {exc}")
    assert not refused, "connexion impossible / connection failed: " + "; ".join(refused)
