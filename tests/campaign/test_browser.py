"""The report, the certificate and the dashboard open, render, fit and print in headless Chromium.

Each page is measured in the browser itself: a copy of it carries a small script that writes, into the
DOM that Chromium dumps, the document's width against the viewport's and every identifier, verdict or
date (code, .token, .v-label, time, .badge) whose text the layout split over more than one line.

Skipped without a browser on a developer's machine; in CI (CI=true) a missing browser fails them, so
that the rendering is never left unchecked silently (.ci/run installs Chromium).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, CampaignRuns, harness

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
PDFINFO = shutil.which("pdfinfo")
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(BROWSER is None and not IN_CI, reason="no headless browser installed (Debian: apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars"]
SCREEN = 1280  # px: a laptop screen
A4_PORTRAIT, A4_LANDSCAPE = 695, 1039  # px: the printable width of A4 (13 mm and 11 mm margins) at 96 px per inch
TOKENS = "code, .token, .v-label, time, .badge, #overall, #started, #finished"
MEASURE = """<script>
addEventListener('load', () => {
  const lines = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  };
  const tokens = [...document.querySelectorAll('%s')];
  document.body.setAttribute('data-measure', JSON.stringify({
    width: document.documentElement.scrollWidth, viewport: innerWidth, tokens: tokens.length,
    broken: tokens.filter(t => lines(t) > 1).map(t => t.textContent.trim().slice(0, 80)),
  }));
});
</script>""" % TOKENS  # noqa: UP031  -- a JavaScript template full of braces: .format() would double every one


@pytest.fixture(autouse=True)
def _browser_required() -> None:
    if BROWSER is None:  # only reached in CI: elsewhere the module is skipped
        pytest.fail("CI=true and no headless browser (chromium): the rendering tests cannot run; .ci/run installs it "
                    "(Debian: apt-get install chromium)", pytrace=False)


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([str(BROWSER), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=90)


def measure(tmp_path: Path, page: Path, width: int) -> dict[str, Any]:
    """Width of the document and tokens split over lines, measured by Chromium at `width` px."""
    probe = page.with_name(f".probe-{width}-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    try:
        dom = _browser(tmp_path, f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    found = re.search(r'data-measure="([^"]*)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def assert_fits(tmp_path: Path, page: Path, widths: tuple[int, ...]) -> None:
    for width in widths:
        seen = measure(tmp_path, page, width)
        assert seen["tokens"] > 5, seen
        assert seen["width"] <= seen["viewport"], f"{page.name} overflows at {width} px: {seen}"
        assert seen["broken"] == [], f"{page.name} at {width} px splits {seen['broken']}"


def print_pdf(tmp_path: Path, page: Path) -> tuple[Path, int]:
    pdf = tmp_path / f"{page.stem}-{len(list(tmp_path.glob('*.pdf')))}.pdf"
    process = _browser(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file(), process.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    if PDFINFO:
        info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    else:
        pages = len(re.findall(rb"/Type\s*/Page\b", data))
    return pdf, pages


def screenshot(tmp_path: Path, page: Path, name: str) -> Path:
    png = tmp_path / f"{name}.png"
    _browser(tmp_path, f"--window-size={SCREEN},860", f"--screenshot={png}", page.as_uri())
    assert png.is_file() and png.read_bytes().startswith(b"\x89PNG")
    return png


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of every bundled pack (188 requirements) on documents that break some of them."""
    base = tmp_path_factory.mktemp("failing-run")
    assert harness("certificate", "keygen", base / "issuer", "--name", "ARS Exemple — émetteur de test").returncode == 0
    process = harness("run", "--documents", REPO / "fixtures" / "nonconforming" / "cda", "--report-dir", base / "runs", "--lang", "fr",
                      "--sign-with", base / "issuer")
    assert process.returncode == 1, process.stdout + process.stderr
    return next(p for p in (base / "runs").iterdir() if p.is_dir())


