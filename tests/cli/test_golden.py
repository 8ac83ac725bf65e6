"""Golden files: the sample scrub (`make demo`) gives the same outputs, byte for byte.

The scrub is the Makefile's `demo` command itself, read from the Makefile and run in-process
(`callscrub.cli.run`) in a temporary directory holding a link to sample_data/, so every path it
reports (campaign, outputs) is spelled as `make demo` spells it. The expected outputs are in
tests/golden/:

- clean.csv and rejects.csv: compared byte for byte;
- summary.json: compared as parsed JSON without its timing field (`elapsed_seconds`, the only
  wall-clock figure it holds: `now` is the fixed `--now` of the command);
- parquet_schema.json: the column types of the same scrub written as Parquet (`--out clean.parquet
  --rejects rejects.parquet`). A CSV file loses types, so the Parquet outputs are checked twice:
  their schema against this file, and their content against the golden CSV files read back
  with that schema.

After a deliberate change of the outputs, regenerate the golden files from the current code with

    CALLSCRUB_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/cli/test_golden.py

and review the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import callscrub.cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("CALLSCRUB_UPDATE_GOLDEN") == "1"
# Fields of summary.json that depend on the wall clock rather than on the inputs.
TIMING_FIELDS = frozenset({"elapsed_seconds"})


def demo_argv() -> list[str]:
    """The arguments of `callscrub` in the Makefile's `demo` recipe (after `$(BIN)/callscrub`)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^demo:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None, "the Makefile has no demo recipe"
    command = recipe.group(1).replace("\\\n", " ")
    for line in command.splitlines():
        words = shlex.split(line)
        if words and words[0] == "$(BIN)/callscrub":
            return words[1:]
    raise AssertionError(f"no $(BIN)/callscrub line in the demo recipe:\n{recipe.group(1)}")


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _with_option(argv: list[str], name: str, value: str) -> list[str]:
    i = argv.index(name)
    return [*argv[: i + 1], value, *argv[i + 2 :]]


def _run_demo(directory: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    """Run `callscrub argv` from `directory`, where sample_data/ links to the repository's."""
    (directory / "sample_data").symlink_to(ROOT / "sample_data", target_is_directory=True)
    (directory / "out").mkdir()  # the demo recipe's `mkdir -p out`
    monkeypatch.chdir(directory)
    assert callscrub.cli.run(argv) == 0  # its summary on stderr is captured by pytest


def _first_difference(actual: bytes, expected: bytes) -> str:
    """The first line where `actual` and `expected` differ, with its number, as a message."""
    got, want = actual.splitlines(keepends=True), expected.splitlines(keepends=True)
    for number, (a, e) in enumerate(zip(got, want, strict=False), start=1):
        if a != e:
            return f"first difference at line {number}:\n  expected: {e!r}\n  actual:   {a!r}"
    common = min(len(got), len(want))
    if len(got) > len(want):
        return (
            f"actual has {len(got) - common} more line(s), from line {common + 1}: {got[common]!r}"
        )
    return f"actual ends after line {common}; expected goes on with: {want[common]!r}"


def _check_bytes(actual_path: Path, golden_name: str) -> None:
    actual = actual_path.read_bytes()
    golden = GOLDEN / golden_name
    if UPDATE:
        golden.write_bytes(actual)
        return
    expected = golden.read_bytes()
    assert actual == expected, f"{golden_name}: {_first_difference(actual, expected)}"


def _without_timing(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in TIMING_FIELDS}


def test_demo_outputs_match_golden_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = demo_argv()
    _run_demo(tmp_path, monkeypatch, argv)

    _check_bytes(tmp_path / _option(argv, "--out"), "clean.csv")
    _check_bytes(tmp_path / _option(argv, "--rejects"), "rejects.csv")

    summary = json.loads((tmp_path / _option(argv, "--summary-json")).read_text(encoding="utf-8"))
    for field in TIMING_FIELDS:
        assert isinstance(summary[field], int | float) and summary[field] >= 0, field
    if UPDATE:
        text = json.dumps(_without_timing(summary), indent=2, ensure_ascii=False) + "\n"
        (GOLDEN / "summary.json").write_text(text, encoding="utf-8")
        return
    expected = json.loads((GOLDEN / "summary.json").read_text(encoding="utf-8"))
    actual = _without_timing(summary)
    if actual != expected:
        diff = difflib.unified_diff(
            json.dumps(expected, indent=2, ensure_ascii=False).splitlines(),
            json.dumps(actual, indent=2, ensure_ascii=False).splitlines(),
            "golden summary.json",
            "actual",
            lineterm="",
        )
        first = next((d for d in list(diff)[2:] if d[:1] in "+-"), "")
        pytest.fail(f"summary.json differs from the golden file; first difference: {first}")


def test_demo_as_parquet_matches_golden_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = demo_argv()
    argv = _with_option(argv, "--out", "out/clean.parquet")
    argv = _with_option(argv, "--rejects", "out/rejects.parquet")
    _run_demo(tmp_path, monkeypatch, argv)

    frames = {
        name: pl.read_parquet(tmp_path / "out" / f"{name}.parquet") for name in ("clean", "rejects")
    }
    schemas = {name: {c: str(t) for c, t in f.schema.items()} for name, f in frames.items()}
    schema_file = GOLDEN / "parquet_schema.json"
    if UPDATE:
        schema_file.write_text(json.dumps(schemas, indent=2) + "\n", encoding="utf-8")
        return
    assert schemas == json.loads(schema_file.read_text(encoding="utf-8"))
    for name, frame in frames.items():
        golden = GOLDEN / f"{name}.csv"
        assert_frame_equal(frame, pl.read_csv(golden, schema=frame.schema))
        # polars' CSV rendering of the Parquet output is the CSV output, byte for byte
        written = frame.write_csv().encode()
        expected = golden.read_bytes()
        assert written == expected, f"{name}.parquet as CSV: {_first_difference(written, expected)}"
