"""Screenshot of an HTML report for the README: `make report-screenshot`.

    python docs/report_screenshot.py PAGE.html OUT.png

Opens the page in Debian's headless Chromium (/usr/bin/chromium) through
playwright, offline, waits for the charts, and saves the whole page at half
scale (a small PNG to commit).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main(page_file: str, png: str) -> None:
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path="/usr/bin/chromium",
            headless=True,
            args=FLAGS,
            offline=True,
            viewport={"width": 1200, "height": 900},
            device_scale_factor=float(sys.argv[3]) if len(sys.argv) > 3 else 0.5,
        )
        page = context.new_page()
        page.goto(Path(page_file).resolve().as_uri())
        page.wait_for_function("document.body.dataset.charts === 'drawn'", timeout=30_000)
        page.screenshot(path=png, full_page=True)
        context.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
