"""The README's library example runs as written, from one import line.

The example is read from README.md (the python block of "Use as a library")
and run in a temporary folder that sees the repository's sample_data/, so a
library surface that moves or a README that drifts from it fails here."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]


def library_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use as a library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match is not None, "README's library section has no python block"
    return match.group(1)


def test_the_library_example_imports_from_callscrub_in_one_line() -> None:
    code = library_example()
    imports = [line for line in code.splitlines() if "callscrub" in line and "import" in line]
    assert imports == [imports[0]] and imports[0].startswith("from callscrub import ")


def test_the_readme_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(library_example(), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    clean = pl.read_csv(tmp_path / "clean.csv", infer_schema=False)
    kept = int(printed.split()[0])
    assert kept == clean.height > 0
    assert clean["phone_e164"].str.starts_with("+").all()
