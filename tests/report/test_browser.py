"""The sample report opened in headless Chromium with the network off.

Debian's chromium (/usr/bin/chromium; .ci/run installs it when missing),
driven by playwright: no console error, no request leaving the file, every
chart drawn with marks and a size, a screenshot (in a temporary folder), and
the page printed to PDF (print CSS: every chart there, the tables whole).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ._support import Sample

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


def open_in_chromium(page_file: Path, screenshot: Path) -> dict[str, object]:
    """Open `page_file`, wait for its charts; what the browser saw."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[object]] = {"console": [], "errors": [], "requests": [], "blocked": []}
    url = page_file.resolve().as_uri()
    with (
        tempfile.TemporaryDirectory(prefix="callscrub-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,  # a new, empty --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            offline=True,
            viewport={"width": 1200, "height": 900},
        )
        try:

            def route(r: object) -> None:
                request = r.request  # type: ignore[attr-defined]
                if request.url == url:
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    seen["blocked"].append(request.url)
                    r.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: seen["console"].append((m.type, m.text)))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(url)
            page.wait_for_function("document.body.dataset.charts === 'drawn'", timeout=30_000)
            charts = page.evaluate(
                """Array.from(document.querySelectorAll('.chart')).map(d => {
                    const svg = d.querySelector('svg');
                    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                    return {id: d.id, width: box.width, height: box.height,
                            marks: svg ? svg.querySelectorAll('path, rect').length : 0};
                })"""
            )
            page.screenshot(path=str(screenshot), full_page=True)
            # Printed (print CSS): every chart still there, the tables whole.
            page.emulate_media(media="print")
            printed = page.evaluate(
                """[document.querySelectorAll('.chart svg').length,
                    Array.from(document.querySelectorAll('.numbers')).every(
                        d => d.scrollHeight <= d.clientHeight + 1)]"""
            )
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            context.close()
    return {**seen, "charts": charts, "printed": printed, "pdf": pdf}


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


def test_sample_report_renders_offline_without_errors(sample: Sample, tmp_path: Path) -> None:
    _browser_or_skip()
    shot = tmp_path / "report.png"
    seen = open_in_chromium(sample.page, shot)
    assert seen["errors"] == []
    assert [c for c in seen["console"] if c[0] in ("error", "warning")] == []  # type: ignore[index]
    assert seen["requests"] == [sample.page.resolve().as_uri()]
    assert seen["blocked"] == []
    charts = seen["charts"]
    assert isinstance(charts, list) and len(charts) == 7
    for c in charts:
        assert c["width"] > 100 and c["height"] > 50 and c["marks"] > 5, c
    assert shot.stat().st_size > 50_000 and shot.read_bytes()[:4] == b"\x89PNG"
    assert seen["printed"] == [7, True]
    pdf = seen["pdf"]
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3
