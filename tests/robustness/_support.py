"""Shared helpers for the robustness suite.

In-process runs go through `callscrub.cli.run` looked up on the module at call
time, so that tests/conftest.py's autouse fixture adds `--consent FILE` for the
campaign's numbers (the French opt-in regime applies after 2026-08-11).
Subprocess runs of the console script get their consent from a `consent_at`
column in the campaign itself, or from `consent_file`.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from callscrub import cli
from callscrub.core.reasons import ALL_REASONS

# A Monday 08:00 in Paris; SLOT is the next day inside the 10:00-13:00 window.
NOW = "2026-11-23T08:00:00+01:00"
SLOT = "2026-11-24T10:30:00"
SLOT_OUT = "2026-11-24T10:30:00+01:00"  # how the clean list writes SLOT
CONSOLE_SCRIPT = Path(sys.executable).parent / "callscrub"


@dataclass
class Result:
    code: int
    out: str
    err: str
    clean_path: Path
    rejects_path: Path
    summary_path: Path | None

    @property
    def clean(self) -> pl.DataFrame:
        return read_output(self.clean_path)

    @property
    def rejects(self) -> pl.DataFrame:
        return read_output(self.rejects_path)

    @property
    def summary(self) -> dict:
        assert self.summary_path is not None
        return json.loads(self.summary_path.read_text(encoding="utf-8"))


def read_output(path: Path) -> pl.DataFrame:
    """An output as written: CSV with every column as text, or Parquet."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """`callscrub.cli.run(argv)` with stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.run(argv)  # looked up now: conftest's consent wrapper
    return int(code), out.getvalue(), err.getvalue()


def scrub(
    campaign: Path,
    outdir: Path,
    *extra: str,
    out: str = "clean.csv",
    rejects: str = "rejects.csv",
    summary: bool = False,
) -> Result:
    """One in-process `callscrub scrub` with the suite's defaults
    (--now NOW, --no-registry unless a registry is given, --no-manifest, and
    --max-invalid 100: these campaigns are junk on purpose, and what the suite
    checks is that every row lands in one output with its reason; the
    data-quality gate has its own tests in tests/cli/test_max_invalid.py)."""
    clean_path, rejects_path = outdir / out, outdir / rejects
    summary_path = outdir / "summary.json" if summary else None
    argv = [
        "scrub",
        str(campaign),
        "--out",
        str(clean_path),
        "--rejects",
        str(rejects_path),
        "--no-manifest",
    ]
    if "--now" not in extra:
        argv += ["--now", NOW]
    if "--registry" not in extra:
        argv.append("--no-registry")
    if "--max-invalid" not in extra:
        argv += ["--max-invalid", "100"]
    if summary_path is not None:
        argv += ["--summary-json", str(summary_path)]
    code, stdout, stderr = run_in_process([*argv, *extra])
    return Result(code, stdout, stderr, clean_path, rejects_path, summary_path)


def write_csv(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def assert_input_error(res: Result, name: Path | str, *needles: str) -> str:
    """Exit 3, one line on stderr naming the file, no traceback, no output written."""
    assert res.code == 3, f"exit {res.code}, stderr: {res.err!r}"
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {res.err!r}"
    line = lines[0]
    assert line.startswith("callscrub: error: "), line
    assert "Traceback" not in res.err
    assert str(name) in line, f"the message does not name {name}: {line}"
    for needle in needles:
        assert needle in line, f"{needle!r} missing from: {line}"
    assert not res.clean_path.exists() and not res.rejects_path.exists(), (
        "an output was written after an input error"
    )
    assert not part_files(res.clean_path.parent)
    return line


def assert_no_row_lost(res: Result, rows_in: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Exit 0 and every input row in exactly one output, rejects with a known reason."""
    assert res.code == 0, f"exit {res.code}, stderr: {res.err!r}"
    assert "Traceback" not in res.err
    clean, rejects = res.clean, res.rejects
    assert clean.height + rejects.height == rows_in, (clean.height, rejects.height, rows_in)
    rows = sorted(
        int(r) for r in [*clean["source_row"].to_list(), *rejects["source_row"].to_list()]
    )
    assert rows == list(range(1, rows_in + 1)), rows
    assert set(rejects["reason"].to_list()) <= set(ALL_REASONS), (
        rejects["reason"].unique().to_list()
    )
    assert rejects.filter(pl.col("detail").is_null()).height == 0, "a rejected row has no detail"
    return clean, rejects


def row(frame: pl.DataFrame, source_row: int) -> dict:
    hit = frame.filter(pl.col("source_row").cast(pl.Int64) == source_row)
    assert hit.height == 1, f"source_row {source_row} appears {hit.height} times"
    return hit.row(0, named=True)


def part_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".part"))


def nsn_digits(phone: str) -> str:
    """The 9 significant digits of a French number, as they would leak."""
    return re.sub(r"\D", "", phone)[-9:]


def consent_file(path: Path, e164s: list[str]) -> Path:
    pl.DataFrame({"phone": e164s, "consent_at": ["2000-01-01T00:00:00"] * len(e164s)}).write_csv(
        path
    )
    return path
