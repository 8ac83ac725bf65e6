"""Coverage-guided fuzz target (atheris) for the number normaliser and the CSV reader.

Run for a bounded time with `make fuzz` (60 s by default, FUZZ_SECONDS=N to
change). Anything it finds is written to tests/fuzz/corpus/, and
tests/fuzz/test_corpus.py replays every file there as a regression test.

The contract checked: on any bytes, `numbers.normalise` returns one row per
value without raising, and `readers.read_table` either returns a frame or
raises InputError (a one-line message for the user), never anything else.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

import polars as pl  # not instrumented: atheris' bytecode rewriting breaks it

with atheris.instrument_imports(include=["callscrub"]):
    from callscrub import numbers
    from callscrub.errors import InputError
    from callscrub.readers import read_table
    from callscrub.rules import load_rules

FR = load_rules("fr")
TMP = Path(tempfile.mkdtemp(prefix="callscrub-fuzz-"))


def check_bytes(data: bytes) -> None:
    """The property, shared with the corpus regression test."""
    text = data.decode("utf-8", errors="replace")
    values = text.split("\n")[:50]
    out = numbers.normalise(pl.Series(values, dtype=pl.String), FR, "FR")
    assert out.height == len(values)
    assert out.filter(pl.col(numbers.VALID) & pl.col(numbers.E164).is_null()).height == 0
    path = TMP / "input.csv"
    path.write_bytes(data)
    try:
        read_table(str(path))
    except InputError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, check_bytes)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
