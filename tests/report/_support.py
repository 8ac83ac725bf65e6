"""Helpers of the report tests: the sample scrub with its report, the page's tables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from callscrub.cli.main import run

ROOT = Path(__file__).resolve().parents[2]
# The sample scrub of `make demo` (README), with its report written beside the outputs.
SAMPLE_ARGS = [
    "scrub",
    "sample_data/campaign.csv",
    "--registry",
    "sample_data/bloctel_opposition.csv",
    "--registry",
    "sample_data/company_dnc.txt",
    "--history",
    "sample_data/history.csv",
    "--consent",
    "sample_data/consent.csv",
    "--now",
    "2026-11-23T08:00:00+01:00",
    "--registry-date",
    "2026-11-22",
    "--out",
    "out/clean.csv",
    "--rejects",
    "out/rejects.csv",
    "--quiet",
]


@dataclass(frozen=True)
class Sample:
    """A scrubbed sample in `root`: outputs in out/, the page scrub --report wrote."""

    root: Path
    clean: Path
    rejects: Path
    manifest: Path
    page: Path


def scrub_sample(root: Path, *extra: str) -> Sample:
    """Run the sample scrub in `root` (sample_data linked in) with --report out/report.html."""
    (root / "sample_data").symlink_to(ROOT / "sample_data")
    (root / "out").mkdir()
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert run([*SAMPLE_ARGS, "--report", "out/report.html", *extra]) == 0
    finally:
        os.chdir(cwd)
    out = root / "out"
    return Sample(
        root,
        out / "clean.csv",
        out / "rejects.csv",
        out / "clean.csv.manifest.json",
        out / "report.html",
    )


class Tables(HTMLParser):
    """The page's tables by id: each a list of rows, each row its cells' text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: Path) -> dict[str, list[list[str]]]:
    """The tables of a report page by id (header row first)."""
    return Tables(page.read_text(encoding="utf-8")).tables


def number(text: str) -> int:
    """A figure as the page writes it (1,234)."""
    return int(text.replace(",", ""))
