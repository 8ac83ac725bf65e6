"""Replays every fuzz corpus file (seeds and cases the fuzzer found) as a regression test.

The property is the fuzz target's own (tests/fuzz/fuzz_inputs.py: check_bytes),
imported without atheris so the suite runs where atheris is not installed.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callscrub import numbers
from callscrub.errors import InputError
from callscrub.readers import read_table
from callscrub.rules import load_rules

CORPUS = Path(__file__).parent / "corpus"
FR = load_rules("fr")


def check_bytes(data: bytes, tmp: Path) -> None:
    text = data.decode("utf-8", errors="replace")
    values = text.split("\n")[:50]
    out = numbers.normalise(pl.Series(values, dtype=pl.String), FR, "FR")
    assert out.height == len(values)
    assert out.filter(pl.col(numbers.VALID) & pl.col(numbers.E164).is_null()).height == 0
    path = tmp / "input.csv"
    path.write_bytes(data)
    try:
        read_table(str(path))
    except InputError:
        pass


def test_corpus_is_not_empty() -> None:
    assert len(list(CORPUS.iterdir())) >= 10


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir()))
def test_corpus_case(case: str, tmp_path: Path) -> None:
    check_bytes((CORPUS / case).read_bytes(), tmp_path)