def test_dashboard_renders_fits_and_prints(campaign_runs: CampaignRuns, tmp_path: Path) -> None:
    page = campaign_runs.second / "dashboard.html"
    dom = _browser(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Campaign dashboard — Campagne de test" in dom.stdout
    for name in ("Good", "Broken", "Warn", "Evolving", "Fixing", "CDA conforming"):
        assert f'data-candidate="{name}"' in dom.stdout  # the browser's DOM, re-serialised
    assert 'data-change="newly-failing" data-requirement="TOYC-002"' in dom.stdout
    assert_fits(tmp_path, page, (SCREEN, A4_LANDSCAPE))
    screenshot(tmp_path, page, "dashboard")
    print_pdf(tmp_path, page)


def test_signed_certificate_renders_fits_and_prints(campaign_runs: CampaignRuns, tmp_path: Path) -> None:
    candidate = campaign_runs.candidate(campaign_runs.first, "Broken")
    page = campaign_runs.first / candidate["certificate"]
    dom = _browser(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<dd id="candidate">Broken</dd>' in dom.stdout
    assert 'id="signature"' in dom.stdout and 'id="enrs-signature"' in dom.stdout and "Signed by" in dom.stdout
    assert 'data-status="applied"' in dom.stdout
    assert_fits(tmp_path, page, (SCREEN, A4_PORTRAIT))
    _, pages = print_pdf(tmp_path, page)
    assert pages >= 1


def test_certificate_page_one_is_the_certificate(failing_run: Path, tmp_path: Path) -> None:
    page = failing_run / "certificate.html"
    text = page.read_text(encoding="utf-8")
    assert "Signé par" in text and "NON CONFORME" in text and "JSON canonique" in text and "canonical JSON" not in text
    assert_fits(tmp_path, page, (SCREEN, A4_PORTRAIT))
    # the first part alone prints on exactly one A4 page …
    first = tmp_path / "first-part.html"
    first.write_text(re.sub(r'<section id="annex".*?</section>', "", text, flags=re.S), encoding="utf-8")
    assert 'id="annex"' not in first.read_text(encoding="utf-8")
    _, first_pages = print_pdf(tmp_path, first)
    assert first_pages == 1
    # … and the whole certificate puts the annex after it, numbering every page with the certificate's id
    pdf, pages = print_pdf(tmp_path, page)
    requirements = len(json.loads((failing_run / "results.json").read_text(encoding="utf-8"))["requirements"])
    # a compact annex: about 12 requirement rows a page (188 requirements took 28 A4 pages before, 13 after;
    # 309 with the XDS, XDM, MSSanté and VIHF packs took 28, their statements being longer)
    assert 2 <= pages <= 2 + requirements // 11, (pages, requirements)
    if shutil.which("pdftotext"):
        certificate_id = json.loads((failing_run / "results.json").read_text(encoding="utf-8"))["run"]["id"]
        for number in range(1, pages + 1):
            sheet = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"], capture_output=True,
                                   text=True).stdout
            assert certificate_id in sheet and f"Page {number} / {pages}" in sheet, (number, sheet[-300:])


def test_report_shows_the_verdict_first_and_fits(failing_run: Path, tmp_path: Path) -> None:
    page = failing_run / "report.html"
    text = page.read_text(encoding="utf-8")
    assert 'id="enrs-overall">Verdict global : NON CONFORME' in text
    assert "<h2>Synthèse</h2>" in text and ">Summary<" not in text and "Show all details" not in text  # French throughout
    assert 'data-requirement="SM-REALMCODE"' in text.split('id="results-table"')[0]  # a blocking requirement, above the tests
    shown = _browser(tmp_path, "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()).stdout
    verdicts = re.findall(r'<td class="enrs-verdict v-(\w+)">([^<]*)</td>', shown)
    assert verdicts and {v for v, _ in verdicts} >= {"FAILED", "PASSED", "ABORTED"}
    assert ("ABORTED", "NON ÉVALUÉ (interrompu)") in verdicts and not any(word == "Failed" for _, word in verdicts)
    assert "<table class=\"findings\">" in shown and "/ClinicalDocument" in shown  # findings as a table, with their XPath
    assert_fits(tmp_path, page, (SCREEN,))


def test_pages_for_the_docs(campaign_runs: CampaignRuns, failing_run: Path, tmp_path: Path) -> None:
    """Screenshots of the three pages; with ENRS_UPDATE_SCREENSHOTS=1 they replace those of docs/img/."""
    pages = {"report": failing_run / "report.html", "certificate": failing_run / "certificate.html",
             "dashboard": campaign_runs.second / "dashboard.html"}
    for name, page in pages.items():
        png = screenshot(tmp_path, page, name)
        if os.environ.get("ENRS_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(png, REPO / "docs" / "img" / f"{name}.png")
        assert (REPO / "docs" / "img" / f"{name}.png").is_file(), f"docs/img/{name}.png is missing"
