"""The property the fuzz target checks, shared with the corpus regression test.

On any bytes, `numbers.normalise` returns one row per value without raising
(and no valid row without a key), and `readers.read_table` either returns a
frame or raises InputError (a one-line message for the user), never anything else.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from callscrub.errors import InputError
from callscrub.io.readers import read_table
from callscrub.phone import normalise as numbers
from callscrub.rules.load import load_rules

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
